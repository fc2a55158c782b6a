using System.Diagnostics;
using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Model;
using BootActors.Model.Files;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Workload;

namespace BootActors.Actors.Exploration;

/// <summary>How to explore.</summary>
/// <remarks>Not sealed: BootActors.TestKit's <c>ExploreOptions</c> derives from it, so a race test names it from the kit's namespace alone.</remarks>
public record ExploreOptions
{
    /// <summary>random | pct | dfs | dpor.</summary>
    public string Strategy { get; init; } = "random";

    /// <summary>Schedules to try at most (exhaustive strategies also stop when they have tried everything).</summary>
    public int Iterations { get; init; } = 1000;

    public long Seed { get; init; }

    /// <summary>Deliveries per schedule: the conductor's bound, and (dfs/dpor) how deep choices are made.</summary>
    public int MaxSteps { get; init; } = 200_000;

    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Keep going after the first violation and collect the distinct ones.</summary>
    public bool All { get; init; }

    /// <summary>PCT's bug depth d.</summary>
    public int PctDepth { get; init; } = 3;

    /// <summary>PCT's k, the schedule length its change points are drawn from (null: the length of the non-preemptive schedule).</summary>
    public int? PctLength { get; init; }

    /// <summary>dfs/dpor: at most this many preemptions per schedule (null: unbounded).</summary>
    public int? MaxPreemptions { get; init; }

    /// <summary>Choose among deliveries (null: the default) or among CPUs (coarser: one CPU's concurrent messages go oldest first).</summary>
    public ChoiceMode? Choice { get; init; }

    /// <summary>dfs/dpor: skip a state explored before (one process; see docs/exploration-api.md).</summary>
    public bool StateCache { get; init; } = true;

    public bool Shrink { get; init; } = true;

    /// <summary>Where to write replay files (and the trace of each found schedule); null: nowhere.</summary>
    public string? ReplayOut { get; init; }

    /// <summary>Called after every schedule (progress display).</summary>
    public Action<ExploreProgress>? OnProgress { get; init; }

    /// <summary>Wall-clock bound of each schedule (null: the host's run timeout); the time limit shortens the last one.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Checked between schedules: a cancelled exploration ends with what it has, marked <see cref="ExplorationResult.Interrupted"/>.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// random/pct: run schedules on this many engines at once, each with its own boot of the machine,
    /// actors and model thread (one process; a cluster's nodes take one each). The result is the one a
    /// single engine gives: outcomes are taken in schedule order. dfs/dpor run on one (more is refused).
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>Tests: random/pct ask the conductor for every forced delivery instead of being told of it.</summary>
    internal bool AskForced { get; init; }
}

public sealed record ExploreProgress(int Schedules, int Violations, TimeSpan Elapsed, int Iterations);

/// <summary>A violation found, shrunk and explained.</summary>
public sealed record FoundViolation(
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
    ReplayFile Replay,
    string? ReplayPath,
    string? TracePath);

/// <summary>A boot that failed before any schedule could run: what the boot gave.</summary>
public sealed record BootFailure(string Outcome, RunStop Stop);

/// <summary>The outcome of an exploration.</summary>
public sealed record ExplorationResult
{
    public required string Strategy { get; init; }

    public required IReadOnlyList<FoundViolation> Violations { get; init; }

    public bool Found => Violations.Count > 0;

    /// <summary>Set when the machine did not boot: no schedule ran, and nothing was found.</summary>
    public BootFailure? Boot { get; init; }

    public ChoiceMode Choice { get; init; }

    public int Schedules { get; init; }

    public int DistinctTraces { get; init; }

    /// <summary>Distinct states at decision points (the machine, each actor's own state, the pending messages).</summary>
    public int DistinctStates { get; init; }

    /// <summary>Distinct machines at the end of a schedule.</summary>
    public int DistinctEndStates { get; init; }

    /// <summary>Decision points: dfs/dpor the distinct points of the search tree; random/pct every step with two or more choices open.</summary>
    public long ChoicePoints { get; init; }

    /// <summary>Messages delivered in all the schedules run (not shrinking's or the report's replays); in one process only (a cluster's result leaves it 0).</summary>
    public long Deliveries { get; init; }

    /// <summary>Schedules cut off by the step bound before they finished.</summary>
    public int Incomplete { get; init; }

    /// <summary>Steps past the step bound where a choice was open (not explored).</summary>
    public long BeyondStepBound { get; init; }

    /// <summary>Schedules cut off by the per-schedule timeout before they finished.</summary>
    public int TimedOut { get; init; }

    /// <summary>Every schedule run was cut by a bound, so none says anything about the interleavings.</summary>
    public bool AllCut => Schedules > 0 && Incomplete + TimedOut >= Schedules && !Found;

    /// <summary>The exploration stopped at its time limit (the schedule running then is not counted).</summary>
    public bool TimeLimitReached { get; init; }

    /// <summary>The exploration was cancelled (Ctrl-C) between schedules.</summary>
    public bool Interrupted { get; init; }

