using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Base of the exploration strategies (the shape of Coyote's InterleavingStrategy): the base records
/// every delivery of a schedule — the sequence a replay file stores — and counts steps and context
/// switches; a subclass only answers which enabled CPU goes next. A strategy lives for a whole
/// exploration: <see cref="BeginSchedule"/> and <see cref="EndSchedule"/> frame each schedule.
/// </summary>
public abstract class ExplorationStrategy : IScheduleStrategy
{
    private Topology? topology;

    public abstract string Name { get; }

    /// <summary>The deliveries of the current schedule, in order.</summary>
    public List<RecordedDelivery> Recorded { get; } = new();

    /// <summary>The CPU each delivery served (for context-switch counts and shrinking).</summary>
    public List<int> CpuOfStep { get; } = new();

    /// <summary>Deliveries so far in this schedule.</summary>
    public int Step => Recorded.Count;

    /// <summary>The CPU of the previous delivery (-1 at the start).</summary>
    protected int LastCpu { get; private set; } = -1;

    protected Topology Topology => topology ?? throw new InvalidOperationException("the strategy is not attached to a run");

    /// <summary>False once an exhaustive strategy has nothing left to explore.</summary>
    public virtual bool HasNext => true;

    public void Attach(Topology t) => topology = t;

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
        var view = new CpuView(pending, Topology);
        var cpu = view.Enabled.Count == 1 ? ChooseForced(view) : ChooseCpu(view);
        var index = view.IndexOf(cpu);
        var p = pending[index];
        Recorded.Add(new RecordedDelivery(Topology.Names[p.From], Topology.Names[p.To], p.Message.TypeName));
        CpuOfStep.Add(cpu);
        AfterChoice(view, cpu);
        LastCpu = cpu;
        return index;
    }

    /// <summary>Which of <paramref name="view"/>'s enabled CPUs (at least two) goes next.</summary>
    protected abstract int ChooseCpu(CpuView view);

    /// <summary>Only one CPU can go: a scripted strategy may still want to know (it cannot choose otherwise).</summary>
    protected virtual int ChooseForced(CpuView view) => view.Enabled[0];

    /// <summary>Called after every delivery choice (also forced ones), for strategies that track transitions.</summary>
    protected virtual void AfterChoice(CpuView view, int cpu)
    {
    }

    /// <summary>The non-preemptive default: the CPU that ran last if it can go on, else the lowest enabled CPU.</summary>
    protected int Continue(CpuView view) => view.Enabled.Contains(LastCpu) ? LastCpu : view.Enabled[0];

    /// <summary>Switches between CPUs in a delivery sequence.</summary>
    public static int ContextSwitches(IReadOnlyList<int> cpus)
    {
        var n = 0;
        var last = -2;
        foreach (var c in cpus)
        {
            if (c < 0)
            {
                continue;
            }

            if (last >= 0 && c != last)
            {
                n++;
            }

            last = c;
        }

        return n;
    }
}
