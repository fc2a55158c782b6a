using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// random and pct take a forced delivery (one message pending) as told: the actors make it
/// themselves and tell the strategy, as the conductor would have asked it. Nothing a schedule
/// records may differ from asking: its deliveries, CPUs, choices, state hashes, coverage and
/// findings.
/// </summary>
public sealed class ToldForcedDeliveryTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData("random", "hotadd-concurrent", ChoiceMode.Delivery, "")]
    [InlineData("random", "hotadd-concurrent", ChoiceMode.Delivery, "hotplug_mutex=on")]
    [InlineData("random", "hotadd-concurrent", ChoiceMode.Cpu, "")]
    [InlineData("pct", "hotadd-concurrent", ChoiceMode.Delivery, "")]
    [InlineData("pct", "hotadd-concurrent", ChoiceMode.Cpu, "hotplug_mutex=on")]
    [InlineData("random", "hotremove-local-flush", ChoiceMode.Delivery, "remove-while-reading")]
    [InlineData("pct", "hotremove-local-flush", ChoiceMode.Cpu, "remove-while-reading")]
    public void ASchedulesRecordIsTheSameWhetherForcedDeliveriesAreToldOrAsked(string strategy, string scenario, ChoiceMode mode, string set)
    {
        var spec = set switch
        {
            "" => ExplorationRig.Spec(scenario),
            "remove-while-reading" => ExplorationRig.Spec(scenario, ExplorationRig.RemoveWhileReading),
            _ => ExplorationRig.Spec(scenario, set),
        };
        var options = new ExploreOptions { Seed = 5, Choice = mode };
        var asked = Run(spec, strategy, options with { AskForced = true }, out var askedCoverage, out var askedTold, out var delivered);
        var told = Run(spec, strategy, options, out var toldCoverage, out var toldTold, out _);

        Assert.Equal(asked, told);
        Assert.Equal(Counts(askedCoverage), Counts(toldCoverage));
        Assert.Equal(0, askedTold);
        // The actors made the forced ones, not the conductor (most of them, when the mutex orders the CPUs).
        Assert.True(set == "hotplug_mutex=on" && strategy == "random" ? toldTold > delivered / 2 : toldTold > 0, $"told of {toldTold} of {delivered} deliveries");
        Assert.True(asked.Select(o => o.Split(' ')[1]).Distinct().Count() > 1, "every schedule was the same");
    }

    [Fact]
    public void AViolationFoundWithToldDeliveriesReplaysAsTheOneFoundAsking()
    {
        var spec = ExplorationRig.Spec("hotadd-concurrent");
        var options = new ExploreOptions { Strategy = "random", Seed = 2, Iterations = 60 };
        var asked = new Explorer(fixture.Host).Explore(spec, options with { AskForced = true });
        var told = new Explorer(fixture.Host).Explore(spec, options);

        Assert.True(asked.Found, "no schedule of 60 found hotadd-concurrent's lost update");
        Assert.Equal(Describe(asked), Describe(told));
        Assert.Equal(asked.Violations[0].Replay.Deliveries, told.Violations[0].Replay.Deliveries);
    }

    private List<string> Run(Model.Workload.RunSpec spec, string strategy, ExploreOptions options, out Coverage coverage, out long toldOf, out long delivered)
    {
        coverage = new Coverage();
        using var engine = ExplorationRig.Open(fixture.Host, spec, strategy, options);
        var outcomes = new List<string>();
        delivered = 0;
        for (var i = 0; i < 12; i++)
        {
            var o = engine.RunNumbered(i, coverage, thenUpTo: i % 2 == 0 ? i + 2 : 0);
            delivered += o.Delivered;
            outcomes.Add(Describe(o));
        }

        toldOf = engine.ToldOfForced;
        return outcomes;
    }

    private static string Describe(ExplorationResult r) =>
        $"{r.Schedules} {r.Deliveries} {r.DistinctStates} {r.DistinctTraces} {r.DistinctEndStates} {r.ChoicePoints} | " +
        string.Join(" | ", r.Violations.Select(v =>
            $"{v.Kind} {v.Message} CPU{v.Cpu} {v.CallChain} #{v.Schedule} {v.Steps}->{v.ShrunkSteps} {v.ContextSwitches}->{v.ShrunkContextSwitches} {string.Join("/", v.Narrative)}"));

    private static string Describe(ScheduleOutcome o) =>
        $"{o.Index} {o.TraceHash:x} {o.StateHash:x} {o.Status} {o.Delivered} [{string.Join(",", o.Choices)}] " +
        $"{o.Finding?.Key} {string.Join(";", o.Finding?.Deliveries ?? [])} {string.Join(",", o.Finding?.Cpus ?? [])}";

    private static string Counts(Coverage c) =>
        $"{c.Schedules} {c.Violations} {c.Incomplete} {c.TimedOut} {c.ChoicePoints} {c.Deliveries} {c.BeyondStepBound} " +
        $"{string.Join(",", c.States.Order())} | {string.Join(",", c.EndStates.Order())} | {string.Join(",", c.Traces.Order())}";
}
