using Akka.Actor;
using Akka.TestKit;
using BootActors.Actors.Components;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.Tests.Components;

/// <summary>
/// The CPU actor runs kernel code: each step becomes a request to the actor that owns it, the
/// reply's value is the next step's %rax, printk lines, the end of a program and a fatal reply
/// go to the host with the kernel call chain — in controlled mode through the conductor, before
/// the delivery's Processed.
/// </summary>
public sealed class CpuActorTests : ProtocolTestKit
{
    private static readonly Pfn Level3 = StaticTables.level3_ident_pgt;

    [Fact]
    public void ASmallProgramSendsEachStepToItsOwnerAndCarriesTheReplysValueInRax()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native());
        var cpu0 = rig.Topology.Cpu(0);

        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(ReadThenWriteBack, "read then write back")));

        Assert.Equal(new Cpu.Printk(0, KernelFn.phys_pud_init, "reading pud[0]"), ExpectToHost<Cpu.Printk>());
        var read = ExpectSent<StepRequest>(cpu0, rig.Topology.Memory);
        Assert.Equal("ReadEntry", read.TypeName);
        Assert.Equal(new StepTag(0, read.Step), read.Tag);
        ExpectProcessed(rig.LastSeq);

        cpu.Tell(rig.Deliver(rig.Topology.Memory, read.Reply(StepResult.Ok(0x1234000 | _KERNPG_TABLE))));

        var write = ExpectSent<StepRequest>(cpu0, rig.Topology.Memory);
        Assert.Equal("SetPud", write.TypeName);
        Assert.Equal(0x1234000 | _KERNPG_TABLE, write.Step.Value);
        ExpectProcessed(rig.LastSeq);

        cpu.Tell(rig.Deliver(rig.Topology.Memory, write.Reply(StepResult.Ok())));

        // Before its Processed: the conductor passes it on to the host before it can say "quiescent".
        Assert.Equal(new Cpu.ProgramDone(0, "read then write back"), ExpectToHost<Cpu.ProgramDone>());
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void TheBootsFirstRequestIsFindEarlyTableSpaceToThePageAllocator()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native());
        var m = rig.Machine;

        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(ctx => m.Code.InitMemoryMapping(ctx, 0, m.End), "boot")));

        Assert.StartsWith("init_memory_mapping", ExpectToHost<Cpu.Printk>().Text, StringComparison.Ordinal);
        var find = ExpectSent<StepRequest>(rig.Topology.Cpu(0), rig.Topology.Allocator);
        Assert.Equal("FindEarlyTableSpace", find.TypeName);
        Assert.Equal(m.End, find.Step.Arg);
        Assert.Equal(KernelFn.find_early_table_space, find.Tag.Step.Fn);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AFatalReplyStopsTheCpuAndTellsTheHostWithTheCallChain()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native());
        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(ReadThenWriteBack, "read then write back")));
        ExpectToHost<Cpu.Printk>();
        var read = ExpectSent<StepRequest>(rig.Topology.Cpu(0), rig.Topology.Memory);
        ExpectProcessed(rig.LastSeq);
        var lost = new FatalEvent(ErrorKind.OverwrotePresentEntry, "pud_populate overwrote present pud[0]");

        cpu.Tell(rig.Deliver(rig.Topology.Memory, read.Reply(StepResult.Fail(lost))));

        ExpectToHost<Cpu.Stopped>();
        ExpectProcessed(rig.LastSeq, stopped: true);
        Assert.True(rig.Run.Halted);
        cpu.Tell(rig.Deliver(rig.Topology.Memory, read.Reply(StepResult.Ok())));
        ExpectProcessed(rig.LastSeq, stopped: true);
    }

    [Fact]
    public void TheStoppedReportNamesTheCpuTheKernelCallChainAndTheFatalEvent()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native(cpus: 2), index: 1);
        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(ReadThenWriteBack, "read then write back")));
        ExpectToHost<Cpu.Printk>();
        var read = ExpectSent<StepRequest>(rig.Topology.Cpu(1), rig.Topology.Memory);
        ExpectProcessed(rig.LastSeq);
        var lost = new FatalEvent(ErrorKind.OverwrotePresentEntry, "pud_populate overwrote present pud[0]");

        cpu.Tell(rig.Deliver(rig.Topology.Memory, read.Reply(StepResult.Fail(lost))));

        Assert.Equal(new Cpu.Stopped(1, "arch_add_memory → init_memory_mapping → phys_pud_init", lost), ExpectToHost<Cpu.Stopped>());
        ExpectProcessed(rig.LastSeq, stopped: true);
    }

    [Fact]
    public void UnderXenAPopulateIsUpdateVaMappingThenMmuUpdateEachWaitingForTheHypervisor()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Xen());
        var cpu0 = rig.Topology.Cpu(0);
        var hyp = rig.Topology.Hypervisor;
        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(_ => [Populate()], "populate")));

        var first = ExpectSent<StepRequest>(cpu0, hyp);
        Assert.Equal("UpdateVaMapping", first.TypeName);
        ExpectProcessed(rig.LastSeq);
        cpu.Tell(rig.Deliver(hyp, first.Reply(StepResult.Ok())));

        var second = ExpectSent<StepRequest>(cpu0, hyp);
        Assert.Equal("MmuUpdate", second.TypeName);
        Assert.Equal(EffectKind.Populate, second.Step.Kind);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void NativelyAPopulateIsOneRequestToPhysicalMemory()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native());

        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(_ => [Populate()], "populate")));

        Assert.Equal("PudPopulate", ExpectSent<StepRequest>(rig.Topology.Cpu(0), rig.Topology.Memory).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AGlobalFlushIpisEveryTlbAtOnceAndContinuesOnlyAfterTheLastAck()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native(cpus: 3));
        var flush = new Effect(EffectKind.FlushTlbGlobal, KernelFn.remove_pagetable);
        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(_ => [flush], "flush")));
        var cpu0 = rig.Topology.Cpu(0);

        var ipis = Enumerable.Range(0, 3).Select(i => ExpectSent<StepRequest>(cpu0, rig.Topology.Tlb(i))).ToList();
        ExpectProcessed(rig.LastSeq);
        Assert.All(ipis, m => Assert.Equal("FlushTlbIpi", m.TypeName));
        Assert.Equal(3, ipis.Distinct(ReferenceEqualityComparer.Instance).Count());
        cpu.Tell(rig.Deliver(rig.Topology.Tlb(2), ipis[2].Reply(StepResult.Ok())));
        ExpectProcessed(rig.LastSeq);
        cpu.Tell(rig.Deliver(rig.Topology.Tlb(0), ipis[0].Reply(StepResult.Ok())));
        ExpectProcessed(rig.LastSeq);
        cpu.Tell(rig.Deliver(rig.Topology.Tlb(1), ipis[1].Reply(StepResult.Ok())));

        Assert.Equal("flush", ExpectToHost<Cpu.ProgramDone>().Label);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AProgramThatArrivesWhileOneRunsStartsWhenTheFirstEnds()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native());
        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET);
        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(_ => [touch], "first")));
        var first = ExpectSent<StepRequest>(rig.Topology.Cpu(0), rig.Topology.Tlb(0));
        ExpectProcessed(rig.LastSeq);

        cpu.Tell(rig.Deliver(Topology.Host, new Cpu.RunProgram(_ => [touch], "second")));
        ExpectProcessed(rig.LastSeq);
        cpu.Tell(rig.Deliver(rig.Topology.Tlb(0), first.Reply(StepResult.Ok())));

        Assert.Equal("first", ExpectToHost<Cpu.ProgramDone>().Label);
        Assert.Equal("Translate", ExpectSent<StepRequest>(rig.Topology.Cpu(0), rig.Topology.Tlb(0)).TypeName);
        ExpectProcessed(rig.LastSeq);
    }

    [Fact]
    public void AStepRequestSentToACpuMakesItThrowNamingTheSender()
    {
        var (rig, cpu, _) = Setup(ProtocolRig.Native());
        var read = new Effect(EffectKind.ReadEntry, KernelFn.phys_pud_init, Level.Pud, 0, Level3);

        EventFilter.Exception<InvalidOperationException>(contains: "cpu0 got ReadEntry from memory").ExpectOne(Wait, () =>
            cpu.Tell(rig.Deliver(rig.Topology.Memory, ProtocolRig.Step(0, read))));
    }

    private static Effect Populate() =>
        new(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 1, Level3, 0x9, PAGE_OFFSET + PUD_SIZE);

    /// <summary>Reads pud[0] of level3_ident_pgt, printing first, and writes back what it read (which only %rax carries).</summary>
    private static IEnumerable<Effect> ReadThenWriteBack(CpuContext ctx)
    {
        yield return new Effect(EffectKind.Enter, KernelFn.arch_add_memory);
        yield return new Effect(EffectKind.Enter, KernelFn.init_memory_mapping);
        yield return new Effect(EffectKind.Enter, KernelFn.phys_pud_init);
        yield return new Effect(EffectKind.Printk, KernelFn.phys_pud_init, payload: "reading pud[0]");
        yield return new Effect(EffectKind.ReadEntry, KernelFn.phys_pud_init, Level.Pud, 0, Level3);
        yield return new Effect(EffectKind.SetEntry, KernelFn.phys_pud_init, Level.Pud, 0, Level3, ctx.Rax, PAGE_OFFSET);
        yield return new Effect(EffectKind.Leave, KernelFn.phys_pud_init);
        yield return new Effect(EffectKind.Leave, KernelFn.init_memory_mapping);
        yield return new Effect(EffectKind.Leave, KernelFn.arch_add_memory);
    }

    private (ProtocolRig Rig, IActorRef Cpu, TestProbe Host) Setup(MachineConfig config, int index = 0)
    {
        var rig = NewRig(config);
        var host = CreateTestProbe();
        rig.Run.Host = host;
        return (rig, Sys.ActorOf(CpuActor.Props(rig.Run, index)), host);
    }
}
