namespace BootActors.Cluster.Protocol;

/// <summary>
/// The messages the coordinator (the seed node, at /user/coordinator) receives from its workers.
/// A worker registers, resolves the terms it is given, then pulls work and returns results until it
/// hears <see cref="Worker.ExplorationOver"/>.
/// </summary>
public static class Coordinator
{
    /// <summary>The actor's name under /user on the coordinator node.</summary>
    public const string Name = "coordinator";

    /// <summary>The cluster role only the coordinator has (config/cluster.hocon's split-brain resolver keeps its side).</summary>
    public const string Role = "coordinator";

    /// <summary>A worker asks to take part; <paramref name="Version"/> is its BootActors build.</summary>
    public sealed record Register(string Version) : IClusterMessage;

    /// <summary>The worker resolved the terms' scenario from its own files: the spec hash it got, or why it could not.</summary>
    public sealed record Resolved(string? SpecHash, string? Problem) : IClusterMessage;

    /// <summary>The worker can take <paramref name="Count"/> more units.</summary>
    public sealed record RequestWork(int Count) : IClusterMessage;

    /// <summary>A unit's result (the unit may have stopped early; the rest is the coordinator's to hand out again).</summary>
    public sealed record UnitDone(UnitResult Result) : IClusterMessage;

    /// <summary>dfs/dpor: a prefix unit split (the answer to <see cref="Worker.Steal"/>).</summary>
    public sealed record Split(PrefixSplit Part) : IClusterMessage;

    /// <summary>dpor: backtrack points for decision points the coordinator holds.</summary>
    public sealed record Above(PrefixAbove Points) : IClusterMessage;

    /// <summary>dfs/dpor: a prefix unit's result.</summary>
    public sealed record PrefixDone(PrefixResult Result) : IClusterMessage;

    /// <summary>The worker leaves (Ctrl-C): its units are handed out again at once.</summary>
    public sealed record Withdraw(string Reason) : IClusterMessage;
}

/// <summary>The messages a worker (at /user/worker on its node) receives from the coordinator.</summary>
public static class Worker
{
    public const string Name = "worker";

    public const string Role = "worker";

    /// <summary>Resolve these terms and say whether this node can run them.</summary>
    public sealed record Explore(ExplorationTerms Terms) : IClusterMessage;

    /// <summary>The coordinator will not work with this node, and says why in one line.</summary>
    public sealed record Refused(string Reason) : IClusterMessage;

    /// <summary>The node's build and scenario agree with the coordinator's: it may ask for work.</summary>
    public sealed record Accepted(string NodeName) : IClusterMessage;

    /// <summary>A unit to explore, with what the coordinator knows so far.</summary>
    public sealed record Assign(ScheduleRange Unit, WorkHints Hints) : IClusterMessage;

    /// <summary>dfs/dpor: a prefix unit to explore.</summary>
    public sealed record AssignPrefix(PrefixUnit Unit) : IClusterMessage;

    /// <summary>dfs/dpor: a node is idle; hand off part of this unit (<see cref="Coordinator.Split"/>).</summary>
    public sealed record Steal(long UnitId) : IClusterMessage;

    /// <summary>Schedules above <paramref name="Schedule"/> are not needed any more (−1: stop everything, the time is up).</summary>
    public sealed record Cutoff(int Schedule) : IClusterMessage;

    /// <summary>The exploration is over (<paramref name="Completed"/>) or abandoned: leave the cluster and exit.</summary>
    public sealed record ExplorationOver(string Summary, bool Completed) : IClusterMessage;
}
