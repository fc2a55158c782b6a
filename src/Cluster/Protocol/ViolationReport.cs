using BootActors.Actors.Conductor;
using BootActors.Actors.Exploration;
using BootActors.Model.Workload;

namespace BootActors.Cluster.Protocol;

/// <summary>
/// A violation as shrunk and explained where it was found: everything of its replay file except the
/// run spec, which the coordinator has (and checked every worker against).
/// </summary>
public sealed record ViolationReport(
    string Kind,
    string Message,
    int Cpu,
    string CallChain,
    int Schedule,
    int Steps,
    int ShrunkSteps,
    int ContextSwitches,
    int ShrunkContextSwitches,
    IReadOnlyList<string> Narrative,
    IReadOnlyList<RecordedDelivery> Deliveries)
{
    public static ViolationReport From(FoundViolation v) =>
        new(v.Kind, v.Message, v.Cpu, v.CallChain, v.Schedule, v.Steps, v.ShrunkSteps, v.ContextSwitches, v.ShrunkContextSwitches,
            v.Narrative.ToList(), v.Replay.Deliveries.ToList());

    /// <summary>The replay file this report stands for, under the coordinator's spec and options.</summary>
    public ReplayFile ToReplay(RunSpec spec, string strategy, long seed) => new()
    {
        Spec = spec,
        Strategy = strategy,
        Seed = seed,
        Schedule = Schedule,
        Deliveries = Deliveries,
        Kind = Kind,
        Message = Message,
        Steps = Steps,
        ShrunkSteps = ShrunkSteps,
        ContextSwitches = ContextSwitches,
        ShrunkContextSwitches = ShrunkContextSwitches,
        Narrative = Narrative,
    };
}
