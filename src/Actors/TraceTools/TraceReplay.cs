using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Workload;

namespace BootActors.Actors.TraceTools;

/// <summary>The machine as it stood after one event of a trace, rebuilt by re-running the trace's run up to it.</summary>
public sealed record TracePoint(TraceEvent Event, Model.Machine.Machine Machine, string How);

/// <summary>
/// Re-runs a traced run on the actor host and stops it after a given delivery. The trace header's
/// run spec gives the machine and workload; the schedule is the seed's when the seed alone decides
/// it (controlled mode, random strategy), otherwise the trace's own delivery order is followed. In
/// both cases the re-run's deliveries are checked against the trace, so a tampered or foreign
/// trace is refused rather than shown with the wrong tables.
/// </summary>
public static class TraceReplay
{
    public static TracePoint At(string path, long seq, TimeSpan? timeout = null)
    {
        var plan = Plan(path, seq);
        var target = plan.Target!;
        var check = new CheckingSink(plan.Recorded, plan.Header.Actors);
        var run = Rerun(path, plan, check, plan.Recorded.Count, null, timeout);
        var how = plan.How;
        var header = plan.Header;
        if (run.Delivered < plan.Recorded.Count && header.Mode == "free" && run.Result.Stop is { } halted &&
            halted.Fatal.Kind is not (Model.Kernel.ErrorKind.ActorFailed or Model.Kernel.ErrorKind.Timeout))
        {
            // A free-mode run goes on delivering what was already in flight while it stops; those
            // deliveries happen after the fatal one and a controlled re-run never makes them.
            return new TracePoint(target, run.Result.Machine,
                how + $"; the run stopped at delivery {run.Delivered} ({halted.Fatal.Kind.JsonName()}), before #{seq}: " +
                "the later events were in flight in the free-mode run when it stopped, and these are the tables as they stood then");
        }

        if (run.Delivered < plan.Recorded.Count)
        {
            var stop = run.Result.Stop is { } s ? $" ({s.Fatal.Kind}: {s.Fatal.Message})" : "";
            throw new TraceFormatException(path, 0, $"the re-run ended after {run.Delivered} deliveries, before event #{seq}{stop}");
        }

        return new TracePoint(target, run.Result.Machine, how);
    }

    /// <summary>What re-running a trace up to an event (or to its end) takes: its header, spec, recorded order and schedule.</summary>
    internal sealed record RerunPlan(TraceFileHeader Header, RunSpec Spec, IReadOnlyList<RecordedDelivery> Recorded, TraceEvent? Target, IScheduleStrategy? Strategy, string How);

    /// <summary>Reads the trace's header and its deliveries up to <paramref name="seq"/> (all when null), in delivery order.</summary>
    internal static RerunPlan Plan(string path, long? seq)
    {
        using var reader = TraceReader.Open(path);
        var header = reader.Header;
        if (header.Spec is null)
        {
            throw new TraceFormatException(path, 1, "the header has no run \"spec\" (the trace was written before runs were recorded in it), so the run cannot be re-run");
        }

        RunSpec spec;
        try
        {
            spec = RunSpec.FromJson(header.Spec);
        }
        catch (FormatException ex)
        {
            throw new TraceFormatException(path, 1, ex.Message);
        }

        if (spec.Problem(RunSpecLimits.HostMemory()) is { } problem)
        {
            throw new TraceFormatException(path, 1, problem);
        }

        // Deliveries up to the event, in delivery order (a free-mode writer may finish lines out of order).
        reader.OrderOnly = seq is null;
        var upTo = new List<(long Seq, RecordedDelivery Delivery)>();
        TraceEvent? target = null;
        long last = 0;
        foreach (var e in reader.Events())
        {
            last = Math.Max(last, e.Seq);
            if (seq is null || e.Seq <= seq)
            {
                upTo.Add((e.Seq, new RecordedDelivery(header.Actors[e.From], header.Actors[e.To], e.Type)));
            }

            if (e.Seq == seq)
            {
                target = e;
            }
        }

        if (seq is { } wanted && target is null)
        {
            throw new TraceFormatException(path, 0, $"there is no event #{wanted} (the trace's events run from #1 to #{last})");
        }

        upTo.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        var recorded = upTo.Select(u => u.Delivery).ToList();
        IScheduleStrategy? strategy = header.ReproducibleFromSeed ? null : new FollowTraceStrategy(recorded, header.Actors);
        var how = strategy is null
            ? $"re-ran seed {header.Seed} of {spec.Name} and stopped after delivery {upTo.Count}"
            : $"re-ran {spec.Name} following the trace's {recorded.Count} recorded deliveries";
        if (header.Start == "after-boot")
        {
            how += " (from a fresh boot snapshot, as the trace started after the boot)";
        }

        return new RerunPlan(header, spec, recorded, target, strategy, how);
    }

