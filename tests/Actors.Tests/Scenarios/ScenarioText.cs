using BootActors.Actors.Scenarios;
using BootActors.Actors.Settings;

namespace BootActors.Actors.Tests.Scenarios;

/// <summary>Scenario texts and files for the tests.</summary>
internal static class ScenarioText
{
    /// <summary>The smallest valid scenario: every required key, nothing else.</summary>
    public const string Minimal = """
        cpus = 2
        memory = 4G
        variant = fixed
        workload = []
        """;

    public static Scenario Load(string text, params string[] sets) => ScenarioLoader.LoadText(text, "test.hocon", sets);

    public static ScenarioException Refused(string text, params string[] sets) =>
        Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadText(text, "bad.hocon", sets));

    /// <summary>The checkout's config/ folder (the tests run from tests/Actors.Tests/bin/...).</summary>
    public static string ConfigDir() =>
        ConfigDirectory.FindAbove(AppContext.BaseDirectory) ?? throw new InvalidOperationException("config/ not found above the test binaries");

    public static string ScenariosDir() => Path.Combine(ConfigDir(), "scenarios");
}

/// <summary>A temporary directory, deleted at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bootactors-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string contents)
    {
        var file = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, contents);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
