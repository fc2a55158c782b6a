using Akka.Actor;
using BootActors.Actors.Components;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.Tests.Components;

/// <summary>
/// The Xen hypervisor actor on a 2-CPU, 4 GiB PV domU before the boot: it checks each hypercall
/// as Xen 3.3 would, has PhysicalMemory apply what it accepts, answers the CPU only when memory
/// (or, for a flush, every TLB) has, and handles one hypercall at a time.
/// </summary>
public sealed class HypervisorActorTests : ProtocolTestKit
{
    private static readonly Pfn Level3 = StaticTables.level3_ident_pgt;
    private static readonly Pfn Level2 = StaticTables.level2_ident_pgt;

    [Fact]
    public void AnMmuUpdateWritingAPseLeafIsRefusedWithBadL2FlagsAndNothingIsWritten()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var leaf = (100UL << PMD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC;
        var set = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 100, Level2, leaf, PAGE_OFFSET + (100UL << PMD_SHIFT));

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, set, xen: true)));

        var reply = ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0);
        Assert.Equal("HypercallRefused", reply.TypeName);
        Assert.Equal(ErrorKind.HypervisorRefused, reply.Result.Fatal?.Kind);
        Assert.Contains("Bad L2 flags", reply.Result.Fatal!.Message);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(0UL, rig.Machine.Memory.Read(Level2, 100).Value);
    }

    [Fact]
    public void APopulateWhileTheChildStillHasItsWritableEarlyIoremapAliasIsRefusedWithBadType()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var child = new Pfn(0x10000);
        var ioremap = new Effect(EffectKind.EarlyIoremap, KernelFn.alloc_low_page, table: child);
        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, ioremap, xen: true)));
        Assert.Equal("HypercallDone", ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0).TypeName);
        ExpectProcessed(rig.LastSeq);
        var populate = new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 1, Level3, child.Value, PAGE_OFFSET + PUD_SIZE);

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, populate, xen: true, stage: 1)));

        var reply = ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0);
        Assert.Equal("HypercallRefused", reply.TypeName);
        Assert.Contains("Bad type (saw e0000001 != exp 40000000) for pfn 0x10000", reply.Result.Fatal!.Message);
        Assert.Contains("still has its writable early_ioremap alias", reply.Result.Fatal.Message);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(0UL, rig.Machine.Memory.Read(Level3, 1).Value);
    }

    [Fact]
    public void AnAcceptedMmuUpdateIsAppliedByPhysicalMemoryAndAnsweredOnlyAfterMemoryHas()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var clear = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 100, Level2, 0, PAGE_OFFSET + (100UL << PMD_SHIFT));

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, clear, xen: true)));

        var apply = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Memory);
        Assert.Equal("ApplyUpdate", apply.TypeName);
        Assert.Null(apply.Input);
        Assert.Equal(EffectKind.SetEntry, apply.Step.Kind);
        ExpectProcessed(rig.LastSeq);

        hypervisor.Tell(rig.Deliver(rig.Topology.Memory, apply.Reply(StepResult.Ok())));

        Assert.Equal("HypercallDone", ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void MemorysRefusalOfAnAcceptedUpdateIsPassedToTheCpuAsIs()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var clear = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 100, Level2, 0, PAGE_OFFSET);
        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, clear, xen: true)));
        var apply = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Memory);
        ExpectProcessed(rig.LastSeq);
        var lost = StepResult.Fail(ErrorKind.OverwrotePresentEntry, "set_pmd overwrote present pmd[100]");

        hypervisor.Tell(rig.Deliver(rig.Topology.Memory, apply.Reply(lost)));

        var reply = ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0);
        Assert.Equal("GuestBug", reply.TypeName);
        Assert.Equal(lost.Fatal, reply.Result.Fatal);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void UpdateVaMappingOfAChildMappedWritableHasMemoryClearRwOnItsDirectMapPte()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var child = new Pfn(0x1000);
        var populate = new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 1, Level3, child.Value, PAGE_OFFSET + PUD_SIZE);

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, populate, xen: true)));

        var apply = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Memory);
        Assert.Equal("ApplyReadOnly", apply.TypeName);
        var pte = rig.Machine.Memory.WalkVirt(__va(child.PhysAddr.Value));
        Assert.Equal(pte.At, apply.Input?.ReadOnly);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void UpdateVaMappingOfAChildOutsideXensInitialMappingIsTheGuestsBugTablePageUnmapped()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var populate = new Effect(EffectKind.Populate, KernelFn.phys_pmd_init, Level.Pmd, 1, Level2, 0x80000, PAGE_OFFSET + PMD_SIZE);

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, populate, xen: true)));

        var reply = ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0);
        Assert.Equal("GuestBug", reply.TypeName);
        Assert.Equal(ErrorKind.TablePageUnmapped, reply.Result.Fatal?.Kind);
        Assert.Contains("xen_alloc_pte_init", reply.Result.Fatal!.Message);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void PteStoresIntoAPinnedL1AreAppliedUpToTheRefusedLeafThenRefused()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var l1 = new Pfn(rig.Machine.XenLayout!.L1Pfn(1));
        var tableFrameIndex = (int)(StaticTables.init_level4_pgt.Value - PTRS_PER_PTE);
        rig.Machine.Memory.Write(l1, tableFrameIndex, PageTableEntry.None);
        var fill = new Effect(EffectKind.PteInitLoop, KernelFn.phys_pte_init, Level.Pte, 0, l1, 2UL << 20, 4UL << 20);

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, fill, xen: true)));

        var apply = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Memory);
        Assert.Equal(tableFrameIndex, apply.Input?.StopAt);
        ExpectProcessed(rig.LastSeq);
        hypervisor.Tell(rig.Deliver(rig.Topology.Memory, apply.Reply(StepResult.Ok(0))));

        var reply = ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0);
        Assert.Equal("HypercallRefused", reply.TypeName);
        Assert.Contains("set_pte in phys_pte_init: (XEN) mm.c: d1 Bad type", reply.Result.Fatal!.Message);
        Assert.Contains("would map page-table frame 0x201 writable", reply.Result.Fatal.Message);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void ALocalTlbFlushIsSentToThatCpusTlbAndAnsweredOnlyAfterItsAck()
    {
        var (rig, hypervisor) = Setup();
        var cpu1 = rig.Topology.Cpu(1);
        var flush = new Effect(EffectKind.FlushTlbAll, KernelFn.remove_pagetable);

        hypervisor.Tell(rig.Deliver(cpu1, ProtocolRig.Step(1, flush, xen: true)));

        var toTlb = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Tlb(1));
        Assert.Equal(EffectKind.FlushTlbAll, toTlb.Step.Kind);
        Assert.Equal(1, toTlb.Tag.Cpu);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(1, rig.Machine.Xen!.MmuextOps);

        hypervisor.Tell(rig.Deliver(rig.Topology.Tlb(1), toTlb.Reply(StepResult.Ok())));

        Assert.Equal("HypercallDone", ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu1).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AGlobalTlbFlushWaitsForEveryTlbsAck()
    {
        var (rig, hypervisor) = Setup();
        var cpu0 = rig.Topology.Cpu(0);
        var flush = new Effect(EffectKind.FlushTlbGlobal, KernelFn.remove_pagetable);

        hypervisor.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, flush, xen: true)));

        var ipi0 = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Tlb(0));
        var ipi1 = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Tlb(1));
        Assert.NotSame(ipi0, ipi1);
        Assert.Equal(["FlushTlbIpi", "FlushTlbIpi"], new[] { ipi0.TypeName, ipi1.TypeName });
        ExpectProcessed(rig.LastSeq);
        hypervisor.Tell(rig.Deliver(rig.Topology.Tlb(1), ipi1.Reply(StepResult.Ok())));
        ExpectProcessed(rig.LastSeq);
        hypervisor.Tell(rig.Deliver(rig.Topology.Tlb(0), ipi0.Reply(StepResult.Ok())));
        Assert.Equal("HypercallDone", ExpectSent<StepReply>(rig.Topology.Hypervisor, cpu0).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AHypercallArrivingWhileAnotherIsInProgressWaitsForIt()
    {
        var (rig, hypervisor) = Setup();
        var flush = new Effect(EffectKind.FlushTlbAll, KernelFn.remove_pagetable);
        hypervisor.Tell(rig.Deliver(rig.Topology.Cpu(1), ProtocolRig.Step(1, flush, xen: true)));
        var toTlb = ExpectSent<StepRequest>(rig.Topology.Hypervisor, rig.Topology.Tlb(1));
        ExpectProcessed(rig.LastSeq);
        var leaf = (100UL << PMD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC;
        var set = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 100, Level2, leaf, PAGE_OFFSET);

        hypervisor.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, set, xen: true)));
        ExpectProcessed(rig.LastSeq);
        hypervisor.Tell(rig.Deliver(rig.Topology.Tlb(1), toTlb.Reply(StepResult.Ok())));

        Assert.Equal("HypercallDone", ExpectSent<StepReply>(rig.Topology.Hypervisor, rig.Topology.Cpu(1)).TypeName);
        Assert.Equal("HypercallRefused", ExpectSent<StepReply>(rig.Topology.Hypervisor, rig.Topology.Cpu(0)).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AReplyThatIsNotAHypercallsMakesTheActorThrow()
    {
        var (rig, hypervisor) = Setup();

        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET + (100UL << PUD_SHIFT));

        EventFilter.Exception<InvalidOperationException>(contains: "hypervisor got NotMapped from memory").ExpectOne(Wait, () =>
            hypervisor.Tell(rig.Deliver(rig.Topology.Memory, ProtocolRig.Forwarded(0, touch, xen: true).Reply(StepResult.Ok()))));
    }

    private (ProtocolRig Rig, IActorRef Hypervisor) Setup()
    {
        var rig = NewRig(ProtocolRig.Xen(cpus: 2));
        return (rig, Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.Hypervisor)));
    }
}
