using BootActors.Model.Kernel;
using BootActors.Model.Tests.Support;
using BootActors.Model.Xen;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>
/// The worked example of issue #3: a flat 4 GiB machine (`--memory 4G`, one usable entry
/// [0, 0x100000000)), with and without PSE, natively and under Xen, for before/after/fixed.
/// Every number below was derived by hand from init_64.c (seed patch) and model-conventions.md
/// BEFORE the model was run; the derivation is written out here.
///
/// Common facts (conventions 6, 9, 11):
///   end = e820_end_of_ram() &lt;&lt; 12 = 0x100000000. The boot makes one call init_memory_mapping(0, end);
///   the pgd loop runs once (pgd slot 272), next = end.
///   Early reservations: [0, 0x1000) BIOS data page, [0x6000, 0x8000) TRAMPOLINE,
///   [0x200000, 0xa00000) TEXT DATA BSS (8 MiB kernel), natively [0x9f000, 0x100000) BIOS reserved
///   (the RAM entry holding 0 reaches 1 MiB, so lowmem is the fallback 0x9f000); under Xen the
///   XEN PAGETABLES segment instead (below).
///
/// find_early_table_space(0x100000000):
///   puds = 4 → round_up(32, 4096) = 0x1000; pmds = 2048 → round_up(16384, 4096) = 0x4000;
///   tables = 0x5000 (5 pages). With table_space_ptes and !cpu_has_pse: ptes = 0x100000 →
///   8 MiB = 0x800000 more, tables = 0x805000 = 2053 pages (1 PUD + 4 PMD + 2048 PTE).
///   find_e820_area(0x8000, end, tables, 4096):
///     5 pages: [0x8000, 0xd000) overlaps nothing → table_start 0x8, table_top 0xd.
///     2053 pages natively: [0x8000, 0x80d000) hits TEXT DATA BSS (first in early_res order) →
///       0xa00000; [0xa00000, 0x1205000) is free → table_start 0xa00, table_top 0x1205.
///
/// Native initial tables (convention 12): pgd[272] → level3_ident_pgt (0x202); its pud[0] →
/// level2_ident_pgt (0x203), 512 leaves of 2 MiB mapping [0, 1 GiB) whatever --pse says.
///
/// NATIVE, PSE on (5-page buffer at 0x8..0xd in every variant):
///  before: no preserve_existing, so alloc a pud (0x8). phys_pud_init(0x8, 0, 4G): each of
///    pud[0..3] is empty in the fresh page and has an e820 entry → alloc pmd (0x9..0xc),
///    pud_populate, phys_pmd_init writes 512 2 MiB leaves (pages = 512, counted when it returns);
///    loop stops at 4G. Then pgd_populate(pgd[272] → 0x8) replaces head_64.S's link: same
///    translations for [0, 1G) plus more, so no overwrite violation (convention 31). OK.
///    table_end 0xd, table_pages 1/4/0, DirectMap 0/2048/0, last_map_addr 4G, mapped [0,4G) 2m.
///  after: preserve_existing: pgd[272] is present → phys_pud_update(pgd, 0, 4G) reaches
///    level3_ident_pgt (mapped by level2_ident_pgt[1]); pud[0] present, not large →
///    phys_pmd_update → phys_pmd_init(level2_ident_pgt, 0, 4G): pmd[0] is a 2 MiB leaf and
///    22b45144f67 is absent → phys_pte_update: __va(frame 0) is mapped, then the entry is large
///    → data_frame_written_as_table (convention 29). Nothing was allocated or counted:
///    table_end 0x8, table_pages 0/0/0, DirectMap 0/0/0; last_map_addr stays end (stopped inside
///    the first phys_pud_update); mapped is still head_64.S's [0, 1G) 2m.
///  fixed: pud[0]: phys_pmd_init over level2_ident_pgt skips the 512 large entries
///    (22b45144f67) and counts each (a06de63000b, start == 0): 512 2M. pud[1..3] are empty in
///    level3_ident_pgt → alloc pmd 0x8, 0x9, 0xa, fill 512 leaves each, unmap, pud_populate.
///    table_end 0xb, table_pages 0/3/0, DirectMap 0/2048/0, mapped [0,4G) 2m. OK.
///
/// NATIVE, PSE off:
///  before: no table_space_ptes (5 pages at 0x8) and no nonpse_fallback, so every empty pmd
///    gets a 2 MiB leaf anyway: identical to before with PSE (summary pse = false).
///  after: 2053 pages at 0xa00..0x1205; fails exactly as with PSE at level2_ident_pgt[0]:
///    table_end 0xa00, nothing allocated, mapped [0, 1G) 2m.
///  fixed: pud[0] as with PSE (512 2M counted). pud[1]: pmd 0xa00; each of its 512 entries is
///    empty and !cpu_has_pse → alloc a PTE page, 512 4 KiB leaves, unmap, pmd_populate_kernel
///    (512 PTE pages); same for pud[2] (pmd 0xc01) and pud[3] (pmd 0xe02). Used: 3 pmd +
///    1536 pte = 1539 = 0x603 pages, fewer than the 2053 reserved: table_end 0x1003.
///    DirectMap 4k = 1536 × 512 = 786432, 2m = 512. mapped [0,1G) 2m, [1G,4G) 4k. OK.
///
/// XEN (cpu_has_pse = 0 and direct_gbpages = 0 whatever --pse says, convention 5):
///   Domain builder (13–14): nr_pages = 0x100000; kernel [0x200000, 0xa00000); p2m 8 MiB
///   [0xa00000, 0x1200000); start info/xenstore/console [0x1200000, 0x1203000); pt_base 0x1203000.
///   count_pgtables: pages = 129 → try_end = (0x1203000 + 0x81000) | 0x3fffff = 0x13fffff;
///   L4 = L3 = 1, L2 = 1, L1 = (0x13fffff >> 21) + 1 = 10; pages = 142, 0x1203000 + 142 pages =
///   0x1291000 ≤ 0x1400000 → stop. nr_pt_frames = 13, v_end = 0x1400000 (20 MiB).
///   Segment [0x1203000, 0x1210000): L4 0x1203, L3 0x1204, L2 0x1205, L1s 0x1206..0x120f.
///   Item 15: level2_ident_pgt[0..9] link Xen's L1s ([0, 20 MiB)). Item 16:
///   n = max(10, min(2048, 14, 512)) = 14: entries 10..13 get level1_ident_pgt 0x204..0x207,
///   so the initial direct map is [0, 28 MiB) = [0, 0x1c00000) in 4 KiB pages.
///   Map (item 10, xen_memory_setup): usable [0, 0xa0000), reserved [0xa0000, 0x100000) (ISA),
///   usable [0x100000, 0xa00000), reserved [0xa00000, 0x1203000) (p2m list and start-of-day
///   pages), usable [0x1203000, 4G). end = 4G as with the flat map.
///   Reservations: no EBDA; XEN PAGETABLES [0x1203000, 0x1210000).
///   5-page buffer: [0x8000, 0xd000) fits in the first entry and is free → 0x8..0xd.
///   2053-page buffer (0x805000): does not fit below 0xa0000; 0x100000 hits TEXT → 0xa00000, the
///   end of the second entry; the third starts at pt_base 0x1203000, which hits XEN PAGETABLES →
///   0x1210000; [0x1210000, 0x1a15000) free → table_start 0x1210, table_top 0x1a15. With the flat
///   map of before the revision, 0xa00000 + 0x805000 ran into XEN PAGETABLES as well, so none
///   of the Xen rows below changes (the 1 GiB and 512 MiB guests do: MoreDerivedTests).
///  before: alloc pud 0x8, alloc pmd 0x9, then (parent order) pud_populate(0x8[0] → 0x9) while
///    0x9 still has its writable early_ioremap alias → hypervisor_refused (26 step 2).
///    table_end 0xa, table_pages 1/1/0, DirectMap 0/0/0, last_map_addr end, mapped [0, 28M) 4k.
///  after: pgd[272] present → phys_pud_update → pud[0] → phys_pmd_init(level2_ident_pgt):
///    entries 0..13 are links, not large → phys_pte_update → phys_pte_init finds all 512 entries
///    of each pinned L1 present, writes nothing (count 0). Entries 14..511 (addresses 28 MiB ..
///    1 GiB): alloc a PTE page (0x1210, 0x1211, …), fill, unmap, pmd_populate_kernel into the
///    reachable level2_ident_pgt; the PTE page maps frames ≥ 28 MiB, where no table page lies
///    (the whole buffer is below 0x1a15000 < 0x1c00000), so Xen validates it: 498 pages.
///    pud[1..3]: pmd page, 512 PTE pages each, unmap, pud_populate into level3_ident_pgt.
///    Used: 498 + 3 + 1536 = 2037 = 0x7f5 → table_end 0x1a05, table_pages 0/3/2034.
///    DirectMap 4k = 2034 × 512 = 1041408 ((4 GiB − 28 MiB) / 4 KiB), 2m = 0. mapped [0,4G) 4k. OK.
///  fixed: as after, and a06de63000b counts the 14 pre-existing level2_ident_pgt entries as 2M:
///    DirectMap 1041408/14/0.
/// </summary>
public class WorkedExample4GiBTests
{
    private const ulong End = 4 * GiB;

