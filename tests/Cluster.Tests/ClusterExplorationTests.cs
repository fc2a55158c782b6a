using System.Text.Json.Nodes;
using BootActors.Cluster.Tests.Harness;

namespace BootActors.Cluster.Tests;

/// <summary>
/// The multi-process tests whose nodes explore to compare with one process: one at a time, beside
/// <see cref="ClusterFailureCollection"/>, whose tests spend most of their time waiting for a failure
/// to be noticed.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MultiProcessCollection
{
    public const string Name = "multi-process cluster";
}

/// <summary>
/// A coordinator and workers as real processes on 127.0.0.1 (free ports), the way a user starts them:
/// the cluster's answer is the single process's, a killed worker costs nothing counted, a found
/// violation's replay reproduces. Every wait is bounded and every process is killed at the end.
/// </summary>
[Collection(MultiProcessCollection.Name)]
public sealed class ClusterExplorationTests
{
    // What measures wall-clock time or names where files went, and nothing else, differs between a cluster and one process.
    private static readonly string[] Incomparable = ["seconds", "schedules_per_second", "replay", "trace", "workers", "coordinator", "prefixes"];

    /// <summary>The coordinator does not explore: the two workers share the search only by splitting each other's units.</summary>
    private const string WorkersOnly = Workspace.FastFailure + "\nbootactors.cluster.coordinator-explores = off\n";

    public static TheoryData<string, string, string, int> PrefixSearches() => new()
    {
        // strategy, hotplug_mutex, --max-preemptions, exit code (1: the lost update is found)
        { "dfs", "off", "1", 1 },
        { "dfs", "on", "1", 0 },
        { "dpor", "off", "1", 1 },
        { "dpor", "on", "2", 0 },
    };

    [Theory(Timeout = 300_000)]
    [MemberData(nameof(PrefixSearches))]
    public async Task DfsAndDporOverTwoWorkersExploreExactlyTheSchedulesOfOneProcessWithTheSameVerdictAndViolations(string strategy, string mutex, string preemptions, int exit)
    {
        using var ws = new Workspace(WorkersOnly);
        string[] explore = ["hotadd-concurrent", "--set", $"hotplug_mutex={mutex}", "--strategy", strategy, "--max-preemptions", preemptions, "--all", "--max-schedules", "100000"];
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, [.. explore, "--output-dir", ws.Replays("cluster")]);
        Assert.Equal(exit, await coordinator.Exit(Runs.Finish));
        foreach (var w in workers)
        {
            Assert.Equal(0, await w.Exit(Runs.Start));
        }

        var single = ws.Start("one process", ["explore", .. explore, "--state-cache", "off", "--json", "--output-dir", ws.Replays("single")]);
        Assert.Equal(exit, await single.Exit(Runs.Finish));
        var one = Runs.Json(single);
        var cluster = Runs.Json(coordinator);

        // Everything but time and file names: the schedule count, distinct traces, states and end states, decision points,
        // pruning, what the bounds cut, exhausted, the verdict and each violation with its shrunk schedule. A dfs/dpor
        // violation's "schedule" is its place in one process's order, which a cluster does not have.
        Assert.True(one["exhausted"]!.GetValue<bool>(), single.Stdout);
        Assert.Equal(Comparable(one, "schedule"), Comparable(cluster, "schedule"));
        Assert.False(cluster["state_cache"]!.GetValue<bool>());

        var prefixes = cluster["prefixes"]!;
        var shares = Runs.Shares(cluster);
        Assert.Equal(cluster["schedules"]!.GetValue<int>(), shares.Sum(s => s.Schedules));
        if (strategy == "dfs")
        {
            // The first worker takes the root; the second gets work only by stealing part of it.
            Assert.True(prefixes["splits"]!.GetValue<long>() > 0, cluster.ToJsonString());
            Assert.True(shares.Count(s => s.Schedules > 0) == 2, cluster.ToJsonString());
        }

        if (exit == 1)
        {
            var replay = cluster["replay"]!.GetValue<string>();
            var again = ws.Start("replay", "replay", replay, "--json");
            Assert.Equal(1, await again.Exit(Runs.Finish));
            Assert.True(Runs.Json(again)["reproduced"]!.GetValue<bool>(), again.Stdout);
            Assert.Equal(Deliveries(one["replay"]!.GetValue<string>()), Deliveries(replay));
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task ADfsRunWithAWorkerKilledMidRunStillExploresExactlyTheSchedulesOfOneProcess()
    {
        using var ws = new Workspace(WorkersOnly);
        // hotadd-concurrent with 64 MiB hot-adds: 2,866 schedules within two preemptions, each long enough that the
        // search outlasts the kill below (the 16 MiB scenario needs three preemptions and 27,356 schedules for that).
        var scenario = File.ReadAllText(Path.Combine(ws.Config, "scenarios", "hotadd-concurrent.hocon"))
            .Replace("size = 16M", "size = 64M", StringComparison.Ordinal).Replace("start = 8208M", "start = 8256M", StringComparison.Ordinal);
        Assert.Contains("start = 8256M, size = 64M", scenario);
        File.WriteAllText(Path.Combine(ws.Config, "scenarios", "hotadd-concurrent-64m.hocon"), scenario);
        string[] explore = ["hotadd-concurrent-64m", "--set", "hotplug_mutex=on", "--strategy", "dfs", "--max-preemptions", "2", "--max-schedules", "100000"];
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, explore);

        // Early, while both workers hold large subtrees (the first splits hand off the shallowest alternatives), SIGKILL the
        // first: its units go back as the subtrees it had not handed off. Later the units are small and a worker is
        // sometimes between two, holding nothing to lose.
        await coordinator.WaitForStderr(l => l.StartsWith("exploring hotadd-concurrent"), Runs.Start, "the exploration started");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(workers[0].HasExited, workers[0].Stderr);
        workers[0].Kill();

        await coordinator.WaitForStderr(l => l.Contains("was downed (unreachable)"), TimeSpan.FromSeconds(60), "the killed worker downed");
        Assert.Equal(0, await coordinator.Exit(Runs.Finish));
        Assert.Equal(0, await workers[1].Exit(Runs.Start));

        var single = ws.Start("one process", ["explore", .. explore, "--state-cache", "off", "--json"]);
        Assert.Equal(0, await single.Exit(Runs.Finish));
        var cluster = Runs.Json(coordinator);
        Assert.Equal(Comparable(Runs.Json(single)), Comparable(cluster));
        Assert.True(cluster["prefixes"]!["requeued"]!.GetValue<long>() > 0, cluster.ToJsonString());
    }

