using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
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

/// <summary>
/// The exploration engine of one (scenario, options): the machine booted once on the sequential
/// interpreter, one set of actors reused for every schedule, and the two ways to run schedules —
/// by number for random and pct (<see cref="RunNumbered"/>: schedule i is a function of the spec,
/// the options, the seed and i alone), by work unit for dfs and dpor (<see cref="OpenUnit"/>). The
/// single-process <see cref="Explorer"/> and a cluster node both explore through it.
/// See docs/exploration-api.md.
/// </summary>
public sealed class ExplorationEngine : IDisposable
{
    private readonly ActorHost host;
    private ActorSession session;

    /// <summary>
    /// How many numbered schedules may wait on the actors behind the one the caller asked for. The
    /// caller sleeps until about half of them have run too, so it is woken once per several
    /// schedules, not once each: each wake-up costs the waking model thread a futex call (and, in a
    /// VM, an interrupt to the sleeping vCPU).
    /// </summary>
    internal const int QueueDepth = 8;

    // random/pct: a strategy per schedule in flight (each with its probe and the coverage of its
    // schedule), so that schedules i + 1 … i + QueueDepth can be prepared and queued on the actors
    // while schedule i runs.
    private readonly Lane[]? lanes;
    private readonly Queue<Scheduled> ahead = new();

    private ExplorationEngine(ActorHost host, RunSpec spec, ExploreOptions options)
    {
        this.host = host;
        Spec = spec;
        Options = options;
        StrategyName = options.Strategy;
        if (StrategyName is not ("random" or "pct" or "dfs" or "dpor"))
        {
            throw new ArgumentException($"unknown strategy '{options.Strategy}' (expected random, pct, dfs or dpor)");
        }

        if (options.Workers < 1 || options.Workers > 1 && StrategyName is "dfs" or "dpor")
        {
            throw new ArgumentException(options.Workers < 1
                ? $"workers {options.Workers}: at least 1"
                : $"workers {options.Workers}: only random and pct run schedules on several engines; {StrategyName} runs on one");
        }

        Mode = options.Choice ?? ChoiceMode.Delivery;
        // The boot is not a schedule: it gets at least the host's run timeout, within the time limit.
        var bootLimit = options.Timeout is { } t && t > host.Settings.RunTimeout ? t : host.Settings.RunTimeout;
        Boot = Simulation.SnapshotAfterBoot(spec.Machine, options.TimeLimit is { } l && l < bootLimit ? l : bootLimit);
        Boot.Machine.Validate(spec.Workload);
        Topology = new Topology(Math.Max(1, spec.Machine.Cpus), spec.Machine.Xen);
        session = host.OpenSession(spec.Machine.Cpus, spec.Machine.Xen);
        if (Boot.Stop is null && StrategyName == "pct")
        {
            PctLength = options.PctLength ?? CalibrationLength();
        }

        if (StrategyName is "random" or "pct")
        {
            lanes = Enumerable.Range(0, QueueDepth + 1).Select(_ => new Lane(NumberedStrategy())).ToArray();
        }

        Fingerprint = FingerprintOf(spec, options, Mode, PctLength);
    }

    public RunSpec Spec { get; }

    /// <summary>random/pct: the forced deliveries the actors made and told the lanes' strategies of (tests).</summary>
    internal long ToldOfForced => lanes?.Sum(l => l.Strategy.ToldOfForced) ?? 0;

    public ExploreOptions Options { get; }

    public string StrategyName { get; }

    /// <summary>Whether choices are among deliveries (the default) or among CPUs.</summary>
    public ChoiceMode Mode { get; }

    /// <summary>The booted machine every schedule starts from a copy of.</summary>
    public BootSnapshot Boot { get; }

    /// <summary>Why the boot failed, when it did (in the kernel): then no schedule can run.</summary>
    public RunStop? BootStop => RunLimits.Of(Boot.Stop) == RunLimit.None ? Boot.Stop : null;

    /// <summary>The boot was cut by the clock (<see cref="ExploreOptions.Timeout"/>, the time limit, or the host's run timeout): no schedule can run.</summary>
    public RunStop? BootCut => RunLimits.Of(Boot.Stop) != RunLimit.None ? Boot.Stop : null;

