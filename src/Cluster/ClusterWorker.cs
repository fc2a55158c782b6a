using Akka.Actor;
using BootActors.Actors.Host;
using BootActors.Cluster.Internal;
using BootActors.Cluster.Protocol;

namespace BootActors.Cluster;

/// <summary>
/// <c>bootactors worker --join HOST:PORT</c>: a cluster node that joins the coordinator, explores
/// the units it is given until the coordinator says the exploration is over, then leaves.
/// </summary>
public static class ClusterWorker
{
    /// <summary>
    /// Runs a worker until its part ends (<see cref="WorkerOutcome"/>); <paramref name="interrupt"/>
    /// (Ctrl-C) makes it withdraw and leave.
    /// </summary>
    public static WorkerOutcome Run(string joinHost, int joinPort, string? hostname, int port, Action<string> say, CancellationToken interrupt)
    {
        var settings = ClusterNode.Settings();
        var host = hostname ?? ClusterNode.LocalAddressToward(joinHost, joinPort);
        ActorSystem system;
        try
        {
            system = ClusterNode.Start(ClusterNode.Worker(host, port, joinHost, joinPort));
        }
        catch (Exception ex) when (ClusterExplorer.Bind(ex) is { } why)
        {
            throw new ClusterException($"--hostname {host} --port {port}: cannot listen there: {why}", usage: true);
        }

        try
        {
            var actorHost = new ActorHost(system);
            var done = new TaskCompletionSource<WorkerOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            var worker = system.ActorOf(WorkerActor.Props(actorHost, settings, done, say), Worker.Name);
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            say($"worker {self.Host}:{self.Port}: joining the coordinator at {joinHost}:{joinPort}");
            using var onInterrupt = interrupt.Register(() => worker.Tell(WorkerActor.Interrupt.Instance));

            // The actor system ending under the worker (its side downed) ends the worker too.
            system.WhenTerminated.ContinueWith(_ => done.TrySetResult(new WorkerOutcome(WorkerEnd.CoordinatorLost,
                "the cluster shut this worker down: the coordinator is gone (killed, or cut off from this node)", 0, 0)), TaskScheduler.Default);
            return done.Task.GetAwaiter().GetResult();
        }
        finally
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
    }
}
