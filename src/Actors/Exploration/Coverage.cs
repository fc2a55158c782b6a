using BootActors.Actors.Conductor;
using BootActors.Model.Interpreter;

namespace BootActors.Actors.Exploration;

/// <summary>How one schedule ended, as an exploration counts it.</summary>
public enum ScheduleStatus : byte
{
    Ok = 0,

    /// <summary>A violation, a panic or a refusal: a finding.</summary>
    Violation = 1,

    /// <summary>Cut off by the step bound before it finished.</summary>
    Incomplete = 2,

    /// <summary>The schedule failed in the host, not in the kernel: the exploration stops there.</summary>
    HostFailure = 3,

    /// <summary>Ended at a decision point whose state was explored before (the state cache).</summary>
    Cut = 4,

    /// <summary>Cut off by the per-schedule wall-clock timeout before it finished (says nothing about the interleavings).</summary>
    TimedOut = 5,
}

/// <summary>One schedule's outcome: what an exploration needs to count it, merge it and, if it found something, report it.</summary>
/// <param name="Index">Its number: random/pct's schedule i; a unit's run count for dfs/dpor.</param>
/// <param name="Status">How it ended.</param>
/// <param name="TraceHash">A hash of its deliveries (distinct traces).</param>
/// <param name="StateHash">A hash of the machine at its end (distinct end states).</param>
public sealed record ScheduleOutcome(int Index, ScheduleStatus Status, ulong TraceHash, ulong StateHash)
{
    /// <summary>"kind|call chain": violations with the same key are the same finding.</summary>
    public string? ViolationKey => Finding?.Key;

    /// <summary>Why the host failed (<see cref="ScheduleStatus.HostFailure"/>).</summary>
    public string? Failure { get; init; }

    /// <summary>The messages the schedule delivered.</summary>
    public long Delivered { get; init; }

    /// <summary>The violation, replayable (<see cref="ScheduleStatus.Violation"/>).</summary>
    public Finding? Finding { get; init; }

    /// <summary>dfs/dpor: the options taken at the schedule's decision points (its place in the search tree); empty for random/pct.</summary>
    public IReadOnlyList<int> Choices { get; init; } = [];
}

/// <summary>A violation as found, before shrinking: the schedule that showed it.</summary>
/// <param name="Key">"kind|call chain".</param>
/// <param name="Stop">Where and why the run stopped.</param>
/// <param name="Deliveries">The schedule's deliveries up to the stop.</param>
/// <param name="Cpus">The CPU each delivery served.</param>
/// <param name="Index">random/pct: the schedule number; dfs/dpor: the run number in its unit.</param>
/// <param name="Choices">dfs/dpor: the options taken at its decision points (its place in the search tree); empty otherwise.</param>
public sealed record Finding(string Key, RunStop Stop, IReadOnlyList<RecordedDelivery> Deliveries, IReadOnlyList<int> Cpus, int Index, IReadOnlyList<int> Choices)
{
    /// <summary>
    /// The canonical order of findings of one key, whoever found them: random/pct by schedule number;
    /// dfs/dpor by their choices (lexicographically, then the shorter). The representative of a key is
    /// its least finding, so one process and a cluster report the same one.
    /// </summary>
    public static int Compare(Finding a, Finding b)
    {
        if (a.Choices.Count == 0 && b.Choices.Count == 0)
        {
            return a.Index.CompareTo(b.Index);
        }

        var n = Math.Min(a.Choices.Count, b.Choices.Count);
        for (var i = 0; i < n; i++)
        {
            if (a.Choices[i] != b.Choices[i])
            {
                return a.Choices[i].CompareTo(b.Choices[i]);
            }
        }

        return a.Choices.Count != b.Choices.Count ? a.Choices.Count.CompareTo(b.Choices.Count) : a.Deliveries.Count.CompareTo(b.Deliveries.Count);
    }

    public static string KeyOf(RunStop stop) => $"{stop.Fatal.Kind}|{stop.CallChain}";
}

/// <summary>What an exploration (or a part of it) covered; parts merge by <see cref="Merge"/>.</summary>
public sealed class Coverage
{
    public long Schedules { get; set; }

    public long Violations { get; set; }

    /// <summary>Schedules cut off by the step bound (--max-steps) before they finished.</summary>
    public long Incomplete { get; set; }

    /// <summary>Schedules cut off by the per-schedule wall-clock timeout (a unit's count, so a cluster can add its nodes' up).</summary>
    public long TimedOut { get; set; }

    /// <summary>Schedules ended early at a state explored before.</summary>
    public long CutByCache { get; set; }

    /// <summary>Decision points: dfs/dpor the distinct points of the search tree; random/pct every step where two or more choices were open.</summary>
    public long ChoicePoints { get; set; }

    /// <summary>Steps past the step bound where a choice was open (taken by the default, not explored).</summary>
    public long BeyondStepBound { get; set; }

    /// <summary>DPOR: races past the step bound, whose reversal was not explored.</summary>
    public long RacesBeyondStepBound { get; set; }

    /// <summary>Stateful DPOR: options added at a cut, for the races the skipped subtree would have exposed.</summary>
    public long ReversalsAtCachedStates { get; set; }

    /// <summary>DPOR: options never explored because they were proved redundant.</summary>
    public long Pruned { get; set; }

    /// <summary>dfs/dpor: options left out by the preemption bound.</summary>
    public long CutByBound { get; set; }

    /// <summary>Messages delivered in all the schedules counted (the exploration's work, for its rate).</summary>
    public long Deliveries { get; set; }

    /// <summary>The distinct states seen at decision points (the machine, each actor's state, the pending messages).</summary>
    public HashSet<ulong> States { get; } = new();

    public HashSet<ulong> EndStates { get; } = new();

    public HashSet<ulong> Traces { get; } = new();

    public void Merge(Coverage other)
    {
        Schedules += other.Schedules;
        Violations += other.Violations;
        Incomplete += other.Incomplete;
        TimedOut += other.TimedOut;
        CutByCache += other.CutByCache;
        ChoicePoints += other.ChoicePoints;
        BeyondStepBound += other.BeyondStepBound;
        RacesBeyondStepBound += other.RacesBeyondStepBound;
        ReversalsAtCachedStates += other.ReversalsAtCachedStates;
        Pruned += other.Pruned;
        CutByBound += other.CutByBound;
        Deliveries += other.Deliveries;
        States.UnionWith(other.States);
        EndStates.UnionWith(other.EndStates);
        Traces.UnionWith(other.Traces);
    }

    internal void Count(ScheduleOutcome o)
    {
        Schedules++;
        Deliveries += o.Delivered;
        switch (o.Status)
        {
            case ScheduleStatus.Violation:
                Violations++;
                break;
            case ScheduleStatus.Incomplete:
                Incomplete++;
                break;
            case ScheduleStatus.Cut:
                CutByCache++;
                return;
            case ScheduleStatus.TimedOut:
                TimedOut++;

                // Stopped wherever the clock caught it: neither its trace nor its state is an end.
                return;
        }

        Traces.Add(o.TraceHash);
        EndStates.Add(o.StateHash);
    }
}