    /// <summary>The boot itself was cut by the timeout: no schedule ran.</summary>
    public RunStop? BootCut { get; init; }

    /// <summary>dfs/dpor: the search space within the bounds was covered.</summary>
    public bool Exhausted { get; init; }

    /// <summary>dpor: alternatives never tried because they were proved redundant.</summary>
    public long Pruned { get; init; }

    /// <summary>dfs/dpor: alternatives left out by the preemption bound.</summary>
    public long CutByBound { get; init; }

    /// <summary>dfs/dpor: schedules ended early at a state explored before.</summary>
    public long CutByCache { get; init; }

    /// <summary>dfs/dpor: whether the state cache was on.</summary>
    public bool StateCache { get; init; }

    /// <summary>pct's k.</summary>
    public int PctLength { get; init; }

    public double Seconds { get; init; }

    public double SchedulesPerSecond => Seconds > 0 ? Schedules / Seconds : 0;

    /// <summary>A problem of the exploration itself (a schedule failed in the host, not in the kernel).</summary>
    public string? Error { get; init; }
}

/// <summary>
/// The single-process exploration (Coyote's TestingEngine in shape): opens an
/// <see cref="ExplorationEngine"/> (boot once, one set of actors), runs schedules — by number for
/// random and pct, as the root work unit for dfs and dpor — and shrinks, explains and writes a replay
/// file for each distinct violation.
/// </summary>
public sealed class Explorer
{
    private readonly ActorHost host;

    public Explorer(ActorHost host) => this.host = host;

    public ExplorationResult Explore(RunSpec spec, ExploreOptions options)
    {
        var sw = Stopwatch.StartNew();
        using var engine = ExplorationEngine.Open(host, spec, options);
        if (engine.BootCut is { } cut)
        {
            return new ExplorationResult
            {
                Strategy = options.Strategy,
                Violations = [],
                BootCut = cut,
                Choice = engine.Mode,
                Seconds = sw.Elapsed.TotalSeconds,
            };
        }

        if (engine.BootStop is { } bootStop)
        {
            return new ExplorationResult
            {
                Strategy = options.Strategy,
                Violations = [],
                Boot = new BootFailure(bootStop.Fatal.Kind.Outcome().JsonName(), bootStop),
                Choice = engine.Mode,
                Seconds = sw.Elapsed.TotalSeconds,
            };
        }

        var coverage = new Coverage();
        var found = new Dictionary<string, Finding>();
        var order = new List<string>();

        // Each distinct violation is explained (and its replay file written) when first found, so an
        // interrupted exploration keeps it; a later, smaller representative is explained again at the end.
        var explained = new Dictionary<string, (Finding Of, FoundViolation Report)>();
        string? error = null;
        var schedules = 0;
        var timedOut = 0;
        var timeLimitReached = false;
        UnitRun? unit = null;
        if (engine.StrategyName is "dfs" or "dpor")
        {
            unit = engine.OpenUnit(WorkUnit.Root, options.StateCache ? new StateCache() : null);
        }

        // The explorer's own engine stays free for explaining what the workers find.
        using var pool = unit is null && options.Workers > 1 ? new NumberedPool(host, spec, options, () => Until(options, sw.Elapsed)) : null;

        while (schedules < options.Iterations && (unit?.HasNext ?? true) && !options.Cancellation.IsCancellationRequested)
        {
            if (options.TimeLimit is { } limit && sw.Elapsed >= limit)
            {
                timeLimitReached = true;
                break;
            }

            engine.RunTimeout = Until(options, sw.Elapsed);
            var outcome = unit is not null ? unit.Next() : pool is not null ? pool.Take(schedules, coverage)
                : engine.RunNumbered(schedules, coverage, thenUpTo: options.Iterations);
            if (outcome.Status == ScheduleStatus.TimedOut && options.TimeLimit is { } end && sw.Elapsed >= end)
            {
                // Cut by the time limit, not by anything of its own: not counted, not an error.
                timeLimitReached = true;
                break;
            }

            schedules++;
            timedOut += outcome.Status == ScheduleStatus.TimedOut ? 1 : 0;
            options.OnProgress?.Invoke(new ExploreProgress(schedules, found.Count, sw.Elapsed, options.Iterations));
            if (outcome.Status == ScheduleStatus.HostFailure)
            {
                error = outcome.Failure;
                break;
            }

            if (outcome.Finding is not { } f)
            {
                continue;
            }

            if (!found.TryGetValue(f.Key, out var known))
            {
                found[f.Key] = f with { Index = schedules - 1 };
                order.Add(f.Key);
                explained[f.Key] = (found[f.Key], engine.Explain(found[f.Key], schedules - 1, options.ReplayOut));
            }
            else if (Finding.Compare(f, known) < 0)
            {
                found[f.Key] = f with { Index = schedules - 1 };
            }

            if (!options.All)
            {
                break;
            }
        }

        if (unit is not null)
        {
            coverage.Merge(unit.Coverage);
        }

        var violations = order.Select(k => ReferenceEquals(explained[k].Of, found[k])
            ? explained[k].Report
            : engine.Explain(found[k], found[k].Index, options.ReplayOut)).ToList();
        return new ExplorationResult
        {
            Strategy = engine.StrategyName,
            Violations = violations,
            Choice = engine.Mode,
            Schedules = schedules,
            DistinctTraces = coverage.Traces.Count,
            DistinctStates = coverage.States.Count,
            DistinctEndStates = coverage.EndStates.Count,
            ChoicePoints = coverage.ChoicePoints,
            Deliveries = coverage.Deliveries,
            Incomplete = (int)coverage.Incomplete,
            BeyondStepBound = coverage.BeyondStepBound,
            Exhausted = unit is { HasNext: false } && error is null && timedOut == 0,
            Pruned = coverage.Pruned,
            CutByBound = coverage.CutByBound,
            CutByCache = coverage.CutByCache,
            StateCache = unit is not null && options.StateCache,
            PctLength = engine.PctLength,
            Seconds = sw.Elapsed.TotalSeconds,
            Error = error,
            TimedOut = timedOut,
            TimeLimitReached = timeLimitReached,
            Interrupted = options.Cancellation.IsCancellationRequested && error is null && !(found.Count > 0 && !options.All),
        };
    }

