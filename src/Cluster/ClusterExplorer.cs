using Akka.Actor;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Trace;
using BootActors.Cluster.Internal;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Work;
using BootActors.Model.Files;
using BootActors.Model.Workload;

namespace BootActors.Cluster;

/// <summary>What one node contributed to a cluster exploration: the schedules of it that count, by number.</summary>
public sealed record NodeShare(string Node, int Schedules, IReadOnlyList<(int Start, int End)> Ranges);

/// <summary>The coordinator's own load: units merged, work messages handled (requests and results), and the time it spent on them.</summary>
public sealed record CoordinatorLoad(int Units, long Messages, double BusySeconds);

/// <summary>A cluster exploration's answer: the same result one process gives, who ran what, and what it cost the coordinator.</summary>
public sealed record ClusterExplorationResult(ExplorationResult Result, IReadOnlyList<NodeShare> Workers)
{
    public CoordinatorLoad Coordinator { get; init; } = new(0, 0, 0);

    /// <summary>dfs/dpor: prefix units handed out, splits (work stealing), units made from DPOR's backtrack points above a unit, units re-queued after a loss.</summary>
    public (long Units, long Splits, long FromBacktrack, long Requeued)? Prefixes { get; init; }
}

/// <summary>
/// The coordinator's side of <c>bootactors explore … --cluster HOST:PORT</c>: starts the seed node,
/// waits for the workers, explores with them (and itself, unless configured not to), then writes the
/// replay file and trace of every violation found, as a single-process exploration does.
/// </summary>
public static class ClusterExplorer
{
    /// <summary>
    /// Explores <paramref name="spec"/> (the scenario <paramref name="scenario"/> with <paramref name="sets"/>,
    /// which each worker resolves from its own files) over a cluster whose seed is this process at
    /// <paramref name="host"/>:<paramref name="port"/>.
    /// </summary>
    /// <exception cref="ClusterException">The workers did not come, or the strategy is not split over a cluster.</exception>
    public static ClusterExplorationResult Explore(RunSpec spec, string scenario, IReadOnlyList<string> sets, ExploreOptions options,
        string host, int port, int minWorkers, Action<string> say)
    {
        // dfs/dpor over a cluster run without the state cache: with it, which schedules run depends on their order (docs/exploration-api.md).
        options = options with { StateCache = false };
        var settings = ClusterNode.Settings();

        // The engine every node opens, opened here first: a machine that does not boot has no schedules
        // to share (one process reports it as it always does), and pct's k is what every node computes.
        int pctLength;
        using (var local = ActorHost.FromConfigDirectory())
        {
            bool boots;
            using (var probe = ExplorationEngine.Open(local, spec, options))
            {
                pctLength = probe.PctLength;
                boots = probe.BootStop is null;
            }

            if (!boots)
            {
                return new ClusterExplorationResult(new Explorer(local).Explore(spec, options), []);
            }
        }

        var terms = ExplorationTerms.From(scenario, sets, RunIdentity.SpecHash(spec), options);
        ActorSystem system;
        try
        {
            system = ClusterNode.Start(ClusterNode.Coordinator(host, port));
        }
        catch (Exception ex) when (Bind(ex) is { } why)
        {
            throw new ClusterException($"--cluster {host}:{port}: cannot listen there: {why}");
        }

        try
        {
            var actorHost = new ActorHost(system);
            IWorkBook plan = options.Strategy is "dfs" or "dpor" ? new PrefixPlan(options.All) : new IndexPlan(options.Iterations, settings.UnitSize, options.All);
            var done = new TaskCompletionSource<CoordinatorOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            var coordinator = system.ActorOf(
                CoordinatorActor.Props(terms, plan, settings, minWorkers, options.TimeLimit, done, say, options.OnProgress), Coordinator.Name);
            if (settings.CoordinatorExplores)
            {
                var local = new TaskCompletionSource<WorkerOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                system.ActorOf(WorkerActor.Props(actorHost, settings, local, say, coordinator, _ => (spec, null)), Worker.Name);
            }

            if (minWorkers > 0)
            {
                say($"coordinator at {host}:{port}: waiting for {minWorkers} worker(s) (bootactors worker --join {host}:{port})");
            }

            CoordinatorOutcome outcome;
            using (options.Cancellation.Register(() => coordinator.Tell(CoordinatorActor.Interrupt.Instance)))
            {
                outcome = done.Task.GetAwaiter().GetResult();
            }

            if (outcome.Problem is { } problem)
            {
                throw new ClusterException(problem);
            }

            return Merge(spec, options, outcome, actorHost, pctLength);
        }
        finally
        {
            Leave(system, settings);
        }
    }

