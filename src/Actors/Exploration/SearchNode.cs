namespace BootActors.Actors.Exploration;

/// <summary>
/// One decision point of a systematic search (a step where two or more choices were open): what was
/// open, which CPU each option serves, the preemption budget used before it, and which options are
/// to be explored (DFS: all within the preemption bound; DPOR: its backtrack set) and done.
/// Deterministic: two nodes built from the same prefix decide alike, whoever holds them, so the
/// explored set does not depend on which process holds a node or in what order additions arrive.
/// </summary>
public sealed class SearchNode
{
    private readonly HashSet<int> done = new();
    private readonly HashSet<int>? backtrack;
    private readonly HashSet<int> overBound = new();

    /// <param name="path">The options chosen at the decision points before this one.</param>
    /// <param name="step">The delivery (from 0) at which the choice is made.</param>
    /// <param name="options">The option ids open here, oldest first.</param>
    /// <param name="cpus">The CPU each option serves.</param>
    /// <param name="defaultOption">The option the non-preemptive default takes (explored first).</param>
    /// <param name="lastCpu">The CPU of the delivery before this step (-1 at the start).</param>
    /// <param name="preemptionsBefore">Preemptions on the path before this step.</param>
    /// <param name="dpor">True: explore only the backtrack set; false: every option (DFS).</param>
    /// <param name="maxPreemptions">The preemption bound (null: none).</param>
    public SearchNode(int[] path, int step, int[] options, int[] cpus, int defaultOption, int lastCpu, int preemptionsBefore, bool dpor, int? maxPreemptions)
    {
        Path = path;
        Step = step;
        Options = options;
        Cpus = cpus;
        Default = defaultOption;
        LastCpu = lastCpu;
        PreemptionsBefore = preemptionsBefore;
        MaxPreemptions = maxPreemptions;
        Chosen = defaultOption;
        done.Add(defaultOption);
        if (dpor)
        {
            backtrack = [defaultOption];
        }
        else
        {
            foreach (var o in options)
            {
                if (!WithinBound(o))
                {
                    overBound.Add(o);
                }
            }
        }
    }

    public int[] Path { get; }

    public int Depth => Path.Length;

    public int Step { get; }

    public int[] Options { get; }

    public int[] Cpus { get; }

    public int Default { get; }

    public int LastCpu { get; }

    public int PreemptionsBefore { get; }

    public int? MaxPreemptions { get; }

    /// <summary>The option the current schedule takes here.</summary>
    public int Chosen { get; set; }

    public bool IsDpor => backtrack is not null;

    /// <summary>Options explored here, or handed to another unit.</summary>
    public IReadOnlyCollection<int> Done => done;

    /// <summary>DPOR: the options that must be explored here; null for DFS (all of them).</summary>
    public IReadOnlyCollection<int>? Backtrack => backtrack;

    /// <summary>Options that would be explored here but exceed the preemption bound.</summary>
    public IReadOnlyCollection<int> OverBound => overBound;

    /// <summary>The CPU option <paramref name="option"/> serves.</summary>
    public int CpuOf(int option) => Cpus[Array.IndexOf(Options, option)];

    public bool IsPreemption(int option)
    {
        if (LastCpu < 0)
        {
            return false;
        }

        var cpu = CpuOf(option);
        return cpu != LastCpu && Array.IndexOf(Cpus, LastCpu) >= 0;
    }

    public bool WithinBound(int option) =>
        MaxPreemptions is not { } max || PreemptionsBefore + (IsPreemption(option) ? 1 : 0) <= max;

    /// <summary>DPOR: asks for <paramref name="option"/> to be explored here. True when it became pending (not done, within the bound).</summary>
    public bool Add(int option)
    {
        if (backtrack is null || Array.IndexOf(Options, option) < 0 || done.Contains(option))
        {
            return false;
        }

        if (!WithinBound(option))
        {
            overBound.Add(option);
            return false;
        }

        return backtrack.Add(option);
    }

    /// <summary>The next option to explore here (the lowest id pending), or null.</summary>
    public int? NextPending()
    {
        int? best = null;
        foreach (var o in Options)
        {
            if (!done.Contains(o) && !overBound.Contains(o) && (backtrack is null || backtrack.Contains(o)) && (best is null || o < best))
            {
                best = o;
            }
        }

        return best;
    }

    /// <summary>Marks <paramref name="option"/> as explored (or handed off).</summary>
    public void MarkDone(int option) => done.Add(option);

    /// <summary>The node's final accounting, once nothing is pending: options DPOR proved redundant, options cut by the preemption bound.</summary>
    public (int Pruned, int CutByBound) Close()
    {
        var pruned = 0;
        var cut = 0;
        foreach (var o in Options)
        {
            if (done.Contains(o))
            {
                continue;
            }

            if (overBound.Contains(o))
            {
                cut++;
            }
            else
            {
                pruned++;
            }
        }

        return (pruned, cut);
    }

    /// <summary>The node as plain data.</summary>
    public NodeState ToState() => new(Path.ToArray(), Step, Options.ToArray(), Cpus.ToArray(), Default, LastCpu, PreemptionsBefore, MaxPreemptions,
        IsDpor, done.Order().ToArray(), backtrack?.Order().ToArray() ?? [], overBound.Order().ToArray());

    /// <summary>A node rebuilt from <see cref="ToState"/>'s data.</summary>
    public static SearchNode FromState(NodeState s)
    {
        var node = new SearchNode(s.Path.ToArray(), s.Step, s.Options.ToArray(), s.Cpus.ToArray(), s.Default, s.LastCpu, s.PreemptionsBefore, s.Dpor, s.MaxPreemptions);
        node.done.UnionWith(s.Done);
        node.backtrack?.UnionWith(s.Backtrack);
        node.overBound.UnionWith(s.OverBound);
        return node;
    }

    /// <summary>The prefix that reaches this node and takes <paramref name="option"/> here.</summary>
    public int[] PathWith(int option)
    {
        var p = new int[Path.Length + 1];
        Path.CopyTo(p, 0);
        p[^1] = option;
        return p;
    }
}
