using Akka.Actor;
using BootActors.Actors.Components;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Actors.Tests.Components;

/// <summary>The PageAllocator actor's protocol: find_early_table_space, alloc_low_page up to its panic, early_ioremap's nesting.</summary>
public sealed class PageAllocatorActorTests : ProtocolTestKit
{
    [Fact]
    public void FindEarlyTableSpaceIsAnsweredWithTheBuffersFirstPfnAboveTheTrampoline()
    {
        var rig = NewRig(ProtocolRig.Native());
        var allocator = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PageAllocator));

        var reply = Ask(rig, allocator, FindTableSpace(3));

        Assert.Equal("TableSpaceFound", reply.TypeName);
        Assert.Equal(0x8UL, reply.Result.Value);
        Assert.Equal((0x8UL, 0x8UL, 0xbUL), (rig.Machine.Allocator.table_start, rig.Machine.Allocator.table_end, rig.Machine.Allocator.table_top));
    }

    [Fact]
    public void AllocLowPageHandsOutTheBufferBottomUpThenPanicsRanOutOfMemory()
    {
        var rig = NewRig(ProtocolRig.Native());
        var allocator = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PageAllocator));
        Ask(rig, allocator, FindTableSpace(3));

        var pages = Enumerable.Range(0, 3).Select(_ => Ask(rig, allocator, AllocLowPage()).Result.Value).ToList();
        var fourth = Ask(rig, allocator, AllocLowPage());

        Assert.Equal([0x8UL, 0x9UL, 0xaUL], pages);
        Assert.Equal("Faulted", fourth.TypeName);
        var fatal = Assert.IsType<FatalEvent>(fourth.Result.Fatal);
        Assert.Equal(ErrorKind.Panic, fatal.Kind);
        Assert.StartsWith("Kernel panic - not syncing: alloc_low_page: ran out of memory", fatal.Message);
    }

    [Fact]
    public void AfterBootmemAllocLowPageHandsOutGetZeroedPagePagesWithoutABound()
    {
        var rig = NewRig(ProtocolRig.Native());
        var allocator = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PageAllocator));
        Ask(rig, allocator, FindTableSpace(1));
        rig.Machine.Globals.after_bootmem = true;

        var first = Ask(rig, allocator, AllocLowPage());
        var second = Ask(rig, allocator, AllocLowPage());

        Assert.Equal(PageAllocator.FirstDynamicPfn, first.Result.Value);
        Assert.Equal(PageAllocator.FirstDynamicPfn + 1, second.Result.Value);
    }

    [Fact]
    public void EarlyIoremapNestsFourDeepAndTheFifthIsAWildWrite()
    {
        var rig = NewRig(ProtocolRig.Native());
        var allocator = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PageAllocator));

        var mapped = Enumerable.Range(0, 4).Select(i => Ask(rig, allocator, Ioremap(0x8 + (ulong)i)).TypeName).ToList();
        var fifth = Ask(rig, allocator, Ioremap(0xc));

        Assert.Equal(["AliasMapped", "AliasMapped", "AliasMapped", "AliasMapped"], mapped);
        Assert.Equal(ErrorKind.WildWrite, fifth.Result.Fatal?.Kind);
        Assert.Contains("nesting level 4 exceeds FIX_BTMAPS_NESTING", fifth.Result.Fatal!.Message);
        Assert.Equal([new Pfn(0x8), new Pfn(0x9), new Pfn(0xa), new Pfn(0xb)], rig.Machine.Allocator.Aliases);
    }

    [Fact]
    public void EarlyIounmapDropsTheAliasAndAnUnmapOfAPageWithoutOneIsAWildWrite()
    {
        var rig = NewRig(ProtocolRig.Native());
        var allocator = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PageAllocator));
        Ask(rig, allocator, Ioremap(0x8));

        var unmapped = Ask(rig, allocator, Iounmap(0x8));
        var again = Ask(rig, allocator, Iounmap(0x8));

        Assert.Equal("AliasUnmapped", unmapped.TypeName);
        Assert.Empty(rig.Machine.Allocator.Aliases);
        Assert.Equal(ErrorKind.WildWrite, again.Result.Fatal?.Kind);
        Assert.Contains("which has no early_ioremap alias", again.Result.Fatal!.Message);
    }

    [Fact]
    public void AStepItDoesNotOwnMakesTheActorThrow()
    {
        var rig = NewRig(ProtocolRig.Native());
        var allocator = Sys.ActorOf(OwnerActor.Props(rig.Run, StageOwner.PageAllocator));
        var read = new Effect(EffectKind.ReadEntry, KernelFn.phys_pud_init, Level.Pud, 0, new Pfn(0x202));

        EventFilter.Exception<InvalidOperationException>(contains: "allocator got ReadEntry from cpu0").ExpectOne(Wait, () =>
            allocator.Tell(rig.Deliver(rig.Topology.Cpu(0), ProtocolRig.Step(0, read))));
    }

    private static Effect FindTableSpace(ulong pages) =>
        new(EffectKind.FindTableSpace, KernelFn.find_early_table_space, value: pages << X86.PAGE_SHIFT, arg: 4 * ProtocolRig.GiB);

    private static Effect AllocLowPage() => new(EffectKind.AllocPage, KernelFn.alloc_low_page, Level.Pmd);

    private static Effect Ioremap(ulong pfn) => new(EffectKind.EarlyIoremap, KernelFn.alloc_low_page, table: new Pfn(pfn));

    private static Effect Iounmap(ulong pfn) => new(EffectKind.EarlyIounmap, KernelFn.unmap_low_page, table: new Pfn(pfn));

    private StepReply Ask(ProtocolRig rig, IActorRef allocator, Effect e)
    {
        var cpu0 = rig.Topology.Cpu(0);
        allocator.Tell(rig.Deliver(cpu0, ProtocolRig.Step(0, e)));
        var reply = ExpectSent<StepReply>(rig.Topology.Allocator, cpu0);
        ExpectProcessed(rig.LastSeq);
        Assert.Equal(e.Kind, reply.Step.Kind);
        return reply;
    }
}
