using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Scenarios;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Tests.Harness;
using BootActors.Cluster.Work;
using BootActors.Model.Workload;

namespace BootActors.Cluster.Tests;

/// <summary>
/// The coordinator's dfs/dpor book driven in one process against the exploration engine, as a cluster
/// drives it but with every interleaving of nodes chosen by the test: units split mid-run (work
/// stealing), DPOR's backtrack points above a unit routed to the handed-over decision points, a node
/// lost with a split unit half done. The totals must be those of the root unit run whole.
/// </summary>
public sealed class PrefixPlanTests : IDisposable
{
    private readonly ActorHost host = new(name: "prefix-plan-tests");

    public static TheoryData<string, string, int> Searches() => new()
    {
        { "dfs", "off", 1 },
        { "dpor", "off", 2 },
        { "dfs", "on", 1 },
    };

    [Theory]
    [MemberData(nameof(Searches))]
    public void SplitUnitsBacktrackPointsAboveThemAndALostNodeGiveExactlyTheSchedulesOfTheWholeSearch(string strategy, string mutex, int preemptions)
    {
        var s = ScenarioLoader.Load(Path.Combine(Workspace.RepoRoot(), "config", "scenarios", "hotadd-concurrent" + ScenarioLoader.Extension), [$"hotplug_mutex={mutex}"]);
        var spec = new RunSpec(s.Name, s.Machine, s.Workload);
        // A generous per-schedule timeout: on a loaded machine a schedule cut by the clock would differ between the two searches.
        var options = new ExploreOptions
        {
            Strategy = strategy, MaxPreemptions = preemptions, StateCache = false, All = true, Shrink = false, Timeout = TimeSpan.FromMinutes(5),
        };
        using var engine = ExplorationEngine.Open(host, spec, options);

        var whole = engine.OpenUnit(WorkUnit.Root);
        var findings = new HashSet<string>();
        while (whole.HasNext)
        {
            if (whole.Next().Finding is { } f)
            {
                findings.Add(f.Key);
            }
        }

        var plan = new PrefixPlan(all: true);
        var running = new List<(PrefixUnit Unit, UnitRun Run, string Node, Coverage? _)>();
        var found = new HashSet<string>();
        var now = TimeSpan.Zero;
        var handedOut = 0;
        var lost = false;
        var splits = 0;
        while (!plan.Finished)
        {
            now += TimeSpan.FromSeconds(1);

            // Two nodes; b (which takes the root) holds at most one unit, a takes the rest.
            foreach (var node in new[] { "b", "a" })
            {
                if (running.Count(r => r.Node == node) < (node == "b" ? 1 : 2) && plan.Next(node, now) is { } unit)
                {
                    running.Add((unit, engine.OpenUnit(new WorkUnit(unit.Prefix)), node, null));
                    handedOut++;
                }
            }

            Assert.NotEmpty(running);
            var (u, run, at, _) = running[0];
            var ran = 0;
            var findingsOfUnit = new List<PrefixFinding>();
            while (run.HasNext && ran < 5)
            {
                var outcome = run.Next();
                ran++;
                if (outcome.Finding is { } f)
                {
                    findingsOfUnit.Add(new PrefixFinding(f.Key, f.Choices, f.Deliveries.Count, Report(f)));
                }

                if (run.TakeAbove() is { Count: > 0 } points)
                {
                    plan.Above(at, new PrefixAbove(u.Id, points));
                }
            }

            if (run.HasNext)
            {
                // Stolen from: the unit hands off its shallowest pending alternatives and goes on below.
                var split = run.Split();
                if (split.Units.Count > 0)
                {
                    splits++;
                }

                Assert.True(plan.Split(at, new PrefixSplit(u.Id, split.Units.Select(x => x.Prefix).ToList(), split.Nodes, run.Rest.Prefix, run.Coverage.States.ToList()), now));
                if (at == "b" && split.Units.Count > 0 && !lost)
                {
                    // Node b dies with this unit half done and split: nothing of it was counted.
                    lost = true;
                    running.RemoveAll(r => r.Node == "b");
                    Assert.Equal(1, plan.Lost("b"));
                    continue;
                }

                running.RemoveAt(0);
                running.Add((u, run, at, null));
                continue;
            }

            running.RemoveAt(0);
            foreach (var f in findingsOfUnit)
            {
                found.Add(f.Key);
            }

            Assert.True(plan.Accept(at, new PrefixResult(u.Id, run.Coverage, findingsOfUnit, Stopped: false, Seconds: 0)));
        }

        var c = plan.Coverage;
        var (pruned, cut) = plan.Close();
        Assert.Equal(0, whole.Coverage.TimedOut + c.TimedOut);
        Assert.Equal(whole.Coverage.Schedules, c.Schedules);
        Assert.Equal(whole.Coverage.Traces.Order(), c.Traces.Order());
        Assert.Equal(whole.Coverage.EndStates.Order(), c.EndStates.Order());
        Assert.Equal(whole.Coverage.States.Order(), c.States.Order());
        Assert.Equal(whole.Coverage.ChoicePoints, c.ChoicePoints);
        Assert.Equal(whole.Coverage.Pruned, c.Pruned + pruned);
        Assert.Equal(whole.Coverage.CutByBound, c.CutByBound + cut);
        Assert.Equal(findings.Order(), found.Order());
        Assert.True(lost, "no unit of node b was split, so no loss was tried");
        Assert.True(splits > 1, $"{splits} split(s)");
        Assert.True(handedOut > 3, $"{handedOut} unit(s)");
    }

    [Fact]
    public void ALostUnitThatWasNeverSplitGoesBackWholeAndItsLateResultIsNotCounted()
    {
        var plan = new PrefixPlan(all: true);
        var unit = plan.Next("b", TimeSpan.Zero)!;
        Assert.Null(plan.Next("a", TimeSpan.Zero));
        Assert.Equal(1, plan.Lost("b"));
        var again = plan.Next("a", TimeSpan.Zero)!;
        Assert.Equal(unit.Prefix, again.Prefix);
        Assert.NotEqual(unit.Id, again.Id);
        Assert.False(plan.Accept("b", new PrefixResult(unit.Id, new Coverage { Schedules = 5 }, [], false, 0)));
        Assert.True(plan.Accept("a", new PrefixResult(again.Id, new Coverage { Schedules = 7 }, [], false, 0)));
        Assert.Equal(7, plan.Counted);
        Assert.True(plan.Finished);
    }

    private static ViolationReport Report(Finding f) =>
        new(f.Stop.Fatal.Kind.ToString(), f.Stop.Fatal.Message, f.Stop.Cpu, f.Stop.CallChain, f.Index, f.Deliveries.Count, f.Deliveries.Count, 0, 0, [], f.Deliveries.ToList());

    public void Dispose() => host.Dispose();
}
