using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// dfs and dpor through work units: a search split into pieces, run in any order with DPOR's backtrack
/// points handed to whoever holds their decision points, runs exactly the schedules of the search run
/// whole (what a cluster relies on); DPOR finds every end state and violation DFS finds; the state
/// cache changes what is run, not what is found; choices among deliveries reach every order of one
/// CPU's concurrent messages.
/// </summary>
public sealed class SearchTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    private static readonly ExploreOptions Stateless = new() { StateCache = false, All = true };

    public static TheoryData<string, string, string[]> Searches() => new()
    {
        { "dfs", "hotadd-concurrent", [ExplorationRig.SmallHotadd, "hotplug_mutex=on"] },
        { "dpor", "hotadd-concurrent", [ExplorationRig.SmallHotadd] },
        { "dpor", "hotremove-local-flush", [.. ExplorationRig.RemoveWhileReading, "flush=local"] },
    };

    [Theory]
    [MemberData(nameof(Searches))]
    public void ASearchSplitIntoUnitsRunInAnyOrderRunsTheSameSchedulesAsTheWholeSearch(string strategy, string name, string[] sets)
    {
        var spec = ExplorationRig.Spec(name, sets);
        var options = Stateless with { MaxPreemptions = strategy == "dfs" ? 2 : null };
        var whole = Whole(spec, strategy, options);

        foreach (var (lifo, every) in new[] { (true, 1), (false, 2), (true, 5) })
        {
            var split = Split(spec, strategy, options, lifo, every);

            Assert.Equal(whole.Schedules.Count, split.Schedules.Count);
            Assert.Equal(whole.Schedules.Order(), split.Schedules.Order());
            Assert.Equal(whole.Keys.Order(), split.Keys.Order());
            Assert.Equal((whole.Coverage.Pruned, whole.Coverage.CutByBound, whole.Coverage.ChoicePoints),
                (split.Coverage.Pruned, split.Coverage.CutByBound, split.Coverage.ChoicePoints));
            Assert.True(split.Units > 1, "the search was never split");
        }
    }

    [Theory]
    [InlineData("hotadd-concurrent", new[] { ExplorationRig.SmallHotadd })]
    // One touch of one 2 MiB page: dfs runs 5,276 schedules (two pages touched twice: 9,568, the suite's longest test).
    [InlineData("hotremove-local-flush", new[] { "cpus=3", "flush=local", "workload=[{cpu=0, hotadd={start=4G, size=2M}}, {concurrent=[{cpu=0, hotremove={start=4G, size=2M}}, {cpu=1, touch={addr=4G, count=1}}]}]" })]
    public void DporFindsEveryEndStateAndViolationThatDfsFinds(string name, string[] sets)
    {
        var spec = ExplorationRig.Spec(name, sets);
        var dfs = Whole(spec, "dfs", new ExploreOptions { All = true });
        var dpor = Whole(spec, "dpor", new ExploreOptions { All = true });

        Assert.Equal(dfs.Coverage.EndStates.Order(), dpor.Coverage.EndStates.Order());
        Assert.Equal(dfs.Keys.Order(), dpor.Keys.Order());
        Assert.True(dpor.Schedules.Count < dfs.Schedules.Count, $"dpor ran {dpor.Schedules.Count} schedules, dfs {dfs.Schedules.Count}");
    }

    [Theory]
    [InlineData("page")]
    [InlineData("entry")]
    public void TheStateCacheChangesWhatDporRunsNotWhatItFinds(string grain)
    {
        var spec = ExplorationRig.Spec("hotadd-concurrent", ExplorationRig.SmallHotadd, $"pte_grain={grain}", grain == "entry" ? "pse=off" : "pse=on");
        var stateless = Whole(spec, "dpor", Stateless);
        var stateful = Whole(spec, "dpor", new ExploreOptions { All = true });

        Assert.Equal(stateless.Coverage.EndStates.Order(), stateful.Coverage.EndStates.Order());
        Assert.Equal(stateless.Keys.Order(), stateful.Keys.Order());
        Assert.True(stateful.Schedules.Count < stateless.Schedules.Count, $"stateful {stateful.Schedules.Count}, stateless {stateless.Schedules.Count}");
        Assert.True(stateful.Coverage.CutByCache > 0);
    }

    [Fact]
    public void ChoosingAmongDeliveriesReachesEveryOrderOfAGlobalFlushsIpisChoosingAmongCpusOnlyOne()
    {
        // CPU0 hot-removes with flush_tlb_all while CPU1 and CPU2 wait: the IPIs to tlb0, tlb1, tlb2 are open at once.
        var spec = ExplorationRig.Spec("hotremove-local-flush", "cpus=3", "flush=global",
            "workload=[{cpu=0, hotadd={start=4G, size=2M}}, {cpu=0, hotremove={start=4G, size=2M}}]");

        var byDelivery = IpiOrders(spec, ChoiceMode.Delivery);
        var byCpu = IpiOrders(spec, ChoiceMode.Cpu);

        Assert.Equal(6, byDelivery.Count);
        Assert.Single(byCpu);
    }

    private HashSet<string> IpiOrders(RunSpec spec, ChoiceMode mode)
    {
        using var engine = ExplorationRig.Open(fixture.Host, spec, "dfs", new ExploreOptions { Choice = mode, StateCache = false });
        var unit = engine.OpenUnit(WorkUnit.Root);
        var orders = new HashSet<string>();
        while (unit.HasNext)
        {
            unit.Next();
            orders.Add(string.Join(" ", unit.LastDeliveries.Where(d => d.Type == "FlushTlbIpi").Select(d => d.To)));
        }

        return orders;
    }

    private Explored Whole(RunSpec spec, string strategy, ExploreOptions options)
    {
        using var engine = ExplorationRig.Open(fixture.Host, spec, strategy, options);
        var unit = engine.OpenUnit(WorkUnit.Root, options.StateCache ? new StateCache() : null);
        var e = new Explored();
        while (unit.HasNext)
        {
            e.Add(unit.Next());
        }

        Assert.Empty(unit.TakeAbove());
        e.Coverage.Merge(unit.Coverage);
        return e;
    }

    /// <summary>The root unit, split every <paramref name="every"/> schedules, its pieces run from a stack or a queue.</summary>
    private Explored Split(RunSpec spec, string strategy, ExploreOptions options, bool lifo, int every)
    {
        using var engine = ExplorationRig.Open(fixture.Host, spec, strategy, options);
        var shared = new SharedNodes();
        var work = new LinkedList<WorkUnit>([WorkUnit.Root]);
        var e = new Explored();
        while (work.Count > 0)
        {
            var next = lifo ? work.Last!.Value : work.First!.Value;
            work.Remove(next);
            e.Units++;
            var unit = engine.OpenUnit(next);
            var ran = 0;
            while (unit.HasNext)
            {
                e.Add(unit.Next());
                foreach (var point in unit.TakeAbove())
                {
                    if (shared.Add(point) is { } spawned)
                    {
                        work.AddLast(spawned);
                    }
                }

                if (++ran % every == 0)
                {
                    var split = unit.Split();
                    shared.Adopt(split.Nodes);
                    foreach (var u in split.Units)
                    {
                        work.AddLast(u);
                    }
                }
            }

            e.Coverage.Merge(unit.Coverage);
        }

        var (pruned, cut) = shared.Close();
        e.Coverage.Pruned += pruned;
        e.Coverage.CutByBound += cut;
        return e;
    }

    private sealed class Explored
    {
        public List<string> Schedules { get; } = new();

        public HashSet<string> Keys { get; } = new();

        public Coverage Coverage { get; } = new();

        public int Units { get; set; }

        public void Add(ScheduleOutcome o)
        {
            Assert.NotEqual(ScheduleStatus.HostFailure, o.Status);
            Schedules.Add(string.Join(",", o.Choices));
            Coverage.Count(o);
            if (o.Finding is { } f)
            {
                Keys.Add(f.Key);
            }
        }
    }
}
