namespace BootActors.Actors.Exploration;

/// <summary>
/// Exhaustive depth-first search over the CPU choices (a stateless model checker in the style of
/// VeriSoft/CHESS): each schedule replays the choices on the stack and extends it with the
/// non-preemptive default; after it, the deepest choice with an untried alternative moves on. A
/// step bound limits where choices are made, and a preemption bound (Musuvathi &amp; Qadeer, PLDI 2007)
/// how many times a schedule may switch away from a CPU that could have continued.
/// </summary>
public class DfsStrategy : ExplorationStrategy
{
    private readonly int maxSteps;
    private readonly int? maxPreemptions;
    private int position;
    private int preemptions;
    private bool exhausted;

    public DfsStrategy(int maxSteps, int? maxPreemptions)
    {
        this.maxSteps = maxSteps;
        this.maxPreemptions = maxPreemptions;
    }

    public override string Name => "dfs";

    public override bool HasNext => !exhausted;

    /// <summary>The choice points of the current path, outermost first.</summary>
    protected List<ChoicePoint> Stack { get; } = new();

    /// <summary>For each delivery of the current schedule: the choice point it was (or -1 when forced).</summary>
    protected List<int> PointOfStep { get; } = new();

    /// <summary>For each delivery of the current schedule: the receiving actor (its "object", for dependence).</summary>
    protected List<int> ReceiverOfStep { get; } = new();

    /// <summary>Alternatives never explored because an exhaustive strategy proved them redundant (DPOR).</summary>
    public long Pruned { get; protected set; }

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        position = 0;
        preemptions = 0;
        PointOfStep.Clear();
        ReceiverOfStep.Clear();
    }

    protected override int ChooseCpu(CpuView view)
    {
        if (Step >= maxSteps)
        {
            return Continue(view);
        }

        int cpu;
        if (position < Stack.Count)
        {
            var p = Stack[position];
            if (!p.Enabled.SequenceEqual(view.Enabled))
            {
                throw new Conductor.ScheduleDivergedException(
                    $"choice {position} saw CPUs {string.Join(",", p.Enabled)} enabled before and {string.Join(",", view.Enabled)} now: the run is not deterministic");
            }

            cpu = p.Chosen;
        }
        else
        {
            cpu = Continue(view);
            Stack.Add(new ChoicePoint(view.Enabled.ToList(), cpu, LastCpu, preemptions));
        }

        if (IsPreemption(view.Enabled, LastCpu, cpu))
        {
            preemptions++;
        }

        position++;
        return cpu;
    }

    protected override void AfterChoice(CpuView view, int cpu)
    {
        ReceiverOfStep.Add(view.Pending[view.IndexOf(cpu)].To);
        PointOfStep.Add(view.Enabled.Count > 1 && Step < maxSteps ? position - 1 : -1);
    }

    public override void EndSchedule(bool violation)
    {
        AddBacktracking();
        while (Stack.Count > 0)
        {
            var top = Stack[^1];
            var next = top.Candidates().Where(c => !top.Done.Contains(c) && WithinBound(top, c)).Cast<int?>().FirstOrDefault();
            if (next is { } n)
            {
                top.Chosen = n;
                top.Done.Add(n);
                return;
            }

            foreach (var c in top.Enabled.Where(c => !top.Done.Contains(c)))
            {
                if (top.Backtrack is { } b && !b.Contains(c))
                {
                    Pruned++;
                }
                else
                {
                    CutByBound++;
                }
            }

            Stack.RemoveAt(Stack.Count - 1);
        }

        exhausted = true;
    }

    /// <summary>Alternatives left out because they would exceed the preemption bound.</summary>
    public long CutByBound { get; private set; }

    /// <summary>DPOR adds to the backtrack sets here; plain DFS tries every enabled CPU.</summary>
    protected virtual void AddBacktracking()
    {
    }

    private bool WithinBound(ChoicePoint p, int cpu) =>
        maxPreemptions is not { } max || p.PreemptionsBefore + (IsPreemption(p.Enabled, p.LastCpu, cpu) ? 1 : 0) <= max;

    private static bool IsPreemption(IReadOnlyList<int> enabled, int last, int chosen) => last >= 0 && chosen != last && enabled.Contains(last);
}

/// <summary>One choice of a systematic search: what was enabled, what was chosen, what is still to try.</summary>
public sealed class ChoicePoint
{
    public ChoicePoint(List<int> enabled, int chosen, int lastCpu, int preemptionsBefore)
    {
        Enabled = enabled;
        Chosen = chosen;
        LastCpu = lastCpu;
        PreemptionsBefore = preemptionsBefore;
        Done = [chosen];
    }

    public List<int> Enabled { get; }

    public int Chosen { get; set; }

    public int LastCpu { get; }

    public int PreemptionsBefore { get; }

    public HashSet<int> Done { get; }

    /// <summary>DPOR's backtrack set; null: every enabled CPU (plain DFS).</summary>
    public HashSet<int>? Backtrack { get; set; }

    public IEnumerable<int> Candidates() => Backtrack is null ? Enabled : Enabled.Where(Backtrack.Contains);
}

/// <summary>
/// Dynamic partial-order reduction (Flanagan &amp; Godefroid, POPL 2005) over the CPU choices. Two
/// deliveries are dependent when the same actor receives them (they touch the same actor's state);
/// after each schedule, for every delivery, the last earlier dependent delivery of another CPU marks
/// a race, and the choice point before that earlier delivery gets the later CPU in its backtrack set
/// (or all its enabled CPUs when the later one was not enabled there). Choices outside the backtrack
/// sets are never explored: <see cref="DfsStrategy.Pruned"/> counts them.
/// </summary>
public sealed class DporStrategy : DfsStrategy
{
    public DporStrategy(int maxSteps, int? maxPreemptions)
        : base(maxSteps, maxPreemptions)
    {
    }

    public override string Name => "dpor";

    protected override void AddBacktracking()
    {
        foreach (var p in Stack)
        {
            p.Backtrack ??= [p.Chosen];
        }

        for (var i = 1; i < ReceiverOfStep.Count; i++)
        {
            var cpu = CpuOfStep[i];
            for (var j = i - 1; j >= 0; j--)
            {
                if (ReceiverOfStep[j] != ReceiverOfStep[i] || CpuOfStep[j] == cpu)
                {
                    continue;
                }

                if (PointOfStep[j] is var pj and >= 0)
                {
                    var point = Stack[pj];
                    if (point.Enabled.Contains(cpu))
                    {
                        point.Backtrack!.Add(cpu);
                    }
                    else
                    {
                        point.Backtrack!.UnionWith(point.Enabled);
                    }
                }

                break;
            }
        }
    }
}