    /// <summary>The wall-clock bound of the schedules run from now on (null: <see cref="ExploreOptions.Timeout"/>, else the host's run timeout); not part of what a schedule is.</summary>
    public TimeSpan? RunTimeout { get; set; }

    public Topology Topology { get; }

    /// <summary>pct's k: the schedule length its change points are drawn from (given, or the non-preemptive schedule's length).</summary>
    public int PctLength { get; }

    /// <summary>
    /// A hash of everything that decides which schedules this engine runs: the resolved spec, the
    /// strategy and its options, and this build of BootActors. Two engines with the same fingerprint
    /// run the same schedule i and the same units.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>Opens the engine: boots the machine (a boot that fails leaves <see cref="BootStop"/> set) and the actors.</summary>
    public static ExplorationEngine Open(ActorHost host, RunSpec spec, ExploreOptions options) => new(host, spec, options);

    /// <summary>
    /// Runs random/pct schedule <paramref name="index"/>; <paramref name="coverage"/> counts what it
    /// covered. <paramref name="thenUpTo"/>: the caller will ask next for index + 1, index + 2, …,
    /// below <paramref name="thenUpTo"/>, in order; up to <see cref="QueueDepth"/> of them are queued
    /// behind this one on the actors before it is waited for (those the caller does not ask for are
    /// dropped unseen). Schedule i is a function of i alone, so when it ran does not show.
    /// </summary>
    public ScheduleOutcome RunNumbered(int index, Coverage? coverage = null, int thenUpTo = 0)
    {
        if (lanes is null)
        {
            throw new InvalidOperationException($"{StrategyName} explores by work units, not by schedule number");
        }

        Scheduled current;
        if (ahead.TryPeek(out var a) && a.Index == index)
        {
            current = ahead.Dequeue();
        }
        else
        {
            // Not the one queued (the caller skipped on): those are dropped once they have run.
            Settle();
            ahead.Clear();
            current = Schedule(index);
        }

        for (var next = index + 1 + ahead.Count; ahead.Count < QueueDepth && next < thenUpTo; next++)
        {
            ahead.Enqueue(Schedule(next));
        }

        SleepThroughHalfTheQueue(current);
        var run = Finish(current);
        var lane = current.Lane!;
        coverage?.Merge(lane.Coverage);
        var outcome = Outcome(index, run, lane.Strategy, []);
        coverage?.Count(outcome);
        return outcome;
    }

    private ExplorationStrategy NumberedStrategy()
    {
        ExplorationStrategy s = StrategyName == "random"
            ? new RandomWalkStrategy(Options.Seed, Mode)
            : new PctStrategy(Options.Seed, Options.PctDepth, PctLength, Mode);
        s.Probe = new StateProbe();
        s.AskForced = Options.AskForced;
        return s;
    }

    /// <summary>Begins numbered schedule <paramref name="index"/> on its lane (queued on the actors behind a run in progress).</summary>
    private Scheduled Schedule(int index)
    {
        var lane = lanes![index % lanes.Length];
        var s = lane.Strategy;
        lane.Coverage = new Coverage();
        s.Coverage = lane.Coverage;
        s.BeginSchedule(index);
        return new Scheduled(index, lane, Begin(s, m => s.Probe!.Start(m, Boot.Machine, Topology)));
    }

    /// <summary>
    /// While <paramref name="current"/> runs, sleeps until half the queue behind it has run as well, so
    /// the next calls find their runs ended. A slow run (one the clock may cut, after which those
    /// queued behind it are dropped) is waited for alone: the wait looks at it every few milliseconds.
    /// </summary>
    private void SleepThroughHalfTheQueue(Scheduled current)
    {
        if (current.Run.HasEnded || ahead.Count < 2)
        {
            return;
        }

        var middle = ahead.ElementAt(ahead.Count / 2).Run;
        var slice = TimeSpan.FromMilliseconds(20);
        var waited = Stopwatch.StartNew();
        while (!middle.WaitEnd(slice) && !current.Run.HasEnded && waited.Elapsed < current.Run.WaitLimit)
        {
        }
    }

    /// <summary>Lets the schedules queued ahead run to their end before the actors are used for anything else (kept for when they are asked for).</summary>
    private void Settle()
    {
        // Finish drops those behind a run the clock cut: the loop ends with the queue.
        for (var i = 0; i < ahead.Count; i++)
        {
            Finish(ahead.ElementAt(i));
        }
    }