    [Fact]
    public void AFlatFourGiBMachineWithoutPseReservesExactly2053EarlyTablePages()
    {
        foreach (var xen in new[] { false, true })
        {
            var s = Boot(Flat(End, KernelVariant.Fixed, pse: false, xen: xen)).Summary();
            var start = Convert.ToUInt64(s.TableStart, 16);
            var top = Convert.ToUInt64(s.TableTop, 16);
            var used = Convert.ToUInt64(s.TableEnd, 16) - start;
            Assert.Equal(2053UL, top - start);
            Assert.Equal(1UL + 4 + 2048, top - start);
            Assert.True(used < 2053, $"xen={xen}: {used} pages used");
        }
    }

    [Fact]
    public void WithPseTheSameMachineReservesOnlyFivePages()
    {
        var s = Boot(Flat(End, KernelVariant.Fixed, pse: true)).Summary();
        Assert.Equal("0x8", s.TableStart);
        Assert.Equal("0xd", s.TableTop);
    }

    [Fact]
    public void TheXenDomainBuilderLayoutOfAFourGiBGuestIsTheHandDerivedOne()
    {
        var x = XenLayout.Compute(End, 8 * MiB, out var error);
        Assert.Null(error);
        Assert.NotNull(x);
        Assert.Equal(0x100000UL, x.NrPages);
        Assert.Equal(0xa00000UL, x.P2mStart);
        Assert.Equal(0x1200000UL, x.P2mEnd);
        Assert.Equal(0x1200000UL, x.SpecialPagesStart);
        Assert.Equal(0x1203000UL, x.PtBase);
        Assert.Equal((1, 1, 1, 10), (x.L4, x.L3, x.L2, x.L1));
        Assert.Equal(13, x.NrPtFrames);
        Assert.Equal(0x1210000UL, x.PtEnd);
        Assert.Equal(0x1400000UL, x.VEnd);
        Assert.Equal(0x1206UL, x.L1Pfn(0));
        Assert.Equal(0x120fUL, x.L1Pfn(9));
        Assert.Equal(10, x.L1Linked);
        Assert.Equal(14, x.IdentEntries);
    }

