using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Work;

namespace BootActors.Cluster.Internal;

/// <summary>What the coordinator's part produced: the merged book, or why the exploration could not be done.</summary>
internal sealed record CoordinatorOutcome(IWorkBook? Plan, string? Problem, double Seconds, bool TimedOut)
{
    /// <summary>The coordinator's own load: the work messages it handled (requests and results) and the time spent handling them.</summary>
    public CoordinatorLoad Load { get; init; } = new(0, 0, 0);
}

/// <summary>
/// The coordinator (at /user/coordinator on the seed node): checks each worker that registers (the
/// same build, the same resolved spec), waits for --min-workers of them, hands out units as nodes ask
/// for them, merges their results into an <see cref="IndexPlan"/>, and hands a lost node's units to
/// the others. Nodes are known by address; the split-brain resolver (keep-oldest, role coordinator)
/// downs a worker that stays unreachable, and its removal is what gives its work back.
/// </summary>
internal sealed class CoordinatorActor : ReceiveActor, IWithTimers
{
    private const string WaitTimer = "wait";
    private const string DeadlineTimer = "deadline";
    private const string LeaveTimer = "leave";
    private const string StealTimer = "steal";

    /// <summary>How long a unit that had nothing to split is left alone before it is asked again.</summary>
    private static readonly TimeSpan StealRetry = TimeSpan.FromMilliseconds(200);

    private readonly ExplorationTerms terms;
    private readonly IWorkBook book;
    private readonly IndexPlan? plan;
    private readonly PrefixPlan? prefixes;
    private readonly ClusterSettings settings;
    private readonly int minWorkers;
    private readonly TimeSpan? timeLimit;
    private readonly TaskCompletionSource<CoordinatorOutcome> done;
    private readonly Action<string> say;
    private readonly Action<ExploreProgress>? progress;
    private readonly Dictionary<Address, Node> nodes = new();
    private readonly Stopwatch clock = new();
    private readonly Address self;
    private bool timedOut;
    private long messages;
    private long busyTicks;
    private int unitsDone;
    private int? lastCutoffSent;
    private string? problem;

