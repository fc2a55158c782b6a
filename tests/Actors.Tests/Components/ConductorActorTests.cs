using Akka.Actor;
using Akka.TestKit;
using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;
using ConductorMsg = BootActors.Actors.Conductor.Conductor;

namespace BootActors.Actors.Tests.Components;

/// <summary>
/// The conductor of controlled mode: one message in flight at a time, the next chosen by the
/// strategy only after the receiver's Processed; Quiescent to the host when nothing is pending;
/// the step bound; a halt.
/// </summary>
public sealed class ConductorActorTests : ProtocolTestKit
{
    [Fact]
    public void WithFifoItDeliversTheOldestMessageAndTheNextOnlyAfterProcessed()
    {
        var (rig, conductor, host, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        var (a, b) = (rig.Topology.Cpu(0), rig.Topology.Cpu(1));

        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(a, "first"), Envelope(b, "second")]));

        var first = receivers[0].ExpectMsg<Deliver>(Wait);
        Assert.Equal((1L, Topology.Host, "first"), (first.Seq, first.From, Label(first)));
        receivers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        conductor.Tell(new Processed(1, false));

        var second = receivers[1].ExpectMsg<Deliver>(Wait);
        Assert.Equal((2L, "second"), (second.Seq, Label(second)));
        receivers[0].ExpectNoMsg(TimeSpan.Zero);
        host.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void AMessageSentDuringADeliveryIsPendingAndDeliveredAfterTheProcessed()
    {
        var (rig, conductor, _, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "first")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        conductor.Tell(Envelope(rig.Topology.Cpu(1), "reply", from: rig.Topology.Cpu(0)));
        receivers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        conductor.Tell(new Processed(1, false));

        var reply = receivers[1].ExpectMsg<Deliver>(Wait);
        Assert.Equal((2L, rig.Topology.Cpu(0), "reply"), (reply.Seq, reply.From, Label(reply)));
    }

    [Fact]
    public void WhenNothingIsPendingAfterTheLastProcessedTheHostIsToldQuiescentWithThePhase()
    {
        var (rig, conductor, host, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(3, [Envelope(rig.Topology.Cpu(0), "only")]));
        receivers[0].ExpectMsg<Deliver>(Wait);
        host.ExpectNoMsg(TimeSpan.Zero);

        conductor.Tell(new Processed(1, false));

        Assert.Equal(new ConductorMsg.Quiescent(3, 1), host.ExpectMsg<ConductorMsg.Quiescent>(Wait));
    }

    [Fact]
    public void WhatAnActorTellsTheHostDuringADeliveryReachesTheHostBeforeTheQuiescentThatFollowsIt()
    {
        // The run host decides "deadlock" from Quiescent while CPUs are still running: a CPU's
        // ProgramDone must never arrive after it, whatever the threads do. Both travel through here.
        var (rig, conductor, host, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "last step")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        var done = new BootActors.Actors.Components.Cpu.ProgramDone(0, "hot-add", 0);
        conductor.Tell(new ConductorMsg.ToHost(done, 0));
        conductor.Tell(new Processed(1, false));

        Assert.Equal(done, host.ExpectMsg<BootActors.Actors.Components.Cpu.ProgramDone>(Wait));
        Assert.Equal(new ConductorMsg.Quiescent(1, 1, 0), host.ExpectMsg<ConductorMsg.Quiescent>(Wait));
    }

    [Fact]
    public void WhatAProcessedCarriesIsPendingInItsOrderAndItsWordsReachTheHostBeforeTheNextVerdict()
    {
        // The actors hand their sends and host words to the conductor inside the delivery's Processed:
        // the strategy must see them exactly as if they had come one by one before it.
        var strategy = new RecordingStrategy(pick: 0);
        var (rig, conductor, host, receivers) = Setup(strategy, maxSteps: 100);
        var (a, b) = (rig.Topology.Cpu(0), rig.Topology.Cpu(1));
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(a, "first"), Envelope(b, "waiting")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        var printk = new BootActors.Actors.Components.Cpu.Printk(0, BootActors.Model.Kernel.KernelFn.init_memory_mapping, "line", 0);
        conductor.Tell(new Processed(1, false) { Sent = [Envelope(b, "x", from: a), new ConductorMsg.ToHost(printk, 0), Envelope(a, "y", from: a)] });

        Assert.Equal(printk, host.ExpectMsg<BootActors.Actors.Components.Cpu.Printk>(Wait));
        Assert.Equal("waiting", Label(receivers[1].ExpectMsg<Deliver>(Wait)));
        Assert.Equal(["waiting", "x", "y"], strategy.Seen[1]);
        Assert.Equal([0L, 1L, 1L], strategy.SeenSentBy[1]);
    }

    [Fact]
    public void AForcedDeliveryMayBeHandedOnOnlyWhenTheStrategyNeedNotSeeItAndWithinTheStepBound()
    {
        // Fifo does not see forced deliveries: the only pending message may be carried on by the actors.
        var (rig, conductor, _, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "only")]));
        Assert.Equal(99, receivers[0].ExpectMsg<Deliver>(Wait).HandOn);

        // Two pending: a real choice, so none.
        (rig, conductor, _, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "a"), Envelope(rig.Topology.Cpu(1), "b")]));
        Assert.Equal(0, receivers[0].ExpectMsg<Deliver>(Wait).HandOn);

        // A strategy that records every delivery (exploration, replay): none.
        var recording = new RecordingStrategy(pick: 0);
        (rig, conductor, _, receivers) = Setup(recording, maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "only")]));
        Assert.Equal(0, receivers[0].ExpectMsg<Deliver>(Wait).HandOn);
    }

    [Fact]
    public void AfterAHandedOnChainTheNextDeliveryIsNumberedAfterItAndItsMessagesWereSentByItsLast()
    {
        var recording = new RecordingStrategy(pick: 0);
        var (rig, conductor, _, receivers) = Setup(recording, maxSteps: 100);
        var (a, b) = (rig.Topology.Cpu(0), rig.Topology.Cpu(1));
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(a, "first")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        // The actors made deliveries 2-5 themselves; the last sent two messages.
        conductor.Tell(new Processed(5, false) { HandedOn = 4, Sent = [Envelope(b, "x", from: a), Envelope(a, "y", from: b)] });

        var next = receivers[1].ExpectMsg<Deliver>(Wait);
        Assert.Equal((6L, "x"), (next.Seq, Label(next)));
        Assert.Equal([5L, 5L], recording.SeenSentBy[1]);
    }

    [Fact]
    public void AfterAResetWhatTheActorsSayOfTheEarlierRunIsIgnoredAndTheVerdictsNameTheirRun()
    {
        var (rig, conductor, host, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.Reset(new FifoStrategy(), 100, Epoch: 7));
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "first"), Envelope(rig.Topology.Cpu(1), "second")]));
        var first = receivers[0].ExpectMsg<Deliver>(Wait);
        Assert.Equal(7, first.Epoch);

        // A straggler of run 6 (a stopped run's Processed, a printk) neither releases nor halts run 7.
        conductor.Tell(new Processed(1, true, 6));
        conductor.Tell(new ConductorMsg.ToHost(new BootActors.Actors.Components.Cpu.ProgramDone(0, "old", 6), 6));
        receivers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        host.ExpectNoMsg(TimeSpan.Zero);

        conductor.Tell(new Processed(1, false, 7));
        Assert.Equal(7, receivers[1].ExpectMsg<Deliver>(Wait).Epoch);
        conductor.Tell(new Processed(2, false, 7));
        Assert.Equal(new ConductorMsg.Quiescent(1, 2, 7), host.ExpectMsg<ConductorMsg.Quiescent>(Wait));
    }

    [Fact]
    public void AtTheStepBoundItStopsDeliveringAndTellsTheHostStepLimit()
    {
        var (rig, conductor, host, receivers) = Setup(new FifoStrategy(), maxSteps: 1);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "first"), Envelope(rig.Topology.Cpu(1), "second")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        conductor.Tell(new Processed(1, false));

        Assert.Equal(new ConductorMsg.StepLimit(1), host.ExpectMsg<ConductorMsg.StepLimit>(Wait));
        conductor.Tell(new Processed(1, false));
        receivers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void AProcessedThatReportsAStoppedRunEndsTheDeliveries()
    {
        var (rig, conductor, host, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "first"), Envelope(rig.Topology.Cpu(1), "second")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        conductor.Tell(new Processed(1, true));

        receivers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        host.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void AfterHaltNothingMoreIsDelivered()
    {
        var (rig, conductor, _, receivers) = Setup(new FifoStrategy(), maxSteps: 100);
        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "first"), Envelope(rig.Topology.Cpu(1), "second")]));
        receivers[0].ExpectMsg<Deliver>(Wait);

        conductor.Tell(ConductorMsg.Halt.Instance);
        conductor.Tell(new Processed(1, false));

        receivers[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void TheStrategyChoosesAmongThePendingMessagesInTheOrderTheyWereSent()
    {
        var strategy = new RecordingStrategy(pick: 1);
        var (rig, conductor, _, receivers) = Setup(strategy, maxSteps: 100);

        conductor.Tell(new ConductorMsg.StartPhase(1, [Envelope(rig.Topology.Cpu(0), "first"), Envelope(rig.Topology.Cpu(1), "second")]));

        Assert.Equal("second", Label(receivers[1].ExpectMsg<Deliver>(Wait)));
        Assert.Equal(["first", "second"], strategy.Seen.Single());
    }

    [Fact]
    public void TheSeededRandomStrategyMakesTheSameChoicesForTheSameSeedAndOthersForAnother()
    {
        var pending = Enumerable.Range(0, 8).Select(i => new PendingMessage(i, 0, 1, new Labelled($"m{i}"))).ToList();
        int[] Choices(long seed)
        {
            var s = new RandomStrategy(seed);
            return Enumerable.Range(0, 32).Select(_ => s.Choose(pending)).ToArray();
        }

        Assert.Equal(Choices(5), Choices(5));
        Assert.NotEqual(Choices(5), Choices(6));
        Assert.All(Choices(7), c => Assert.InRange(c, 0, pending.Count - 1));
    }

    private static string Label(Deliver d) => ((Labelled)d.Message).Label;

    private static ModelEnvelope Envelope(int to, string label, int from = Topology.Host) =>
        new(from, to, new Labelled(label), new long[16]);

    private (ProtocolRig Rig, IActorRef Conductor, TestProbe Host, TestProbe[] Receivers) Setup(IScheduleStrategy strategy, long maxSteps)
    {
        var rig = NewRig(ProtocolRig.Native(cpus: 2));
        var host = CreateTestProbe();
        rig.Run.Host = host;
        var receivers = new[] { CreateTestProbe(), CreateTestProbe() };
        rig.Topology.Refs[rig.Topology.Cpu(0)] = receivers[0];
        rig.Topology.Refs[rig.Topology.Cpu(1)] = receivers[1];
        var conductor = Sys.ActorOf(ConductorActor.Props(rig.Run, strategy, maxSteps));
        rig.Run.Conductor = conductor;
        return (rig, conductor, host, receivers);
    }

    /// <summary>A model message that names itself.</summary>
    private sealed record Labelled(string Label) : ModelMessage
    {
        public override void Fields(Dictionary<string, string> into) => into["label"] = Label;
    }

    private sealed class RecordingStrategy(int pick) : IScheduleStrategy
    {
        public List<string[]> Seen { get; } = new();

        public List<long[]> SeenSentBy { get; } = new();

        public string Name => "recording";

        public int Choose(IReadOnlyList<PendingMessage> pending)
        {
            Seen.Add(pending.Select(p => ((Labelled)p.Message).Label).ToArray());
            SeenSentBy.Add(pending.Select(p => p.SentBy).ToArray());
            return Math.Min(pick, pending.Count - 1);
        }
    }
}
