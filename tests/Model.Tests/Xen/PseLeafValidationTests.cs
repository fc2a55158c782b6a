using BootActors.Model.Kernel;
using BootActors.Model.Paging;
using BootActors.Model.Workload;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Xen;

/// <summary>
/// model-conventions items 26 and 28: Xen refuses a PSE leaf when it validates the page that holds
/// it (get_page_from_l2e/l3e, "Bad L2 flags"): when the leaf is written into a table Xen has already
/// typed, or when a populate links the page into a table reachable from init_level4_pgt. A page not
/// linked yet is written directly and nothing is checked then.
/// </summary>
public class PseLeafValidationTests
{
    [Fact]
    public void AFilledPmdPageIsRefusedAtThePgdPopulateThatMakesItReachableNotAtItsFirstTwoMiBWrite()
    {
        // `run --memory 4G --xen --variant after --hunks unmap_before_populate,table_space_ptes`.
        // No nonpse_fallback: every empty pmd entry gets a 2 MiB leaf; no preserve_existing: a
        // fresh pud. Buffer: 2053 pages at 0x1210 (WorkedExample4GiBTests). pud 0x1210 is allocated
        // and not linked; pud[0]: pmd 0x1211 is filled with 512 leaves (plain writes into an
        // unlinked page), unmapped, pud_populate'd into the unlinked pud 0x1210 (nothing
        // validated); pud[1..3] likewise with pmds 0x1212..0x1214. Every phys_pmd_init returns:
        // 4 × 512 = 2048 2M counted; phys_pud_init returns: last_map_addr 4G. 5 pages used:
        // table_end 0x1215. Then pgd_populate(pgd[272] → 0x1210) into init_level4_pgt (reachable):
        // Xen validates pud 0x1210 → pud[0] → pmd 0x1211 → pmd[0], the leaf for frame 0 with
        // GLOBAL dropped (0x80000000000000e3) → "Bad L2 flags 80", alloc_l2_table fails at entry 0.
        // The pud is not linked, so the direct map stays the initial [0, 28M) 4k.
        var s = Boot(Flat(4 * GiB, Variant(Hunks.UnmapBeforePopulate | Hunks.TableSpacePtes), xen: true)).Summary();

        Assert.Equal(
            ("rejected", "hypervisor_refused", "init_memory_mapping"),
            (s.Outcome, Error(s), s.Errors[0].Function));
        Assert.Equal(
            "(XEN) mm.c: d1 Bad L2 flags 80; (XEN) mm.c: d1 Failure in alloc_l2_table: entry 0; hypercall returns -EINVAL (-22): " +
            "validating pmd page 0x1211 below pud page 0x1210, which pgd_populate links into pgd[272] of table 0x201: " +
            "pmd[0] (va 0xffff880000000000) is a 2 MiB PSE leaf 0x80000000000000e3; PV guests cannot map large pages",
            s.Errors[0].Message);
        Assert.Equal(
            ("0x1210", "0x1215", "0x1a15", "1/4/0", "0/2048/0", "0x100000000", "0x0-0x1c00000 4k"),
            (s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
    }

    [Fact]
    public void AHotAddsFilledPmdPageIsRefusedAtThePudPopulateIntoLevel3IdentPgt()
    {
        // A 16 MiB guest with a 4 MiB kernel: kernel [0x200000, 0x600000); p2m 0x1000 × 8 = 32 KiB
        // [0x600000, 0x608000); pt_base 0x60b000; try_end = (0x60b000 + 129 pages) | 0x3fffff =
        // 0x7fffff: L2 = 1, L1 = 4, pages 136 fit; v_end 8 MiB. Item 16: ⌈0x1000 / 512⌉ = 8 chunks,
        // n = max(4, min(8, 8, 512)) = 8: level2_ident_pgt maps all of [0, 16M) already.
        // Estimate 1 + 1 + 8 pages at 0x8 (inside [0, 0xa0000)). Boot with unmap_before_populate,
        // preserve_existing and table_space_ptes: pgd[272] → level3_ident_pgt → pud[0] →
        // level2_ident_pgt: entries 0..7 are full L1s (nothing written, no a06de63000b count),
        // 8..511 are past end and cleared (they are empty): a clean boot, nothing allocated.
        // Hot-add [1G, 1G + 2M) on CPU1: init_memory_mapping(1G, 1G + 2M − 1) → phys_pud_update
        // → phys_pud_init(level3_ident_pgt): pud[1] is empty → alloc_low_page after bootmem:
        // table_end 0x9, get_zeroed_page → 0x3f0000000 (item 20). The hunk fills it before linking
        // it: pmd[0] ← 2 MiB leaf for 1G (0x80000000400000e3), a plain write into an unlinked page;
        // phys_pmd_init returns (1 2M counted). pud_populate(level3_ident_pgt[1] → 0x3f0000000):
        // level3_ident_pgt (0x202) is reachable, so Xen validates the pmd page → refused there.
        var hunks = Variant(Hunks.UnmapBeforePopulate | Hunks.PreserveExisting | Hunks.TableSpacePtes);
        var config = Flat(16 * MiB, hunks, xen: true, cpus: 2) with { KernelSize = 4 * MiB };
        var r = Run(config, new HotAdd(1, GiB, 2 * MiB));
        var s = r.Summary();

        Assert.Equal(
            ("rejected", "hypervisor_refused", 1),
            (s.Outcome, Error(s), s.Errors[0].Cpu));
        Assert.Equal("add_memory → arch_add_memory → init_memory_mapping → phys_pud_update → phys_pud_init", r.Stop!.CallChain);
        Assert.Equal(
            "(XEN) mm.c: d1 Bad L2 flags 80; (XEN) mm.c: d1 Failure in alloc_l2_table: entry 0; hypercall returns -EINVAL (-22): " +
            "validating pmd page 0x3f0000000, which pud_populate links into pud[1] of table 0x202: " +
            "pmd[0] (va 0xffff880040000000) is a 2 MiB PSE leaf 0x80000000400000e3; PV guests cannot map large pages",
            s.Errors[0].Message);
        Assert.Equal(
            ("0x8", "0x9", "0x12", "0/0/0", "0/1/0", "0x0-0x1000000 4k"),
            (s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));

        // The leaf was written (the page is the hot-add's, filled), only the link was refused.
        Assert.Equal(0x80000000400000e3UL, r.Machine.Memory.Read(new Pfn(0x3f0000000), 0).Value);
        Assert.Equal(0UL, r.Machine.Memory.Read(StaticTables.level3_ident_pgt, 1).Value);
    }

    [Fact]
    public void APseLeafWrittenIntoATableXenHasTypedIsRefusedAtTheWrite()
    {
        // preserve_existing alone, 4 GiB: phys_pmd_init(level2_ident_pgt) finds entries 0..13
        // present (Xen's 10 L1s and 4 level1_ident_pgt pages); entry 14 (28 MiB) is empty and there
        // is no nonpse_fallback → set_pmd of a 2 MiB leaf into level2_ident_pgt (0x203), which Xen
        // holds as an L2 table: refused by mod_l2_entry at that write, in phys_pmd_init.
        var s = Boot(Flat(4 * GiB, Variant(Hunks.PreserveExisting), xen: true)).Summary();

        Assert.Equal(("rejected", "init_memory_mapping → phys_pud_update → phys_pud_init → phys_pmd_update → phys_pmd_init"),
            (s.Outcome, s.Errors[0].Function));
        Assert.Equal(
            "set_pmd: (XEN) mm.c: d1 Bad L2 flags 80: a 2 MiB PSE leaf 0x8000000001c000e3 at pmd[14] of table 0x203, " +
            "which Xen holds as an L2 table; PV guests cannot map large pages",
            s.Errors[0].Message);
    }
}