    private static ClusterExplorationResult Merge(RunSpec spec, ExploreOptions options, CoordinatorOutcome outcome, ActorHost host, int pctLength)
    {
        if (outcome.Plan is PrefixPlan prefixes)
        {
            return MergePrefixes(spec, options, outcome, host, prefixes);
        }

        var plan = (IndexPlan)outcome.Plan!;
        var explorer = new Explorer(host);
        var found = plan.Findings().Select(f => Write(spec, options, explorer,
            f.Report ?? throw new InvalidOperationException($"no node reported schedule {f.Schedule}'s violation"))).ToList();
        var (states, choicePoints, beyond) = plan.Covered();
        var result = new ExplorationResult
        {
            Strategy = options.Strategy,
            Violations = found,
            Choice = options.Choice ?? ChoiceMode.Delivery,
            Schedules = plan.Counted,
            DistinctTraces = plan.DistinctTraces,
            DistinctStates = states,
            DistinctEndStates = plan.DistinctEndStates,
            ChoicePoints = choicePoints,
            BeyondStepBound = beyond,
            Incomplete = plan.Incomplete,
            TimedOut = plan.TimedOut,
            PctLength = pctLength,
            TimeLimitReached = outcome.TimedOut,
            Interrupted = options.Cancellation.IsCancellationRequested && plan.Failure is null && !(found.Count > 0 && !options.All),
            Seconds = outcome.Seconds,
            Error = plan.Failure,
        };
        return new ClusterExplorationResult(result, plan.PerNode().Where(n => n.Schedules > 0).Select(n => new NodeShare(n.Node, n.Schedules, n.Ranges)).ToList())
        {
            Coordinator = outcome.Load,
        };
    }

    /// <summary>dfs/dpor: the merged coverage of every counted unit, plus the shared decision points' accounting; one finding per kind, its least.</summary>
    private static ClusterExplorationResult MergePrefixes(RunSpec spec, ExploreOptions options, CoordinatorOutcome outcome, ActorHost host, PrefixPlan plan)
    {
        var explorer = new Explorer(host);
        var found = plan.Findings().Select(f => Write(spec, options, explorer, f.Report)).ToList();
        var c = plan.Coverage;
        var (pruned, cutByBound) = plan.Close();
        var interrupted = options.Cancellation.IsCancellationRequested;
        var result = new ExplorationResult
        {
            Strategy = options.Strategy,
            Violations = found,
            Choice = options.Choice ?? ChoiceMode.Delivery,
            Schedules = plan.Counted,
            DistinctTraces = c.Traces.Count,
            DistinctStates = c.States.Count,
            DistinctEndStates = c.EndStates.Count,
            ChoicePoints = c.ChoicePoints,
            BeyondStepBound = c.BeyondStepBound,
            Incomplete = (int)c.Incomplete,
            TimedOut = (int)c.TimedOut,
            Exhausted = !plan.Cut && plan.Failure is null && c.TimedOut == 0 && !outcome.TimedOut && !interrupted,
            Pruned = c.Pruned + pruned,
            CutByBound = c.CutByBound + cutByBound,
            CutByCache = c.CutByCache,
            StateCache = false,
            TimeLimitReached = outcome.TimedOut,
            Interrupted = interrupted && plan.Failure is null && !(found.Count > 0 && !options.All),
            Seconds = outcome.Seconds,
            Error = plan.Failure,
        };
        return new ClusterExplorationResult(result, plan.PerNode().Where(n => n.Schedules > 0).Select(n => new NodeShare(n.Node, (int)n.Schedules, [])).ToList())
        {
            Coordinator = outcome.Load,
            Prefixes = plan.Counts,
        };
    }

    /// <summary>The replay file and trace of a violation, written here; the re-run that writes the trace must reproduce it.</summary>
    private static FoundViolation Write(RunSpec spec, ExploreOptions options, Explorer explorer, ViolationReport v)
    {
        var replay = v.ToReplay(spec, options.Strategy, options.Seed);
        string? replayPath = null, tracePath = null;
        if (options.ReplayOut is { } dir)
        {
            Explorer.CreateReplayDirectory(dir);
            var stem = Path.Combine(dir, Explorer.ReplayStem(spec, options.Strategy, options.Seed, v.Kind));
            replayPath = stem + ".replay.json";
            tracePath = stem + ".trace.jsonl";
            using (var traceFile = OutputFile.Create(tracePath))
            {
                ReplayOutcome again;
                var trace = new JsonlTraceSink(traceFile.Stream, Explorer.HeaderFor(spec, options.Strategy, options.Seed), ownsStream: false);
                try
                {
                    again = explorer.Replay(replay, trace, options.Timeout);
                }
                finally
                {
                    trace.Dispose();
                }

                if (trace.WriteError is { } writeError)
                {
                    throw traceFile.Failed(writeError);
                }

                if (!again.Reproduced)
                {
                    throw new InvalidOperationException($"schedule {v.Schedule}'s violation ({v.Kind}) as shrunk on its node does not reproduce on the coordinator: got {again.Got}");
                }

                traceFile.Commit();
            }

            OutputFile.WriteAllText(replayPath, replay.ToJson());
        }

        return new FoundViolation(v.Kind, v.Message, v.Cpu, v.CallChain, v.Schedule, v.Steps, v.ShrunkSteps, v.ContextSwitches,
            v.ShrunkContextSwitches, v.Narrative, replay, replayPath, tracePath);
    }

    private static void Leave(ActorSystem system, ClusterSettings settings)
    {
        try
        {
            CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).Wait(settings.LeaveTimeout);
        }
        catch (AggregateException)
        {
        }

        system.Terminate().Wait(settings.LeaveTimeout);
    }

    internal static string? Bind(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException se)
            {
                return se.Message;
            }

            if (e is Akka.Remote.RemoteTransportException rt && e.InnerException is null)
            {
                return rt.Message;
            }
        }

        return null;
    }
}
