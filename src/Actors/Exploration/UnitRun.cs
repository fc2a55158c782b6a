namespace BootActors.Actors.Exploration;

/// <summary>A unit's split: the units handed off, and the decision points whose ownership passes to whoever keeps <see cref="SharedNodes"/>.</summary>
public sealed record UnitSplit(IReadOnlyList<WorkUnit> Units, IReadOnlyList<NodeState> Nodes);

/// <summary>The states explored so far; one per exploration, in one process (<see cref="ExploreOptions.StateCache"/>).</summary>
public sealed class StateCache
{
    private readonly HashSet<ulong> seen = new();

    public int Count => seen.Count;

    /// <summary>False when <paramref name="key"/> was explored before.</summary>
    public bool Add(ulong key) => seen.Add(key);
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
        : new WorkUnit(Nodes[RootDepth - 1].PathWith(Nodes[RootDepth - 1].Chosen));

    /// <summary>What the unit has covered so far.</summary>
    public Coverage Coverage { get; } = new();

    internal StateCache? Cache { get; }

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

        if (strategy.Order is { } order)
        {
            Backtrack(order);
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
                units.Add(new WorkUnit(node.PathWith(o)));
            }

            var states = Nodes.Skip(RootDepth).Take(d + 1 - RootDepth).Select(n => n.ToState()).ToList();
            RootDepth = d + 1;
            return new UnitSplit(units, states);
        }

        return new UnitSplit([], []);
    }

    internal void Created(SearchNode node) => Coverage.ChoicePoints++;

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
                var point = new BacktrackPoint(node.Path, chosen);
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
                HasNext = true;
                return;
            }

            var (pruned, cut) = node.Close();
            Coverage.Pruned += pruned;
            Coverage.CutByBound += cut;
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
