using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using Xunit;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Tests.Steps;

/// <summary>
/// The one definition of how each kernel step is composed (StepPlans): which owner does what, in
/// which order, natively and under Xen, and the names the trace gives each part. The interpreter
/// runs these stages inline and the actor host as messages, so what is pinned here holds on both.
/// </summary>
public class StepPlanTests
{
    private static readonly EffectKind[] Kinds = Enum.GetValues<EffectKind>();

    [Fact]
    public void EveryStepHasAPlanNativelyAndUnderXenAndOnlyWhatTheCpuDoesAloneHasNoStage()
    {
        EffectKind[] alone = [EffectKind.Enter, EffectKind.Leave, EffectKind.Printk, EffectKind.Fatal, EffectKind.Call];
        foreach (var xen in new[] { false, true })
        {
            foreach (var kind in Kinds)
            {
                var plan = StepPlans.Of(kind, xen);
                Assert.Equal((kind, xen), (plan.Kind, plan.Xen));
                Assert.Equal(alone.Contains(kind), plan.Count == 0);
            }
        }
    }

    [Fact]
    public void NativelyEveryStepIsOneStageAtTheOwnerOfWhatItChanges()
    {
        var owners = Kinds.Where(k => StepPlans.Of(k, false).Count > 0)
            .ToDictionary(k => k, k => Assert.Single(StepPlans.Of(k, false).Stages).Owner);

        Assert.Equal(StageOwner.PageAllocator, owners[EffectKind.AllocPage]);
        Assert.Equal(StageOwner.PageAllocator, owners[EffectKind.EarlyIoremap]);
        Assert.Equal(StageOwner.Lock, owners[EffectKind.SpinUnlock]);
        Assert.Equal(StageOwner.Tlb, owners[EffectKind.FlushTlbAll]);
        Assert.Equal(StageOwner.EveryTlb, owners[EffectKind.FlushTlbGlobal]);
        Assert.Equal(StageOwner.Tlb, owners[EffectKind.Touch]);
        foreach (var k in new[] { EffectKind.ReadEntry, EffectKind.SetEntry, EffectKind.Populate, EffectKind.PteInitLoop, EffectKind.ZeroPage, EffectKind.FreePage })
        {
            Assert.Equal(StageOwner.PhysicalMemory, owners[k]);
        }
    }

    [Theory]
    [InlineData(EffectKind.SetEntry, 0, StageOp.XenEntryWrite)]
    [InlineData(EffectKind.Populate, 1, StageOp.XenPopulate)]
    [InlineData(EffectKind.PteInitLoop, 0, StageOp.XenPteStores)]
    public void UnderXenAPageTableWriteIsOneHypercallThatXenChecksAndMemoryAppliesBeforeAnyOther(EffectKind kind, int stage, StageOp check)
    {
        var s = StepPlans.Of(kind, xen: true)[stage];

        Assert.Equal((StageOwner.Hypervisor, check), (s.Owner, s.Op));
        Assert.True(s.Atomic);
        Assert.Equal((StageOwner.PhysicalMemory, StageOp.MemoryStep), (s.Forward!.Owner, s.Forward.Op));
    }

    [Fact]
    public void UnderXenAPopulateIsTheAllocHooksUpdateVaMappingThenTheMmuUpdate()
    {
        var plan = StepPlans.Of(EffectKind.Populate, xen: true);
        var populate = new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 1, new Pfn(0x202), 0x9);

