using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Base of the exploration strategies (the shape of Coyote's InterleavingStrategy): the base records
/// every delivery of a schedule — the sequence a replay file stores — and the CPU each served; a
/// subclass only answers which open choice (<see cref="ChoiceView"/>) is taken. A strategy lives for a
/// whole exploration: <see cref="BeginSchedule"/> and <see cref="EndSchedule"/> frame each schedule.
/// </summary>
public abstract class ExplorationStrategy : IScheduleStrategy
{
    private readonly ChoiceView view = new();
    private Topology? topology;

    protected ExplorationStrategy(ChoiceMode mode) => Mode = mode;

    public abstract string Name { get; }

    /// <summary>Whether choices are among deliveries or among CPUs.</summary>
    public ChoiceMode Mode { get; }

    /// <summary>The deliveries of the current schedule, in order.</summary>
    public List<RecordedDelivery> Recorded { get; } = new();

    /// <summary>The CPU each delivery served (for context-switch counts and shrinking).</summary>
    public List<int> CpuOfStep { get; } = new();

    /// <summary>Deliveries so far in this schedule.</summary>
    public int Step => Recorded.Count;

    /// <summary>The CPU of the previous delivery (-1 at the start).</summary>
    protected int LastCpu { get; private set; } = -1;

    protected Topology Topology => topology ?? throw new InvalidOperationException("the strategy is not attached to a run");

    /// <summary>True once <see cref="Attach"/> gave the run's actors.</summary>
    protected bool Attached => topology is not null;

    /// <summary>Follows the run's state (footprints, state hashes) when the engine attached one.</summary>
    internal StateProbe? Probe { get; set; }

    /// <summary>Where decision points and their states are counted (random, pct; dfs/dpor count their own).</summary>
    internal Coverage? Coverage { get; set; }

    /// <summary>False once an exhaustive strategy has nothing left to explore.</summary>
    public virtual bool HasNext => true;

    public virtual void Attach(Topology t) => topology = t;

    public virtual void BeginSchedule(int iteration)
    {
        Recorded.Clear();
        CpuOfStep.Clear();
        LastCpu = -1;
    }

    public virtual void EndSchedule(bool violation)
    {
    }

    public int Choose(IReadOnlyList<PendingMessage> pending)
    {
        view.Fill(pending, Topology, Mode);
        if (view.Count > 1 && Coverage is { } coverage && Probe is { } probe)
        {
            coverage.ChoicePoints++;
            coverage.States.Add(probe.State(view));
        }

        var k = view.Count == 1 ? ChooseForced(view) : ChooseOption(view);
        if (k == IScheduleStrategy.StopRun)
        {
            return k;
        }

        var p = view.Message(k);
        var cpu = view.Cpu(k);
        Recorded.Add(new RecordedDelivery(Topology.Names[p.From], Topology.Names[p.To], p.Message.TypeName));
        CpuOfStep.Add(cpu);
        Probe?.Chosen(view.Option(k), p);
        AfterChoice(view, k);
        LastCpu = cpu;
        return view.PendingIndex(k);
    }

    public virtual void Processed() => Probe?.Processed();

    /// <summary>
    /// Whether a forced delivery may be told (<see cref="IScheduleStrategy.Forced"/>) rather than
    /// asked: true for a strategy that records it as any other and whose <see cref="ChooseForced"/>
    /// and <see cref="AfterChoice"/> are the base's (random, pct), false for one that must answer it.
    /// </summary>
    protected virtual bool MayBeToldOfForced => false;

    /// <summary>Tests: ask every forced delivery through the conductor, to compare the two paths.</summary>
    internal bool AskForced { get; set; }

    public bool TakesForcedAsTold => MayBeToldOfForced && !AskForced;

    // Told of a forced delivery: the same path as being asked with it alone pending.
    private readonly PendingMessage[] only = new PendingMessage[1];

    /// <summary>Forced deliveries this strategy was told of, over its life (tests).</summary>
    internal long ToldOfForced { get; private set; }

    public void Forced(in PendingMessage p)
    {
        ToldOfForced++;
        only[0] = p;
        var k = Choose(only);
        System.Diagnostics.Debug.Assert(k == 0, "a strategy that takes forced deliveries as told answered one otherwise");
    }

    /// <summary>Which of <paramref name="view"/>'s choices (at least two) is taken: its position in the view, or <see cref="IScheduleStrategy.StopRun"/>.</summary>
    protected abstract int ChooseOption(ChoiceView view);

    /// <summary>Only one choice is open: a scripted strategy may still want to know (it cannot choose otherwise).</summary>
    protected virtual int ChooseForced(ChoiceView view) => 0;

    /// <summary>Called after every choice (also forced ones) with the position taken, for strategies that track transitions.</summary>
    protected virtual void AfterChoice(ChoiceView view, int k)
    {
    }

    /// <summary>The non-preemptive default: the oldest choice of the CPU that ran last if it can go on, else the oldest of the lowest CPU.</summary>
    protected int Continue(ChoiceView view)
    {
        var k = view.OldestOf(LastCpu);
        if (k >= 0)
        {
            return k;
        }

        var best = 0;
        for (var i = 1; i < view.Count; i++)
        {
            if (view.Cpu(i) < view.Cpu(best))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Switches between CPUs in a delivery sequence.</summary>
    public static int ContextSwitches(IReadOnlyList<int> cpus) => Math.Max(0, Infrastructure.InterleavingLog.CpuRuns(cpus).Count() - 1);
}
