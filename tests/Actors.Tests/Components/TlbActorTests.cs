using Akka.Actor;
using BootActors.Actors.Components;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.Tests.Components;

/// <summary>A CPU's TLB as an actor: a miss walks through PhysicalMemory, a hit is checked for staleness, a flush empties it.</summary>
public sealed class TlbActorTests : ProtocolTestKit
{
    private const ulong Va = PAGE_OFFSET + 0x5000;

    [Fact]
    public void AMissSendsPhysicalMemoryAWalkThenAnswersTranslatedWithTheWalkedFrame()
    {
        var (rig, tlb) = Setup();

        var walk = TouchMisses(rig, tlb);
        var walked = WalkedFor(rig, walk);
        tlb.Tell(rig.Deliver(rig.Topology.Memory, walked));

        var reply = ExpectSent<StepReply>(rig.Topology.Tlb(0), rig.Topology.Cpu(0));
        Assert.Equal("Translated", reply.TypeName);
        Assert.Equal(0x5UL, reply.Result.Value);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(1, rig.Machine.Tlbs[0].Count);
    }

    [Fact]
    public void AHitIsAnsweredFromTheCacheWithoutAWalk()
    {
        var (rig, tlb) = Setup();
        Cache(rig, tlb);

        tlb.Tell(rig.Deliver(rig.Topology.Cpu(0), Touch()));

        var reply = ExpectSent<StepReply>(rig.Topology.Tlb(0), rig.Topology.Cpu(0));
        Assert.Equal("Translated", reply.TypeName);
        Assert.Equal(0x5UL, reply.Result.Value);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AHitAfterItsSourceEntryChangedIsAnsweredStaleTlbUse()
    {
        var (rig, tlb) = Setup();
        Cache(rig, tlb);
        rig.Machine.Memory.Write(StaticTables.level2_ident_pgt, 0, new PageTableEntry((2UL << PUD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC));

        tlb.Tell(rig.Deliver(rig.Topology.Cpu(0), Touch()));

        var reply = ExpectSent<StepReply>(rig.Topology.Tlb(0), rig.Topology.Cpu(0));
        Assert.Equal("Faulted", reply.TypeName);
        Assert.Equal(ErrorKind.StaleTlbUse, reply.Result.Fatal?.Kind);
        Assert.Contains("CPU0 used its cached translation of 0xffff880000005000 → frame 0x5", reply.Result.Fatal!.Message);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void FlushTlbAllIsAnsweredTlbFlushedAndTheNextAccessMisses()
    {
        var (rig, tlb) = Setup();
        Cache(rig, tlb);
        var flush = new Effect(EffectKind.FlushTlbAll, KernelFn.remove_pagetable);

        tlb.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, flush)));

        Assert.Equal("TlbFlushed", ExpectSent<StepReply>(rig.Topology.Tlb(0), rig.Topology.Cpu(0)).TypeName);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(0, rig.Machine.Tlbs[0].Count);
        TouchMisses(rig, tlb);
    }

    [Fact]
    public void AShootdownIpiFromAnotherCpuEmptiesThisTlbAndIsAcknowledgedToTheSender()
    {
        var (rig, tlb) = Setup(cpus: 2);
        Cache(rig, tlb);
        var ipi = new Effect(EffectKind.FlushTlbGlobal, KernelFn.remove_pagetable);

        tlb.Tell(rig.Deliver(rig.Topology.Cpu(1), ProtocolRig.Step(1, ipi)));

        Assert.Equal("IpiAcked", ExpectSent<StepReply>(rig.Topology.Tlb(0), rig.Topology.Cpu(1)).TypeName);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(0, rig.Machine.Tlbs[0].Count);
    }

    [Fact]
    public void TheWalksFootprintReadsTheTablesAndItsAnswerWritesOnlyThisTlb()
    {
        var (rig, tlb) = Setup(cpus: 2);

        var walk = TouchMisses(rig, tlb);
        var answer = WalkedFor(rig, walk);

        Assert.Equal(Resources.Tables | Resources.Ranges, walk.Footprint(rig.Topology.TargetOf(rig.Topology.Memory)).Reads);
        var caching = answer.Footprint(rig.Topology.TargetOf(rig.Topology.Tlb(0)));
        Assert.Equal((Resources.Tlb, 0), (caching.Writes, caching.Tlb));
        Assert.Equal(1, rig.Topology.TargetOf(rig.Topology.Tlb(1)));
        Assert.False(caching.ConflictsWith(ProtocolRig.Step(1, new Effect(EffectKind.FlushTlbGlobal, KernelFn.remove_pagetable)).Footprint(1)));
        Assert.True(caching.ConflictsWith(ProtocolRig.Step(1, new Effect(EffectKind.FlushTlbGlobal, KernelFn.remove_pagetable)).Footprint(0)));
    }

    [Fact]
    public void AStepThatIsNotATranslationOrAFlushMakesTheActorThrow()
    {
        var (rig, tlb) = Setup();
        var read = new Effect(EffectKind.ReadEntry, KernelFn.touch, Level.Pud, 0, StaticTables.level3_ident_pgt);

        EventFilter.Exception<InvalidOperationException>(contains: "tlb0 got ReadEntry from cpu0").ExpectOne(Wait, () =>
            tlb.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, read))));
    }

    private static StepRequest Touch() => ProtocolRig.Step(0, new Effect(EffectKind.Touch, KernelFn.touch, value: Va));

    private (ProtocolRig Rig, IActorRef Tlb) Setup(int cpus = 1)
    {
        var rig = NewRig(ProtocolRig.Native(cpus: cpus));
        return (rig, Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.Tlb, 0)));
    }

    private StepRequest TouchMisses(ProtocolRig rig, IActorRef tlb)
    {
        tlb.Tell(rig.Deliver(rig.Topology.Cpu(0), Touch()));
        var walk = ExpectSent<StepRequest>(rig.Topology.Tlb(0), rig.Topology.Memory);
        Assert.Equal("Walk", walk.TypeName);
        Assert.Equal(Va, walk.Step.Value);
        ExpectProcessed(rig.LastSeq);
        return walk;
    }

    /// <summary>Memory's answer to the walk, as the memory actor computes it.</summary>
    private static StepReply WalkedFor(ProtocolRig rig, StepRequest walk)
    {
        var walked = rig.Machine.Execute(walk.Stage, walk.Tag.Cpu, 0, walk.Step, walk.Input, rig.LastSeq);
        return walk.Reply(walked.Result, walked.Data);
    }

    private void Cache(ProtocolRig rig, IActorRef tlb)
    {
        var walk = TouchMisses(rig, tlb);
        tlb.Tell(rig.Deliver(rig.Topology.Memory, WalkedFor(rig, walk)));
        ExpectSent<StepReply>(rig.Topology.Tlb(0), rig.Topology.Cpu(0));
        ExpectProcessed(rig.LastSeq);
    }
}
