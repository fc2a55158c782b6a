using System.Text;
using System.Text.Json.Nodes;

namespace BootActors.Cli.Tests;

/// <summary>A temporary folder for a test's files, deleted at the end.</summary>
internal sealed class Scratch : IDisposable
{
    public Scratch()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"bootactors-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    public string PathOf(string name) => Path.Combine(Dir, name);

    public string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    public string Write(string name, byte[] data)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data);
        return path;
    }

    /// <summary>The files of the folder other than <paramref name="except"/>: a temporary file left behind shows here.</summary>
    public string[] Leftovers(params string[] except) =>
        Directory.GetFiles(Dir).Select(Path.GetFileName).Where(n => !except.Contains(n)).Select(n => n!).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>
/// A replay file and a trace that bootactors wrote (explore's shrunk lost update of
/// hotadd-concurrent with pct, seed 1), made once for the tests that damage copies of them.
/// </summary>
public sealed class FoundRace : IDisposable
{
    private readonly Scratch scratch = new();

    public FoundRace()
    {
        var run = Cli.Run("explore", "hotadd-concurrent", "--strategy", "pct", "--seed", "1", "--output-dir", scratch.Dir, "--json");
        Assert.Equal(ExitCodes.BadOutcome, run.ExitCode);
        ReplayPath = Directory.GetFiles(scratch.Dir, "*.replay.json").Single();
        TracePath = Directory.GetFiles(scratch.Dir, "*.trace.jsonl").Single();
    }

    public string ReplayPath { get; }

    public string TracePath { get; }

    public JsonObject Replay() => JsonNode.Parse(File.ReadAllText(ReplayPath))!.AsObject();

    public string[] TraceLines() => File.ReadAllLines(TracePath);

    public void Dispose() => scratch.Dispose();
}