    /// <summary>The bound of the next run: the schedule timeout, shortened to what is left of the time limit.</summary>
    private TimeSpan Until(ExploreOptions options, TimeSpan elapsed)
    {
        var timeout = options.Timeout ?? host.Settings.RunTimeout;
        return options.TimeLimit is { } limit && limit - elapsed < timeout ? limit - elapsed > TimeSpan.FromMilliseconds(1) ? limit - elapsed : TimeSpan.FromMilliseconds(1) : timeout;
    }

    /// <summary>Replays a replay file: the same deliveries in the same order, traced if asked. Throws <see cref="FormatException"/> when it does not fit its run.</summary>
    public ReplayOutcome Replay(ReplayFile file, ITraceSink? trace = null, TimeSpan? timeout = null, long? maxDeliveries = null)
    {
        var boot = Simulation.SnapshotAfterBoot(file.Spec.Machine, timeout ?? host.Settings.RunTimeout);
        var topology = new Topology(Math.Max(1, file.Spec.Machine.Cpus), file.Spec.Machine.Xen);
        var list = new ListTraceSink(trace);
        using var actors = host.OpenSession(file.Spec.Machine.Cpus, file.Spec.Machine.Xen);
        var run = actors.Run(file.Spec.Machine, file.Spec.Workload, host.DefaultOptions() with
        {
            Strategy = new FollowTraceStrategy(file.Deliveries, topology.Names),
            AfterBoot = boot,
            Trace = list,
            Timeout = timeout ?? host.Settings.RunTimeout,
            MaxSteps = maxDeliveries ?? host.Settings.ConductorMaxSteps,
        });
        if (run.Result.Stop is { Fatal.Kind: ErrorKind.ActorFailed } failed && failed.Fatal.Message.Contains("not of this run", StringComparison.Ordinal))
        {
            var why = failed.Fatal.Message;
            const string marker = nameof(ScheduleDivergedException) + ": ";
            var at = why.IndexOf(marker, StringComparison.Ordinal);
            throw new FormatException($"the replay file does not match its run: {(at >= 0 ? why[(at + marker.Length)..] : why)}");
        }

        var got = run.Result.Stop?.Fatal.Kind.JsonName() ?? "none";
        var narrative = run.Result.Stop is { } s ? ViolationNarrative.Explain(s, list.Records, topology) : [];
        return new ReplayOutcome(run, got == file.Kind, got, narrative);
    }

    /// <summary>The trace header of a replayed schedule (the same for the explorer's trace and every replay, so the bytes match).</summary>
    public static TraceHeader HeaderFor(RunSpec spec, string strategy, long seed) =>
        new(spec.Name, "controlled", seed, strategy, new Topology(Math.Max(1, spec.Machine.Cpus), spec.Machine.Xen).Names)
        {
            Spec = spec,
            Start = "after-boot",
        };

    /// <summary>--replay-out's folder, made if missing; a file in its way is the user's to move.</summary>
    public static void CreateReplayDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new OutputFileException(dir, FileStatus.Of(dir).Kind == FileKind.Regular
                ? "it is a file, and replay files go into a directory of that name"
                : InputFile.Reason(ex, dir), ex);
        }
    }

    /// <summary>The file name (without extension) of a found violation's replay and trace files.</summary>
    public static string ReplayStem(RunSpec spec, string strategy, long seed, string kind) => $"{Safe(spec.Name)}-{strategy}-seed{seed}-{Safe(kind)}";

    private static string Safe(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}

/// <summary>What a replay gave.</summary>
public sealed record ReplayOutcome(ActorRunResult Run, bool Reproduced, string Got, IReadOnlyList<string> Narrative);
