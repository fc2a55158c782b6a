using BootActors.Actors.Scenarios;
using BootActors.Actors.Settings;

namespace BootActors.TestKit;

/// <summary>
/// The repository's config/scenarios/*.hocon, embedded in this assembly, so that a project that
/// references only the package finds <c>Scenario("hotadd-concurrent")</c>.
/// </summary>
internal static class ShippedScenarios
{
    private const string Prefix = "BootActors.TestKit.scenarios.";

    /// <summary>The embedded scenarios' names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(ShippedScenarios).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(ScenarioLoader.Extension, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^ScenarioLoader.Extension.Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>The embedded file's text, or null when no scenario of that name is shipped.</summary>
    public static string? Text(string name)
    {
        using var stream = typeof(ShippedScenarios).Assembly.GetManifestResourceStream(Prefix + name + ScenarioLoader.Extension);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// A scenario file path (as the CLI takes it), or a bare name: config/scenarios/NAME.hocon when a
    /// config/ folder is found from the current or the test's directory (a checkout's own files win,
    /// as for the CLI), else the scenario of that name shipped in this assembly.
    /// </summary>
    /// <exception cref="ScenarioException">No such file or scenario, or the file or a set is bad.</exception>
    public static Scenario Load(string nameOrPath, IReadOnlyList<string> sets)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        var looksLikePath = File.Exists(nameOrPath)
                            || nameOrPath.EndsWith(ScenarioLoader.Extension, StringComparison.OrdinalIgnoreCase)
                            || nameOrPath.Contains('/') || nameOrPath.Contains(Path.DirectorySeparatorChar);
        if (looksLikePath)
        {
            return ScenarioLoader.Load(ScenarioLoader.Find(nameOrPath), sets);
        }

        var onDisk = ConfigDirectory.Candidates()
            .Select(dir => Path.Combine(dir, "scenarios", nameOrPath + ScenarioLoader.Extension))
            .FirstOrDefault(File.Exists);
        if (onDisk is not null)
        {
            return ScenarioLoader.Load(ScenarioLoader.DisplayPath(onDisk), sets);
        }

        // Named by its file name alone: messages say "hotadd-concurrent.hocon:…", and a relative e820
        // path given with a set starts from the current directory.
        return Text(nameOrPath) is { } text
            ? ScenarioLoader.LoadText(text, nameOrPath + ScenarioLoader.Extension, sets)
            : throw new ScenarioException(nameOrPath, null, null,
                $"no such scenario file, and BootActors.TestKit ships no scenario of that name (it ships {string.Join(", ", Names)})");
    }
}