        Assert.Equal(["UpdateVaMapping", "MmuUpdate"], plan.Stages.Select(s => s.RequestName(populate)));
        Assert.Equal(["ApplyReadOnly", "ApplyUpdate"], plan.Stages.Select(s => s.Forward!.RequestName(populate)));
        Assert.Equal(StageOp.ClearRw, plan[0].Forward!.Op);
    }

    [Fact]
    public void UnderXenEarlyIounmapReleasesTheSlotBeforeXenDropsTheWritableAlias()
    {
        // The divergence issue 15 item 3 found: the order is the plan's, on both hosts.
        var plan = StepPlans.Of(EffectKind.EarlyIounmap, xen: true);

        Assert.Equal([(StageOwner.PageAllocator, StageOp.AllocatorStep), (StageOwner.Hypervisor, StageOp.XenDropAlias)],
            plan.Stages.Select(s => (s.Owner, s.Op)));
        Assert.Equal([(StageOwner.Hypervisor, StageOp.XenMapAlias), (StageOwner.PageAllocator, StageOp.AllocatorStep)],
            StepPlans.Of(EffectKind.EarlyIoremap, xen: true).Stages.Select(s => (s.Owner, s.Op)));
    }

    [Fact]
    public void AFailedEarlyIounmapStopsBeforeXenDropsTheAlias()
    {
        // Xen 4 GiB: page 0x1210 mapped through early_ioremap (Xen takes a writable reference),
        // then its allocator slot released behind the kernel's back; unmap_low_page's
        // early_iounmap then fails in the allocator stage and the fixmap clear never happens.
        var m = new Machine.Machine(new MachineConfig { E820 = E820Map.FromMemorySize(4UL << 30), Xen = true, Variant = KernelVariant.After });
        var cpu = new CpuContext(0);
        var page = new Pfn(0x1210);
        Assert.False(m.Apply(cpu, new Effect(EffectKind.EarlyIoremap, KernelFn.alloc_low_page, table: page)).IsFatal);
        Assert.Null(m.Allocator.EarlyIounmap(page));
        var dropsBefore = m.Xen!.TrappedPteWrites;

        var r = m.Apply(cpu, new Effect(EffectKind.EarlyIounmap, KernelFn.unmap_low_page, table: page));

        Assert.Equal(ErrorKind.WildWrite, r.Fatal?.Kind);
        Assert.Equal("early_iounmap of page 0x1210, which has no early_ioremap alias", r.Fatal!.Message);
        Assert.True(m.Xen.HasWritableAlias(page));
        Assert.Equal(dropsBefore, m.Xen.TrappedPteWrites);
    }

    [Theory]
    [InlineData(false, StageOwner.EveryTlb)]
    [InlineData(true, StageOwner.Hypervisor)]
    public void AGlobalFlushIsOneStageWithAMessageToEveryTlb(bool xen, StageOwner first)
    {
        var plan = StepPlans.Of(EffectKind.FlushTlbGlobal, xen);
        var ipi = xen ? plan[0].Forward! : plan[0];

        Assert.Equal(first, plan[0].Owner);
        Assert.Equal(StageOwner.EveryTlb, ipi.Owner);
        Assert.Equal(3, ipi.TargetCount(3));
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(i => ipi.Target(cpu: 1, i)));
        Assert.Equal(1, StepPlans.Of(EffectKind.FlushTlbAll, xen: false)[0].Target(cpu: 1, 0));
    }

    [Fact]
    public void ATouchIsTheTlbsLookupAndOnAMissAWalkThatTheTlbCaches()
    {
        var stage = Assert.Single(StepPlans.Of(EffectKind.Touch, xen: false).Stages);
        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET);

        Assert.Equal(("Translate", "Walk"), (stage.RequestName(touch), stage.Forward!.RequestName(touch)));
        Assert.False(stage.Atomic);
        Assert.Equal("NotMapped", stage.Forward.ReplyName(touch, StepResult.Ok(ulong.MaxValue), default));
    }

    [Theory]
    [InlineData(Level.Pte, "PteStore")]
    [InlineData(Level.Pmd, "MmuUpdate")]
    public void AnEntryWriteUnderXenIsATrappedStoreIntoAnL1AndAnMmuUpdateAbove(Level level, string name)
    {
        var set = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, level, 0, new Pfn(0x203), 0);
        var stage = StepPlans.Of(EffectKind.SetEntry, xen: true)[0];

        Assert.Equal(name, stage.RequestName(set));
        Assert.Equal("HypercallRefused", stage.ReplyName(set, StepResult.Fail(ErrorKind.HypervisorRefused, "no"), default));
        Assert.Equal("GuestBug", stage.ReplyName(set, StepResult.Fail(ErrorKind.OverwrotePresentEntry, "lost"), default));
    }

    [Fact]
    public void TheModelDocumentsEveryPlanAsDefined()
    {
        var doc = File.ReadAllText(FindAbove("docs/model.md"));

        foreach (var kind in Kinds)
        {
            Assert.Contains($"| `{kind}` | {Cell(StepPlans.Of(kind, false))} | {Cell(StepPlans.Of(kind, true))} |", doc, StringComparison.Ordinal);
        }
    }

    private static string Cell(StepPlan plan) => plan.Count == 0 ? "the CPU alone" : string.Join(", then ", plan.Stages.Select(s => s.ToString()));

    private static string FindAbove(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, relative);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"{relative} not found above the test binaries");
    }
}