    public CoordinatorActor(ExplorationTerms terms, IWorkBook book, ClusterSettings settings, int minWorkers, TimeSpan? timeLimit,
        TaskCompletionSource<CoordinatorOutcome> done, Action<string> say, Action<ExploreProgress>? progress)
    {
        this.terms = terms;
        this.book = book;
        plan = book as IndexPlan;
        prefixes = book as PrefixPlan;
        this.settings = settings;
        this.minWorkers = minWorkers;
        this.timeLimit = timeLimit;
        this.done = done;
        this.say = say;
        this.progress = progress;
        self = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
        Waiting();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ExplorationTerms terms, IWorkBook book, ClusterSettings settings, int minWorkers, TimeSpan? timeLimit,
        TaskCompletionSource<CoordinatorOutcome> done, Action<string> say, Action<ExploreProgress>? progress) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(terms, book, settings, minWorkers, timeLimit, done, say, progress));

    private int RemoteWorkers => nodes.Values.Count(n => n.Accepted && n.Address != self);

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.IReachabilityEvent));
        if (minWorkers > 0)
        {
            Timers.StartSingleTimer(WaitTimer, WaitedTooLong.Instance, settings.MinWorkersTimeout);
        }
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        done.TrySetResult(new CoordinatorOutcome(null, problem ?? "the coordinator stopped before the exploration was over", clock.Elapsed.TotalSeconds, timedOut));
    }

    /// <summary>Until --min-workers workers are accepted: register and check them, nothing is handed out.</summary>
    private void Waiting()
    {
        Receive<Go>(_ => Start());
        Admission();
        Receive<Coordinator.RequestWork>(m => NodeOf(Sender)?.Wants(m.Count));
        Receive<WaitedTooLong>(_ => Fail(
            $"{RemoteWorkers} of {minWorkers} worker(s) joined within {settings.MinWorkersTimeout.TotalSeconds:0} s (bootactors.cluster.min-workers-timeout); " +
            $"start them with: bootactors worker --join {self.Host}:{self.Port}"));
        Receive<Interrupt>(_ => Fail("interrupted (Ctrl-C) before the workers came"));
        Membership();
        if (minWorkers == 0)
        {
            Self.Tell(Go.Instance);
        }
    }

    private void Exploring()
    {
        Admission();
        Receive<Coordinator.RequestWork>(m =>
        {
            var t = Stopwatch.GetTimestamp();
            NodeOf(Sender)?.Wants(m.Count);
            HandOut();
            Busy(t);
        });
        Receive<Coordinator.UnitDone>(m =>
        {
            var t = Stopwatch.GetTimestamp();
            Done(m);
            Busy(t);
        });
        Receive<Coordinator.PrefixDone>(m =>
        {
            var t = Stopwatch.GetTimestamp();
            PrefixDone(m);
            Busy(t);
        });
        Receive<Coordinator.Split>(m =>
        {
            var t = Stopwatch.GetTimestamp();
            if (NodeOf(Sender) is { } node && prefixes!.Split(node.Name, m.Part, clock.Elapsed))
            {
                HandOut();
            }

            Busy(t);
        });
        Receive<Coordinator.Above>(m =>
        {
            var t = Stopwatch.GetTimestamp();
            if (NodeOf(Sender) is { } node)
            {
                prefixes!.Above(node.Name, m.Points);
                HandOut();
            }

            Busy(t);
        });
        Receive<StealAgain>(_ => HandOut());
        Receive<Interrupt>(_ =>
        {
            book.Stop();
            foreach (var n in nodes.Values.Where(n => n.Accepted))
            {
                n.Ref.Tell(new Worker.Cutoff(-1));
            }

            CheckEnd();
        });
        Receive<Deadline>(_ =>
        {
            timedOut = true;
            book.Stop();
            foreach (var n in nodes.Values.Where(n => n.Accepted))
            {
                n.Ref.Tell(new Worker.Cutoff(-1));
            }

            CheckEnd();
        });
        Receive<WaitedTooLong>(_ =>
        {
            if (!nodes.Values.Any(n => n.Accepted))
            {
                Fail($"every worker is gone and none joined within {settings.MinWorkersTimeout.TotalSeconds:0} s (bootactors.cluster.min-workers-timeout); " +
                     $"{book.Counted} schedules were counted");
            }
        });
        Membership();
    }

    private void Done(Coordinator.UnitDone m)
    {
        var node = NodeOf(Sender);
        if (node is null || !plan!.Accept(node.Name, m.Result))
        {
            return;
        }

        unitsDone++;
        progress?.Invoke(new ExploreProgress(plan!.Counted, plan.Violations, clock.Elapsed, terms.Iterations));
        if (plan!.Cutoff is { } c && c != lastCutoffSent)
        {
            lastCutoffSent = c;
            foreach (var n in nodes.Values.Where(n => n.Accepted))
            {
                n.Ref.Tell(new Worker.Cutoff(c));
            }
        }

        CheckEnd();
        HandOut();
    }

    private void PrefixDone(Coordinator.PrefixDone m)
    {
        var node = NodeOf(Sender);
        if (node is null || !prefixes!.Accept(node.Name, m.Result))
        {
            return;
        }

        unitsDone++;
        progress?.Invoke(new ExploreProgress(prefixes.Counted, prefixes.Violations, clock.Elapsed, terms.Iterations));
        if (prefixes.Cut && lastCutoffSent is null)
        {
            // A finding without --all, or a failure: the answer is known; the others stop their units.
            lastCutoffSent = -1;
            foreach (var n in nodes.Values.Where(n => n.Accepted))
            {
                n.Ref.Tell(new Worker.Cutoff(-1));
            }
        }

        CheckEnd();
        HandOut();
    }

    private void Busy(long start)
    {
        messages++;
        busyTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>The result is in: every worker is told, and leaves; the coordinator waits for them a while.</summary>
    private void Finishing()
    {
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            nodes.Remove(m.Member.Address);
            if (!nodes.Values.Any(n => n.Address != self))
            {
                Complete();
            }
        });
        Receive<LeaveWaitOver>(_ => Complete());
        Receive<Coordinator.Register>(_ => Sender.Tell(new Worker.Refused("the exploration is over")));
        ReceiveAny(_ => { });
    }

    private void Admission()
    {
        Receive<Coordinator.Register>(m =>
        {
            var address = Sender.Path.Address.HasGlobalScope ? Sender.Path.Address : self;
            if (m.Version != RunIdentity.Version)
            {
                Refuse(address, Sender, $"it runs BootActors {RunIdentity.Short(m.Version)}, the coordinator {RunIdentity.Short(RunIdentity.Version)}: run the same build on every node");
                return;
            }

            if (!nodes.TryGetValue(address, out var node))
            {
                nodes[address] = node = new Node(address, Sender, address == self ? $"{address.Host}:{address.Port} (coordinator)" : $"{address.Host}:{address.Port}");
            }

            node.Ref = Sender;
            Sender.Tell(new Worker.Explore(terms));
        });
        Receive<Coordinator.Resolved>(m =>
        {
            var node = NodeOf(Sender);
            if (node is null || node.Accepted)
            {
                return;
            }

            if (m.Problem is { } p)
            {
                Refuse(node.Address, Sender, $"it cannot read the scenario {terms.Scenario}: {p}");
                nodes.Remove(node.Address);
                return;
            }

            if (m.SpecHash != terms.SpecHash)
            {
                Refuse(node.Address, Sender,
                    $"its scenario files resolve {terms.Scenario} to another run (spec {m.SpecHash?[..12]}, the coordinator's {terms.SpecHash[..12]}): " +
                    "give every node the same scenario and e820 files");
                nodes.Remove(node.Address);
                return;
            }

            node.Accepted = true;
            Context.Watch(Sender);
            Sender.Tell(new Worker.Accepted(node.Name));
            if (node.Address != self)
            {
                say($"worker {node.Name} joined ({RemoteWorkers} of {minWorkers})");
            }

            if (RemoteWorkers >= minWorkers)
            {
                Self.Tell(Go.Instance);
            }
        });
        Receive<Coordinator.Withdraw>(m =>
        {
            if (NodeOf(Sender) is { } node)
            {
                Lose(node, $"withdrew: {m.Reason}");
            }
        });
        Receive<Go>(_ => { });
    }

    private void Membership()
    {
        Receive<ClusterEvent.UnreachableMember>(m =>
        {
            if (nodes.TryGetValue(m.Member.Address, out var node))
            {
                say($"worker {node.Name} is unreachable; the split-brain resolver downs it if it stays so");
            }
        });
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            if (nodes.TryGetValue(m.Member.Address, out var node))
            {
                Lose(node, m.PreviousStatus == MemberStatus.Down ? "was downed (unreachable)" : "left the cluster");
            }
        });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<Terminated>(m =>
        {
            if (nodes.Values.FirstOrDefault(n => n.Ref.Equals(m.ActorRef)) is { } node)
            {
                Lose(node, "stopped");
            }
        });
    }

    private void Start()
    {
        Timers.Cancel(WaitTimer);
        clock.Start();
        if (timeLimit is { } limit)
        {
            Timers.StartSingleTimer(DeadlineTimer, Deadline.Instance, limit);
        }

        if (minWorkers > 0)
        {
            say($"exploring {terms.Scenario} ({terms.Strategy}) on {nodes.Values.Count(n => n.Accepted)} node(s)");
        }

        Become(Exploring);
        CheckEnd();
        HandOut();
    }

    private void HandOut()
    {
        if (prefixes is not null)
        {
            HandOutPrefixes();
            return;
        }

        var exploring = nodes.Values.Count(n => n.Accepted);
        foreach (var node in nodes.Values.Where(n => n.Accepted).OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            while (node.Wanted > 0 && plan!.Next(node.Name, exploring) is { } unit)
            {
                node.Wanted--;
                node.Ref.Tell(new Worker.Assign(unit, plan!.Hints));
            }
        }
    }

    /// <summary>Queued prefixes to the nodes that want work; a node with none left asks a busy one to split (work stealing).</summary>
    private void HandOutPrefixes()
    {
        var now = clock.Elapsed;
        var waiting = false;
        foreach (var node in nodes.Values.Where(n => n.Accepted).OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            while (node.Wanted > 0 && prefixes!.Next(node.Name, now) is { } unit)
            {
                node.Wanted--;
                node.Ref.Tell(new Worker.AssignPrefix(unit));
            }

            if (node.Wanted > 0 && !prefixes!.Holds(node.Name) && !prefixes.Finished)
            {
                if (prefixes.Victim(node.Name, now, StealRetry) is { } victim && nodes.Values.FirstOrDefault(n => n.Name == prefixes.HolderOf(victim.Id)) is { } holder)
                {
                    holder.Ref.Tell(new Worker.Steal(victim.Id));
                }
                else
                {
                    waiting = true;
                }
            }
        }

        if (waiting && !Timers.IsTimerActive(StealTimer))
        {
            Timers.StartSingleTimer(StealTimer, StealAgain.Instance, StealRetry);
        }
    }

    private void Lose(Node node, string why)
    {
        nodes.Remove(node.Address);
        if (!node.Accepted)
        {
            return;
        }

        var back = book.Lost(node.Name);
        say($"worker {node.Name} {why}; {back} {(prefixes is null ? "schedule(s)" : "unit(s)")} it held go to the others");
        if (!nodes.Values.Any(n => n.Accepted))
        {
            Timers.StartSingleTimer(WaitTimer, WaitedTooLong.Instance, settings.MinWorkersTimeout);
        }

        HandOut();
    }

    private void CheckEnd()
    {
        if (!book.Finished)
        {
            return;
        }

        clock.Stop();
        Timers.Cancel(DeadlineTimer);
        Timers.Cancel(WaitTimer);
        var summary = $"the exploration is over: {book.Counted} schedules, {book.Violations} violation(s)";
        foreach (var n in nodes.Values.Where(n => n.Accepted))
        {
            n.Ref.Tell(new Worker.ExplorationOver(summary, Completed: true));
        }

        Become(Finishing);
        if (!nodes.Values.Any(n => n.Address != self))
        {
            Complete();
        }
        else
        {
            Timers.StartSingleTimer(LeaveTimer, LeaveWaitOver.Instance, settings.LeaveTimeout);
        }
    }

    private void Complete()
    {
        done.TrySetResult(new CoordinatorOutcome(book, null, clock.Elapsed.TotalSeconds, timedOut)
        {
            Load = new CoordinatorLoad(unitsDone, messages, (double)busyTicks / Stopwatch.Frequency),
        });
        Context.Stop(Self);
    }

    private void Fail(string why)
    {
        problem = why;
        foreach (var n in nodes.Values.Where(n => n.Accepted))
        {
            n.Ref.Tell(new Worker.ExplorationOver($"the coordinator abandoned the exploration: {why}", Completed: false));
        }

        done.TrySetResult(new CoordinatorOutcome(null, why, clock.Elapsed.TotalSeconds, timedOut));
        Context.Stop(Self);
    }

    private void Refuse(Address address, IActorRef worker, string why)
    {
        worker.Tell(new Worker.Refused(why));
        say($"refused worker {address.Host}:{address.Port}: {why}");
    }

    private Node? NodeOf(IActorRef sender) =>
        nodes.TryGetValue(sender.Path.Address.HasGlobalScope ? sender.Path.Address : self, out var n) && n.Ref.Equals(sender) ? n : null;

    private sealed class Node(Address address, IActorRef worker, string name)
    {
        public Address Address { get; } = address;

        public IActorRef Ref { get; set; } = worker;

        public string Name { get; } = name;

        public bool Accepted { get; set; }

        public int Wanted { get; set; }

        public void Wants(int n) => Wanted += n;
    }

    private sealed class WaitedTooLong
    {
        public static readonly WaitedTooLong Instance = new();
    }

    private sealed class Go
    {
        public static readonly Go Instance = new();
    }

    /// <summary>Ctrl-C on the coordinator: hand out nothing more; what is counted is the answer.</summary>
    public sealed class Interrupt
    {
        public static readonly Interrupt Instance = new();
    }

    private sealed class StealAgain
    {
        public static readonly StealAgain Instance = new();
    }

    private sealed class Deadline
    {
        public static readonly Deadline Instance = new();
    }

    private sealed class LeaveWaitOver
    {
        public static readonly LeaveWaitOver Instance = new();
    }
}
