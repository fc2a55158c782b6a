using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>A unit's split: the units handed off, and the decision points whose ownership passes to whoever keeps <see cref="SharedNodes"/>.</summary>
public sealed record UnitSplit(IReadOnlyList<WorkUnit> Units, IReadOnlyList<NodeState> Nodes);

/// <summary>
/// The states explored so far; one per exploration, in one process (<see cref="ExploreOptions.StateCache"/>).
/// A state counts as explored when it was reached with no more preemptions used (a preemption bound
/// leaves the earlier visit at least as much room); stateful DPOR also keeps, once a state's subtree
/// is done, what that subtree's deliveries used.
/// </summary>
public sealed class StateCache
{
    private readonly Dictionary<ulong, Entry> seen = new();
    private readonly Dictionary<ulong, List<Summary>> summaries = new();

    public int Count => seen.Count;

    /// <summary>The earlier visit that covers this one, or null (then this visit is recorded).</summary>
    internal Entry? Visit(ulong key, int preemptions)
    {
        if (seen.TryGetValue(key, out var e))
        {
            if (e.MinPreemptions <= preemptions)
            {
                return e;
            }

            e.MinPreemptions = preemptions;
            e.Future = null;
            return null;
        }

        seen[key] = new Entry { MinPreemptions = preemptions };
        return null;
    }

    /// <summary>One shared copy of each distinct summary (many states' subtrees did the same).</summary>
    internal Summary Intern(SummaryEvent[] sorted)
    {
        ulong h = 0;
        foreach (var e in sorted)
        {
            h += e.Hash;
        }

        if (!summaries.TryGetValue(h, out var list))
        {
            summaries[h] = list = new List<Summary>(1);
        }

        foreach (var known in list)
        {
            if (known.Events.Length == sorted.Length && known.Events.AsSpan().SequenceEqual(sorted))
            {
                return known;
            }
        }

        var made = new Summary(sorted);
        list.Add(made);
        return made;
    }

    /// <summary>The state's subtree is done: what its deliveries used.</summary>
    internal void Close(ulong key, Summary future)
    {
        if (seen.TryGetValue(key, out var e))
        {
            e.Future = future;
        }
    }

    internal sealed class Entry
    {
        public int MinPreemptions { get; set; }

        public Summary? Future { get; set; }
    }
}

/// <summary>
/// The exploration of one <see cref="WorkUnit"/>, one schedule per <see cref="Next"/>: a depth-first
/// search of the schedules that start with the unit's prefix. Its decision points deeper than the
/// prefix are its own; DPOR's backtrack points for decision points above them are reported
/// (<see cref="TakeAbove"/>), for whoever holds those. <see cref="Split"/> hands off the pending
/// alternatives of its shallowest decision point that has any, and the decision points above them.
/// Without a state cache the schedules a unit runs are a function of its prefix and the backtrack
/// points it is given; the whole search is their least fixpoint, whatever the order and the splits.
/// </summary>
public sealed class UnitRun
{
    private readonly ExplorationEngine engine;
    private readonly SearchStrategy strategy;
    private readonly HashSet<BacktrackPoint> reported = new(new PointComparer());
    private readonly List<BacktrackPoint> above = new();
    private int runs;
    private int branchDepth;

    internal UnitRun(ExplorationEngine engine, WorkUnit unit, StateCache? cache)
    {
        this.engine = engine;
        Unit = unit;
        RootDepth = unit.Depth;
        Cache = cache;
        var o = engine.Options;
        strategy = new SearchStrategy(this, engine.StrategyName, engine.Mode, engine.StrategyName == "dpor", o.MaxSteps, o.MaxPreemptions);
    }

    public WorkUnit Unit { get; }

    /// <summary>The depth of this unit's shallowest own decision point (grows when <see cref="Split"/> hands the ones above over).</summary>
    public int RootDepth { get; private set; }

    /// <summary>False once every schedule of the unit has run.</summary>
    public bool HasNext { get; private set; } = true;

    /// <summary>
    /// The prefix every schedule the unit has still to run starts with: its own prefix, or after
    /// <see cref="Split"/> the path through the decision points it handed over (what a cluster
    /// re-queues when the node running the unit is lost).
    /// </summary>
    public WorkUnit Rest => RootDepth == Unit.Depth || RootDepth > Nodes.Count
        ? Unit
        : new WorkUnit(PathOf(RootDepth));

    /// <summary>What the unit has covered so far.</summary>
    public Coverage Coverage { get; } = new();

    internal StateCache? Cache { get; }

    /// <summary>The deliveries of the schedule <see cref="Next"/> ran last.</summary>
    internal IReadOnlyList<Conductor.RecordedDelivery> LastDeliveries => strategy.Recorded;

    /// <summary>The decision points of the current schedule's path: those above <see cref="RootDepth"/> replayed, the rest owned.</summary>
    internal List<SearchNode> Nodes { get; } = new();

