using BootActors.Actors.Exploration;

namespace BootActors.Cluster.Protocol;

/// <summary>
/// dfs/dpor work: a schedule prefix (the options taken at the first decision points) that stands for
/// every schedule starting with it (<see cref="WorkUnit"/>); <paramref name="Id"/> names this handing-out of it.
/// </summary>
public sealed record PrefixUnit(long Id, IReadOnlyList<int> Prefix)
{
    public override string ToString() => $"unit {Id} {new WorkUnit(Prefix)}";
}

/// <summary>
/// A running prefix unit split on the coordinator's request (<see cref="UnitRun.Split"/>): the units it
/// handed off, the decision points whose ownership passes to the coordinator, and <paramref name="Rest"/>,
/// the prefix of what the unit goes on with. Empty <paramref name="Units"/>: nothing was pending.
/// <paramref name="States"/>: the states the unit saw at its decision points since its last split; they
/// are counted at once (a set: counting one twice changes nothing), since the handed-over points'
/// states would be lost with the unit, and no re-run sees them again (they are above its prefix).
/// </summary>
public sealed record PrefixSplit(long UnitId, IReadOnlyList<IReadOnlyList<int>> Units, IReadOnlyList<NodeState> Nodes, IReadOnlyList<int> Rest,
    IReadOnlyList<ulong> States);

/// <summary>DPOR's backtrack points for decision points above a unit (the coordinator holds those).</summary>
public sealed record PrefixAbove(long UnitId, IReadOnlyList<BacktrackPoint> Points);

/// <summary>
/// A prefix unit's result: what it covered (<see cref="Coverage"/>: counts, and the distinct states,
/// end states and traces as hash sets), the least finding of each kind of violation, shrunk and
/// explained here, and whether it stopped before its subtree was done (a finding without --all, a cutoff, a host failure).
/// </summary>
public sealed record PrefixResult(long UnitId, Coverage Coverage, IReadOnlyList<PrefixFinding> Findings, bool Stopped, double Seconds)
{
    public string? Failure { get; init; }
}

/// <summary>
/// A violation a prefix unit found: its key, its place in the search tree (<paramref name="Choices"/>)
/// and length before shrinking (<paramref name="Steps"/>), which order the findings of one key alike
/// everywhere (<see cref="Finding.Compare"/>), and its shrunk, explained report.
/// </summary>
public sealed record PrefixFinding(string Key, IReadOnlyList<int> Choices, int Steps, ViolationReport Report)
{
    /// <summary><see cref="Finding.Compare"/>'s order for dfs/dpor findings: choices lexicographically, then the shorter.</summary>
    public static int Compare(PrefixFinding a, PrefixFinding b)
    {
        var n = Math.Min(a.Choices.Count, b.Choices.Count);
        for (var i = 0; i < n; i++)
        {
            if (a.Choices[i] != b.Choices[i])
            {
                return a.Choices[i].CompareTo(b.Choices[i]);
            }
        }

        return a.Choices.Count != b.Choices.Count ? a.Choices.Count.CompareTo(b.Choices.Count) : a.Steps.CompareTo(b.Steps);
    }
}