    private static string Deliveries(string replayFile) => JsonNode.Parse(File.ReadAllText(replayFile))!["deliveries"]!.ToJsonString();

    [Fact(Timeout = 240_000)]
    public async Task ACoordinatorAndTwoWorkersExploreTheRaceFreeHotaddWithRandomExactlyAsOneProcessDoes()
    {
        using var ws = new Workspace();
        string[] explore = ["hotadd-concurrent", "--set", "hotplug_mutex=on", "--strategy", "random", "--seed", "7", "--max-schedules", "300"];
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, explore);

        Assert.Equal(0, await coordinator.Exit(Runs.Finish));
        foreach (var w in workers)
        {
            Assert.Equal(0, await w.Exit(Runs.Start));
            Assert.Contains("the exploration is over", w.Stderr);
        }

        var single = ws.Start("one process", ["explore", .. explore, "--json"]);
        Assert.Equal(0, await single.Exit(Runs.Finish));
        var cluster = Runs.Json(coordinator);
        Assert.Equal(Comparable(Runs.Json(single)), Comparable(cluster));
        Assert.Equal(300, cluster["schedules"]!.GetValue<int>());
        Runs.AssertEachNumberOnce(cluster, 300);

        // Both workers took part (the coordinator explores too).
        var shares = Runs.Shares(cluster);
        Assert.True(shares.Count(s => !s.Node.Contains("coordinator") && s.Schedules > 0) == 2, coordinator.Stdout);
    }

    [Fact(Timeout = 240_000)]
    public async Task TheLostUpdateOfTheBuggyHotaddIsFoundOverTheClusterAndItsReplayFileReproducesItAndIsTheSingleProcessOne()
    {
        using var ws = new Workspace();
        string[] explore = ["hotadd-concurrent", "--strategy", "random", "--seed", "5", "--max-schedules", "120", "--all"];
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, [.. explore, "--output-dir", ws.Replays("cluster")]);

        Assert.Equal(1, await coordinator.Exit(Runs.Finish));
        foreach (var w in workers)
        {
            Assert.Equal(0, await w.Exit(Runs.Start));
        }

        var cluster = Runs.Json(coordinator);
        Assert.Equal("overwrote_present_entry", cluster["violation"]!["kind"]!.GetValue<string>());
        var replay = cluster["replay"]!.GetValue<string>();
        Assert.StartsWith(ws.Replays("cluster"), replay);

        // Another process, as on another machine: the file alone reproduces the lost update.
        var again = ws.Start("replay", "replay", replay, "--json");
        Assert.Equal(1, await again.Exit(Runs.Finish));
        Assert.True(Runs.Json(again)["reproduced"]!.GetValue<bool>(), again.Stdout);

        // One process finds the same first violation at the same schedule and writes the same replay file, byte for byte.
        var single = ws.Start("one process", ["explore", .. explore, "--json", "--output-dir", ws.Replays("single")]);
        Assert.Equal(1, await single.Exit(Runs.Finish));
        var one = Runs.Json(single);
        Assert.Equal(Comparable(one), Comparable(cluster));
        Assert.Equal(File.ReadAllBytes(one["replay"]!.GetValue<string>()), File.ReadAllBytes(replay));
        Assert.Equal(File.ReadAllBytes(one["trace"]!.GetValue<string>()), File.ReadAllBytes(cluster["trace"]!.GetValue<string>()));
    }

    [Fact(Timeout = 240_000)]
    public async Task PctsFirstViolationIsFoundAtTheSameScheduleNumberAsInOneProcess()
    {
        using var ws = new Workspace();
        string[] explore = ["hotadd-concurrent", "--strategy", "pct", "--depth", "2", "--seed", "1", "--max-schedules", "200"];
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, [.. explore, "--output-dir", ws.Replays("cluster")]);
        Assert.Equal(1, await coordinator.Exit(Runs.Finish));
        foreach (var w in workers)
        {
            Assert.Equal(0, await w.Exit(Runs.Start));
        }

        var single = ws.Start("one process", ["explore", .. explore, "--json", "--output-dir", ws.Replays("single")]);
        Assert.Equal(1, await single.Exit(Runs.Finish));
        var one = Runs.Json(single);
        var cluster = Runs.Json(coordinator);
        Assert.Equal(Comparable(one), Comparable(cluster));
        Assert.Equal(File.ReadAllBytes(one["replay"]!.GetValue<string>()), File.ReadAllBytes(cluster["replay"]!.GetValue<string>()));
    }

    private static string Comparable(JsonObject result, params string[] perViolation)
    {
        var copy = (JsonObject)result.DeepClone();
        foreach (var field in Incomparable)
        {
            copy.Remove(field);
        }

        foreach (var v in copy["violations"]!.AsArray())
        {
            v!.AsObject().Remove("replay");
            foreach (var field in perViolation)
            {
                v.AsObject().Remove(field);
            }
        }

        return copy.ToJsonString();
    }
}