    /// <summary>Runs the unit's next schedule.</summary>
    public ScheduleOutcome Next()
    {
        if (!HasNext)
        {
            throw new InvalidOperationException($"unit {Unit} has no schedule left");
        }

        var index = runs++;
        if (index == 0)
        {
            branchDepth = RootDepth;
        }

        strategy.BeginSchedule(index);
        var run = engine.Run(strategy, m => strategy.Start(m, engine.Boot.Machine));
        var outcome = engine.Outcome(index, run, strategy, strategy.Choices.ToArray());
        if (strategy.Cut)
        {
            outcome = outcome with { Status = ScheduleStatus.Cut };
        }

        Coverage.Count(outcome);
        Coverage.BeyondStepBound += strategy.BeyondStepBound;
        if (outcome.Status == ScheduleStatus.HostFailure)
        {
            HasNext = false;
            return outcome;
        }

        foreach (var (d, key) in strategy.Keys)
        {
            Nodes[d].CacheKey = key;
        }

        if (strategy.Order is { } order)
        {
            Backtrack(order);
        }

        if (strategy.Summaries)
        {
            if (runs % 64 == 0)
            {
                strategy.ForgetEvents();
            }

            if (strategy.CutAt is { } cut)
            {
                ReverseAtCachedState(cut.Step, cut.Future, cut.StageStarts);
            }

            Summarise();
        }

        Advance();
        return outcome;
    }

    /// <summary>Backtrack points found for decision points above this unit's own since the last call.</summary>
    public IReadOnlyList<BacktrackPoint> TakeAbove()
    {
        var list = above.ToList();
        above.Clear();
        return list;
    }

    /// <summary>
    /// Hands off every pending alternative of the shallowest own decision point that has one, as
    /// units, together with that decision point and the own ones above it (their ownership passes to
    /// the caller's <see cref="SharedNodes"/>); this unit goes on below. Empty when nothing is pending.
    /// </summary>
    public UnitSplit Split()
    {
        for (var d = RootDepth; d < Nodes.Count; d++)
        {
            var node = Nodes[d];
            if (node.NextPending() is null)
            {
                continue;
            }

            var units = new List<WorkUnit>();
            while (node.NextPending() is { } o)
            {
                node.MarkDone(o);
                units.Add(new WorkUnit(SearchNode.PathWith(PathOf(d), o)));
            }

            var states = Enumerable.Range(RootDepth, d + 1 - RootDepth).Select(k => Nodes[k].ToState(PathOf(k))).ToList();
            RootDepth = d + 1;
            return new UnitSplit(units, states);
        }

        return new UnitSplit([], []);
    }

    internal void Created(SearchNode node) => Coverage.ChoicePoints++;

    /// <summary>The options chosen at the decision points above depth <paramref name="d"/> on the current path.</summary>
    private int[] PathOf(int d)
    {
        var p = new int[d];
        for (var k = 0; k < d; k++)
        {
            p[k] = Nodes[k].Chosen;
        }

        return p;
    }

    internal void SawState(ulong state) => Coverage.States.Add(state);

    /// <summary>
    /// DPOR's race reversals (source sets, Abdulla et al. 2014): for each race (i, j) of the schedule,
    /// the decision point before i gets an initial of notdep(i).j — j's own option when it is one,
    /// else the earliest — unless the point's default (explored first) is already an initial. The
    /// choice depends only on the schedule, never on what else the point holds, so the explored set
    /// is a least fixpoint, the same in any order.
    /// </summary>
    private void Backtrack(HappensBefore order)
    {
        foreach (var (i, j) in order.Races)
        {
            var d = i < strategy.StepDepth.Count ? strategy.StepDepth[i] : -1;
            if (d < 0)
            {
                // Only past the step bound: a race's reversal always has a choice open before i.
                Coverage.RacesBeyondStepBound++;
                continue;
            }

            var node = Nodes[d];
            var initials = order.Initials(i, j);
            var chosen = initials[^1] == j ? order.OptionOf(j) : order.OptionOf(initials[0]);
            var covered = false;
            foreach (var k in initials)
            {
                covered |= order.OptionOf(k) == node.Default;
            }

            if (covered)
            {
                continue;
            }

            if (Array.IndexOf(node.Options, chosen) < 0)
            {
                throw new InvalidOperationException(
                    $"DPOR: the reversal of the race between deliveries {i + 1} and {j + 1} starts with option {chosen}, which is not open at decision point {d}");
            }

            if (d < RootDepth)
            {
                var point = new BacktrackPoint(PathOf(d), chosen);
                if (reported.Add(point))
                {
                    above.Add(point);
                }
            }
            else
            {
                node.Add(chosen);
            }
        }
    }

