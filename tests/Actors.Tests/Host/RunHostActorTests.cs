using Akka.Actor;
using Akka.TestKit;
using BootActors.Actors.Components;
using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Tests.Host;

/// <summary>
/// The run host below the facade, where a test owns the run's context: a stand-in for the
/// hypervisor (issue 5's "any actor replaced by a probe"), a stand-in that never answers (the
/// run's timeout), and a lock nobody will release (the deadlock report).
/// </summary>
/// <remarks>
/// Through the facade, ActorRunOptions.Replacements puts a probe in place of an actor (see
/// <see cref="ActorReplacementTests"/>). Here the stand-in goes straight into the topology from a
/// strategy's first choice (after the actors exist, before the first delivery) and answers the
/// conductor itself, with the run's epoch: the raw protocol a replacement has to honour.
/// </remarks>
public sealed class RunHostActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public void AHypervisorProbeThatRefusesTheThirdMmuUpdateStopsTheBootOnCpu0WithThatRefusal()
    {
        var rig = new RunHostRig(new Machine(Shipped.Load("xen-boot-after").Machine));
        var hyp = rig.Topology.Hypervisor;
        var probe = CreateTestProbe("hypervisor-probe");
        var mmuUpdates = 0;
        Effect? refused = null;
        var refusal = new FatalEvent(ErrorKind.HypervisorRefused, "(XEN) probe: the third mmu_update is refused");
        IActorRef real = ActorRefs.Nobody;
        probe.SetAutoPilot(new DelegateAutoPilot((conductor, message) =>
        {
            var d = (Deliver)message;
            if (d.Message is StepRequest { TypeName: "MmuUpdate" } update && ++mmuUpdates == 3)
            {
                refused = update.Step;
                conductor.Tell(new ModelEnvelope(hyp, d.From, update.Reply(StepResult.Fail(refusal)),
                    d.SenderClock, rig.Run.Epoch));
                conductor.Tell(new Processed(d.Seq, false, rig.Run.Epoch));
            }
            else
            {
                real.Tell(d, conductor);
            }

            return AutoPilot.KeepRunning;
        }));
        var strategy = new BeforeFirstChoice(new RandomStrategy(0), () =>
        {
            real = rig.Topology.Refs[hyp];
            rig.Topology.Refs[hyp] = probe;
        });

        rig.Start(Sys, TestActor, Model.Workload.WorkloadPlan.BootOnly, strategy, Shipped.Options());

        var finished = ExpectMsg<RunHost.Finished>(Wait);
        Assert.Equal(3, mmuUpdates);
        var stop = Assert.IsType<Model.Interpreter.RunStop>(finished.Stop);
        Assert.Same(refusal, stop.Fatal);
        Assert.Equal(0, stop.Cpu);
        Assert.StartsWith("init_memory_mapping → ", stop.CallChain);
        Assert.EndsWith(refused!.Value.Fn.ToString(), stop.CallChain);
        Assert.Equal(Outcome.Rejected, stop.Fatal.Kind.Outcome());
    }

    [Fact]
    public void AStandInThatNeverAnswersEndsTheRunAtItsTimeoutNamingTheCpuStillRunning()
    {
        var rig = new RunHostRig(new Machine(Shipped.Load("xen-boot-after").Machine));
        var hyp = rig.Topology.Hypervisor;
        var silent = CreateTestProbe("silent-hypervisor");
        var strategy = new BeforeFirstChoice(new RandomStrategy(0), () => rig.Topology.Refs[hyp] = silent);

        rig.Start(Sys, TestActor, Model.Workload.WorkloadPlan.BootOnly, strategy, Shipped.Options() with { Timeout = TimeSpan.FromSeconds(1) });

        var first = silent.ExpectMsg<Deliver>(Wait);
        var finished = ExpectMsg<RunHost.Finished>(Wait);
        Assert.Equal(ErrorKind.Timeout, finished.Stop?.Fatal.Kind);

        // The count is of deliveries model actors handled: the stand-in's is not among them.
        Assert.Equal(
            $"the run did not finish within 1 s ({first.Seq - 1} messages delivered; still running: CPU0 (boot: init_memory_mapping(0, end)))",
            finished.Stop!.Fatal.Message);
        Assert.IsAssignableFrom<StepRequest>(first.Message);
        silent.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void ADeliveryOfAnUnknownMessageTypeMakesTheActorThrowAndTheRunEndFailedNamingItAndTheException()
    {
        var rig = new RunHostRig(new Machine(Shipped.Load("default").Machine));
        var strategy = new BeforeFirstChoice(new RandomStrategy(0), () =>
            rig.Topology.Refs[rig.Topology.PageTableLock].Tell(new Deliver(0, rig.Topology.Cpu(3), new Nonsense(), new long[rig.Topology.Count], Epoch: rig.Run.Epoch)));

        rig.Start(Sys, TestActor, Model.Workload.WorkloadPlan.BootOnly, strategy, Shipped.Options());

        var finished = ExpectMsg<RunHost.Finished>(Wait);
        var stop = Assert.IsType<Model.Interpreter.RunStop>(finished.Stop);
        Assert.Equal(ErrorKind.ActorFailed, stop.Fatal.Kind);
        Assert.Equal(Outcome.Failed, stop.Fatal.Kind.Outcome());
        Assert.Equal("page_table_lock", stop.CallChain);
        Assert.Equal("actor page_table_lock failed: InvalidOperationException: page_table_lock got Nonsense from cpu3", stop.Fatal.Message);
    }

    [Fact]
    public void AControlledDeliveryOfAnEarlierRunIsIgnoredAndCannotTouchThisRunsMachine()
    {
        var rig = new RunHostRig(new Machine(Shipped.Load("default").Machine));
        var strategy = new BeforeFirstChoice(new RandomStrategy(0), () =>
            rig.Topology.Refs[rig.Topology.PageTableLock].Tell(new Deliver(0, rig.Topology.Cpu(3), new Nonsense(), new long[rig.Topology.Count], Epoch: rig.Run.Epoch - 1)));

        rig.Start(Sys, TestActor, Model.Workload.WorkloadPlan.BootOnly, strategy, Shipped.Options());

        var finished = ExpectMsg<RunHost.Finished>(Wait);
        Assert.Null(finished.Stop);
    }

    [Fact]
    public void TwoCpusWaitingForALockNobodyReleasesEndAControlledRunWithTheDeadlockReport()
    {
        var (rig, plan, options) = LockedBeforeHotAdds(HostMode.Controlled);

        rig.Start(Sys, TestActor, plan, new RandomStrategy(0), options);

        var finished = ExpectMsg<RunHost.Finished>(Wait);
        var stop = Assert.IsType<Model.Interpreter.RunStop>(finished.Stop);
        Assert.Equal("deadlock", stop.CallChain);
        Assert.Equal(1, stop.Cpu);
        Assert.Equal(ErrorKind.Deadlock, stop.Fatal.Kind);
        Assert.StartsWith("no message can be delivered but ", stop.Fatal.Message);
        Assert.Contains("CPU1 (CPU1 hot-add [0x200000000, 0x201000000))", stop.Fatal.Message);
        Assert.Contains("CPU2 (CPU2 hot-add [0x201000000, 0x202000000))", stop.Fatal.Message);
        Assert.EndsWith("they wait for a lock (init_mm.page_table_lock held by CPU0, the hotplug mutex by nobody)", stop.Fatal.Message);
        Assert.Equal([1, 2], rig.Machine.Lock.Waiters.Order());
    }

    [Fact]
    public void InFreeModeTheSameDeadlockIsReportedAsATimeoutNotAHang()
    {
        var (rig, plan, options) = LockedBeforeHotAdds(HostMode.Free);

        rig.Start(Sys, TestActor, plan, new RandomStrategy(0), options with { Timeout = TimeSpan.FromSeconds(1) });

        var finished = ExpectMsg<RunHost.Finished>(Wait);
        Assert.Equal(ErrorKind.Timeout, finished.Stop?.Fatal.Kind);
        Assert.Contains("still running: CPU1 (CPU1 hot-add", finished.Stop!.Fatal.Message);
        Assert.Contains("CPU2 (CPU2 hot-add", finished.Stop.Fatal.Message);
    }

    /// <summary>hotadd-concurrent after its boot, with init_mm.page_table_lock held by CPU0, which runs nothing.</summary>
    private static (RunHostRig Rig, Model.Workload.WorkloadPlan Plan, ActorRunOptions Options) LockedBeforeHotAdds(HostMode mode)
    {
        var scenario = Shipped.Load("hotadd-concurrent");
        var boot = Simulation.SnapshotAfterBoot(scenario.Machine);
        var machine = boot.Machine.Clone();
        Assert.Equal(LockResult.Acquired, machine.Lock.Lock(0));
        return (new RunHostRig(machine, mode), scenario.Workload, Shipped.Options(mode) with { AfterBoot = boot });
    }

    /// <summary>A model message no actor handles.</summary>
    private sealed record Nonsense : ModelMessage
    {
        public override void Fields(Dictionary<string, string> into)
        {
        }
    }
}
