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
    public int MaxSteps { get; init; } = 20_000;

    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Keep going after the first violation and collect the distinct ones.</summary>
    public bool All { get; init; }

    /// <summary>PCT's bug depth d.</summary>
    public int PctDepth { get; init; } = 3;

    /// <summary>dfs/dpor: at most this many preemptions per schedule (null: unbounded).</summary>
    public int? MaxPreemptions { get; init; }

    public bool Shrink { get; init; } = true;

    /// <summary>Where to write replay files (and the trace of each found schedule); null: nowhere.</summary>
    public string? ReplayOut { get; init; }

    /// <summary>Called after every schedule (progress display).</summary>
    public Action<ExploreProgress>? OnProgress { get; init; }

    /// <summary>Wall-clock bound of each schedule (null: the host's run timeout); the time limit shortens the last one.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Checked between schedules: a cancelled exploration ends with what it has, marked <see cref="ExplorationResult.Interrupted"/>.</summary>
    public CancellationToken Cancellation { get; init; }
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

/// <summary>The outcome of an exploration.</summary>
public sealed record ExplorationResult
{
    public required string Strategy { get; init; }

    public required IReadOnlyList<FoundViolation> Violations { get; init; }

    public bool Found => Violations.Count > 0;

    public int Schedules { get; init; }

    public int DistinctTraces { get; init; }

    public int DistinctStates { get; init; }

    /// <summary>Schedules cut off by the step bound before they finished.</summary>
    public int Incomplete { get; init; }

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

    public double Seconds { get; init; }

    public double SchedulesPerSecond => Seconds > 0 ? Schedules / Seconds : 0;

    /// <summary>A problem of the exploration itself (a schedule failed in the host, not in the kernel).</summary>
    public string? Error { get; init; }
}

/// <summary>
/// The exploration engine (Coyote's TestingEngine in shape): boots the machine once, then runs
/// schedule after schedule from copies of the booted machine on one ActorSystem, each ordered by the
/// chosen strategy; on a violation it shrinks the schedule, writes a replay file and explains it.
/// </summary>
public sealed class Explorer
{
    private readonly ActorHost host;
    private ActorSession? session;

    public Explorer(ActorHost host) => this.host = host;

    /// <summary>The reused actors of the exploration in progress (one set for every schedule).</summary>
    private ActorSession Session => session ?? throw new InvalidOperationException("no exploration in progress");

    public static ExplorationStrategy CreateStrategy(ExploreOptions o) => o.Strategy switch
    {
        "random" => new RandomWalkStrategy(o.Seed),
        "pct" => new PctStrategy(o.Seed, o.PctDepth),
        "dfs" => new DfsStrategy(o.MaxSteps, o.MaxPreemptions),
        "dpor" => new DporStrategy(o.MaxSteps, o.MaxPreemptions),
        _ => throw new ArgumentException($"unknown strategy '{o.Strategy}' (expected random, pct, dfs or dpor)"),
    };

    public ExplorationResult Explore(RunSpec spec, ExploreOptions options)
    {
        session = host.OpenSession(spec.Machine.Cpus, spec.Machine.Xen);
        try
        {
            return ExploreOn(spec, options);
        }
        finally
        {
            session.Dispose();
            session = null;
        }
    }

    /// <summary>
    /// Fresh actors after a schedule the clock cut: a delivery was still being handled when the run
    /// ended, and its reply must not reach the next schedule.
    /// </summary>
    private void RenewSession(RunSpec spec)
    {
        Session.Dispose();
        session = host.OpenSession(spec.Machine.Cpus, spec.Machine.Xen);
    }

