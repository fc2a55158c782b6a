using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace BootActors.Cli.Tests;

/// <summary>
/// Every class of bad input is refused the same way, by every reader: exit 2, nothing on stdout,
/// one line on stderr naming the file (and line, field or option) and the reason — never a stack
/// trace, an exit 3 or 134, or a wait for ever.
/// </summary>
public sealed class BadInputTests(FoundRace race) : IClassFixture<FoundRace>
{
    private const string CpuReason = "5000 is not a CPU count: expected 1 to 4096 (NR_CPUS's largest value in 2.6.27, with MAXSMP)";

    public static TheoryData<string> Readers => ["e820", "scenario", "replay", "trace show", "trace pt"];

    /// <summary>The command each reader is used by, on <paramref name="path"/>.</summary>
    private static CliRun Read(string reader, string path) => reader switch
    {
        "e820" => Cli.Run("run", "--e820", path),
        "scenario" => Cli.Run("run", path),
        "replay" => Cli.Run("replay", path),
        "trace show" => Cli.Run("trace", "show", path),
        _ => Cli.Run("trace", "pt", path, "--at", "1"),
    };

    private static void AssertRefused(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Equal("", run.Stdout);
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("bootactors: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void DevZeroIsRefusedAsACharacterDeviceByEveryReader(string reader)
    {
        AssertRefused(Read(reader, "/dev/zero"), "/dev/zero: is a character device, not a regular file");
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task AFifoIsRefusedWithoutWaitingForAWriter(string reader)
    {
        using var scratch = new Scratch();
        var fifo = scratch.PathOf("pipe");
        Assert.Equal(0, MakeFifo(fifo, 0x180));

        // Opening a FIFO for reading blocks until a writer comes: the reader must not open it.
        var run = await Task.Run(() => Read(reader, fifo)).WaitAsync(TimeSpan.FromSeconds(60));
        AssertRefused(run, $"{fifo}: is a named pipe (FIFO), not a regular file");
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void ADirectoryIsRefusedByEveryReader(string reader)
    {
        using var scratch = new Scratch();

        AssertRefused(Read(reader, scratch.Dir), $"{scratch.Dir}: is a directory, not a");
    }

    [Fact]
    public void AScenarioLargerThanAScenarioCanBeIsRefusedWithTheLimit()
    {
        using var scratch = new Scratch();
        var path = scratch.Write("big.hocon", "cpus = 1\n" + new string('#', 1 << 20) + "\n");

        AssertRefused(Cli.Run("run", path), $"{path}: too large (1,048,586 bytes; the limit for scenario files is 1 MiB)");
    }

    [Fact]
    public void InvalidUtf8InAScenarioIsRefusedAtItsLine()
    {
        using var scratch = new Scratch();
        var path = scratch.Write("bad.hocon", [.. "cpus = 1\nmemory = 8G\nvariant = \""u8, 0xff, .. "fixed\"\nworkload = []\n"u8]);

        AssertRefused(Cli.Run("run", path), $"{path}:3: not UTF-8 text: the byte 0xff");
    }

    [Fact]
    public void ScenarioNestingDeeperThanTheLimitIsRefusedNotAStackOverflow()
    {
        using var scratch = new Scratch();
        const int depth = 100_000;
        var path = scratch.Write("deep.hocon", "x = " + string.Concat(Enumerable.Repeat("{a = ", depth)) + "1" + new string('}', depth) + "\n");

        AssertRefused(Cli.Run("run", path), "nested too deeply: more than 32 levels");
    }

    [Theory]
    [InlineData("cpus=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
    [InlineData("workload=[{a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a={a=1}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}]")]
    public void SetNestingDeeperThanTheLimitIsRefusedNamingTheSet(string set)
    {
        AssertRefused(Cli.Run("run", "hotadd-concurrent", "--set", set), "nested too deeply");
    }

    public static TheoryData<string, string> ReplayDamage => new()
    {
        { "version as a string", "bootactors_replay: expected an integer, found the string \"1\"" },
        { "version as a float", "bootactors_replay: expected an integer, found the number 1.5" },
        { "no version", "not a replay file (no \"bootactors_replay\" version)" },
        { "a delivery with two fields", "deliveries[3]: expected [from, to, type] (3 strings), found 2 value(s)" },
        { "a delivery type that is a number", "deliveries[3][2]: expected a string, found the number 5" },
        { "cpus 0", "spec.cpus: 0 is not a CPU count: expected 1 to 4096" },
        { "cpus -1", "spec.cpus: -1 is not a CPU count: expected 1 to 4096" },
        { "cpus 100000", "spec.cpus: 100000 is not a CPU count: expected 1 to 4096" },
        { "cpus as a string", "spec.cpus: expected an integer, found the string \"4\"" },
        { "RAM up to 2^64", "spec.e820: RAM ends at 0x3ffffffff000 (64 TiB); this model numbers get_zeroed_page's pages from 0x3f0000000000" },
        { "a kernel of 2^64 bytes", "spec.kernel_size: a kernel image of 16777216 TiB does not fit KERNEL_IMAGE_SIZE (512 MiB" },
        { "a workload on CPU9", "spec.workload[0].events[0].cpu: CPU9 does not exist: the machine has 3 CPU(s) (CPU0-CPU2)" },
        { "nesting 50 deep", "not a replay file (not JSON: The maximum configured depth of 16 has been exceeded" },
        { "a list, not an object", "not a replay file (the file holds a JSON value that is not an object)" },
    };

    [Theory]
    [MemberData(nameof(ReplayDamage))]
    public void ADamagedReplayFileIsRefusedNamingTheField(string damage, string expected)
    {
        using var scratch = new Scratch();
        var replay = race.Replay();
        var deliveries = replay["deliveries"]!.AsArray();
        var spec = replay["spec"]!.AsObject();
        JsonNode root = replay;
        switch (damage)
        {
            case "version as a string": replay["bootactors_replay"] = "1"; break;
            case "version as a float": replay["bootactors_replay"] = 1.5; break;
            case "no version": replay.Remove("bootactors_replay"); break;
            case "a delivery with two fields": deliveries[3]!.AsArray().RemoveAt(2); break;
            case "a delivery type that is a number": deliveries[3]![2] = 5; break;
            case "cpus 0": spec["cpus"] = 0; break;
            case "cpus -1": spec["cpus"] = -1; break;
            case "cpus 100000": spec["cpus"] = 100000; break;
            case "cpus as a string": spec["cpus"] = "4"; break;
            case "RAM up to 2^64": spec["e820"]![0]![1] = "0xfffffffffffff000"; break;
            case "a kernel of 2^64 bytes": spec["kernel_size"] = "0xffffffffffffffff"; break;
            case "a workload on CPU9": spec["workload"]![0]!["events"]![0]!["cpu"] = 9; break;
            case "nesting 50 deep": replay["narrative"] = JsonNode.Parse(new string('[', 50) + new string(']', 50)); break;
            default: root = new JsonArray(); break;
        }

        var path = scratch.Write("damaged.replay.json", root.ToJsonString());

        AssertRefused(Cli.Run("replay", path), $"{path}: {expected}");
    }

    [Fact]
    public void AJsonErrorQuotingSeveralLinesOfTheFileIsStillOneLine()
    {
        using var scratch = new Scratch();
        var text = File.ReadAllText(race.ReplayPath);

        // The JSON reader quotes an invalid literal up to where it gives up: here many lines of the file.
        var at = text.IndexOf("\"pse\": true", StringComparison.Ordinal) + "\"pse\": ".Length;
        var path = scratch.Write("broken.replay.json", text[..at] + "t" + text[(at + 4)..].Replace("true", "trueish", StringComparison.Ordinal));

        AssertRefused(Cli.Run("replay", path), $"{path}: not a replay file (not JSON: ");
    }

    [Fact]
    public void ATraceHeaderWith200000ActorsIsRefusedByTheActorLimit()
    {
        using var scratch = new Scratch();
        var lines = race.TraceLines();
        var header = JsonNode.Parse(lines[0])!.AsObject();
        var actors = header["actors"]!.AsArray();
        for (var i = 0; i < 200_000; i++)
        {
            actors.Add($"extra{i}");
        }

        var path = scratch.Write("many.jsonl", string.Join("\n", [header.ToJsonString(), .. lines[1..]]) + "\n");

        AssertRefused(Cli.Run("trace", "show", path), $"{path}:1: \"actors\" lists {actors.Count} actors; a run has at most 8198");
    }

    [Fact]
    public void ATraceWhoseSpecHas100000CpusIsRefusedByPtWithoutRunningIt()
    {
        using var scratch = new Scratch();
        var lines = race.TraceLines();
        var header = JsonNode.Parse(lines[0])!.AsObject();
        header["spec"]!["cpus"] = 100_000;
        var path = scratch.Write("absurd.jsonl", string.Join("\n", [header.ToJsonString(), .. lines[1..]]) + "\n");

        AssertRefused(Cli.Run("trace", "pt", path, "--at", "5"), $"{path}:1: spec.cpus: 100000 is not a CPU count");
    }

    [Fact]
    public void ATraceWhoseClocksClaimAnOrderItsDeliveriesLackIsRefusedByHb()
    {
        using var scratch = new Scratch();
        var lines = race.TraceLines();
        var header = JsonNode.Parse(lines[0])!;
        var e = JsonNode.Parse(lines[40])!.AsObject();
        e["from_clock"] = new JsonObject(header["actors"]!.AsArray().Select(a => KeyValuePair.Create((string)a!, (JsonNode?)1_000_000)));
        lines[40] = e.ToJsonString();
        var path = scratch.Write("clocks.jsonl", string.Join("\n", lines) + "\n");

        var run = Cli.Run("trace", "hb", path, "5", "40");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {path}: the vector clocks order #5 before #40, but no chain of messages in the trace links them: its clocks do not match its deliveries",
            Assert.Single(run.StderrLines));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void InvalidUtf8AnywhereInATraceLineIsRefusedAtThatLine(int line)
    {
        using var scratch = new Scratch();
        var lines = race.TraceLines().Select(Encoding.UTF8.GetBytes).ToList();

        // Inside a string the JSON reader would otherwise pass over undecoded.
        var text = lines[line - 1];
        var quote = Array.LastIndexOf(text, (byte)'"');
        lines[line - 1] = [.. text[..quote], 0xc3, 0x28, .. text[quote..]];
        var path = scratch.Write("bad.jsonl", lines.SelectMany(l => l.Append((byte)'\n')).ToArray());

        // export prints only when done, so stdout stays empty; the half-written export is not left behind.
        AssertRefused(Cli.Run("trace", "export", path, "--format", "chrome", "-o", scratch.PathOf("out.json")), $"{path}:{line}: not UTF-8 text: the byte 0xc3");
        Assert.Equal(["bad.jsonl"], scratch.Leftovers());
    }

    [Theory]
    [InlineData("--workers: only random and pct use it, not --strategy dfs; leave it out", "--strategy", "dfs", "--workers", "2")]
    [InlineData("--workers: only random and pct use it, not --strategy dpor; leave it out", "--strategy", "dpor", "--workers", "1")]
    [InlineData("--workers with --cluster: each node of a cluster runs one engine; start more workers instead", "--workers", "2", "--cluster", "127.0.0.1:1")]
    public void WorkersAreRefusedWhereTheyDoNotApply(string expected, params string[] args)
    {
        AssertRefused(Cli.Run(["explore", "hotadd-concurrent", .. args]), expected);
    }

    [Theory]
    [InlineData("explore", "--time-limit", "infinity", "--time-limit infinity: expected a positive duration")]
    [InlineData("explore", "--time-limit", "1e20s", "--time-limit 1e20s: expected a positive duration")]
    [InlineData("explore", "--time-limit", "NaN", "--time-limit NaN: expected a positive duration")]
    [InlineData("explore", "--time-limit", "-5s", "--time-limit -5s: expected a positive duration")]
    [InlineData("explore", "--time-limit", "900h", "--time-limit 900h: at most 30 day(s)")]
    [InlineData("explore", "--timeout", "0s", "--timeout 0s: expected a positive duration")]
    [InlineData("explore", "--max-deliveries", "0", "--max-deliveries 0: expected a whole number ≥ 1")]
    [InlineData("explore", "--depth", "2", "--depth: only pct uses it, not --strategy random; leave it out")]
    [InlineData("explore", "--pct-length", "50", "--pct-length: only pct uses it, not --strategy random; leave it out")]
    [InlineData("explore", "--max-preemptions", "1", "--max-preemptions: only dfs and dpor use it, not --strategy random; leave it out")]
    [InlineData("explore", "--state-cache", "off", "--state-cache: only dfs and dpor use it, not --strategy random; leave it out")]
    [InlineData("explore", "--workers", "0", "--workers 0: expected an integer ≥ 1")]
    [InlineData("explore", "--workers", "65", "--workers 65: at most 64 (each boots its own copy of the machine and starts its own actor system)")]
    [InlineData("run", "--timeout", "2d", "--timeout 2d: expected a positive duration")]
    [InlineData("run", "--timeout", "25h", "--timeout 25h: at most 1 day(s)")]
    [InlineData("run", "--max-deliveries", "-1", "--max-deliveries -1: expected a whole number ≥ 1")]
    [InlineData("run", "--kernel-size", "0xffffffffffffffff",
        "cannot build this machine: --kernel-size 0xffffffffffffffff: a kernel image of 16777216 TiB does not fit KERNEL_IMAGE_SIZE (512 MiB")]
    [InlineData("run", "--memory", "4M",
        "cannot build this machine: --memory 4M: the kernel image [0x200000, 0xa00000) (8 MiB at CONFIG_PHYSICAL_START) is not inside one usable e820 range")]
    [InlineData("run", "--memory", "64T", "cannot build this machine: --memory 64T: RAM ends at 0x3ffffffff000 (64 TiB)")]
    [InlineData("run", "--cpus", "99999999999", "cannot build this machine: --cpus 99999999999: 2147483647 is not a CPU count")]
    public void AnOptionValueOutOfRangeIsRefusedNamingTheOption(string command, string option, string value, string expected)
    {
        var run = command == "explore"
            ? Cli.Run("explore", "hotadd-concurrent", option, value)
            : Cli.Run("run", option, value);

        AssertRefused(run, expected);
    }

    [Fact]
    public async Task AMachineWhosePageTablesCannotFitThisHostIsRefusedBeforeItRuns()
    {
        // A host of 1 GiB (the GC's hard limit, as a container's would be): 60 TiB without PSE needs
        // 31.5 million table pages, 7.5 GiB even as the compact model holds them when a trace
        // watches every step (a boot without one holds whole PTE pages as runs).
        using var scratch = new Scratch();
        var trace = scratch.PathOf("t.jsonl");
        var run = await Cli.RunProcessAsync(Cli.RepoRoot(), TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x40000000" }, "run", "--memory", "60T", "--pse", "off", "--trace", trace);
        AssertRefused(run,
            "cannot build this machine: --memory 60T: mapping 60 TiB of RAM with 4 KiB pages (no PSE) takes up to 31,518,840 page-table pages (7.51 GiB), more than the 768 MiB this model may use on this host");
        Assert.False(File.Exists(trace));
    }

    [Fact]
    public async Task ASixtyTebibyteBootWithoutATraceIsDumpedUnderAOneGibibyteLimit()
    {
        // Its 31.5 million PTE pages are held as runs of pages; the dump reads them so (it used to
        // make each page, and the process ran out of memory).
        var run = await Cli.RunProcessAsync(Cli.RepoRoot(), TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x40000000" }, "run", "--memory", "60T", "--pse", "off", "--dump");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Contains("0xffff880040000000-0xffffc20000000000       59391G     RW             GLB NX pte", run.StdoutLines);
    }

    [Fact]
    public async Task AFourTebibyteMachineWithoutPseIsExploredUnderAHalfGibibyteLimit()
    {
        // Its boot holds 2.1 million PTE pages as runs; the state hasher hashes them through the runs
        // (it used to make every page, about a gibibyte, and the bound refused the machine).
        using var scratch = new Scratch();
        var run = await Cli.RunProcessAsync(Cli.RepoRoot(), TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x20000000" },
            "explore", "hotadd-concurrent", "--set", "memory=4T", "--set", "pse=off",
            "--set", "workload=[{concurrent=[{cpu=1, hotadd{start=4T, size=16M}}, {cpu=2, hotadd{start=4112G, size=16M}}]}]",
            "--max-schedules", "20", "--output-dir", scratch.Dir);
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Contains("violation: overwrote_present_entry on CPU2 (schedule 0)", run.StdoutLines);
    }

    [Theory]
    [InlineData("sequential")]
    [InlineData("actors")]
    public async Task AServerMapWhoseBootFoldsRunsUnderALimitItsTracedRunWouldNotFit(string host)
    {
        // The 12 TiB server's 6.3 million PTE pages, counted one by one, are 1.5 GiB; a plain run
        // holds them as runs of pages (its peak is under 100 MB).
        var run = await Cli.RunProcessAsync(Cli.RepoRoot(), TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x80000000" },
            "run", "--e820", "config/e820/server-12t.dmesg", "--pse", "off", "--host", host, "--meminfo");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Contains(run.StdoutLines, l => l.StartsWith("DirectMap4k:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ModelThreadExecutorConfigurator, BootActors.Actors", "NoSuchExecutor, BootActors.Actors",
        "bootactors.model-dispatcher: Could not resolve executor service configurator type BootActors.Actors.Infrastructure.NoSuchExecutor, BootActors.Actors")]
    [InlineData("throughput = 1000", "throughput = many", "bootactors.model-dispatcher: The input string 'many' was not in a correct format.")]
    [InlineData("run-timeout = 60s", "run-timeout = soon", "bootactors.run-timeout: 'soon' is not a duration such as 60s")]
    [InlineData("max-steps = 50000000", "max-steps = 0", "bootactors.conductor.max-steps must be positive")]
    public async Task AnUnusableValueInConfigAkkaHoconIsRefusedNamingTheFileAndTheKey(string value, string replacement, string expected)
    {
        // A copy of config/ where the process starts (the first place the CLI looks), one value spoiled.
        using var scratch = new Scratch();
        var config = Directory.CreateDirectory(scratch.PathOf("config")).FullName;
        var shipped = File.ReadAllText(Path.Combine(Cli.RepoRoot(), "config", "akka.hocon"));
        Assert.Contains(value, shipped);
        var file = Path.Combine(config, "akka.hocon");
        File.WriteAllText(file, shipped.Replace(value, replacement, StringComparison.Ordinal));

        var run = await Cli.RunProcessAsync(scratch.Dir, TimeSpan.FromSeconds(60), null, "run", "--memory", "4G");
        AssertRefused(run, $"{file}: {expected}");
    }

    [Theory]
    [InlineData("join-timeout = 30s", "join-timeout = abc", "bootactors.cluster.join-timeout: 'abc' is not a duration such as 30s")]
    [InlineData("unit-size = 16", "unit-size = 0", "bootactors.cluster.unit-size = 0: a unit holds at least one schedule")]
    [InlineData("heartbeat-interval = 1s", "heartbeat-interval = x",
        "akka.cluster.failure-detector.heartbeat-interval = x: Akka.NET cannot start a cluster node with it (The input string 'x' was not in a correct format.)")]
    [InlineData("seed-node-timeout = 1s", "seed-node-timeout = \"soon\"",
        "akka.cluster.seed-node-timeout = soon: Akka.NET cannot start a cluster node with it (The input string 'soon' was not in a correct format.)")]
    public async Task AnUnusableValueInConfigClusterHoconIsRefusedNamingTheFileTheLineAndTheKey(string value, string replacement, string expected)
    {
        // A copy of config/ where the processes start, one value of cluster.hocon spoiled: the coordinator
        // and a worker refuse it before they listen or join (a bootactors.cluster value is read first,
        // Akka.NET's own keys when the node's actor system starts).
        using var scratch = new Scratch();
        var config = Path.Combine(scratch.Dir, "config");
        CopyDirectory(Path.Combine(Cli.RepoRoot(), "config"), config);
        var file = Path.Combine(config, "cluster.hocon");
        var shipped = File.ReadAllText(file);
        Assert.Contains(value, shipped);
        File.WriteAllText(file, shipped.Replace(value, replacement, StringComparison.Ordinal));
        var where = expected.StartsWith("akka.", StringComparison.Ordinal)
            ? $"{file}:{Array.FindIndex(File.ReadAllLines(file), l => l.Contains(replacement, StringComparison.Ordinal)) + 1}"
            : file;

        var worker = await Cli.RunProcessAsync(scratch.Dir, TimeSpan.FromSeconds(60), null, "worker", "--join", "127.0.0.1:9");
        AssertRefused(worker, $"{where}: {expected}");
        var coordinator = await Cli.RunProcessAsync(scratch.Dir, TimeSpan.FromSeconds(60), null,
            "explore", "hotadd-concurrent", "--max-schedules", "1", "--cluster", "127.0.0.1:9", "--min-workers", "1");
        AssertRefused(coordinator, $"{where}: {expected}");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from))
        {
            CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }

    [Fact]
    public void ACpuCountIsRefusedWithTheSameReasonByTheOptionAScenarioAReplayFileAndATraceHeader()
    {
        using var scratch = new Scratch();
        var scenario = scratch.Write("many.hocon", "cpus = 5000\nmemory = 8G\nvariant = fixed\nworkload = []\n");
        var replay = race.Replay();
        replay["spec"]!["cpus"] = 5000;
        var replayPath = scratch.Write("many.replay.json", replay.ToJsonString());
        var lines = race.TraceLines();
        var header = JsonNode.Parse(lines[0])!.AsObject();
        header["spec"]!["cpus"] = 5000;
        var tracePath = scratch.Write("many.jsonl", string.Join("\n", [header.ToJsonString(), .. lines[1..]]) + "\n");

        AssertRefused(Cli.Run("run", "--cpus", "5000"), $"--cpus 5000: {CpuReason}");
        AssertRefused(Cli.Run("run", scenario), $"{scenario}:1: cpus: {CpuReason}");
        AssertRefused(Cli.Run("explore", scenario), $"{scenario}:1: cpus: {CpuReason}");
        AssertRefused(Cli.Run("replay", replayPath), $"{replayPath}: spec.cpus: {CpuReason}");
        AssertRefused(Cli.Run("trace", "pt", tracePath, "--at", "3"), $"{tracePath}:1: spec.cpus: {CpuReason}");
    }

    [DllImport("libc", EntryPoint = "mkfifo")]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
