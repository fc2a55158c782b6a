namespace BootActors.Actors.Exploration;

/// <summary>
/// One decision point of a systematic search (a step where two or more choices were open): what was
/// open, which CPU each option serves, the preemption budget used before it, and which options are
/// to be explored (DFS: all within the preemption bound; DPOR: its backtrack set) and done.
/// Deterministic: two nodes built from the same prefix decide alike, whoever holds them, so the
/// explored set does not depend on which process holds a node or in what order additions arrive.
/// </summary>
/// <remarks>The sets are bit sets over the options' positions (a search makes hundreds of thousands of nodes).</remarks>
public sealed class SearchNode
{
    private readonly ulong[] done;
    private readonly ulong[]? backtrack;
    private readonly ulong[] overBound;

    /// <param name="depth">How many decision points come before this one.</param>
    /// <param name="step">The delivery (from 0) at which the choice is made.</param>
    /// <param name="options">The option ids open here, oldest first.</param>
    /// <param name="cpus">The CPU each option serves.</param>
    /// <param name="defaultOption">The option the non-preemptive default takes (explored first).</param>
    /// <param name="lastCpu">The CPU of the delivery before this step (-1 at the start).</param>
    /// <param name="preemptionsBefore">Preemptions on the path before this step.</param>
    /// <param name="dpor">True: explore only the backtrack set; false: every option (DFS).</param>
    /// <param name="maxPreemptions">The preemption bound (null: none).</param>
    public SearchNode(int depth, int step, int[] options, int[] cpus, int defaultOption, int lastCpu, int preemptionsBefore, bool dpor, int? maxPreemptions)
    {
        Depth = depth;
        Step = step;
        Options = options;
        Cpus = cpus;
        Default = defaultOption;
        LastCpu = lastCpu;
        PreemptionsBefore = preemptionsBefore;
        MaxPreemptions = maxPreemptions;
        Chosen = defaultOption;
        var words = (options.Length + 63) / 64;
        done = new ulong[words];
        overBound = new ulong[words];
        Set(done, PositionOf(defaultOption));
        if (dpor)
        {
            backtrack = new ulong[words];
            Set(backtrack, PositionOf(defaultOption));
        }
        else
        {
            for (var k = 0; k < options.Length; k++)
            {
                if (!WithinBound(options[k]))
                {
                    Set(overBound, k);
                }
            }
        }
    }

    /// <summary>The options chosen at the decision points before this one (kept only by a shared node; a unit's nodes know theirs from its stack).</summary>
    public int[]? Path { get; private set; }

    public int Depth { get; }

    public int Step { get; }

    public int[] Options { get; }

    public int[] Cpus { get; }

    public int Default { get; }

    public int LastCpu { get; }

    public int PreemptionsBefore { get; }

    public int? MaxPreemptions { get; }

    /// <summary>The state cache's key of this point (stateful search), to file its summary under when it closes.</summary>
    internal ulong? CacheKey { get; set; }

    /// <summary>Stateful DPOR: what the deliveries below this point use (coarsely), collected while it is open.</summary>
    internal NodeSummary? Future { get; set; }

    /// <summary>The option the current schedule takes here.</summary>
    public int Chosen { get; set; }

    public bool IsDpor => backtrack is not null;

    /// <summary>Options explored here, or handed to another unit.</summary>
    public IReadOnlyCollection<int> Done => Members(done);

    /// <summary>DPOR: the options that must be explored here; null for DFS (all of them).</summary>
    public IReadOnlyCollection<int>? Backtrack => backtrack is null ? null : Members(backtrack);

    /// <summary>Options that would be explored here but exceed the preemption bound.</summary>
    public IReadOnlyCollection<int> OverBound => Members(overBound);

    /// <summary>The CPU option <paramref name="option"/> serves.</summary>
    public int CpuOf(int option) => Cpus[PositionOf(option)];

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
        var k = Array.IndexOf(Options, option);
        if (backtrack is null || k < 0 || Has(done, k) || Has(backtrack, k))
        {
            return false;
        }

        if (!WithinBound(option))
        {
            Set(overBound, k);
            return false;
        }

        Set(backtrack, k);
        return true;
    }

    /// <summary>The next option to explore here (the lowest id pending), or null.</summary>
    public int? NextPending()
    {
        int? best = null;
        for (var k = 0; k < Options.Length; k++)
        {
            if (!Has(done, k) && !Has(overBound, k) && (backtrack is null || Has(backtrack, k)) && (best is null || Options[k] < best))
            {
                best = Options[k];
            }
        }

        return best;
    }

    /// <summary>Marks <paramref name="option"/> as explored (or handed off).</summary>
    public void MarkDone(int option) => Set(done, PositionOf(option));

    /// <summary>The node's final accounting, once nothing is pending: options DPOR proved redundant, options cut by the preemption bound.</summary>
    public (int Pruned, int CutByBound) Close()
    {
        var pruned = 0;
        var cut = 0;
        for (var k = 0; k < Options.Length; k++)
        {
            if (Has(done, k))
            {
                continue;
            }

            if (Has(overBound, k))
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

    /// <summary>The node as plain data; <paramref name="path"/>: the options chosen above it.</summary>
    public NodeState ToState(IReadOnlyList<int> path) => new(path.ToArray(), Step, Options.ToArray(), Cpus.ToArray(), Default, LastCpu, PreemptionsBefore, MaxPreemptions,
        IsDpor, Done.Order().ToArray(), Backtrack?.Order().ToArray() ?? [], OverBound.Order().ToArray());

    /// <summary>A node rebuilt from <see cref="ToState"/>'s data.</summary>
    public static SearchNode FromState(NodeState s)
    {
        var node = new SearchNode(s.Path.Count, s.Step, s.Options.ToArray(), s.Cpus.ToArray(), s.Default, s.LastCpu, s.PreemptionsBefore, s.Dpor, s.MaxPreemptions)
        {
            Path = s.Path.ToArray(),
        };
        foreach (var o in s.Done)
        {
            node.MarkDone(o);
        }

        foreach (var o in s.Backtrack)
        {
            Set(node.backtrack!, node.PositionOf(o));
        }

        foreach (var o in s.OverBound)
        {
            Set(node.overBound, node.PositionOf(o));
        }

        return node;
    }

    /// <summary>The prefix that reaches a node on <paramref name="path"/> and takes <paramref name="option"/> there.</summary>
    public static int[] PathWith(IReadOnlyList<int> path, int option)
    {
        var p = new int[path.Count + 1];
        for (var i = 0; i < path.Count; i++)
        {
            p[i] = path[i];
        }

        p[^1] = option;
        return p;
    }

    private int PositionOf(int option)
    {
        var k = Array.IndexOf(Options, option);
        return k >= 0 ? k : throw new ArgumentException($"option {option} is not open at decision point {Depth} (open: {string.Join(",", Options)})", nameof(option));
    }

    private List<int> Members(ulong[] set)
    {
        var list = new List<int>();
        for (var k = 0; k < Options.Length; k++)
        {
            if (Has(set, k))
            {
                list.Add(Options[k]);
            }
        }

        return list;
    }

    private static bool Has(ulong[] set, int k) => (set[k >> 6] & (1UL << (k & 63))) != 0;

    private static void Set(ulong[] set, int k) => set[k >> 6] |= 1UL << (k & 63);
}