    [Theory]
    // variant, pse, xen, outcome, error, table_start, table_end, table_top, pud/pmd/pte, 4k/2m/1g, last_map_addr, mapped
    [InlineData("before", true, false, "ok", "none", "0x8", "0xd", "0xd", "1/4/0", "0/2048/0", "0x100000000", "0x0-0x100000000 2m")]
    [InlineData("after", true, false, "violation", "data_frame_written_as_table", "0x8", "0x8", "0xd", "0/0/0", "0/0/0", "0x100000000", "0x0-0x40000000 2m")]
    [InlineData("fixed", true, false, "ok", "none", "0x8", "0xb", "0xd", "0/3/0", "0/2048/0", "0x100000000", "0x0-0x100000000 2m")]
    [InlineData("before", false, false, "ok", "none", "0x8", "0xd", "0xd", "1/4/0", "0/2048/0", "0x100000000", "0x0-0x100000000 2m")]
    [InlineData("after", false, false, "violation", "data_frame_written_as_table", "0xa00", "0xa00", "0x1205", "0/0/0", "0/0/0", "0x100000000", "0x0-0x40000000 2m")]
    [InlineData("fixed", false, false, "ok", "none", "0xa00", "0x1003", "0x1205", "0/3/1536", "786432/512/0", "0x100000000", "0x0-0x40000000 2m; 0x40000000-0x100000000 4k")]
    [InlineData("before", true, true, "rejected", "hypervisor_refused", "0x8", "0xa", "0xd", "1/1/0", "0/0/0", "0x100000000", "0x0-0x1c00000 4k")]
    [InlineData("after", true, true, "ok", "none", "0x1210", "0x1a05", "0x1a15", "0/3/2034", "1041408/0/0", "0x100000000", "0x0-0x100000000 4k")]
    [InlineData("fixed", true, true, "ok", "none", "0x1210", "0x1a05", "0x1a15", "0/3/2034", "1041408/14/0", "0x100000000", "0x0-0x100000000 4k")]
    [InlineData("before", false, true, "rejected", "hypervisor_refused", "0x8", "0xa", "0xd", "1/1/0", "0/0/0", "0x100000000", "0x0-0x1c00000 4k")]
    [InlineData("after", false, true, "ok", "none", "0x1210", "0x1a05", "0x1a15", "0/3/2034", "1041408/0/0", "0x100000000", "0x0-0x100000000 4k")]
    [InlineData("fixed", false, true, "ok", "none", "0x1210", "0x1a05", "0x1a15", "0/3/2034", "1041408/14/0", "0x100000000", "0x0-0x100000000 4k")]
    public void EachVariantOfTheFourGiBMachineEndsAsDerivedByHand(
        string variant, bool pse, bool xen, string outcome, string error, string tableStart, string tableEnd, string tableTop,
        string tablePages, string directPages, string lastMapAddr, string mapped)
    {
        var s = Boot(Flat(End, KernelVariant.Named(variant), pse: pse, xen: xen)).Summary();
        Assert.Equal(
            (outcome, error, "0x100000000", tableStart, tableEnd, tableTop, tablePages, directPages, lastMapAddr, mapped),
            (s.Outcome, Runs.Error(s), s.End, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));

        // Xen forces cpu_has_pse off whatever --pse says (convention 5).
        Assert.Equal(pse && !xen, s.Pse);
        Assert.False(s.Gbpages);
    }

