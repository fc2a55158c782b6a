using BootActors.Actors.Conductor;
using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>
/// The strategy of a dfs/dpor schedule (a stateless model checker in the style of VeriSoft/CHESS):
/// it replays the choices of the decision points on its unit's stack and extends them with the
/// non-preemptive default, creating a decision point (<see cref="SearchNode"/>) at every step where
/// two or more choices are open and the step bound allows a choice. After each delivery it takes the
/// delivery's footprint from the access recorder: the state hash follows the table pages written,
/// DPOR adds the delivery to the happens-before order, and a stateful DPOR keeps what each delivery
/// used (coarsely) for the summaries of the states it passes. A fresh decision point whose state was
/// explored before (with no fewer preemptions left) ends the schedule there (the state cache).
/// </summary>
internal sealed class SearchStrategy : ExplorationStrategy, IFootprintSink
{
    private readonly UnitRun unit;
    private readonly bool dpor;
    private readonly int maxSteps;
    private readonly int? maxPreemptions;
    private readonly List<int> stepDepth = new();
    private readonly List<SummaryEvent> events = new();
    private readonly Dictionary<ulong, List<int>> users = new();
    private readonly List<SummaryAccess> scratch = new();
    private readonly Dictionary<ulong, List<SummaryEvent>> known = new();
    private readonly List<int> receiver = new();
    private readonly List<bool> sent = new();
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
        Probe = new StateProbe { Order = dpor ? new HappensBefore() : null, Sink = this };
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

    /// <summary>Where the schedule was cut: the deliveries before it, and the summary of what the cached state's subtree used (DPOR).</summary>
    public (int Step, Summary Future, List<int> StageStarts)? CutAt { get; private set; }

    /// <summary>The state key of each fresh own decision point, by depth (to file its summary when it closes).</summary>
    public Dictionary<int, ulong> Keys { get; } = new();

    /// <summary>Whether this search keeps summaries (stateful DPOR).</summary>
    public bool Summaries => dpor && unit.Cache is not null;

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        stepDepth.Clear();
        Choices.Clear();
        events.Clear();
        users.Clear();
        receiver.Clear();
        sent.Clear();
        Keys.Clear();
        depth = 0;
        preemptions = 0;
        BeyondStepBound = 0;
        Cut = false;
        CutAt = null;
    }

    /// <summary>The run's machine, before its first delivery.</summary>
    public void Start(Machine machine, Machine boot) => Probe!.Start(machine, boot, Topology);

    /// <summary>The deliveries [from, to) as summaries keep them.</summary>
    public IEnumerable<SummaryEvent> EventsBetween(int from, int to)
    {
        for (var k = Math.Min(from, events.Count); k < Math.Min(to, events.Count); k++)
        {
            yield return events[k];
        }
    }

    /// <summary>The deliveries that used (summary) resource <paramref name="resource"/>, in order.</summary>
    public IReadOnlyList<int> UsersOf(ulong resource) => users.TryGetValue(resource, out var l) ? l : [];

    /// <summary>How delivery <paramref name="delivery"/> used (summary) resource <paramref name="resource"/>.</summary>
    public AccessMode ModeOf(int delivery, ulong resource)
    {
        foreach (var a in events[delivery].Accesses)
        {
            if (a.Resource == resource)
            {
                return a.Mode;
            }
        }

        throw new InvalidOperationException($"delivery {delivery} did not use {Resource.Describe(resource)}");
    }

    public SummaryEvent EventAt(int delivery) => events[delivery];

    /// <summary>Drops the table of distinct events (summaries keep what they hold): it grows with the labels a search meets.</summary>
    public void ForgetEvents() => known.Clear();

    public void Delivered(int option, int sender, int to, ReadOnlySpan<Access> footprint)
    {
        if (!Summaries)
        {
            return;
        }

        var e = events.Count;
        receiver.Add(to);
        sent.Add(false);
        if (sender >= 0)
        {
            sent[sender] = true;
        }

        scratch.Clear();
        foreach (var a in footprint)
        {
            // An entry is kept as its table page: coarser (so not a sure conflict), far smaller.
            var entry = Resource.KindOf(a.Resource) == ResourceKind.Entry;
            var r = Probe!.CanonResource(entry ? Resource.PageOfEntry(a.Resource) : a.Resource);
            var k = scratch.FindIndex(x => x.Resource == r);
            if (k >= 0)
            {
                var x = scratch[k];
                scratch[k] = x with { Mode = x.Mode == a.Mode ? x.Mode : AccessMode.Write, Definite = x.Definite || !entry };
            }
            else
            {
                scratch.Add(new SummaryAccess(r, a.Mode, !entry));
                if (!users.TryGetValue(r, out var list))
                {
                    users[r] = list = new List<int>(4);
                }

                list.Add(e);
            }
        }

        events.Add(SummaryEvent.Of(CpuOfStep[e], option, scratch, known));
    }

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
                if (unit.Cache is { } cache)
                {
                    var key = Hash64.Final(Hash64.Mix(Hash64.Mix(state, (ulong)Step), (ulong)(LastCpu + 1)));
                    var bounded = maxPreemptions is null ? 0 : preemptions;
                    if (cache.Visit(key, bounded) is { } hit && (!Summaries || hit.Future is not null))
                    {
                        Cut = true;
                        if (Summaries)
                        {
                            CutAt = (Step, hit.Future!, StageStarts(view));
                        }

                        return IScheduleStrategy.StopRun;
                    }

                    Keys[depth] = key;
                }
            }

            node = new SearchNode(depth, Step, Options(view), Cpus(view), view.Option(k), LastCpu, preemptions, dpor, maxPreemptions);
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

    /// <summary>
    /// For each CPU, the last delivery to it that sent messages: the start of its current stage.
    /// Every delivery serving that CPU up to it happens before everything the CPU does after the cut
    /// (a CPU starts a stage only once every reply of the previous one has been delivered to it).
    /// </summary>
    private List<int> StageStarts(ChoiceView view)
    {
        foreach (var p in view.Pending)
        {
            if (p.From != Infrastructure.Topology.Host && p.SentBy > 0 && p.SentBy <= sent.Count)
            {
                sent[(int)p.SentBy - 1] = true;
            }
        }

        var starts = Enumerable.Repeat(-1, Topology.Cpus).ToList();
        for (var e = receiver.Count - 1; e >= 0; e--)
        {
            var to = receiver[e];
            if (Topology.IsCpu(to) && sent[e] && starts[Topology.CpuIndex(to)] < 0)
            {
                starts[Topology.CpuIndex(to)] = e;
            }
        }

        return starts;
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
