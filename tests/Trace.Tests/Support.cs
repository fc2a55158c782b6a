using System.Text.Json;

namespace BootActors.Trace.Tests;

/// <summary>The CLI tests' in-process runner (tests/Cli.Tests/Cli.cs, compiled in), under the name these tests use.</summary>
internal static class Cli
{
    public static CliRun Run(params string[] args) => BootActors.Cli.Tests.Cli.Run(args);

    public static string RepoRoot() => BootActors.Cli.Tests.Cli.RepoRoot();
}

/// <summary>One trace line as the tests read it, independently of the reader under test.</summary>
internal sealed record RawEvent(long Seq, string From, string To, string Type, Dictionary<string, string> Fields, int? Cpu, string Line)
{
    public static IReadOnlyList<RawEvent> ReadAll(string path) =>
        File.ReadLines(path).Skip(1).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            return new RawEvent(
                r.GetProperty("seq").GetInt64(),
                r.GetProperty("from").GetString()!,
                r.GetProperty("to").GetString()!,
                r.GetProperty("type").GetString()!,
                r.GetProperty("fields").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                r.TryGetProperty("cpu", out var cpu) ? cpu.GetInt32() : null,
                line);
        }).ToList();

    public string? Field(string key) => Fields.GetValueOrDefault(key);
}

/// <summary>
/// Traces of the shipped scenarios, written once per test run by 'bootactors run --trace' (the way
/// users make them) into a temporary folder. One set for the whole assembly: each collection below
/// gets a handle on it, so the browser tests, the export tests and the rest run side by side and
/// still make each trace once. The folder goes when the test process exits.
/// </summary>
public sealed class TraceFiles
{
    private static readonly Dictionary<string, string> Made = new();
    private static readonly object Gate = new();
    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"bootactors-trace-tests-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A viewer may still hold a file; the temp folder is cleaned by the system.
            }
        };
        return dir;
    });

    public string Directory => Folder.Value;

    /// <summary>hotadd-concurrent with seed 0: its schedule loses pud[8]'s first pmd page (the violation).</summary>
    public string HotaddSeed0 => Make("hotadd-seed0", "run", "hotadd-concurrent", "--seed", "0");

    public string HotaddSeed1 => Make("hotadd-seed1", "run", "hotadd-concurrent", "--seed", "1");

    public string HotaddFree => Make("hotadd-free", "run", "hotadd-concurrent", "--mode", "free");

    public string XenBootAfter => Make("xen-boot-after", "run", "xen-boot-after");

    public string HotremoveLocalFlush => Make("hotremove-local-flush", "run", "hotremove-local-flush");

    /// <summary>The seed's parent booting 4 GiB natively: its pgd_populate replaces head_64.S's pgd[272] link (overwritten while present, no violation).</summary>
    public string NativeBefore => Make("native-before", "run", "--memory", "4G", "--variant", "before");

    /// <summary>A 7 GiB Xen boot: over a hundred thousand events.</summary>
    public string Xen7G => Make("xen-7g", "run", "--memory", "7G", "--xen");

    /// <summary>A path in the folder for a file a test writes.</summary>
    public string PathFor(string name) => Path.Combine(Directory, name);

    private string Make(string name, params string[] args)
    {
        lock (Gate)
        {
            if (Made.TryGetValue(name, out var existing))
            {
                return existing;
            }

            var path = PathFor(name + ".jsonl");
            var run = Cli.Run([.. args, "--trace", path]);

            // A run whose scenario expects a violation exits 1, a free-mode run whose interleaving does
            // not meet its scenario's expect block 4; only a usage or internal error is a failure here.
            Assert.True(run.ExitCode is 0 or 1 or 4, $"bootactors {string.Join(" ", args)} exited {run.ExitCode}: {run.Stderr}");
            Assert.True(File.Exists(path), $"no trace written by bootactors {string.Join(" ", args)}");
            Made[name] = path;
            return path;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TraceCollection : ICollectionFixture<TraceFiles>
{
    public const string Name = "traces";
}

/// <summary>The HTML viewer in Chromium: beside the other trace tests, not after them.</summary>
[CollectionDefinition(Name)]
public sealed class ViewerCollection : ICollectionFixture<TraceFiles>
{
    public const string Name = "trace viewer";
}

/// <summary>The exports checked by Mermaid's CLI and DevTools' trace engine: beside the other trace tests, not after them.</summary>
[CollectionDefinition(Name)]
public sealed class ExportCollection : ICollectionFixture<TraceFiles>
{
    public const string Name = "trace exports";
}
