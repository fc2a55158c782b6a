using BootActors.Cluster.Tests.Harness;

namespace BootActors.Cluster.Tests;

/// <summary>
/// The multi-process failure tests: one at a time, beside <see cref="MultiProcessCollection"/>. Most
/// of their time is spent waiting for the failure detector, the split-brain resolver or a timeout,
/// and the comparisons running meanwhile load the machine as a busy runner would.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterFailureCollection
{
    public const string Name = "multi-process cluster failures";
}

/// <summary>
/// Nodes killed, interrupted, refused or never started, as real processes on 127.0.0.1: nothing is
/// lost or counted twice, and every node ends with a message and its exit code. Every wait is bounded
/// and every process is killed at the end.
/// </summary>
[Collection(ClusterFailureCollection.Name)]
public sealed class ClusterFailureTests
{
    [Fact(Timeout = 300_000)]
    public async Task ARandomRunWithAWorkerKilledMidRunStillExploresExactlyNSchedulesNoneCountedTwice()
    {
        // The killed worker's numbers wait for the failure detector whatever n is: n only has to outlast the
        // first progress line (2 s in; three nodes together run up to about 10,000 schedules a second here).
        const int n = 40000;
        using var ws = new Workspace();
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, "hotadd-concurrent", "--set", "hotplug_mutex=on", "--strategy", "random", "--seed", "3",
            "--max-schedules", n.ToString());

        // Once the exploration is well under way, SIGKILL the first worker: it cannot leave, it just vanishes.
        await coordinator.WaitForStderr(l => l.StartsWith("explore: ") && int.Parse(l.Split(' ')[1]) >= 150, Runs.Finish, "150 schedules counted");
        Assert.False(workers[0].HasExited, workers[0].Stderr);
        workers[0].Kill();

        await coordinator.WaitForStderr(l => l.Contains("was downed (unreachable)"), TimeSpan.FromSeconds(60), "the killed worker downed");
        Assert.Equal(0, await coordinator.Exit(Runs.Finish));
        Assert.Equal(0, await workers[1].Exit(Runs.Start));

