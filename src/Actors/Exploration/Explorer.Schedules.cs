using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Model;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Workload;

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
}

/// <summary>One schedule run by number: what an exploration needs to count it, merge it and, if it found something, report it.</summary>
public sealed record ScheduleOutcome(int Index, ScheduleStatus Status, ulong TraceHash, ulong StateHash)
{
    /// <summary>"kind|call chain": violations with the same key are the same finding.</summary>
    public string? ViolationKey { get; init; }

    /// <summary>Why the host failed (<see cref="ScheduleStatus.HostFailure"/>).</summary>
    public string? Failure { get; init; }

    internal List<RecordedDelivery> Deliveries { get; init; } = [];

    internal List<int> Cpus { get; init; } = [];

    internal RunStop? Stop { get; init; }
}

public sealed partial class Explorer
{
    /// <summary>
    /// Opens the machinery of an exploration — one set of actors, the machine booted once — to run
    /// schedules by number, in any order, one at a time: a cluster node's share of an exploration.
    /// </summary>
    public ScheduleRunner OpenRunner(RunSpec spec, ExploreOptions options)
    {
        if (session is not null)
        {
            throw new InvalidOperationException("this explorer already has an exploration open");
        }

        var boot = Simulation.SnapshotAfterBoot(spec.Machine);
        boot.Machine.Validate(spec.Workload);
        session = host.OpenSession(spec.Machine.Cpus, spec.Machine.Xen);
        return new ScheduleRunner(this, spec, options, boot);
    }

    internal ScheduleOutcome RunNumbered(RunSpec spec, BootSnapshot boot, ExplorationStrategy strategy, int index, long maxSteps)
    {
        strategy.BeginSchedule(index);
        var result = RunSchedule(spec, boot, strategy, null, maxSteps).Result;
        var violation = result.Outcome is Outcome.Violation or Outcome.Panic or Outcome.Rejected;
        strategy.EndSchedule(violation);
        var status = violation ? ScheduleStatus.Violation
            : result.Outcome != Outcome.Failed ? ScheduleStatus.Ok
            : result.Stop?.Fatal.Kind == ErrorKind.Timeout && result.Stop.CallChain == "conductor" ? ScheduleStatus.Incomplete
            : ScheduleStatus.HostFailure;
        return new ScheduleOutcome(index, status, Hash(strategy.Recorded), StateHash(result.Machine))
        {
            ViolationKey = violation ? $"{result.Stop!.Fatal.Kind}|{result.Stop.CallChain}" : null,
            Failure = status == ScheduleStatus.HostFailure ? $"schedule {index} failed in the host: {result.Stop?.Fatal.Message}" : null,
            Deliveries = violation ? strategy.Recorded.ToList() : [],
            Cpus = violation ? strategy.CpuOfStep.ToList() : [],
            Stop = result.Stop,
        };
    }

    internal FoundViolation Explain(RunSpec spec, BootSnapshot boot, ExploreOptions options, string strategyName, ScheduleOutcome found) =>
        Report(spec, boot, options with { ReplayOut = null }, strategyName, found.Index, found.Deliveries.ToList(), found.Cpus.ToList(),
            SkeletonStrategy.RunsOf(found.Cpus), found.Cpus.ToList(), found.Stop!);

    internal void CloseRunner() => session?.Dispose();

    internal void ForgetRunner() => session = null;
}

/// <summary>An open exploration whose schedules are run by number (<see cref="Explorer.OpenRunner"/>).</summary>
public sealed class ScheduleRunner : IDisposable
{
    private readonly Explorer explorer;
    private readonly RunSpec spec;
    private readonly ExploreOptions options;
    private readonly BootSnapshot boot;

    internal ScheduleRunner(Explorer explorer, RunSpec spec, ExploreOptions options, BootSnapshot boot)
    {
        this.explorer = explorer;
        this.spec = spec;
        this.options = options;
        this.boot = boot;
    }

    /// <summary>The boot's stop when the machine did not boot (then no schedule can run).</summary>
    public RunStop? BootStop => boot.Stop;

    /// <summary>Runs schedule <paramref name="index"/> of <paramref name="strategy"/> (random and pct: a pure function of the seed and the index).</summary>
    public ScheduleOutcome Run(ExplorationStrategy strategy, int index) => explorer.RunNumbered(spec, boot, strategy, index, options.MaxSteps);

    /// <summary>Shrinks (when the options say so) and explains a violation found by <see cref="Run"/>; writes no file.</summary>
    public FoundViolation Explain(ScheduleOutcome found, string strategyName) =>
        found.Status == ScheduleStatus.Violation
            ? explorer.Explain(spec, boot, options, strategyName, found)
            : throw new ArgumentException($"schedule {found.Index} found no violation", nameof(found));

    public void Dispose()
    {
        explorer.CloseRunner();
        explorer.ForgetRunner();
    }
}
