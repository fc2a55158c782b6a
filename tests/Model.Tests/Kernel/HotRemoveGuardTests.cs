using BootActors.Model.Kernel;
using BootActors.Model.Paging;
using BootActors.Model.Workload;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>
/// Hot-remove's [0, 1 GiB) guard (arch/x86/mm/init_64.c, v3.9, ae9aae9eda2d "memory-hotplug:
/// common APIs to support page tables hot-remove"): only remove_pte_table has it, protecting
/// head_64.S's identity 4K tables, and it returns from remove_pte_table. remove_pmd_table and
/// remove_pud_table clear an aligned large leaf whatever frame it maps.
/// </summary>
public class HotRemoveGuardTests
{
    [Fact]
    public void AnAlignedTwoMiBLeafBelowOneGiBIsCleared()
    {
        // fixed, native, PSE, 4 GiB: pud[0] of level3_ident_pgt still links head_64.S's
        // level2_ident_pgt (0x203), whose 512 2 MiB leaves were counted at boot (a06de63000b), and
        // pud[1..3] got 3 × 512: DirectMap2M 2048. Removing [512M, 516M): remove_pud_table →
        // pud[0] is a table → remove_pmd_table(level2_ident_pgt): pmd[256] and pmd[257] are large,
        // [512M, 514M) and [514M, 516M) aligned → both cleared, update_page_count(2M, −2) → 2046;
        // free_pmd_table keeps level2_ident_pgt (510 entries left).
        var r = Run(Flat(4 * GiB, KernelVariant.Fixed), new HotRemove(0, 512 * MiB, 4 * MiB));
        var s = r.Summary();

        Assert.Equal(("ok", "0/2046/0"), (s.Outcome, Direct(s)));
        Assert.Equal("0x0-0x20000000 2m; 0x20400000-0x100000000 2m", Mapped(s));
        Assert.Equal(0UL, r.Machine.Memory.Read(StaticTables.level2_ident_pgt, 256).Value);
        Assert.Equal(0UL, r.Machine.Memory.Read(StaticTables.level2_ident_pgt, 257).Value);
        Assert.NotEqual(0UL, r.Machine.Memory.Read(StaticTables.level2_ident_pgt, 258).Value);
    }

    [Fact]
    public void AnAlignedOneGiBLeafForFrameZeroIsCleared()
    {
        // before + gbpages, native, 4 GiB: a fresh pud 0x8 whose pud[0..3] are 1 GiB leaves
        // (DirectMap1G 4, MoreDerivedTests). Removing [0, 1G): remove_pud_table → pud[0] is large,
        // [0, 1G) aligned → cleared although it maps frame 0 → 1G count 3; the rest stays.
        var r = Run(Flat(4 * GiB, KernelVariant.Before, gbpages: true), new HotRemove(0, 0, GiB));
        var s = r.Summary();

        Assert.Equal(("ok", "0/0/3"), (s.Outcome, Direct(s)));
        Assert.Equal("0x40000000-0x100000000 1g", Mapped(s));
        Assert.Equal(0UL, r.Machine.Memory.Read(new Pfn(0x8), 0).Value);
    }

    [Fact]
    public void FourKiBLeavesBelowOneGiBStayBecauseRemovePteTableReturns()
    {
        // fixed, Xen, 4 GiB: [512M, 516M) is mapped by the boot's PTE pages under level2_ident_pgt
        // entries 256 and 257 (PTE pages 0x1210 + 256 − 14 and the next). remove_pte_table finds
        // frame 0x20000 < 1 GiB at its first present entry and returns: nothing cleared, no count
        // change (DirectMap 1041408/14/0 as after boot, WorkedExample4GiBTests); free_pte_table
        // keeps the full pages. The range is still mapped.
        var r = Run(Flat(4 * GiB, KernelVariant.Fixed, xen: true), new HotRemove(0, 512 * MiB, 4 * MiB));
        var s = r.Summary();

        Assert.Equal(("ok", "1041408/14/0", "0x0-0x100000000 4k"), (s.Outcome, Direct(s), Mapped(s)));
        var pte = new PageTableEntry(r.Machine.Memory.Read(StaticTables.level2_ident_pgt, 256).Value).Frame;
        Assert.Equal(new Pfn(0x1210 + 256 - 14), pte);
        Assert.Equal(0x20000UL, new PageTableEntry(r.Machine.Memory.Read(pte, 0).Value).Frame.Value);
    }

    [Fact]
    public void FourKiBLeavesAboveOneGiBAreCleared()
    {
        // fixed, native, no PSE, 4 GiB: [1G, 4G) is in 4 KiB pages (WorkedExample4GiBTests:
        // DirectMap 786432/512/0). Removing [1G, 1G + 4M): two PTE pages, frames ≥ 1 GiB → all
        // 1024 entries cleared (4k 785408), both pages emptied and freed by free_pte_table.
        var r = Run(Flat(4 * GiB, KernelVariant.Fixed, pse: false), new HotRemove(0, GiB, 4 * MiB));
        var s = r.Summary();

        Assert.Equal(("ok", "785408/512/0"), (s.Outcome, Direct(s)));
        Assert.Equal("0x0-0x40000000 2m; 0x40400000-0x100000000 4k", Mapped(s));
        Assert.Equal(2, r.Machine.Freed.Count);
    }
}
