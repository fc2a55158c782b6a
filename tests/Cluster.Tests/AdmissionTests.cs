using Akka.Configuration;
using BootActors.Actors.Exploration;
using BootActors.Cluster.Internal;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Work;

namespace BootActors.Cluster.Tests;

/// <summary>The coordinator admits only workers of its own build whose scenario files resolve to its run.</summary>
public sealed class AdmissionTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ExplorationTerms Terms = ExplorationTerms.From("hotadd-concurrent", [], new string('a', 64), new ExploreOptions { Iterations = 10 });

    public AdmissionTests()
        : base(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = 0").WithFallback(ClusterNode.ClusterHocon()))
    {
    }

    [Fact]
    public void AWorkerOfAnotherBuildIsRefusedWithBothVersionsNamed()
    {
        var coordinator = Coordinator();
        coordinator.Tell(new Protocol.Coordinator.Register("0.0.9+deadbeefdeadbeefdead"), TestActor);

        var refused = ExpectMsg<Worker.Refused>();
        Assert.Contains("it runs BootActors 0.0.9+deadbeefdead, the coordinator " + RunIdentity.Short(RunIdentity.Version), refused.Reason);
        Assert.Contains("run the same build on every node", refused.Reason);
    }

    [Fact]
    public void AWorkerOfTheSameBuildIsGivenTheTermsAndRefusedWhenItsSpecHashDiffers()
    {
        var coordinator = Coordinator();
        coordinator.Tell(new Protocol.Coordinator.Register(RunIdentity.Version), TestActor);
        Assert.Equal(Terms.SpecHash, ExpectMsg<Worker.Explore>().Terms.SpecHash);

        coordinator.Tell(new Protocol.Coordinator.Resolved(new string('b', 64), null), TestActor);
        var refused = ExpectMsg<Worker.Refused>();
        Assert.Contains("its scenario files resolve hotadd-concurrent to another run (spec bbbbbbbbbbbb, the coordinator's aaaaaaaaaaaa)", refused.Reason);
    }

    [Fact]
    public void AWorkerWhoseSpecHashMatchesIsAccepted()
    {
        var coordinator = Coordinator();
        coordinator.Tell(new Protocol.Coordinator.Register(RunIdentity.Version), TestActor);
        ExpectMsg<Worker.Explore>();
        coordinator.Tell(new Protocol.Coordinator.Resolved(Terms.SpecHash, null), TestActor);
        ExpectMsg<Worker.Accepted>();
    }

    private Akka.Actor.IActorRef Coordinator() =>
        Sys.ActorOf(CoordinatorActor.Props(Terms, new IndexPlan(10, 4, false), ClusterSettings.Default, 1, null,
            new TaskCompletionSource<CoordinatorOutcome>(), _ => { }, null));
}
