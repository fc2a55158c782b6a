using BootActors.Actors.Exploration;
using BootActors.Actors.Host;

namespace BootActors.Actors.Tests.Host;

/// <summary>Runs alone: it starves the whole process on purpose.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StarvedSchedulerCollection
{
    public const string Name = "starved scheduler";
}

/// <summary>
/// Controlled mode's verdicts come from the conductor's ordered view, not from thread timing: the
/// same exploration, repeated on a starved scheduler (the actor system's default dispatcher cut to
/// one thread that hands over after every message, twice as many spinning threads as cores
/// competing with it, the conductor's thread and the explorer), gives the same result every time,
/// and no false alarm on a race-free configuration. Before the fix, a run host that had moved on to the next schedule took the
/// previous schedule's late Quiescent for its own and reported a deadlock.
/// </summary>
[Collection(StarvedSchedulerCollection.Name)]
public sealed class StarvedSchedulerTests
{
    private const int Repeats = 3;

    [Theory]
    [InlineData("pct", 300)]
    [InlineData("random", 300)]
    [InlineData("dpor", 100)]
    public void TheRaceFreeHotaddUnderTheMutexGivesTheSameCleanResultEveryTime(string strategy, int schedules)
    {
        var spec = Spec(Shipped.Load("hotadd-concurrent", "hotplug_mutex=on"));
        var options = new ExploreOptions { Strategy = strategy, Iterations = schedules, Seed = 3, Shrink = false };

        var results = Starved(() => Explore(spec, options));

        Assert.All(results, r =>
        {
            Assert.Null(r.Error);
            Assert.Empty(r.Violations);
        });
        Assert.Single(results.Select(Signature).Distinct());
    }

    [Fact]
    public void TheLostUpdateIsFoundAtTheSameScheduleWithTheSameShrunkDeliveriesEveryTime()
    {
        var spec = Spec(Shipped.Load("hotadd-concurrent"));
        var options = new ExploreOptions { Strategy = "random", Iterations = 200, Seed = 11 };

        var results = Starved(() => Explore(spec, options));

        var first = results[0].Violations.Single();
        Assert.Equal("overwrote_present_entry", first.Kind);
        Assert.All(results, r =>
        {
            var v = r.Violations.Single();
            Assert.Equal((first.Schedule, first.Message, first.ShrunkSteps), (v.Schedule, v.Message, v.ShrunkSteps));
            Assert.Equal(first.Replay.ToJson(), v.Replay.ToJson());
            Assert.Equal(first.Narrative, v.Narrative);
        });
    }

    [Fact]
    public void ThreeWorkersOnTheStarvedSchedulerGiveWhatOneEngineGivesOnAQuietOne()
    {
        var spec = Spec(Shipped.Load("hotadd-concurrent"));
        var options = new ExploreOptions { Strategy = "random", Iterations = 150, Seed = 11, All = true };
        var quiet = Explore(spec, options);

        var results = Starved(() => Explore(spec, options with { Workers = 3 }));

        Assert.NotEmpty(quiet.Violations);
        Assert.All(results, r => Assert.Equal(Exploration.ParallelExplorationTests.Signature(quiet), Exploration.ParallelExplorationTests.Signature(r)));
    }

    private static Model.Workload.RunSpec Spec(Actors.Scenarios.Scenario s) => new(s.Name, s.Machine, s.Workload);

    private static ExplorationResult Explore(Model.Workload.RunSpec spec, ExploreOptions options)
    {
        using var host = new ActorHost(TinyPool);
        return new Explorer(host).Explore(spec, options);
    }

    private static string Signature(ExplorationResult r) =>
        $"{r.Schedules} schedules, {r.DistinctTraces} traces, {r.DistinctStates} states, {r.Incomplete} cut, exhausted {r.Exhausted}, pruned {r.Pruned}";

    /// <summary>
    /// The run host, the explorer's asks and Akka's own actors share one thread of their own (the
    /// conductor and the model actors keep theirs), and hand it over after every message.
    /// </summary>
    private static readonly Akka.Configuration.Config TinyPool = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.actor.default-dispatcher {
          type = ForkJoinDispatcher
          throughput = 1
          dedicated-thread-pool.thread-count = 1
        }
        """);

    /// <summary>Runs <paramref name="explore"/> <see cref="Repeats"/> times beside twice as many spinning threads as there are cores.</summary>
    private static List<ExplorationResult> Starved(Func<ExplorationResult> explore)
    {
        using var stop = new CancellationTokenSource();
        var spinners = Enumerable.Range(0, 2 * Environment.ProcessorCount).Select(_ => new Thread(() =>
        {
            var x = 0UL;
            while (!stop.IsCancellationRequested)
            {
                x = unchecked((x * 6364136223846793005UL) + 1442695040888963407UL);
            }

            GC.KeepAlive(x);
        })
        { IsBackground = true }).ToList();
        try
        {
            spinners.ForEach(t => t.Start());
            return Enumerable.Range(0, Repeats).Select(_ => explore()).ToList();
        }
        finally
        {
            stop.Cancel();
            spinners.ForEach(t => t.Join());
        }
    }
}
