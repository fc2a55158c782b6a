using BootActors.Actors.Conductor;
using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>
/// The strategy of a dfs/dpor schedule (a stateless model checker in the style of VeriSoft/CHESS):
/// it replays the choices of the decision points on its unit's stack and extends them with the
/// non-preemptive default, creating a decision point (<see cref="SearchNode"/>) at every step where
/// two or more choices are open and the step bound allows a choice. After each delivery it takes the
/// delivery's footprint from the access recorder: the state hash follows the table pages written,
/// and DPOR adds the delivery to the happens-before order. A fresh decision point whose state was
/// explored before ends the schedule there (the state cache).
/// </summary>
internal sealed class SearchStrategy : ExplorationStrategy
{
    private readonly UnitRun unit;
    private readonly bool dpor;
    private readonly int maxSteps;
    private readonly int? maxPreemptions;
    private readonly List<int> stepDepth = new();
    private int depth;
    private int preemptions;

    public SearchStrategy(UnitRun unit, string name, ChoiceMode mode, bool dpor, int maxSteps, int? maxPreemptions)
        : base(mode)
    {
        this.unit = unit;
        Name = name;
        this.dpor = dpor;
        this.maxSteps = maxSteps;
        this.maxPreemptions = maxPreemptions;
        Probe = new StateProbe { Order = dpor ? new HappensBefore() : null };
    }

    public override string Name { get; }

    public HappensBefore? Order => Probe!.Order;

    /// <summary>The options chosen at this schedule's decision points.</summary>
    public List<int> Choices { get; } = new();

    /// <summary>For each delivery, the depth of its decision point (-1: forced, or past the step bound).</summary>
    public IReadOnlyList<int> StepDepth => stepDepth;

    /// <summary>Deliveries past the step bound where a choice was open (made by the default, not explored).</summary>
    public int BeyondStepBound { get; private set; }

    /// <summary>True when the schedule ended at a state explored before.</summary>
    public bool Cut { get; private set; }

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        stepDepth.Clear();
        Choices.Clear();
        depth = 0;
        preemptions = 0;
        BeyondStepBound = 0;
        Cut = false;
    }

    /// <summary>The run's machine, before its first delivery.</summary>
    public void Start(Machine machine, Machine boot) => Probe!.Start(machine, boot, Topology);

    protected override int ChooseOption(ChoiceView view)
    {
        if (Step >= maxSteps)
        {
            BeyondStepBound++;
            stepDepth.Add(-1);
            return Continue(view);
        }

        SearchNode node;
        var nodes = unit.Nodes;
        if (depth < nodes.Count)
        {
            node = nodes[depth];
            if (!Same(node, view))
            {
                throw new ScheduleDivergedException(
                    $"decision point {depth} (delivery {Step + 1}) had options {string.Join(",", node.Options)} before and {string.Join(",", Options(view))} now: the run is not deterministic");
            }
        }
        else
        {
            var k = Continue(view);
            var state = Probe!.State(view);
            if (depth >= unit.RootDepth)
            {
                unit.SawState(state);
                var key = StateKey(state);
                if (unit.Cache is { } cache && !cache.Add(key))
                {
                    Cut = true;
                    return IScheduleStrategy.StopRun;
                }
            }

            node = new SearchNode(Choices.ToArray(), Step, Options(view), Cpus(view), view.Option(k), LastCpu, preemptions, dpor, maxPreemptions);
            if (depth < unit.RootDepth)
            {
                var wanted = unit.Unit.Prefix[depth];
                if (view.Find(wanted) < 0)
                {
                    throw new ScheduleDivergedException($"the unit {unit.Unit} chooses option {wanted} at decision point {depth}, which is not open there");
                }

                node.Chosen = wanted;
            }
            else
            {
                unit.Created(node);
            }

            nodes.Add(node);
        }

        if (node.IsPreemption(node.Chosen))
        {
            preemptions++;
        }

        Choices.Add(node.Chosen);
        stepDepth.Add(depth);
        depth++;
        return view.Find(node.Chosen);
    }

    protected override int ChooseForced(ChoiceView view)
    {
        stepDepth.Add(-1);
        return 0;
    }

    /// <summary>What a cached state must match: the state, where the bounds stand, and for DPOR the happens-before order of the prefix.</summary>
    private ulong StateKey(ulong state)
    {
        var h = Hash64.Mix(state, (ulong)Step);
        if (maxPreemptions is not null)
        {
            h = Hash64.Mix(Hash64.Mix(h, (ulong)(LastCpu + 1)), (ulong)preemptions);
        }

        // DPOR skips only a state reached by a prefix equivalent to one explored before: a different
        // prefix may race with the skipped subtree in ways nobody has seen.
        return Hash64.Final(Order is { } o ? Hash64.Mix(h, o.ClassHash) : h);
    }

    private static bool Same(SearchNode node, ChoiceView view)
    {
        if (node.Options.Length != view.Count)
        {
            return false;
        }

        for (var k = 0; k < view.Count; k++)
        {
            if (node.Options[k] != view.Option(k))
            {
                return false;
            }
        }

        return true;
    }

    private static int[] Options(ChoiceView view)
    {
        var a = new int[view.Count];
        for (var k = 0; k < a.Length; k++)
        {
            a[k] = view.Option(k);
        }

        return a;
    }

    private static int[] Cpus(ChoiceView view)
    {
        var a = new int[view.Count];
        for (var k = 0; k < a.Length; k++)
        {
            a[k] = view.Cpu(k);
        }

        return a;
    }
}
