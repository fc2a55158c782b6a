using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;
using ScenarioText = BootActors.Actors.Tests.Scenarios.ScenarioText;
using TempDir = BootActors.Actors.Tests.Scenarios.TempDir;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// How an exploration stops short: cancelled between schedules (Ctrl-C), at its time limit, or with
/// every schedule cut by a bound — each reported as such, never as a failure of a schedule.
/// </summary>
public sealed class ExplorerStopTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    /// <summary>A schedule of three million touches: seconds long, so a clock cuts it.</summary>
    internal static RunSpec Slow()
    {
        var slow = ScenarioText.Load("""
            cpus = 2
            memory = 8G
            variant = fixed
            workload = [ { concurrent = [ { cpu = 1, touch { addr = 0, count = 3000000 } }, { cpu = 0, touch { addr = 0 } } ] } ]
            """);
        return new RunSpec(slow.Name, slow.Machine, slow.Workload);
    }

    private static RunSpec Spec(string name, params string[] sets)
    {
        var s = Shipped.Load(name, sets);
        return new RunSpec(s.Name, s.Machine, s.Workload);
    }

    [Fact]
    public void ACancellationBetweenSchedulesEndsTheExplorationWithWhatItHasMarkedInterrupted()
    {
        using var cancel = new CancellationTokenSource();
        var seen = 0;

        var result = new Explorer(fixture.Host).Explore(Spec("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions
        {
            Iterations = 1_000_000,
            Cancellation = cancel.Token,
            OnProgress = p =>
            {
                seen = p.Schedules;
                if (p.Schedules == 7)
                {
                    cancel.Cancel();
                }
            },
        });

        Assert.True(result.Interrupted);
        Assert.Equal(7, result.Schedules);
        Assert.Equal(7, seen);
        Assert.Null(result.Error);
        Assert.False(result.Found);
    }

    [Fact]
    public void ACancellationAfterAViolationKeepsItsReplayFile()
    {
        using var scratch = new TempDir();
        using var cancel = new CancellationTokenSource();

        var result = new Explorer(fixture.Host).Explore(Spec("hotadd-concurrent"), new ExploreOptions
        {
            Strategy = "pct",
            Seed = 1,
            All = true,
            Iterations = 1_000_000,
            ReplayOut = scratch.Path,
            Cancellation = cancel.Token,
            OnProgress = p =>
            {
                if (p.Violations > 0)
                {
                    cancel.Cancel();
                }
            },
        });

        Assert.True(result.Interrupted);
        var found = Assert.Single(result.Violations);
        Assert.True(File.Exists(found.ReplayPath), found.ReplayPath);
        Assert.Equal(found.Kind, ReplayFile.Load(found.ReplayPath!).Kind);
        Assert.Empty(Directory.GetFiles(scratch.Path, "*.tmp"));
    }

    [Fact]
    public void EverySchedulesCutByTheDeliveryBoundIsCountedAndNoneIsAnError()
    {
        var result = new Explorer(fixture.Host).Explore(Spec("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions { Iterations = 4, MaxSteps = 1 });

        Assert.Equal(4, result.Schedules);
        Assert.Equal(4, result.Incomplete);
        Assert.True(result.AllCut);
        Assert.Null(result.Error);
    }

    [Fact]
    public void AScheduleCutByTheTimeLimitIsNotCountedAndIsNotAnError()
    {
        var result = new Explorer(fixture.Host).Explore(Slow(),
            new ExploreOptions { MaxSteps = int.MaxValue, TimeLimit = TimeSpan.FromMilliseconds(300) });

        Assert.True(result.TimeLimitReached);
        Assert.Equal(0, result.Schedules);
        Assert.Equal(0, result.TimedOut);
        Assert.Null(result.Error);
    }

    [Fact]
    public void ASchedulesOwnTimeoutCutsItAndTheExplorationGoesOn()
    {
        var result = new Explorer(fixture.Host).Explore(Slow(),
            new ExploreOptions { MaxSteps = int.MaxValue, Iterations = 3, Timeout = TimeSpan.FromMilliseconds(200) });

        // Schedules 1 and 2 were queued behind 0 on the actors its cut left: dropped, and run again on fresh ones.
        Assert.True(result.Schedules == 3, $"{result.Schedules} schedules; error: {result.Error}");
        Assert.Equal(3, result.TimedOut);
        Assert.True(result.AllCut);
        Assert.Null(result.Error);
    }
}