    /// <summary>
    /// A begun run's result. A run the clock cut leaves fresh actors for the next (a delivery was
    /// still being handled when it ended, and its reply must not reach the next schedule); the runs
    /// queued behind it on the old actors are dropped, to run again on the new ones.
    /// </summary>
    private ActorRunResult Finish(Scheduled s)
    {
        var run = s.Run.Wait();
        if (RunLimits.Of(run.Result.Stop) == RunLimit.Timeout && !s.Ended)
        {
            s.Ended = true;
            // The queue holds consecutive numbers: those up to s (s too, when it was queued) ran before the cut.
            var kept = ahead.TakeWhile(q => q.Index <= s.Index).ToList();
            ahead.Clear();
            foreach (var q in kept)
            {
                ahead.Enqueue(q);
            }

            session.Dispose();
            session = host.OpenSession(Spec.Machine.Cpus, Spec.Machine.Xen);
        }

        return run;
    }

    /// <summary>Opens a dfs/dpor work unit; <paramref name="cache"/>: the state cache (one process, one exploration), or null.</summary>
    public UnitRun OpenUnit(WorkUnit unit, StateCache? cache = null) =>
        StrategyName is "dfs" or "dpor"
            ? new UnitRun(this, unit, cache)
            : throw new InvalidOperationException($"{StrategyName} explores by schedule number, not by work units");

