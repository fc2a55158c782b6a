using BootActors.Cli;

namespace BootActors.Fuzz;

/// <summary>
/// The real files the mutators start from: the shipped e820 logs and scenarios, and a replay file
/// and traces that bootactors itself writes here once (explore's found schedule of
/// hotadd-concurrent, a small boot's trace). Also the folder layout the inputs run in: scenarios
/// next to a copy of config/e820, as in the checkout, so their relative e820 paths resolve.
/// </summary>
public sealed class Corpus
{
    private Corpus(string root, IReadOnlyList<byte[]> e820, IReadOnlyList<(string Name, byte[] Data)> scenarios, byte[] replay, IReadOnlyList<byte[]> traces)
    {
        Root = root;
        E820 = e820;
        Scenarios = scenarios;
        Replay = replay;
        Traces = traces;
    }

    /// <summary>Where the seeds live; inputs run in folders below it (so "../e820/x.dmesg" resolves).</summary>
    public string Root { get; }

    public IReadOnlyList<byte[]> E820 { get; }

    public IReadOnlyList<(string Name, byte[] Data)> Scenarios { get; }

    public byte[] Replay { get; }

    public IReadOnlyList<byte[]> Traces { get; }

    /// <summary>A good trace to diff against.</summary>
    public string SeedTracePath => Path.Combine(Root, "seeds", "explore.trace.jsonl");

    /// <summary>The shipped scenario names --set inputs start from.</summary>
    public static readonly string[] ScenarioNames =
        ["default", "hotadd-concurrent", "hotadd-new-pgd", "hotremove-local-flush", "xen-boot-after", "table-space-short", "topdown-alloc"];

    /// <summary>Copies the checkout's config into <paramref name="root"/> and writes the replay and traces with the CLI.</summary>
    public static Corpus Build(string root)
    {
        var config = FindConfig();
        var seeds = Directory.CreateDirectory(Path.Combine(root, "seeds")).FullName;
        var e820Dir = Directory.CreateDirectory(Path.Combine(root, "e820")).FullName;
        var e820 = new List<byte[]>();
        foreach (var file in Directory.GetFiles(Path.Combine(config, "e820")).Order(StringComparer.Ordinal))
        {
            File.Copy(file, Path.Combine(e820Dir, Path.GetFileName(file)), overwrite: true);
            e820.Add(File.ReadAllBytes(file));
        }

        var scenarios = Directory.GetFiles(Path.Combine(config, "scenarios"), "*.hocon").Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList();

        var boot = Path.Combine(seeds, "boot.trace.jsonl");
        if (!File.Exists(boot))
        {
            WriteSeeds(seeds, boot);
        }

        return new Corpus(root, e820, scenarios, File.ReadAllBytes(Path.Combine(seeds, "explore.replay.json")),
            [File.ReadAllBytes(Path.Combine(seeds, "explore.trace.jsonl")), File.ReadAllBytes(boot)]);
    }

    /// <summary>Once per root (the supervisor's workers share it): the replay and traces bootactors writes.</summary>
    private static void WriteSeeds(string seeds, string boot)
    {
        var found = Path.Combine(seeds, "found");
        var explore = Run("explore", "hotadd-concurrent", "--strategy", "pct", "--seed", "1", "--output-dir", found, "--json");
        if (explore != ExitCodes.BadOutcome)
        {
            throw new InvalidOperationException($"writing the seed replay file: explore exited {explore}");
        }

        File.Move(Directory.GetFiles(found, "*.replay.json").Single(), Path.Combine(seeds, "explore.replay.json"), overwrite: true);
        File.Move(Directory.GetFiles(found, "*.trace.jsonl").Single(), Path.Combine(seeds, "explore.trace.jsonl"), overwrite: true);

        // Written last: its presence says the seeds are complete.
        var run = Run("run", "--memory", "64M", "--cpus", "2", "--trace", boot);
        if (run != ExitCodes.Ok)
        {
            throw new InvalidOperationException($"writing the seed boot trace: run exited {run}");
        }
    }

    private static int Run(params string[] args) => CliApp.Run(args, new StringWriter(), new StringWriter());

    /// <summary>The checkout's config/ (the fuzz binaries run from tests/Fuzz/bin/...).</summary>
    private static string FindConfig()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "config");
            if (Directory.Exists(Path.Combine(candidate, "scenarios")) && Directory.Exists(Path.Combine(candidate, "e820")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no config/ with scenarios and e820 above " + AppContext.BaseDirectory);
    }
}
