using System.Globalization;

namespace BootActors.Actors.Exploration;

/// <summary>
/// A piece of a dfs/dpor search: every schedule that starts with <see cref="Prefix"/>, the options
/// chosen at the first decision points (steps where two or more choices were open). The root unit
/// (empty prefix) is the whole search. Plain data: it crosses process boundaries as an int array.
/// </summary>
public sealed class WorkUnit : IEquatable<WorkUnit>
{
    public WorkUnit(IReadOnlyList<int> prefix) => Prefix = prefix.ToArray();

    public static WorkUnit Root { get; } = new([]);

    public IReadOnlyList<int> Prefix { get; }

    public int Depth => Prefix.Count;

    public bool Equals(WorkUnit? other) => other is not null && Prefix.SequenceEqual(other.Prefix);

    public override bool Equals(object? obj) => Equals(obj as WorkUnit);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var o in Prefix)
        {
            h.Add(o);
        }

        return h.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(",", Prefix.Select(o => o.ToString(CultureInfo.InvariantCulture))) + "]";
}

/// <summary>DPOR asks for <see cref="Option"/> to be explored at the decision point reached by <see cref="Path"/> (a node above the unit that found it).</summary>
public sealed record BacktrackPoint(IReadOnlyList<int> Path, int Option)
{
    public override string ToString() => $"{new WorkUnit(Path)}+{Option}";
}

/// <summary>A decision point's state as plain data (what a unit hands over when it is split).</summary>
public sealed record NodeState(
    IReadOnlyList<int> Path,
    int Step,
    IReadOnlyList<int> Options,
    IReadOnlyList<int> Cpus,
    int Default,
    int LastCpu,
    int PreemptionsBefore,
    int? MaxPreemptions,
    bool Dpor,
    IReadOnlyList<int> Done,
    IReadOnlyList<int> Backtrack,
    IReadOnlyList<int> OverBound);

/// <summary>
/// The decision points no running unit owns any more (handed over by <see cref="UnitRun.Split"/>): a
/// coordinator keeps them, applies the backtrack points units report for them, and turns each newly
/// pending option into a unit, with the same rules a unit applies to its own nodes.
/// </summary>
public sealed class SharedNodes
{
    private readonly Dictionary<WorkUnit, SearchNode> nodes = new();

    public int Count => nodes.Count;

    /// <summary>Takes over handed-over decision points.</summary>
    public void Adopt(IEnumerable<NodeState> states)
    {
        foreach (var s in states)
        {
            nodes[new WorkUnit(s.Path)] = SearchNode.FromState(s);
        }
    }

    /// <summary>Applies a backtrack point; the unit to explore when it made an option pending, else null.</summary>
    public WorkUnit? Add(BacktrackPoint point)
    {
        if (!nodes.TryGetValue(new WorkUnit(point.Path), out var node))
        {
            throw new InvalidOperationException($"backtrack point {point} names a decision point nobody handed over");
        }

        if (!node.Add(point.Option))
        {
            return null;
        }

        node.MarkDone(point.Option);
        return new WorkUnit(SearchNode.PathWith(node.Path!, point.Option));
    }

    /// <summary>The final accounting of every shared node (call once the search is over).</summary>
    public (long Pruned, long CutByBound) Close()
    {
        long pruned = 0, cut = 0;
        foreach (var n in nodes.Values)
        {
            var (p, c) = n.Close();
            pruned += p;
            cut += c;
        }

        return (pruned, cut);
    }
}
