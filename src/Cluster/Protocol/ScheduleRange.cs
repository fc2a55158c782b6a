namespace BootActors.Cluster.Protocol;

/// <summary>
/// A share of an exploration. random and pct: the schedules numbered [<see cref="Start"/>,
/// <see cref="Start"/> + <see cref="Count"/>), each a pure function of (seed, number), so any node
/// runs the same schedule for the same number.
/// </summary>
public sealed record ScheduleRange(long Id, int Start, int Count)
{
    public int End => Start + Count;

    public override string ToString() => $"unit {Id} [{Start}, {End})";
}

/// <summary>
/// What the coordinator knows that saves a node work: the first schedule that ends the exploration
/// (a violation without --all, or a host failure), and the lowest schedule of each violation
/// already found (a node does not shrink a later one of the same kind).
/// </summary>
public sealed record WorkHints(int? Cutoff, IReadOnlyDictionary<string, int> FirstOfKey)
{
    public static readonly WorkHints None = new(null, new Dictionary<string, int>());
}
