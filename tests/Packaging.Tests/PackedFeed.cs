using System.Text.RegularExpressions;

namespace BootActors.Packaging.Tests;

/// <summary>
/// A local NuGet feed in a temporary folder holding what <c>dotnet pack</c> makes of this checkout:
/// BootActors.TestKit (which packs BootActors.Actors and BootActors.Model beside it) and the bootactors
/// tool, under a pre-release version of their own (the repository's version plus a suffix unique to this
/// run), so that no package restored earlier under the same version can stand in for them. Built once
/// for the tests of <see cref="PackagingCollection"/>, in a separate artifacts folder so the checkout's
/// bin/ and obj/ are left alone; deleted at the end.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);

    private readonly Lazy<string> testKit;
    private readonly Lazy<string> tool;

    public PackedFeed()
    {
        Root = Directory.CreateTempSubdirectory("bootactors-packaging-").FullName;
        Folder = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        Suffix = $"ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        testKit = new Lazy<string>(() => Pack("src/TestKit", "BootActors.TestKit"));
        tool = new Lazy<string>(() => Pack("src/Cli", "bootactors"));
    }

    /// <summary>Everything this fixture creates lies below it.</summary>
    public string Root { get; }

    /// <summary>The feed: a folder of .nupkg files.</summary>
    public string Folder { get; }

    /// <summary>The pre-release suffix of this run's packages.</summary>
    public string Suffix { get; }

    /// <summary>The version of BootActors.TestKit in the feed (Actors and Model have the same).</summary>
    public string TestKitVersion => testKit.Value;

    /// <summary>The version of the bootactors tool package in the feed.</summary>
    public string ToolVersion => tool.Value;

    /// <summary>The packs' command lines and times, for the test's output.</summary>
    public List<string> Log { get; } = new();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a process the OS has not reaped yet: the temp folder is the OS's to clean.
        }
    }

    private string Pack(string project, string packageId)
    {
        var result = Dotnet.Run(Repo.Root, PackTimeout, null,
            "pack", Path.Combine(Repo.Root, project), "-c", "Release", "-o", Folder, "--version-suffix", Suffix,
            "--artifacts-path", Path.Combine(Root, "artifacts"), "--disable-build-servers", "-nodeReuse:false")
            .ShouldExitWith(0);
        Log.Add($"{result.Command}: {result.Elapsed.TotalSeconds:0} s");

        var pattern = new Regex($@"^{Regex.Escape(packageId)}\.(\d+\.\d+\.\d+-{Regex.Escape(Suffix)})\.nupkg$", RegexOptions.IgnoreCase);
        var versions = Directory.GetFiles(Folder, "*.nupkg")
            .Select(f => pattern.Match(Path.GetFileName(f)))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();
        Assert.True(versions.Count == 1, $"dotnet pack {project} should make one {packageId}.<version>-{Suffix}.nupkg in {Folder}; there are: " +
                                         string.Join(", ", Directory.GetFiles(Folder).Select(Path.GetFileName)));
        return versions[0];
    }
}

/// <summary>The packaging tests share one feed and run one at a time (each builds, on a 2-core machine).</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "packaging";
}