    private ExplorationResult ExploreOn(RunSpec spec, ExploreOptions options)
    {
        var sw = Stopwatch.StartNew();
        var strategy = CreateStrategy(options);
        // The boot is not a schedule: it gets at least the host's run timeout, within the time limit.
        var bootLimit = options.Timeout is { } t && t > host.Settings.RunTimeout ? t : host.Settings.RunTimeout;
        var boot = Simulation.SnapshotAfterBoot(spec.Machine, options.TimeLimit is { } l && l < bootLimit ? l : bootLimit);
        boot.Machine.Validate(spec.Workload);
        var found = new List<FoundViolation>();
        var seenKinds = new HashSet<string>();
        var traces = new HashSet<ulong>();
        var states = new HashSet<ulong>();
        var schedules = 0;
        var incomplete = 0;
        var timedOut = 0;
        var timeLimitReached = false;
        string? error = null;

        if (RunLimits.Of(boot.Stop) != RunLimit.None)
        {
            return Result(strategy, found, 0, 0, 0, 0, sw.Elapsed, null) with { BootCut = boot.Stop };
        }

        if (boot.Stop is { } bootStop)
        {
            found.Add(Report(spec, boot, options, strategy.Name, 0, [], [], [], [], bootStop));
            return Result(strategy, found, 0, 0, 0, 0, sw.Elapsed, null);
        }

        while (schedules < options.Iterations && strategy.HasNext && !options.Cancellation.IsCancellationRequested)
        {
            if (options.TimeLimit is { } limit && sw.Elapsed >= limit)
            {
                timeLimitReached = true;
                break;
            }

            strategy.BeginSchedule(schedules);
            var run = RunSchedule(spec, boot, strategy, null, options.MaxSteps, Until(options, sw.Elapsed));
            var result = run.Result;
            if (RunLimits.Of(result.Stop) == RunLimit.Timeout)
            {
                RenewSession(spec);
            }

            if (RunLimits.Of(result.Stop) == RunLimit.Timeout && options.TimeLimit is { } end && sw.Elapsed >= end)
            {
                // Cut by the time limit, not by anything of its own: not counted, not an error.
                timeLimitReached = true;
                break;
            }

            var violation = result.Outcome is Outcome.Violation or Outcome.Panic or Outcome.Rejected;
            strategy.EndSchedule(violation);
            schedules++;
            traces.Add(Hash(strategy.Recorded));
            states.Add(StateHash(result.Machine));
            options.OnProgress?.Invoke(new ExploreProgress(schedules, found.Count, sw.Elapsed, options.Iterations));

            if (result.Outcome == Outcome.Failed)
            {
                switch (RunLimits.Of(result.Stop))
                {
                    case RunLimit.Deliveries:
                        incomplete++;
                        continue;
                    case RunLimit.Timeout:
                        timedOut++;
                        continue;
                }

                error = $"schedule {schedules - 1} failed in the host: {result.Stop?.Fatal.Message}";
                break;
            }

            if (!violation)
            {
                continue;
            }

            var stop = result.Stop!;
            var key = $"{stop.Fatal.Kind}|{stop.CallChain}";
            if (seenKinds.Add(key))
            {
                found.Add(Report(spec, boot, options, strategy.Name, schedules - 1, strategy.Recorded.ToList(), strategy.CpuOfStep.ToList(),
                    SkeletonStrategy.RunsOf(strategy.CpuOfStep), strategy.CpuOfStep.ToList(), stop));
            }

            if (!options.All)
            {
                break;
            }
        }

        return Result(strategy, found, schedules, traces.Count, states.Count, incomplete, sw.Elapsed, error) with
        {
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

    private ActorRunResult RunSchedule(RunSpec spec, BootSnapshot boot, IScheduleStrategy strategy, ITraceSink? trace, long maxSteps, TimeSpan? timeout = null) =>
        Session.Run(spec.Machine, spec.Workload, host.DefaultOptions() with
        {
            Strategy = strategy,
            AfterBoot = boot,
            MaxSteps = maxSteps,
            Trace = trace,
            Timeout = timeout ?? host.Settings.RunTimeout,
        });

    private FoundViolation Report(RunSpec spec, BootSnapshot boot, ExploreOptions options, string strategyName, int schedule,
        List<RecordedDelivery> deliveries, List<int> cpus, List<(int Cpu, int Count)> runs, List<int> originalCpus, RunStop stop)
    {
        var steps = deliveries.Count;
        var switches = ExplorationStrategy.ContextSwitches(originalCpus);
        if (options.Shrink && runs.Count > 0)
        {
            (deliveries, cpus, stop) = new Shrinker(this, spec, boot, stop.Fatal.Kind, options.MaxSteps).Shrink(runs, deliveries, cpus, stop);
        }

        var topology = new Topology(Math.Max(1, spec.Machine.Cpus), spec.Machine.Xen);
        string? replayPath = null, tracePath = null;
        OutputFile? traceFile = null;
        IReadOnlyList<string> narrative;
        try
        {
            JsonlTraceSink? file = null;
            if (options.ReplayOut is { } dir)
            {
                CreateReplayDirectory(dir);
                var stem = Path.Combine(dir, $"{Safe(spec.Name)}-{strategyName}-seed{options.Seed}-{Safe(stop.Fatal.Kind.JsonName())}");
                replayPath = stem + ".replay.json";
                tracePath = stem + ".trace.jsonl";
                traceFile = OutputFile.Create(tracePath);
                file = new JsonlTraceSink(traceFile.Stream, HeaderFor(spec, strategyName, options.Seed), ownsStream: false);
            }

            try
            {
                // The schedule once more, exactly as a replay will run it, for the trace and the story.
                var list = new ListTraceSink(file);
                var final = Session.Run(spec.Machine, spec.Workload, host.DefaultOptions() with
                {
                    Strategy = new FollowTraceStrategy(deliveries, topology.Names),
                    AfterBoot = boot,
                    Trace = list,
                    Timeout = options.Timeout ?? host.Settings.RunTimeout,
                });
                stop = final.Result.Stop ?? stop;
                narrative = ViolationNarrative.Explain(stop, list.Records, topology);
            }
            finally
            {
                file?.Dispose();
            }

            if (file?.WriteError is { } writeError)
            {
                throw traceFile!.Failed(writeError);
            }

            traceFile?.Commit();
        }
        finally
        {
            // Without the commit above, the temporary file goes and an older trace stays as it was.
            traceFile?.Dispose();
        }

        var replay = new ReplayFile
        {
            Spec = spec,
            Strategy = strategyName,
            Seed = options.Seed,
            Schedule = schedule,
            Deliveries = deliveries,
            Kind = stop.Fatal.Kind.JsonName(),
            Message = stop.Fatal.Message,
            Steps = steps,
            ShrunkSteps = deliveries.Count,
            ContextSwitches = switches,
            ShrunkContextSwitches = ExplorationStrategy.ContextSwitches(cpus),
            Narrative = narrative,
        };
        if (replayPath is not null)
        {
            OutputFile.WriteAllText(replayPath, replay.ToJson());
        }

        return new FoundViolation(replay.Kind, replay.Message, stop.Cpu, stop.CallChain, schedule, steps, deliveries.Count, switches,
            replay.ShrunkContextSwitches, narrative, replay, replayPath, tracePath);
    }

    internal (bool Same, List<RecordedDelivery> Deliveries, List<int> Cpus, RunStop? Stop) TrySkeleton(
        RunSpec spec, BootSnapshot boot, IReadOnlyList<(int Cpu, int Count)> runs, ErrorKind kind, long maxSteps)
    {
        var s = new SkeletonStrategy(runs);
        s.BeginSchedule(0);
        var r = RunSchedule(spec, boot, s, null, maxSteps);
        var stop = r.Result.Stop;
        return (stop?.Fatal.Kind == kind, s.Recorded.ToList(), s.CpuOfStep.ToList(), stop);
    }

    private static ExplorationResult Result(ExplorationStrategy s, List<FoundViolation> found, int schedules, int traces, int states, int incomplete, TimeSpan elapsed, string? error) =>
        new()
        {
            Strategy = s.Name,
            Violations = found,
            Schedules = schedules,
            DistinctTraces = traces,
            DistinctStates = states,
            Incomplete = incomplete,
            Exhausted = s is DfsStrategy && !s.HasNext,
            Pruned = (s as DfsStrategy)?.Pruned ?? 0,
            CutByBound = (s as DfsStrategy)?.CutByBound ?? 0,
            Seconds = elapsed.TotalSeconds,
            Error = error,
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

    private static string Safe(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    private static ulong Hash(List<RecordedDelivery> deliveries)
    {
        var h = 14695981039346656037UL;
        foreach (var d in deliveries)
        {
            h = Fnv(h, d.From);
            h = Fnv(h, d.To);
            h = Fnv(h, d.Type);
        }

        return h;
    }

    private static ulong Fnv(ulong h, string s)
    {
        foreach (var c in s)
        {
            h = unchecked((h ^ c) * 1099511628211UL);
        }

        return unchecked((h ^ 0xff) * 1099511628211UL);
    }

    /// <summary>A hash of the final page tables and counters: distinct end states.</summary>
    private static ulong StateHash(Model.Machine.Machine m)
    {
        var h = 14695981039346656037UL;
        foreach (var page in m.Memory.TablePages.OrderBy(p => p.Pfn.Value))
        {
            h = unchecked((h ^ page.Pfn.Value) * 1099511628211UL);
            for (var i = 0; i < 512; i++)
            {
                h = unchecked((h ^ page[i]) * 1099511628211UL);
            }
        }

        foreach (var c in m.DirectPagesCount)
        {
            h = unchecked((h ^ c) * 1099511628211UL);
        }

        return h;
    }
}

/// <summary>What a replay gave.</summary>
public sealed record ReplayOutcome(ActorRunResult Run, bool Reproduced, string Got, IReadOnlyList<string> Narrative);
