using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// RunNumbered(i, thenUpTo: n) queues schedules i + 1 … (up to ExplorationEngine.QueueDepth of them,
/// below n) on the actors while i runs, so the explorer prepares schedules while the model thread runs
/// others. Nothing of a schedule may show when it ran: outcomes, findings and coverage are those of
/// running each alone, also when the caller skips queued ones, and when a run on the same actors (a
/// shrink, an explanation) comes between.
/// </summary>
public sealed class QueuedScheduleTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData("random", "hotadd-concurrent", "")]
    [InlineData("pct", "hotadd-concurrent", "")]
    [InlineData("random", "hotadd-concurrent", "hotplug_mutex=on")]
    public void ASchedulesOutcomeAndCoverageAreTheSameWithTheNextQueuedBehindIt(string strategy, string scenario, string set)
    {
        var spec = set.Length == 0 ? ExplorationRig.Spec(scenario) : ExplorationRig.Spec(scenario, set);
        var options = new ExploreOptions { Seed = 3 };
        int[] order = [0, 1, 2, 3, 4, 5, 9, 10, 11, 6, 7, 8, 12, 13];
        var alone = Run(spec, strategy, options, order, Queue.None, out var aloneCoverage);
        foreach (var queue in new[] { Queue.Next, Queue.AsFarAsItGoes })
        {
            var queued = Run(spec, strategy, options, order, queue, out var queuedCoverage);
            Assert.Equal(alone, queued);
            Assert.Equal(Counts(aloneCoverage), Counts(queuedCoverage));
        }

        Assert.True(alone.Select(o => o.Split(' ')[1]).Distinct().Count() > 1, "every schedule was the same");
    }

    [Fact]
    public void ARunOnTheSameActorsBetweenTwoNumberedSchedulesLeavesTheQueuedOneAsItRan()
    {
        // A violation's explanation replays it on the engine's actors while schedule i + 1 is queued.
        var spec = ExplorationRig.Spec("hotadd-concurrent");
        using var a = ExplorationRig.Open(fixture.Host, spec, "random", new ExploreOptions { Seed = 1 });
        using var b = ExplorationRig.Open(fixture.Host, spec, "random", new ExploreOptions { Seed = 1 });
        var found = -1;
        for (var i = 0; i < 40 && found < 0; i++)
        {
            var o = a.RunNumbered(i, thenUpTo: 40);
            Assert.Equal(Describe(b.RunNumbered(i)), Describe(o));
            if (o.Finding is { } f)
            {
                found = i;
                var report = a.Explain(f, i, replayOut: null);
                Assert.Equal(f.Stop.Fatal.Message, report.Message);
                Assert.Equal(Describe(b.RunNumbered(i + 1)), Describe(a.RunNumbered(i + 1)));
            }
        }

        Assert.True(found >= 0, "no schedule of 40 found hotadd-concurrent's lost update");
    }

    private enum Queue
    {
        None,
        Next,
        AsFarAsItGoes,
    }

    private List<string> Run(Model.Workload.RunSpec spec, string strategy, ExploreOptions options, int[] order, Queue queue, out Coverage coverage)
    {
        coverage = new Coverage();
        using var engine = ExplorationRig.Open(fixture.Host, spec, strategy, options);
        var outcomes = new List<string>();
        for (var k = 0; k < order.Length; k++)
        {
            var next = k + 1 < order.Length && order[k + 1] == order[k] + 1;
            var thenUpTo = queue switch
            {
                Queue.Next => next || k % 3 == 0 ? order[k] + 2 : 0,
                Queue.AsFarAsItGoes => order.Max() + 1,
                _ => 0,
            };
            outcomes.Add(Describe(engine.RunNumbered(order[k], coverage, thenUpTo)));
        }

        return outcomes;
    }

    private static string Describe(ScheduleOutcome o) =>
        $"{o.Index} {o.TraceHash:x} {o.StateHash:x} {o.Status} {o.Delivered} [{string.Join(",", o.Choices)}] " +
        $"{o.Finding?.Key} {o.Finding?.Deliveries.Count} {string.Join(",", o.Finding?.Cpus ?? [])}";

    private static string Counts(Coverage c) =>
        $"{c.Schedules} {c.Violations} {c.Incomplete} {c.TimedOut} {c.ChoicePoints} {c.Deliveries} {c.BeyondStepBound} " +
        $"{string.Join(",", c.States.Order())} | {string.Join(",", c.EndStates.Order())} | {string.Join(",", c.Traces.Order())}";
}