    /// <summary>
    /// A found violation made into a report: shrunk (when the options say so), run once more to trace
    /// and explain it, and written as a replay file and trace under <paramref name="replayOut"/> (null: not written).
    /// </summary>
    public FoundViolation Explain(Finding finding, int schedule, string? replayOut)
    {
        var deliveries = finding.Deliveries.ToList();
        var cpus = finding.Cpus.ToList();
        var stop = finding.Stop;
        var steps = deliveries.Count;
        var switches = ExplorationStrategy.ContextSwitches(cpus);
        if (Options.Shrink && deliveries.Count > 0)
        {
            (deliveries, cpus, stop) = new Shrinker(this, stop).Shrink(deliveries, cpus);
        }

        string? replayPath = null, tracePath = null;
        OutputFile? traceFile = null;
        IReadOnlyList<string> narrative;
        try
        {
            JsonlTraceSink? file = null;
            if (replayOut is { } dir)
            {
                Explorer.CreateReplayDirectory(dir);
                var stem = Path.Combine(dir, Explorer.ReplayStem(Spec, StrategyName, Options.Seed, stop.Fatal.Kind.JsonName()));
                replayPath = stem + ".replay.json";
                tracePath = stem + ".trace.jsonl";
                traceFile = OutputFile.Create(tracePath);
                file = new JsonlTraceSink(traceFile.Stream, Explorer.HeaderFor(Spec, StrategyName, Options.Seed), ownsStream: false);
            }

            try
            {
                // The schedule once more, exactly as a replay will run it, for the trace and the story.
                Settle();
                var list = new ListTraceSink(file);
                var final = session.Run(Spec.Machine, Spec.Workload, host.DefaultOptions() with
                {
                    Strategy = new FollowTraceStrategy(deliveries, Topology.Names),
                    AfterBoot = Boot,
                    Trace = list,
                    Timeout = Options.Timeout ?? host.Settings.RunTimeout,
                });
                stop = final.Result.Stop ?? stop;
                narrative = ViolationNarrative.Explain(stop, list.Records, Topology);
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
            Spec = Spec,
            Strategy = StrategyName,
            Seed = Options.Seed,
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

    public void Dispose() => session.Dispose();

    /// <summary>One schedule on the engine's actors, from a copy of the booted machine.</summary>
    internal ActorRunResult Run(IScheduleStrategy strategy, Action<Model.Machine.Machine>? onStart = null, long? maxSteps = null)
    {
        Settle();
        return Finish(new Scheduled(-1, null, Begin(strategy, onStart, maxSteps)));
    }

    private PendingRun Begin(IScheduleStrategy strategy, Action<Model.Machine.Machine>? onStart = null, long? maxSteps = null) =>
        session.Begin(Spec.Machine, Spec.Workload, host.DefaultOptions() with
        {
            Strategy = strategy,
            AfterBoot = Boot,
            MaxSteps = maxSteps ?? Options.MaxSteps,
            OnMachine = onStart,
            Timeout = RunTimeout ?? Options.Timeout ?? host.Settings.RunTimeout,
        });

    /// <summary>A schedule begun on the actors: its number, its lane, its run.</summary>
    private sealed class Scheduled(int index, Lane? lane, PendingRun run)
    {
        public int Index { get; } = index;

        /// <summary>The numbered strategy it runs with (null: a run of another strategy).</summary>
        public Lane? Lane { get; } = lane;

        public PendingRun Run { get; } = run;

        /// <summary>Its end has been dealt with: after a timeout, the fresh actors are made once.</summary>
        public bool Ended { get; set; }
    }

    private sealed class Lane(ExplorationStrategy strategy)
    {
        public ExplorationStrategy Strategy { get; } = strategy;

        public Coverage Coverage { get; set; } = new();
    }

    internal ScheduleOutcome Outcome(int index, ActorRunResult run, ExplorationStrategy strategy, IReadOnlyList<int> choices)
    {
        var result = run.Result;
        var violation = result.Outcome is Model.Kernel.Outcome.Violation or Model.Kernel.Outcome.Panic or Model.Kernel.Outcome.Rejected;
        var status = violation ? ScheduleStatus.Violation
            : result.Outcome != Model.Kernel.Outcome.Failed ? ScheduleStatus.Ok
            : RunLimits.Of(result.Stop) switch
            {
                RunLimit.Deliveries => ScheduleStatus.Incomplete,
                RunLimit.Timeout => ScheduleStatus.TimedOut,
                _ => ScheduleStatus.HostFailure,
            };
        var end = strategy.Probe is { } probe ? probe.Hasher.MachineHash() : new StateHasher(v => v).FullMachineHash(result.Machine);
        return new ScheduleOutcome(index, status, TraceHash(strategy.Recorded), end)
        {
            Delivered = run.Delivered,
            Failure = status == ScheduleStatus.HostFailure ? $"schedule {index} failed in the host: {result.Stop?.Fatal.Message}" : null,
            Choices = choices,
            Finding = violation
                ? new Finding(Finding.KeyOf(result.Stop!), result.Stop!, strategy.Recorded.ToList(), strategy.CpuOfStep.ToList(), index, choices)
                : null,
        };
    }

    /// <summary>A tolerant replay of CPU runs (shrinking's candidates): the deliveries it made and where it stopped.</summary>
    internal (List<RecordedDelivery> Deliveries, List<int> Cpus, RunStop? Stop) TrySkeleton(
        IReadOnlyList<(int Cpu, int Count)> runs, IReadOnlyList<RecordedDelivery> original, IReadOnlyList<int> originalCpus, long maxSteps)
    {
        var s = new SkeletonStrategy(runs, original, originalCpus);
        s.BeginSchedule(0);
        var r = Run(s, null, maxSteps);
        return (s.Recorded.ToList(), s.CpuOfStep.ToList(), r.Result.Stop);
    }

    private int CalibrationLength()
    {
        var s = new SkeletonStrategy([]);
        s.BeginSchedule(0);
        Run(s);
        return Math.Max(1, s.Step);
    }

    private static ulong TraceHash(List<RecordedDelivery> deliveries)
    {
        var h = 0x51ED270B27F3A9C1UL;
        foreach (var d in deliveries)
        {
            h = Hash64.Mix(Hash64.Mix(Hash64.Mix(h, Hash64.Of(d.From)), Hash64.Of(d.To)), Hash64.Of(d.Type));
        }

        return Hash64.Final(h);
    }

    private static string FingerprintOf(RunSpec spec, ExploreOptions o, ChoiceMode mode, int pctLength)
    {
        var version = typeof(ExplorationEngine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? typeof(ExplorationEngine).Assembly.GetName().Version?.ToString() ?? "?";
        var text = string.Join("\n",
            spec.ToJson().ToJsonString(),
            o.Strategy,
            mode.ToString(),
            o.Seed.ToString(CultureInfo.InvariantCulture),
            o.PctDepth.ToString(CultureInfo.InvariantCulture),
            pctLength.ToString(CultureInfo.InvariantCulture),
            o.MaxSteps.ToString(CultureInfo.InvariantCulture),
            o.MaxPreemptions?.ToString(CultureInfo.InvariantCulture) ?? "-",
            version);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32].ToLowerInvariant();
    }
}
