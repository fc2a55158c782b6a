using Akka.Actor;
using BootActors.Actors.Components;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using EntryRef = BootActors.Model.Memory.EntryRef;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.Tests.Components;

/// <summary>
/// The PhysicalMemory actor's protocol (the owner actor of memory's stages) on a native 4 GiB machine before the boot: head_64.S's
/// tables, where pud[0] of level3_ident_pgt (0x202) links level2_ident_pgt (0x203), whose 512
/// 2 MiB leaves map [0, 1G).
/// </summary>
public sealed class PhysicalMemoryActorTests : ProtocolTestKit
{
    private static readonly Pfn Level3 = StaticTables.level3_ident_pgt;
    private static readonly Pfn Level2 = StaticTables.level2_ident_pgt;

    /// <summary>The memory actor on a fresh native rig, and CPU0's read of pud[0] of level3_ident_pgt.</summary>
    private (ProtocolRig Rig, IActorRef Memory, int Cpu0, Effect Read) ReadOfPud0()
    {
        var rig = NewRig(ProtocolRig.Native());
        return (rig, Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory)), rig.Topology.Cpu(0),
            new Effect(EffectKind.ReadEntry, KernelFn.phys_pud_update, Level.Pud, 0, Level3));
    }

    [Fact]
    public void ReadEntryIsAnsweredEntryReadWithTheEntrysValue()
    {
        var (rig, memory, cpu0, read) = ReadOfPud0();

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, read)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, cpu0);
        Assert.Equal("EntryRead", reply.TypeName);
        Assert.Equal(Level2.PhysAddr.Value | _KERNPG_TABLE, reply.Result.Value);
        Assert.Equal(new StepTag(0, read), reply.Tag);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AForcedDeliveryItMayHandOnGoesStraightToTheReceiverNumberedNextAndTheConductorHearsNothing()
    {
        var (rig, memory, cpu0, read) = ReadOfPud0();

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, read)) with { HandOn = 5, HandedOn = 2 });

        // The stand-in is every actor's ref: what reaches it is the delivery to cpu0, not an envelope.
        var next = ExpectMsg<Deliver>(Wait);
        Assert.Equal((rig.LastSeq + 1, rig.Topology.Memory, 4, 3), (next.Seq, next.From, next.HandOn, next.HandedOn));
        Assert.Equal("EntryRead", Assert.IsType<StepReply>(next.Message).TypeName);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void WithNothingLeftToHandOnOrTheRunHaltedItAnswersTheConductorWithTheChainsCount()
    {
        var (rig, memory, cpu0, read) = ReadOfPud0();

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, read)) with { HandOn = 0, HandedOn = 7 });
        var processed = ExpectMsg<Processed>(Wait);
        Assert.Equal((rig.LastSeq, 7), (processed.Seq, processed.HandedOn));
        Assert.IsType<ModelEnvelope>(Assert.Single(processed.Sent!));

        rig.Run.Halted = true;
        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, read)) with { HandOn = 9 });
        Assert.Equal(rig.LastSeq, ExpectMsg<Processed>(Wait).Seq);
    }

    [Fact]
    public void SetEntryOverwritingAPresentLeafThatMapsRamIsAnsweredOverwrotePresentEntryAndLeavesTheEntry()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var cpu0 = rig.Topology.Cpu(0);
        var before = rig.Machine.Memory.Read(Level2, 0);
        var leaf = (3UL << PUD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC;
        var set = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 0, Level2, leaf, PAGE_OFFSET);

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, set)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, cpu0);
        Assert.Equal("Faulted", reply.TypeName);
        var fatal = Assert.IsType<FatalEvent>(reply.Result.Fatal);
        Assert.Equal(ErrorKind.OverwrotePresentEntry, fatal.Kind);
        Assert.Contains("set_pmd overwrote present pmd[0] of table 0x203", fatal.Message);
        Assert.Equal(before, rig.Machine.Memory.Read(Level2, 0));
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void SetEntryOfAnEmptyEntryWritesItAndIsAnsweredEntryWritten()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var cpu0 = rig.Topology.Cpu(0);
        var leaf = (1UL << PUD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC;
        var set = new Effect(EffectKind.SetEntry, KernelFn.phys_pud_init, Level.Pud, 5, Level3, leaf, PAGE_OFFSET + (5UL << PUD_SHIFT));

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, set)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, cpu0);
        Assert.Equal("EntryWritten", reply.TypeName);
        Assert.False(reply.Result.IsFatal);
        Assert.Equal(leaf, rig.Machine.Memory.Read(Level3, 5).Value);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void ReachTableOfAPageTheLinearMapDoesNotMapIsAnsweredTablePageUnmapped()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var cpu0 = rig.Topology.Cpu(0);
        var above1G = new Pfn(0x80000);
        var reach = new Effect(EffectKind.ReachTable, KernelFn.phys_pud_update, Level.Pmd, 0, above1G, payload: "pmd_offset");

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, reach)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, cpu0);
        var fatal = Assert.IsType<FatalEvent>(reply.Result.Fatal);
        Assert.Equal(ErrorKind.TablePageUnmapped, fatal.Kind);
        Assert.Contains("pmd_offset reaches page 0x80000 through __va", fatal.Message);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void ReachTableOfAPageInsideTheFirstGigabyteIsAnsweredTableReached()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var cpu0 = rig.Topology.Cpu(0);
        var reach = new Effect(EffectKind.ReachTable, KernelFn.phys_pud_update, Level.Pmd, 0, Level2, payload: "pmd_offset");

        memory.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, reach)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, cpu0);
        Assert.Equal("TableReached", reply.TypeName);
        Assert.False(reply.Result.IsFatal);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void WalkOfAMappedAddressIsAnsweredWalkedWithTheFrameAndItsSourceEntries()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var tlb0 = rig.Topology.Tlb(0);
        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET + 0x203000);

        memory.Tell(rig.Deliver(tlb0, ProtocolRig.Forwarded(0, touch)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, tlb0);
        Assert.Equal("Walked", reply.TypeName);
        var entry = Assert.IsType<TlbEntry>(reply.Data?.Walked);
        Assert.Equal(new Pfn(0x203), entry.Frame);
        Assert.Equal(Level.Pmd, entry.PageLevel);
        Assert.Equal([new EntryRef(StaticTables.init_level4_pgt, L4_PAGE_OFFSET), new EntryRef(Level3, 0), new EntryRef(Level2, 1)], entry.Sources);
        Assert.Equal(0x203UL, reply.Result.Value);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void WalkOfUnmappedRamBelowEndIsAnsweredWithAPageFault()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var tlb0 = rig.Topology.Tlb(0);
        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET + (3UL << PUD_SHIFT));

        memory.Tell(rig.Deliver(tlb0, ProtocolRig.Forwarded(0, touch)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, tlb0);
        Assert.Equal("Faulted", reply.TypeName);
        Assert.Null(reply.Data?.Walked);
        Assert.Equal(ErrorKind.PageFault, reply.Result.Fatal?.Kind);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void WalkOfAnAddressThatIsNotRamIsAnsweredNotMappedWithoutAFault()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var tlb0 = rig.Topology.Tlb(0);
        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET + (100UL << PUD_SHIFT));

        memory.Tell(rig.Deliver(tlb0, ProtocolRig.Forwarded(0, touch)));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, tlb0);
        Assert.Equal("NotMapped", reply.TypeName);
        Assert.False(reply.Result.IsFatal);
        Assert.Equal(ulong.MaxValue, reply.Result.Value);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void ApplyUpdateFromTheHypervisorWritesTheStepAndIsAnsweredUpdateApplied()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var hypervisorStandIn = rig.Topology.Cpu(0);
        var leaf = (2UL << PUD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC;
        var set = new Effect(EffectKind.SetEntry, KernelFn.phys_pud_init, Level.Pud, 7, Level3, leaf, PAGE_OFFSET + (7UL << PUD_SHIFT));
        var update = ProtocolRig.Forwarded(0, set, xen: true);

        memory.Tell(rig.Deliver(hypervisorStandIn, update));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, hypervisorStandIn);
        Assert.False(reply.Result.IsFatal);
        Assert.Equal("ApplyUpdate", update.TypeName);
        Assert.Equal(leaf, rig.Machine.Memory.Read(Level3, 7).Value);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void ApplyReadOnlyClearsRwOnTheNamedEntryAndWritesNothingElse()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var hypervisorStandIn = rig.Topology.Cpu(0);
        var before = rig.Machine.Memory.Read(Level2, 5).Value;
        var populate = new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 9, Level3, 0x9, PAGE_OFFSET + (9UL << PUD_SHIFT));
        var update = ProtocolRig.Forwarded(0, populate, xen: true, data: new StageData { ReadOnly = new EntryRef(Level2, 5) });

        memory.Tell(rig.Deliver(hypervisorStandIn, update));

        var reply = ExpectSent<StepReply>(rig.Topology.Memory, hypervisorStandIn);
        Assert.False(reply.Result.IsFatal);
        Assert.Equal("ApplyReadOnly", update.TypeName);
        Assert.Equal(before & ~_PAGE_RW, rig.Machine.Memory.Read(Level2, 5).Value);
        Assert.Equal(0UL, rig.Machine.Memory.Read(Level3, 9).Value);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AMessageItDoesNotOwnMakesTheActorThrowNamingIt()
    {
        var rig = NewRig(ProtocolRig.Native());
        var memory = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PhysicalMemory));
        var lockStep = new Effect(EffectKind.SpinLock, KernelFn.phys_pud_init);

        EventFilter.Exception<InvalidOperationException>(contains: "memory got SpinLock from cpu0").ExpectOne(Wait, () =>
            memory.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, lockStep))));
        EventFilter.Exception<InvalidOperationException>(contains: "memory got TlbFlushed from cpu0").ExpectOne(Wait, () =>
            memory.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, new Effect(EffectKind.FlushTlbAll, KernelFn.touch)).Reply(StepResult.Ok()))));
    }
}
