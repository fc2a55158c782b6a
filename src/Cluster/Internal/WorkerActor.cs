using Akka.Actor;
using Akka.Cluster;
using BootActors.Actors.Host;
using BootActors.Actors.Scenarios;
using BootActors.Cluster.Protocol;
using BootActors.Model.Workload;

namespace BootActors.Cluster.Internal;

/// <summary>How a worker's part ended.</summary>
public enum WorkerEnd
{
    /// <summary>The coordinator said the exploration is over.</summary>
    Over,

    /// <summary>The coordinator refused this node (another build, other scenario files).</summary>
    Refused,

    /// <summary>No coordinator answered in time, or it was lost (killed, unreachable, left early).</summary>
    CoordinatorLost,

    /// <summary>Ctrl-C: the worker withdrew.</summary>
    Interrupted,

    /// <summary>The node's own machinery failed (a bug).</summary>
    Failed,
}

/// <summary>A worker's part, ended: how, in one line for the user, and what it did.</summary>
public sealed record WorkerOutcome(WorkerEnd End, string Message, int Units, int Schedules);

/// <summary>
/// A node's worker: registers with the coordinator, resolves the terms against its own scenario
/// files, then pulls units, runs them on a <see cref="UnitExecutor"/> and returns the results, until
/// the coordinator says the exploration is over. On a remote node it finds the coordinator through
/// cluster membership (the member with role "coordinator") and watches it: a coordinator that is
/// unreachable for longer than bootactors.cluster.coordinator-lost-after, or removed, ends the worker.
/// The coordinator node's own worker is given the coordinator's reference.
/// </summary>
internal sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private const string JoinTimer = "join";
    private const string RegisterTimer = "register";
    private const string LostTimer = "lost";

    private readonly ActorHost host;
    private readonly ClusterSettings settings;
    private readonly TaskCompletionSource<WorkerOutcome> done;
    private readonly Func<ExplorationTerms, (RunSpec? Spec, string? Problem)> resolve;
    private readonly Action<string> say;
    private readonly bool remote;

    /// <summary>This node's name until its first unit arrives (then null: "exploring" is said once).</summary>
    private string? nodeName;
    private IActorRef? coordinator;
    private Address? coordinatorAddress;
    private UnitExecutor? executor;
    private PrefixExecutor? prefixes;
    private int units;
    private int schedules;

    public WorkerActor(ActorHost host, ClusterSettings settings, TaskCompletionSource<WorkerOutcome> done, IActorRef? coordinator,
        Func<ExplorationTerms, (RunSpec? Spec, string? Problem)> resolve, Action<string> say)
    {
        this.say = say;
        this.host = host;
        this.settings = settings;
        this.done = done;
        this.coordinator = coordinator;
        this.resolve = resolve;
        remote = coordinator is null;
        Registering();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ActorHost host, ClusterSettings settings, TaskCompletionSource<WorkerOutcome> done, Action<string> say,
        IActorRef? coordinator = null, Func<ExplorationTerms, (RunSpec? Spec, string? Problem)>? resolve = null) =>
        Akka.Actor.Props.Create(() => new WorkerActor(host, settings, done, coordinator, resolve ?? ResolveFromScenarioFiles, say));

    /// <summary>The worker's own reading of the terms' scenario: its config/scenarios (or the path), the same --set overrides.</summary>
    public static (RunSpec? Spec, string? Problem) ResolveFromScenarioFiles(ExplorationTerms terms)
    {
        try
        {
            var s = ScenarioLoader.Load(ScenarioLoader.Find(terms.Scenario), terms.Sets);
            return (new RunSpec(s.Name, s.Machine, s.Workload), null);
        }
        catch (Exception ex) when (ex is ScenarioException or IOException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            return (null, ex.Message);
        }
    }

    protected override void PreStart()
    {
        if (remote)
        {
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
            Timers.StartSingleTimer(JoinTimer, new GiveUp(
                $"no coordinator accepted this worker within {settings.JoinTimeout.TotalSeconds:0} s (bootactors.cluster.join-timeout): is `bootactors explore … --cluster` running at the --join address?"),
                settings.JoinTimeout);
        }
        else
        {
            coordinator!.Tell(new Coordinator.Register(RunIdentity.Version));
        }
    }

    protected override void PostStop()
    {
        executor?.Dispose();
        prefixes?.Dispose();
        if (remote)
        {
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        }

        // The actor system went down under the worker (its side was downed): the coordinator is lost.
        Finish(WorkerEnd.CoordinatorLost, "the cluster shut this worker down: the coordinator is gone (killed, or cut off from this node)");
    }

    private void Registering()
    {
        Membership();
        Receive<RegisterAgain>(_ => Register());
        Receive<Worker.Explore>(m =>
        {
            Timers.Cancel(RegisterTimer);
            coordinator = Sender;
            var (spec, problem) = resolve(m.Terms);
            var hash = spec is null ? null : RunIdentity.SpecHash(spec);
            Sender.Tell(new Coordinator.Resolved(hash, problem));
            if (spec is not null)
            {
                Become(() => AwaitingAcceptance(spec, m.Terms));
            }
        });
        Refusals();
    }

    private void AwaitingAcceptance(RunSpec spec, ExplorationTerms terms)
    {
        Membership();
        Refusals();

        // An answer to a repeated Register.
        Receive<Worker.Explore>(_ => { });
        Receive<Worker.Accepted>(m =>
        {
            Timers.Cancel(JoinTimer);
            if (remote)
            {
                // The coordinator may still be waiting for --min-workers: "exploring" waits for the first unit.
                say($"worker {m.NodeName}: accepted for {terms.Scenario} ({terms.Strategy}); waiting for work");
            }

            nodeName = m.NodeName;

            if (terms.Strategy is "dfs" or "dpor")
            {
                prefixes = new PrefixExecutor(host, spec, terms.ToOptions(), Self);
                prefixes.Start();
            }
            else
            {
                executor = new UnitExecutor(host, spec, terms.ToOptions(), Self);
                executor.Start();
            }

            coordinator!.Tell(new Coordinator.RequestWork(1 + settings.Prefetch));
            Become(Working);
        });
    }

    private void Working()
    {
        Membership();
        Receive<Worker.Explore>(_ => { });
        Receive<Worker.Accepted>(_ => { });
        Receive<Worker.Assign>(m =>
        {
            FirstWork();
            executor!.Add(m.Unit, m.Hints);
        });
        Receive<Worker.Cutoff>(m =>
        {
            executor?.Cut(m.Schedule);
            prefixes?.Cut();
        });
        Receive<Worker.AssignPrefix>(m =>
        {
            FirstWork();
            prefixes!.Add(m.Unit);
        });
        Receive<Worker.Steal>(m => prefixes!.Steal(m.UnitId));
        Receive<PrefixExecutor.Report>(m =>
        {
            coordinator!.Tell(m.Message);
            if (m.Message is Coordinator.PrefixDone d)
            {
                units++;
                schedules += (int)d.Result.Coverage.Schedules;
                coordinator.Tell(new Coordinator.RequestWork(1));
            }
        });
        Receive<UnitExecutor.UnitFinished>(m =>
        {
            units++;
            schedules += m.Result.Ran;
            coordinator!.Tell(new Coordinator.UnitDone(m.Result));
            coordinator.Tell(new Coordinator.RequestWork(1));
        });
        Receive<UnitExecutor.ExecutorFailed>(m =>
        {
            coordinator!.Tell(new Coordinator.Withdraw($"its explorer failed: {m.Reason}"));
            Finish(WorkerEnd.Failed, $"this worker's explorer failed: {m.Reason}");
        });
    }

    private void FirstWork()
    {
        if (remote && nodeName is { } name)
        {
            say($"worker {name}: exploring");
            nodeName = null;
        }
    }

    /// <summary>What every state does with the cluster's news and with Ctrl-C.</summary>
    private void Membership()
    {
        Receive<ClusterEvent.MemberUp>(m => CoordinatorSeen(m.Member));
        Receive<ClusterEvent.MemberJoined>(m => CoordinatorSeen(m.Member));
        Receive<ClusterEvent.MemberWeaklyUp>(m => CoordinatorSeen(m.Member));
        Receive<ClusterEvent.UnreachableMember>(m =>
        {
            if (m.Member.Address == coordinatorAddress)
            {
                say($"worker: the coordinator at {m.Member.Address.Host}:{m.Member.Address.Port} is unreachable");
                Timers.StartSingleTimer(LostTimer, new GiveUp(
                    $"the coordinator at {m.Member.Address} has been unreachable for {settings.CoordinatorLostAfter.TotalSeconds:0} s (bootactors.cluster.coordinator-lost-after): it was killed or cut off"),
                    settings.CoordinatorLostAfter);
            }
        });
        Receive<ClusterEvent.ReachableMember>(m =>
        {
            if (m.Member.Address == coordinatorAddress)
            {
                Timers.Cancel(LostTimer);
            }
        });
        Receive<ClusterEvent.MemberRemoved>(m => Left(m.Member));
        Receive<ClusterEvent.MemberLeft>(m => Left(m.Member));
        Receive<ClusterEvent.MemberExited>(m => Left(m.Member));
        Receive<ClusterEvent.MemberDowned>(m => Left(m.Member));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<GiveUp>(m => Finish(WorkerEnd.CoordinatorLost, m.Reason));
        Receive<Worker.ExplorationOver>(m => Finish(m.Completed ? WorkerEnd.Over : WorkerEnd.CoordinatorLost, m.Summary));
        Receive<Interrupt>(_ =>
        {
            coordinator?.Tell(new Coordinator.Withdraw("interrupted (Ctrl-C)"));
            Finish(WorkerEnd.Interrupted, "interrupted: this worker withdrew; the coordinator hands its units to others");
        });
    }

    private void Refusals() => Receive<Worker.Refused>(m => Finish(WorkerEnd.Refused, $"the coordinator refused this worker: {m.Reason}"));

    private void CoordinatorSeen(Member member)
    {
        if (coordinatorAddress is not null || !member.HasRole(Coordinator.Role))
        {
            return;
        }

        coordinatorAddress = member.Address;
        coordinator = null;
        Register();
    }

    private void Register()
    {
        if (coordinatorAddress is null)
        {
            return;
        }

        // The coordinator's actor may not be up yet when the node is: ask again until it answers.
        var selection = Context.ActorSelection(new RootActorPath(coordinatorAddress) / "user" / Coordinator.Name);
        selection.Tell(new Coordinator.Register(RunIdentity.Version), Self);
        Timers.StartSingleTimer(RegisterTimer, RegisterAgain.Instance, TimeSpan.FromSeconds(2));
    }

    private void Left(Member member)
    {
        if (member.Address == coordinatorAddress)
        {
            Finish(WorkerEnd.CoordinatorLost, $"the coordinator at {member.Address} left the cluster ({member.Status}) before saying the exploration was over");
        }
        else if (remote && member.Address == Akka.Cluster.Cluster.Get(Context.System).SelfAddress && member.Status is MemberStatus.Down or MemberStatus.Removed)
        {
            Finish(WorkerEnd.CoordinatorLost, "this worker was downed by the cluster: it lost the coordinator");
        }
    }

    private void Finish(WorkerEnd end, string message)
    {
        if (done.TrySetResult(new WorkerOutcome(end, message, units, schedules)))
        {
            executor?.Dispose();
            executor = null;
            prefixes?.Dispose();
            prefixes = null;
            Context.Stop(Self);
        }
    }

    /// <summary>Ctrl-C on the worker's console.</summary>
    public sealed class Interrupt
    {
        public static readonly Interrupt Instance = new();
    }

    private sealed record GiveUp(string Reason);

    private sealed class RegisterAgain
    {
        public static readonly RegisterAgain Instance = new();
    }
}
