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
    IReadOnlyList<Finding> Findings,
    double Seconds)
{
    /// <summary>Why the host failed, for the <see cref="ScheduleStatus.HostFailure"/> schedule (the last one run).</summary>
    public string? Failure { get; init; }
}

/// <summary>
/// A violation seen at <see cref="Schedule"/>; <see cref="Report"/> is its shrunk, explained form, absent
/// when the node knew of an earlier schedule with the same <see cref="Key"/> (that one is reported).
/// </summary>
public sealed record Finding(int Schedule, string Key, ViolationReport? Report);
