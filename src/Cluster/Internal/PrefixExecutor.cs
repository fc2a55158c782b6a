using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Cluster.Protocol;
using BootActors.Model.Workload;

namespace BootActors.Cluster.Internal;

/// <summary>
/// Runs a node's dfs/dpor prefix units on a thread of its own, without a state cache (the explored set
/// must not depend on which node runs what): between two schedules it hands DPOR's backtrack points
/// above the unit to <see cref="reportTo"/>, and splits the unit when the coordinator asks
/// (<see cref="Steal"/>). Each unit's least finding of each kind is shrunk and explained here.
/// </summary>
internal sealed class PrefixExecutor : IDisposable
{
    private readonly BlockingCollection<PrefixUnit> units = new();
    private readonly ConcurrentDictionary<long, bool> steals = new();
    private readonly ActorHost host;
    private readonly RunSpec spec;
    private readonly ExploreOptions options;
    private readonly IActorRef reportTo;
    private readonly Thread thread;
    private readonly CancellationTokenSource stop = new();
    private volatile bool cut;

    public PrefixExecutor(ActorHost host, RunSpec spec, ExploreOptions options, IActorRef reportTo)
    {
        this.host = host;
        this.spec = spec;
        this.options = options with { StateCache = false };
        this.reportTo = reportTo;
        thread = new Thread(Loop) { IsBackground = true, Name = "bootactors-prefix-executor" };
    }

    /// <summary>Something to forward to the coordinator, in order (split, backtrack points, result).</summary>
    public sealed record Report(object Message);

    public void Start() => thread.Start();

    public void Add(PrefixUnit unit) => units.Add(unit);

    /// <summary>Split this unit after its current schedule (or when it starts).</summary>
    public void Steal(long unitId) => steals[unitId] = true;

    /// <summary>The coordinator needs nothing more: end the running unit after its current schedule, and run no other.</summary>
    public void Cut() => cut = true;

    public void Dispose()
    {
        stop.Cancel();
        units.CompleteAdding();
        if (thread.IsAlive && !thread.Join(TimeSpan.FromSeconds(30)))
        {
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
                reportTo.Tell(new Report(new Coordinator.PrefixDone(Run(engine, unit))));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            reportTo.Tell(new UnitExecutor.ExecutorFailed($"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private PrefixResult Run(ExplorationEngine engine, PrefixUnit unit)
    {
        var sw = Stopwatch.StartNew();
        var run = engine.OpenUnit(new WorkUnit(unit.Prefix), cache: null);
        var least = new Dictionary<string, Finding>(StringComparer.Ordinal);
        string? failure = null;
        var stopped = false;
        var statesSent = new HashSet<ulong>();
        while (run.HasNext)
        {
            if (cut || stop.IsCancellationRequested)
            {
                stopped = true;
                break;
            }

            var outcome = run.Next();
            if (run.TakeAbove() is { Count: > 0 } points)
            {
                reportTo.Tell(new Report(new Coordinator.Above(new PrefixAbove(unit.Id, points))));
            }

            if (outcome.Status == ScheduleStatus.HostFailure)
            {
                failure = outcome.Failure;
                stopped = true;
                break;
            }

            if (outcome.Finding is { } f && (!least.TryGetValue(f.Key, out var known) || Finding.Compare(f, known) < 0))
            {
                least[f.Key] = f;
            }

            if (outcome.Finding is not null && !options.All)
            {
                stopped = run.HasNext;
                break;
            }

            if (steals.TryRemove(unit.Id, out _) && run.HasNext)
            {
                var split = run.Split();
                var states = run.Coverage.States.Where(statesSent.Add).ToList();
                reportTo.Tell(new Report(new Coordinator.Split(new PrefixSplit(unit.Id, split.Units.Select(u => u.Prefix).ToList(), split.Nodes, run.Rest.Prefix, states))));
            }
        }

        if (steals.TryRemove(unit.Id, out _))
        {
            // Asked too late: the unit is done; an empty split lets the coordinator ask another.
            reportTo.Tell(new Report(new Coordinator.Split(new PrefixSplit(unit.Id, [], [], unit.Prefix, []))));
        }

        var findings = least.Values
            .OrderBy(f => f, Comparer<Finding>.Create(Finding.Compare))
            .Select(f => new PrefixFinding(f.Key, f.Choices, f.Deliveries.Count, ViolationReport.From(engine.Explain(f, f.Index, null))))
            .ToList();
        return new PrefixResult(unit.Id, run.Coverage, findings, stopped, sw.Elapsed.TotalSeconds) { Failure = failure };
    }
}
