using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Cluster.Protocol;
using BootActors.Model.Workload;

namespace BootActors.Cluster.Internal;

/// <summary>
/// Runs a node's units on a thread of its own (a schedule blocks while the conductor delivers, so it
/// must not hold one of the actor system's threads): one set of actors and one booted machine for
/// every unit, schedules by number, each violation shrunk and explained here before its result goes
/// to <see cref="reportTo"/> as <see cref="UnitFinished"/>.
/// </summary>
internal sealed class UnitExecutor : IDisposable
{
    private readonly BlockingCollection<ScheduleRange> units = new();
    private readonly ActorHost host;
    private readonly RunSpec spec;
    private readonly ExploreOptions options;
    private readonly IActorRef reportTo;
    private readonly Thread thread;
    private readonly CancellationTokenSource stop = new();
    private volatile WorkHints hints = WorkHints.None;

    public UnitExecutor(ActorHost host, RunSpec spec, ExploreOptions options, IActorRef reportTo)
    {
        this.host = host;
        this.spec = spec;
        this.options = options;
        this.reportTo = reportTo;
        thread = new Thread(Loop) { IsBackground = true, Name = "bootactors-unit-executor" };
    }

    /// <summary>A unit is done (sent to the actor that owns this executor).</summary>
    public sealed record UnitFinished(UnitResult Result);

    /// <summary>The executor cannot go on (sent to the owner): the exploration's machinery failed on this node.</summary>
    public sealed record ExecutorFailed(string Reason);

    public void Start() => thread.Start();

    public void Add(ScheduleRange unit, WorkHints latest)
    {
        hints = latest;
        units.Add(unit);
    }

    public void Cut(int schedule)
    {
        var h = hints;
        if (h.Cutoff is not { } c || schedule < c)
        {
            hints = h with { Cutoff = schedule };
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        units.CompleteAdding();
        if (thread.IsAlive && !thread.Join(TimeSpan.FromSeconds(30)))
        {
            // A schedule is bounded by bootactors.run-timeout; past that the thread is abandoned (it is a background thread).
            return;
        }

        stop.Dispose();
        units.Dispose();
    }

    private void Loop()
    {
        try
        {
            using var engine = ExplorationEngine.Open(host, spec, options);
            foreach (var unit in units.GetConsumingEnumerable(stop.Token))
            {
                reportTo.Tell(new UnitFinished(Run(engine, unit)));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            reportTo.Tell(new ExecutorFailed($"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private UnitResult Run(ExplorationEngine engine, ScheduleRange unit)
    {
        var coverage = new Coverage();
        var sw = Stopwatch.StartNew();
        var statuses = new List<ScheduleStatus>(unit.Count);
        var traces = new List<ulong>(unit.Count);
        var states = new List<ulong>(unit.Count);
        var findings = new List<NodeFinding>();
        string? failure = null;
        for (var i = unit.Start; i < unit.End && !stop.IsCancellationRequested; i++)
        {
            var h = hints;
            if (h.Cutoff is { } c && i > c)
            {
                break;
            }

            var outcome = engine.RunNumbered(i, coverage, thenUpTo: unit.End);
            statuses.Add(outcome.Status);
            traces.Add(outcome.TraceHash);
            states.Add(outcome.StateHash);
            if (outcome.Status == ScheduleStatus.HostFailure)
            {
                failure = outcome.Failure;
                break;
            }

            if (outcome.Status != ScheduleStatus.Violation)
            {
                continue;
            }

            var key = outcome.ViolationKey!;
            if (findings.All(f => f.Key != key))
            {
                // A lower-numbered schedule of the same kind, known to the coordinator, is the one reported: no need to shrink this one.
                var known = hints.FirstOfKey.TryGetValue(key, out var first) && first < i;
                var report = known ? null : ViolationReport.From(engine.Explain(outcome.Finding!, i, null));
                findings.Add(new NodeFinding(i, key, report));
            }

            if (!options.All)
            {
                break;
            }
        }

        return new UnitResult(unit.Id, unit.Start, statuses.Count, statuses, traces, states, findings, sw.Elapsed.TotalSeconds)
        {
            Failure = failure,
            Coverage = UnitCoverage.From(coverage),
        };
    }
}