    /// <summary>Runs the plan on a fresh actor host, stopping after <paramref name="stopAfter"/> deliveries; the sink sees each one.</summary>
    internal static ActorRunResult Rerun(string path, RerunPlan plan, ITraceSink sink, long? stopAfter, Action<Model.Machine.Machine>? onMachine, TimeSpan? timeout)
    {
        var check = sink as CheckingSink ?? new CheckingSink(plan.Recorded, plan.Header.Actors, sink);
        using var host = ActorHost.FromConfigDirectory();
        var limit = timeout ?? host.Settings.RunTimeout;
        var afterBoot = plan.Header.Start == "after-boot" ? Simulation.SnapshotAfterBoot(plan.Spec.Machine, limit) : null;
        var options = host.DefaultOptions() with
        {
            Seed = plan.Header.Seed ?? 0,
            Strategy = plan.Strategy,
            StopAfter = stopAfter,
            AfterBoot = afterBoot,
            Trace = check,
            OnMachine = onMachine,
        };
        if (timeout is { } t)
        {
            options = options with { Timeout = t };
        }

        ActorRunResult run;
        try
        {
            run = host.Run(plan.Spec.Machine, plan.Spec.Workload, options);
        }
        catch (ScheduleDivergedException ex)
        {
            throw new TraceFormatException(path, 0, $"re-running the trace's run does not reproduce it: {ex.Message}");
        }

        if (run.Result.Stop is { Fatal.Kind: ErrorKind.ActorFailed } failed &&
            failed.Fatal.Message.IndexOf(nameof(ScheduleDivergedException) + ": ", StringComparison.Ordinal) is var at and >= 0)
        {
            // The conductor could not follow the recorded order: the trace is not of this run.
            throw new TraceFormatException(path, 0, "re-running the trace's run does not reproduce it: " +
                failed.Fatal.Message[(at + nameof(ScheduleDivergedException).Length + 2)..]);
        }

        if (check.Divergence is { } d)
        {
            throw new TraceFormatException(path, 0, $"re-running the trace's run does not reproduce it: {d}");
        }

        return run;
    }

    /// <summary>Compares each re-delivered message with the trace's record of the same position.</summary>
    private sealed class CheckingSink(IReadOnlyList<RecordedDelivery> recorded, IReadOnlyList<string> names, ITraceSink? next = null) : ITraceSink
    {
        private readonly object gate = new();
        private long count;

        public string? Divergence { get; private set; }

        public void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock)
        {
            lock (gate)
            {
                var i = count++;
                if (Divergence is not null || i >= recorded.Count)
                {
                    return;
                }

                var want = recorded[(int)i];
                var got = new RecordedDelivery(names[from], names[to], message.TypeName);
                if (got != want)
                {
                    Divergence = $"delivery {i + 1} of the re-run is {got.Type} {got.From} → {got.To}, the trace has {want.Type} {want.From} → {want.To}";
                }
            }

            next?.Record(seq, from, to, message, senderClock, receiverClock);
        }
    }
}