    /// <summary>
    /// Stateful DPOR, at a cut (after Yang, Chen, Gopalakrishnan, Kirby, "Efficient Stateful Dynamic
    /// Partial Order Reduction", SPIN 2008): the skipped subtree's deliveries would have raced with this
    /// schedule's, and those reversals must still be made. For each delivery in the cached state's
    /// summary, and each of its uses, the last conflicting delivery of each other process before the
    /// cut gets every open option at its decision point (a superset of any reversal's initials) —
    /// unless it surely happens before that future delivery: through the same CPU before its current
    /// stage, or through what the future delivery surely conflicts with (whatever comes after the cut
    /// comes after every delivery before it that it conflicts with, and after its own process's last).
    /// </summary>
    private void ReverseAtCachedState(int step, Summary future, List<int> stageStarts)
    {
        var order = strategy.Order!;
        var handled = new HashSet<int>();
        foreach (var e in future.Events)
        {
            var after = order.AfterPrefix(e.Process, e.Accesses.Where(a => a.Definite).Select(a => strategy.Probe!.ConcreteResource(a.Resource) is { } r ? new Access(r, a.Mode) : (Access?)null)
                .Where(a => a is not null).Select(a => a!.Value).ToList());
            foreach (var use in e.Accesses)
            {
                handled.Clear();
                var usedBy = strategy.UsersOf(use.Resource);
                for (var n = usedBy.Count - 1; n >= 0; n--)
                {
                    var i = usedBy[n];
                    if (i >= step)
                    {
                        continue;
                    }

                    var p = order.OptionOf(i);
                    if (p == e.Process || !use.ConflictsWith(strategy.ModeOf(i, use.Resource)) || handled.Contains(p))
                    {
                        continue;
                    }

                    handled.Add(p);
                    var cpu = strategy.CpuOfStep[i];
                    if ((cpu == e.Cpu && e.Cpu >= 0 && i <= stageStarts[e.Cpu]) || order.Before(i, after))
                    {
                        continue;
                    }

                    var d = strategy.StepDepth[i];
                    if (d < 0)
                    {
                        Coverage.RacesBeyondStepBound += i >= engine.Options.MaxSteps ? 1 : 0;
                        continue;
                    }

                    var node = Nodes[d];
                    foreach (var o in node.Options)
                    {
                        if (d < RootDepth)
                        {
                            var point = new BacktrackPoint(PathOf(d), o);
                            if (reported.Add(point))
                            {
                                above.Add(point);
                            }
                        }
                        else if (node.Add(o))
                        {
                            Coverage.ReversalsAtCachedStates++;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Stateful DPOR: each own decision point this schedule passed anew collects what the deliveries after it used.</summary>
    private void Summarise()
    {
        var end = strategy.CutAt?.Step ?? strategy.Recorded.Count;
        var last = -1;
        for (var d = Math.Max(branchDepth, RootDepth); d < Nodes.Count; d++)
        {
            var node = Nodes[d];
            var next = d + 1 < Nodes.Count ? Nodes[d + 1].Step : end;
            (node.Future ??= new NodeSummary()).AddOwn(strategy.EventsBetween(node.Step, next));
            last = d;
        }

        if (last >= 0 && strategy.CutAt is { } cut)
        {
            Nodes[last].Future!.AddChild(cut.Future);
        }
    }

    /// <summary>The deepest own decision point with a pending option takes it; closed points are counted and dropped.</summary>
    private void Advance()
    {
        for (var d = Nodes.Count - 1; d >= RootDepth; d--)
        {
            var node = Nodes[d];
            if (node.NextPending() is { } o)
            {
                node.MarkDone(o);
                node.Chosen = o;
                Nodes.RemoveRange(d + 1, Nodes.Count - d - 1);
                branchDepth = d;
                HasNext = true;
                return;
            }

            var (pruned, cut) = node.Close();
            Coverage.Pruned += pruned;
            Coverage.CutByBound += cut;
            if (node.Future is { } summary)
            {
                var (same, union) = summary.Close();
                var future = same ?? Cache!.Intern(union!);
                if (d - 1 >= RootDepth)
                {
                    (Nodes[d - 1].Future ??= new NodeSummary()).AddChild(future);
                }

                if (node.CacheKey is { } key)
                {
                    Cache!.Close(key, future);
                }

                node.Future = null;
            }

            Nodes.RemoveAt(d);
        }

        HasNext = false;
    }

    private sealed class PointComparer : IEqualityComparer<BacktrackPoint>
    {
        public bool Equals(BacktrackPoint? x, BacktrackPoint? y) =>
            x is not null && y is not null && x.Option == y.Option && x.Path.SequenceEqual(y.Path);

        public int GetHashCode(BacktrackPoint p)
        {
            var h = new HashCode();
            h.Add(p.Option);
            foreach (var o in p.Path)
            {
                h.Add(o);
            }

            return h.ToHashCode();
        }
    }
}
