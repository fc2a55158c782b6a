using BootActors.Actors.Exploration;

namespace BootActors.Cluster.Protocol;

/// <summary>
/// What the coordinator explores, as a worker needs it: the scenario as the user named it (the worker
/// resolves it from its own scenario files and must arrive at the same spec hash) and every option
/// that decides which schedules exist and what is done with a finding.
/// </summary>
public sealed record ExplorationTerms(
    string Scenario,
    IReadOnlyList<string> Sets,
    string SpecHash,
    string Strategy,
    int Iterations,
    long Seed,
    int MaxSteps,
    bool All,
    int PctDepth,
    int? MaxPreemptions,
    bool Shrink)
{
    /// <summary>--choice (null: the default, deliveries).</summary>
    public ChoiceMode? Choice { get; init; }

    /// <summary>--pct-length (null: the non-preemptive schedule's length, which every node computes alike).</summary>
    public int? PctLength { get; init; }

    /// <summary>--timeout, each schedule's wall-clock bound (null: the host's run timeout).</summary>
    public TimeSpan? Timeout { get; init; }

    public static ExplorationTerms From(string scenario, IReadOnlyList<string> sets, string specHash, ExploreOptions o) =>
        new(scenario, sets, specHash, o.Strategy, o.Iterations, o.Seed, o.MaxSteps, o.All, o.PctDepth, o.MaxPreemptions, o.Shrink)
        {
            Choice = o.Choice,
            PctLength = o.PctLength,
            Timeout = o.Timeout,
        };

    /// <summary>The options a node explores its share with (it writes no files: the coordinator does).</summary>
    public ExploreOptions ToOptions() => new()
    {
        Strategy = Strategy,
        Iterations = Iterations,
        Seed = Seed,
        MaxSteps = MaxSteps,
        All = All,
        PctDepth = PctDepth,
        MaxPreemptions = MaxPreemptions,
        Shrink = Shrink,
        Choice = Choice,
        PctLength = PctLength,
        Timeout = Timeout,
        StateCache = false,
        ReplayOut = null,
    };
}
