using BootActors.Actors.Exploration;

namespace BootActors.Cluster.Protocol;

/// <summary>
/// What a node did with a unit: the schedules [<see cref="Start"/>, <see cref="Start"/> +
/// <see cref="Ran"/>) in order (fewer than the unit's when it stopped early: a finding that ends the
/// exploration, a cutoff, the end), each schedule's status and hashes (the coordinator counts distinct
/// traces and end states over the whole exploration), and its findings.
/// </summary>
public sealed record UnitResult(
    long UnitId,
    int Start,
    int Ran,
    IReadOnlyList<ScheduleStatus> Statuses,
    IReadOnlyList<ulong> TraceHashes,
    IReadOnlyList<ulong> StateHashes,
    IReadOnlyList<NodeFinding> Findings,
    double Seconds)
{
    /// <summary>Why the host failed, for the <see cref="ScheduleStatus.HostFailure"/> schedule (the last one run).</summary>
    public string? Failure { get; init; }

    /// <summary>What the unit's schedules covered beyond their own hashes: decision points, steps past the step bound, the distinct states seen at decision points.</summary>
    public UnitCoverage Coverage { get; init; } = UnitCoverage.None;
}

/// <summary>The part of a unit's <see cref="Actors.Exploration.Coverage"/> that is not per schedule; parts merge by sum and union.</summary>
public sealed record UnitCoverage(long ChoicePoints, long BeyondStepBound, IReadOnlyList<ulong> States)
{
    public static readonly UnitCoverage None = new(0, 0, []);

    public static UnitCoverage From(Actors.Exploration.Coverage c) => new(c.ChoicePoints, c.BeyondStepBound, c.States.Order().ToList());
}

/// <summary>
/// A violation seen at <see cref="Schedule"/>; <see cref="Report"/> is its shrunk, explained form, absent
/// when the node knew of an earlier schedule with the same <see cref="Key"/> (that one is reported).
/// </summary>
public sealed record NodeFinding(int Schedule, string Key, ViolationReport? Report);
