using Akka.Actor;
using BootActors.Actors.Components;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Tests.Components;

/// <summary>init_mm.page_table_lock as an actor: granted at once when free, handed over FIFO on unlock, errors answered.</summary>
public sealed class InitMmLockActorTests : ProtocolTestKit
{
    private static readonly Effect Lock = new(EffectKind.SpinLock, KernelFn.phys_pud_init, value: KernelCode.PageTableLock);
    private static readonly Effect Unlock = new(EffectKind.SpinUnlock, KernelFn.phys_pud_init, value: KernelCode.PageTableLock);

    [Fact]
    public void AFreeLockIsGrantedAtOnce()
    {
        var (rig, lockActor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);

        lockActor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, Lock)));

        Assert.Equal("LockGranted", ExpectSent<StepReply>(rig.Topology.PageTableLock, cpu0).TypeName);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(0, rig.Machine.Lock.Owner);
    }

    [Fact]
    public void ASecondCpuGetsNoReplyUntilTheOwnerUnlocksThenLockGrantedArrives()
    {
        var (rig, lockActor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var cpu1 = rig.Topology.Cpu(1);
        lockActor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, Lock)));
        ExpectSent<StepReply>(rig.Topology.PageTableLock, cpu0);
        ExpectProcessed(rig.LastSeq);

        lockActor.Tell(rig.Deliver(cpu1, ProtocolRig.Step(1, Lock)));

        // Processed is the actor's last word on a delivery: nothing was sent to CPU1 before it.
        ExpectProcessed(rig.LastSeq);
        Assert.Equal([1], rig.Machine.Lock.Waiters);

        lockActor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, Unlock)));

        Assert.Equal("LockReleased", ExpectSent<StepReply>(rig.Topology.PageTableLock, cpu0).TypeName);
        var granted = ExpectSent<StepReply>(rig.Topology.PageTableLock, cpu1);
        Assert.Equal("LockGranted", granted.TypeName);
        Assert.Equal(1, granted.Tag.Cpu);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(1, rig.Machine.Lock.Owner);
    }

    [Fact]
    public void WaitersAreGrantedTheLockInTheOrderTheyAskedForIt()
    {
        var (rig, lockActor) = Setup(cpus: 3);
        lockActor.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, Lock)));
        ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(0));
        ExpectProcessed(rig.LastSeq);
        foreach (var cpu in new[] { 2, 1 })
        {
            lockActor.Tell(rig.Deliver(rig.Topology.Cpu(cpu), ProtocolRig.Step(cpu, Lock)));
            ExpectProcessed(rig.LastSeq);
        }

        lockActor.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, Unlock)));
        ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(0));
        Assert.Equal("LockGranted", ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(2)).TypeName);
        ExpectProcessed(rig.LastSeq);
        lockActor.Tell(rig.Deliver(rig.Topology.Cpu(2), ProtocolRig.Step(2, Unlock)));
        ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(2));
        Assert.Equal("LockGranted", ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(1)).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AnUnlockByACpuThatDoesNotHoldTheLockIsAnsweredUnlockByNonOwner()
    {
        var (rig, lockActor) = Setup();
        lockActor.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, Lock)));
        ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(0));
        ExpectProcessed(rig.LastSeq);

        lockActor.Tell(rig.Deliver(rig.Topology.Cpu(1), ProtocolRig.Step(1, Unlock)));

        var reply = ExpectSent<StepReply>(rig.Topology.PageTableLock, rig.Topology.Cpu(1));
        Assert.Equal("Faulted", reply.TypeName);
        Assert.Equal(ErrorKind.UnlockByNonOwner, reply.Result.Fatal?.Kind);
        Assert.Contains("by CPU1, which does not hold it (owner: CPU0)", reply.Result.Fatal!.Message);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(0, rig.Machine.Lock.Owner);
    }

    [Fact]
    public void LockingALockTheCpuHoldsIsAnsweredSelfDeadlock()
    {
        var (rig, lockActor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        lockActor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, Lock)));
        ExpectSent<StepReply>(rig.Topology.PageTableLock, cpu0);
        ExpectProcessed(rig.LastSeq);

        lockActor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, Lock)));

        var reply = ExpectSent<StepReply>(rig.Topology.PageTableLock, cpu0);
        Assert.Equal(ErrorKind.SelfDeadlock, reply.Result.Fatal?.Kind);
        Assert.Contains("by CPU0, which already holds it", reply.Result.Fatal!.Message);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void TheHotplugMutexActorRefusesARequestForThePageTableLock()
    {
        var rig = NewRig(ProtocolRig.Native(cpus: 2));
        var mutex = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.Lock, (int)KernelCode.HotplugMutexLock));

        EventFilter.Exception<InvalidOperationException>(contains: "hotplug_mutex got SpinLock from cpu0").ExpectOne(Wait, () =>
            mutex.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, Lock))));
        Assert.Null(rig.Machine.Lock.Owner);
        Assert.Null(rig.Machine.HotplugMutex.Owner);
    }

    private (ProtocolRig Rig, IActorRef Lock) Setup(int cpus = 2)
    {
        var rig = NewRig(ProtocolRig.Native(cpus: cpus));
        return (rig, Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.Lock, (int)KernelCode.PageTableLock)));
    }
}