        var cluster = Runs.Json(coordinator);
        Assert.Equal(n, cluster["schedules"]!.GetValue<int>());
        Runs.AssertEachNumberOnce(cluster, n);
        Assert.False(cluster["found"]!.GetValue<bool>());
    }

    [Fact(Timeout = 240_000)]
    public async Task WorkersExitNonZeroWithAMessageWhenTheCoordinatorIsKilled()
    {
        using var ws = new Workspace();
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, "hotadd-concurrent", "--set", "hotplug_mutex=on", "--strategy", "random",
            "--max-schedules", "100000");
        await coordinator.WaitForStderr(l => l.StartsWith("explore: "), Runs.Finish, "exploring");
        coordinator.Kill();

        foreach (var w in workers)
        {
            Assert.Equal(6, await w.Exit(TimeSpan.FromSeconds(90)));
            Assert.Contains("coordinator", w.Stderr.Split('\n').Last(l => l.StartsWith("worker: ")));
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task CtrlCOnAWorkerMakesItWithdrawAndLeaveAtOnceAndItsSchedulesAreRunByTheOthers()
    {
        // The interrupt follows the start of the exploration at once, not a fixed delay that a fast
        // node (about 5,000 schedules a second each on 2 cores) can outrun: the run cannot be over by
        // then. Not the worker's acceptance alone: a worker is accepted as it joins, and one that
        // withdraws before the second has joined leaves the coordinator waiting for --min-workers.
        const int n = 20000;
        using var ws = new Workspace();
        var (coordinator, workers, _) = Runs.Cluster(ws, 2, "hotadd-concurrent", "--set", "hotplug_mutex=on", "--strategy", "random", "--seed", "11",
            "--max-schedules", n.ToString());
        await workers[0].WaitForStderr(l => l.Contains(": exploring"), Runs.Start, "the worker given work");
        await coordinator.WaitForStderr(l => l.Contains(" joined (2 of 2)"), Runs.Start, "both workers joined");
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        Assert.False(workers[0].HasExited, workers[0].Stderr);
        workers[0].Interrupt();

        Assert.Equal(130, await workers[0].Exit(TimeSpan.FromSeconds(60)));
        Assert.Contains("interrupted: this worker withdrew", workers[0].Stderr);

        // Withdrawn, not downed: the coordinator hands its units on without waiting for the failure detector.
        await coordinator.WaitForStderr(l => l.Contains("withdrew: interrupted (Ctrl-C)"), TimeSpan.FromSeconds(30), "the withdrawal");
        Assert.True(await coordinator.Exit(Runs.Finish) == 0, coordinator.Stderr);
        Assert.True(await workers[1].Exit(Runs.Start) == 0, $"{workers[1].Stderr}\n--- coordinator:\n{coordinator.Stderr}");
        var cluster = Runs.Json(coordinator);
        Assert.Equal(n, cluster["schedules"]!.GetValue<int>());
        Runs.AssertEachNumberOnce(cluster, n);
        Assert.DoesNotContain("was downed", coordinator.Stderr);
    }

    [Fact(Timeout = 240_000)]
    public async Task AWorkerWhoseScenarioFilesResolveToAnotherRunIsRefusedWithAMessageAndTheOthersGoOn()
    {
        using var ws = new Workspace();
        using var other = new Workspace();
        var scenario = Path.Combine(other.Config, "scenarios", "hotadd-concurrent.hocon");
        File.WriteAllText(scenario, File.ReadAllText(scenario) + "\nhotplug_mutex = on\n");

        var address = $"127.0.0.1:{Workspace.FreePort()}";
        var coordinator = ws.Start("coordinator", "explore", "hotadd-concurrent", "--strategy", "random", "--max-schedules", "50", "--all", "--json",
            "--cluster", address, "--min-workers", "1", "--output-dir", ws.Replays("r"));
        var refused = other.Start("worker with other files", "worker", "--join", address);
        Assert.Equal(2, await refused.Exit(Runs.Start));
        Assert.Contains("resolve hotadd-concurrent to another run", refused.Stderr);
        await coordinator.WaitForStderr(l => l.StartsWith("refused worker 127.0.0.1:"), Runs.Start, "the refusal reported");

        var good = ws.Start("worker", "worker", "--join", address);
        Assert.Equal(1, await coordinator.Exit(Runs.Finish));
        Assert.Equal(0, await good.Exit(Runs.Start));
        Assert.Equal(50, Runs.Json(coordinator)["schedules"]!.GetValue<int>());
    }

    [Fact(Timeout = 120_000)]
    public async Task AWorkerAcceptedWhileTheCoordinatorWaitsForMoreSaysItWaitsNotThatItExplores()
    {
        using var ws = new Workspace(Workspace.FastFailure + "\nbootactors.cluster.min-workers-timeout = 6s\n");
        var address = $"127.0.0.1:{Workspace.FreePort()}";
        var coordinator = ws.Start("coordinator", "explore", "hotadd-concurrent", "--strategy", "random", "--cluster", address, "--min-workers", "2");
        var worker = ws.Start("worker", "worker", "--join", address);

        await worker.WaitForStderr(l => l.Contains(": accepted for hotadd-concurrent (random); waiting for work"), Runs.Start, "the worker accepted");
        Assert.Equal(6, await coordinator.Exit(TimeSpan.FromSeconds(60)));
        Assert.Contains("1 of 2 worker(s) joined within 6 s", coordinator.Stderr);
        Assert.NotEqual(0, await worker.Exit(Runs.Start));
        Assert.DoesNotContain(": exploring", worker.Stderr);
    }

    [Fact(Timeout = 120_000)]
    public async Task TheCoordinatorGivesUpWithAClearMessageWhenTheWorkersDoNotCome()
    {
        using var ws = new Workspace(Workspace.FastFailure + "\nbootactors.cluster.min-workers-timeout = 4s\n");
        var address = $"127.0.0.1:{Workspace.FreePort()}";
        var coordinator = ws.Start("coordinator", "explore", "hotadd-concurrent", "--cluster", address, "--min-workers", "2");

        Assert.Equal(6, await coordinator.Exit(TimeSpan.FromSeconds(60)));
        Assert.Contains($"0 of 2 worker(s) joined within 4 s (bootactors.cluster.min-workers-timeout); start them with: bootactors worker --join {address}", coordinator.Stderr);
        Assert.DoesNotContain("   at ", coordinator.Stderr);
    }
}
