using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using Xunit;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Tests.Steps;

/// <summary>
/// What each stage's part may touch, from the plans: two parts conflict (their order can matter)
/// only when one writes what the other reads or writes — not merely because both reach memory.
/// </summary>
public class StageFootprintTests
{
    private static readonly Pfn Pud = StaticTables.level3_ident_pgt;
    private static readonly Pfn Pmd = StaticTables.level2_ident_pgt;

    [Fact]
    public void TwoReadsNeverConflictAndAReadConflictsWithAWriteOfTheSameEntryOnly()
    {
        var read8 = Native(new Effect(EffectKind.ReadEntry, KernelFn.phys_pud_init, Level.Pud, 8, Pud), cpu: 1);
        var read8Again = Native(new Effect(EffectKind.ReadEntry, KernelFn.phys_pud_init, Level.Pud, 8, Pud), cpu: 2);
        var populate8 = Native(new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 8, Pud, 0x9), cpu: 2);
        var populate9 = Native(new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 9, Pud, 0x9), cpu: 2);
        var readPmd = Native(new Effect(EffectKind.ReadEntry, KernelFn.phys_pmd_init, Level.Pmd, 8, Pmd), cpu: 2);

        Assert.False(read8.ConflictsWith(read8Again));
        Assert.True(read8.ConflictsWith(populate8));
        Assert.True(populate8.ConflictsWith(read8));
        Assert.False(read8.ConflictsWith(populate9));
        Assert.False(populate8.ConflictsWith(readPmd));
    }

    [Fact]
    public void WritesIntoEmptyEntriesOfDifferentTablesAreIndependentOnceTheStateShowsTheyOverwriteNothing()
    {
        var m = new Machine.Machine(new MachineConfig { E820 = E820Map.FromMemorySize(4UL << 30), Cpus = 2 });
        var memory = StepPlans.Of(EffectKind.Populate, false)[0];
        var intoPud = new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 8, Pud, 0x9);
        var intoPmd = new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 511, Pmd, 0);

        var a = m.Footprint(memory, 1, 0, intoPud, default);
        var b = m.Footprint(StepPlans.Of(EffectKind.SetEntry, false)[0], 2, 0, intoPmd, default);

        // Whatever the state, each may look below what it replaces; here neither replaces anything.
        Assert.True(memory.Footprint(intoPud, default, 1, 0).ConflictsWith(b));
        Assert.False(a.ConflictsWith(b));
        Assert.Equal(Resources.Entry, a.Reads);
    }

    [Fact]
    public void LocksConflictOnlyWithThemselvesAndTlbsOnlyWithTheirOwnCpusUse()
    {
        var lockStage = StepPlans.Of(EffectKind.SpinLock, false)[0];
        var ptl = lockStage.Footprint(new Effect(EffectKind.SpinLock, KernelFn.add_memory, value: KernelCode.PageTableLock), default, 1, 0);
        var ptlAgain = lockStage.Footprint(new Effect(EffectKind.SpinUnlock, KernelFn.add_memory, value: KernelCode.PageTableLock), default, 2, 0);
        var mutex = lockStage.Footprint(new Effect(EffectKind.SpinLock, KernelFn.add_memory, value: KernelCode.HotplugMutexLock), default, 2, 0);
        var ipi = StepPlans.Of(EffectKind.FlushTlbGlobal, false)[0];
        var touch = new Effect(EffectKind.Touch, KernelFn.touch, value: PAGE_OFFSET);
        var translate = StepPlans.Of(EffectKind.Touch, false)[0];

        Assert.True(ptl.ConflictsWith(ptlAgain));
        Assert.False(ptl.ConflictsWith(mutex));
        Assert.True(ipi.Footprint(default, default, 0, 1).ConflictsWith(translate.Footprint(touch, default, 1, 1)));
        Assert.False(ipi.Footprint(default, default, 0, 0).ConflictsWith(translate.Footprint(touch, default, 1, 1)));
        Assert.True(translate.CompletionFootprint(1).ConflictsWith(ipi.Footprint(default, default, 0, 1)));
    }

    [Fact]
    public void XensChecksReadTheTablesSoAnyEntryWriteConflictsWithThem()
    {
        var populate = new Effect(EffectKind.Populate, KernelFn.phys_pud_init, Level.Pud, 8, Pud, 0x9);
        var check = StepPlans.Of(EffectKind.Populate, true)[1].Footprint(populate, default, 1, 0);
        var apply = StepPlans.Of(EffectKind.Populate, true)[1].Forward!.Footprint(new Effect(EffectKind.SetEntry, KernelFn.phys_pmd_init, Level.Pmd, 3, Pmd, 0), default, 2, 0);
        var readOnly = StepPlans.Of(EffectKind.Populate, true)[0].Forward!.Footprint(populate, new StageData { ReadOnly = new EntryRef(new Pfn(0x1206), 9) }, 1, 0);

        Assert.True(check.ConflictsWith(apply));
        Assert.Equal((new Pfn(0x1206), 9, Resources.Entry), (readOnly.Table, readOnly.Index, readOnly.Writes));
    }

    private static StageFootprint Native(Effect e, int cpu) => StepPlans.Of(e.Kind, false)[0].Footprint(e, default, cpu, 0);
}