    [Fact]
    public void UnderXenThePseSwitchChangesNothing()
    {
        foreach (var v in new[] { KernelVariant.Before, KernelVariant.After, KernelVariant.Fixed })
        {
            Assert.Equal(Json(Boot(Flat(End, v, pse: true, xen: true)).Summary()), Json(Boot(Flat(End, v, pse: false, xen: true)).Summary()));
        }
    }

    [Fact]
    public void NativeAfterStopsAtPhysPteUpdateOnLevel2IdentPgtEntryZero()
    {
        var s = Boot(Flat(End, KernelVariant.After)).Summary();
        var e = Assert.Single(s.Errors);
        Assert.EndsWith("phys_pte_update", e.Function);
        Assert.Contains("pmd[0] of table 0x203", e.Message);
    }

    [Fact]
    public void XenBeforeIsRefusedAtPudPopulateOfTheFirstPmdPageBecauseOfItsAlias()
    {
        var s = Boot(Flat(End, KernelVariant.Before, xen: true)).Summary();
        var e = Assert.Single(s.Errors);
        Assert.EndsWith("phys_pud_init", e.Function);
        Assert.Contains("pud_populate", e.Message);
        Assert.Contains("early_ioremap alias", e.Message);
        Assert.Contains("pmd page 0x9", e.Message);
    }
}
