using System.Xml.Linq;

namespace BootActors.Packaging.Tests;

/// <summary>The checkout the tests run from.</summary>
internal static class Repo
{
    /// <summary>The repository root (where BootActors.sln is).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A PackageVersion of Directory.Packages.props, so a consumer project uses the versions the solution does.</summary>
    public static string PackageVersion(string id)
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Packages.props"));
        return props.Descendants("PackageVersion")
                   .FirstOrDefault(e => string.Equals((string?)e.Attribute("Include"), id, StringComparison.OrdinalIgnoreCase))
                   ?.Attribute("Version")?.Value
               ?? throw new InvalidOperationException($"Directory.Packages.props has no PackageVersion for {id}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BootActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BootActors.sln not found above the test binaries");
    }
}
