using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Tests.Support;
using BootActors.Model.Workload;
using BootActors.Model.Xen;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>
/// More machines derived by hand before the model was run: 1 GiB pages, a GiB with no e820
/// entry, where last_map_addr lands, `before` below 1 GiB, a count_pgtables layout that needs
/// a second round, and early_ioremap nesting. Reservations and initial tables as in
/// <see cref="WorkedExample4GiBTests"/>.
/// </summary>
public class MoreDerivedTests
{
    private static MachineConfig Native(E820Map map, KernelVariant v, bool pse = true, bool gbpages = false) =>
        new() { E820 = map, Variant = v, Pse = pse, Gbpages = gbpages };

    private static E820Map Map(params (ulong Start, ulong End, uint Type)[] entries) =>
        E820Map.FromEntries(entries.Select(e => new E820Entry(e.Start, e.End, e.Type)));

    [Theory]
    // gbpages, PSE on, flat 4 GiB. Estimate: 4 puds → 1 page; direct_gbpages → no pmd term;
    // tables 0x1000 → [0x8, 0x9).
    // before: pud 0x8; pud[0..3] empty → 1 GiB leaves (4 counted as 1G); pgd_populate over
    //   head_64.S's link keeps the translations of [0, 1G) → ok.
    // after: stops at level2_ident_pgt[0] as without gbpages.
    // fixed: pud[0] keeps (and counts) the 512 2 MiB leaves; pud[1..3] 1 GiB leaves; no page allocated.
    [InlineData("before", "ok", "0x9", "1/0/0", "0/0/4", "0x0-0x100000000 1g")]
    [InlineData("after", "violation", "0x8", "0/0/0", "0/0/0", "0x0-0x40000000 2m")]
    [InlineData("fixed", "ok", "0x8", "0/0/0", "0/512/3", "0x0-0x40000000 2m; 0x40000000-0x100000000 1g")]
    public void GbpagesOnAFlatFourGiBMachineMapWithOneGiBLeaves(string variant, string outcome, string tableEnd, string tables, string direct, string mapped)
    {
        var s = Boot(Flat(4 * GiB, KernelVariant.Named(variant), gbpages: true)).Summary();
        Assert.Equal(
            (outcome, "0x8", tableEnd, "0x9", tables, direct, mapped, true),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s), s.Gbpages));
    }

    [Fact]
    public void GbpagesWithoutPseStillReserveThePteTermButAllocateNothing()
    {
        // tables = 0x1000 + 8 MiB of PTEs = 2049 pages → past the kernel: [0xa00, 0xa00 + 0x801).
        // fixed allocates nothing: pud[0] is head_64.S's, the rest are 1 GiB leaves.
        var s = Boot(Flat(4 * GiB, KernelVariant.Fixed, pse: false, gbpages: true)).Summary();
        Assert.Equal(
            ("ok", "0xa00", "0xa00", "0x1201", "0/0/0", "0/512/3"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s)));
    }

    [Fact]
    public void GbpagesMapTheLastGiBWholePastEnd()
    {
        // RAM [0, 4.5G): pud[4] gets a 1 GiB leaf because 4G < end (item 23); phys_pud_init's
        // last_map_addr is then (addr & PUD_MASK) + PUD_SIZE = 5G.
        var s = Boot(Flat(9 * GiB / 2, KernelVariant.Fixed, gbpages: true)).Summary();
        Assert.Equal(
            ("ok", "0x120000000", "0x140000000", "0/512/4", "0x0-0x40000000 2m; 0x40000000-0x140000000 1g"),
            (s.Outcome, s.End, s.LastMapAddr, Direct(s), Mapped(s)));
    }

    [Fact]
    public void UnderXenTheGbpagesSwitchIsIgnored()
    {
        var s = Boot(Flat(4 * GiB, KernelVariant.Fixed, xen: true, gbpages: true)).Summary();
        Assert.False(s.Gbpages);
        Assert.Equal("1041408/14/0", Direct(s));
    }

    [Theory]
    // RAM [0, 1G) and [2G, 3G); nothing in [1G, 2G). end 3G: 3 puds → 1 page, 1536 pmds → 3 pages.
    // [0x8000, 0xc000) is free → [0x8, 0xc). pud[1] fails e820_any_mapped → cleared.
    // fixed: pud[0] counted 512, pud[2] gets pmd 0x8 (512 leaves) → table_end 0x9.
    // before: pud 0x8, pmd 0x9 for pud[0], pmd 0xa for pud[2] → table_end 0xb.
    [InlineData("fixed", "0x9", "0/1/0")]
    [InlineData("before", "0xb", "1/2/0")]
    public void AGiBWithNoE820EntryStaysUnmapped(string variant, string tableEnd, string tables)
    {
        var map = Map((0, GiB, E820Type.Ram), (2 * GiB, 3 * GiB, E820Type.Ram));
        var s = Boot(Native(map, KernelVariant.Named(variant))).Summary();
        Assert.Equal(
            ("ok", "0xc0000000", "0x8", tableEnd, "0xc", tables, "0/1024/0", "0xc0000000", "0x0-0x40000000 2m; 0x80000000-0xc0000000 2m"),
            (s.Outcome, s.End, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
    }

    [Fact]
    public void AGiBWithOnlyAReservedEntryIsMappedWhole()
    {
        // e820_any_mapped(addr, addr + 1G, 0) accepts any type (item 8): [1G, 2G) gets a pmd page.
        var map = Map((0, GiB, E820Type.Ram), (GiB, GiB + 0x1000, E820Type.Reserved), (2 * GiB, 3 * GiB, E820Type.Ram));
        var s = Boot(Native(map, KernelVariant.Fixed)).Summary();
        Assert.Equal(("ok", "0xa", "0/1536/0", "0x0-0xc0000000 2m"), (s.Outcome, s.TableEnd, Direct(s), Mapped(s)));
    }

    [Theory]
    // RAM [0, 3G + 4K), end 0xc0001000.
    // PSE: 4 puds → 1 page, 1537 pmds → round_up(12296) = 4 pages: [0x8, 0xd). pud[1], pud[2]:
    //   pmds 0x8, 0x9; pud[3]: pmd 0xa, a leaf at 3G (< end), then 3G + 2M ≥ end stops the loop:
    //   phys_pmd_init returns 3G + 2M = last_map_addr; mapped to 0xc0200000. 2m = 512 + 1025.
    // no PSE: + 786433 ptes → 1537 pages; 1542 = 0x606 pages from 0xa00. pud[3]: pmd, one PTE
    //   page with one leaf; the loop stops at 3G + 2M too. Used 3 pmd + 1025 pte → 0xe04;
    //   4k = 1024 × 512 + 1 = 524289; mapped exactly to end.
    // gbpages: pud[3] is a 1 GiB leaf; last_map_addr = 4G.
    [InlineData(true, false, "0x8", "0xb", "0xd", "0/1537/0", "0xc0200000", "0x0-0xc0200000 2m")]
    [InlineData(false, false, "0xa00", "0xe04", "0x1006", "524289/512/0", "0xc0200000", "0x0-0x40000000 2m; 0x40000000-0xc0001000 4k")]
    [InlineData(true, true, "0x8", "0x8", "0x9", "0/512/3", "0x100000000", "0x0-0x40000000 2m; 0x40000000-0x100000000 1g")]
    public void LastMapAddrIsWhereTheLastInnerLoopStopped(bool pse, bool gbpages, string tableStart, string tableEnd, string tableTop, string direct, string lastMapAddr, string mapped)
    {
        var s = Boot(Flat((3 * GiB) + 0x1000, KernelVariant.Fixed, pse: pse, gbpages: gbpages)).Summary();
        Assert.Equal(
            ("ok", "0xc0001000", tableStart, tableEnd, tableTop, direct, lastMapAddr, mapped),
            (s.Outcome, s.End, s.TableStart, s.TableEnd, s.TableTop, Direct(s), s.LastMapAddr, Mapped(s)));
    }

    [Fact]
    public void BeforeBelowOneGiBDropsHeadsMappingPastEndAndStillBoots()
    {
        // Item 31: RAM [0, 512M). 1 pud + 1 pmd page [0x8, 0xa). pmd 0x9 gets 256 leaves, the
        // rest cleared; pgd_populate over head_64.S's link drops [512M, 1G), where no frame is in use.
        var s = Boot(Flat(512 * MiB, KernelVariant.Before)).Summary();
        Assert.Equal(
            ("ok", "0x8", "0xa", "0xa", "1/1/0", "0/256/0", "0x20000000", "0x0-0x20000000 2m"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
    }

    [Fact]
    public void FixedBelowOneGiBClearsLevel2IdentPgtPastTheRoundedEnd()
    {
        // phys_pmd_init over level2_ident_pgt: entries below end kept (256 counted), the rest
        // zeroed at boot. Nothing allocated.
        var s = Boot(Flat(512 * MiB, KernelVariant.Fixed)).Summary();
        Assert.Equal(("ok", "0x8", "0/0/0", "0/256/0", "0x0-0x20000000 2m"), (s.Outcome, s.TableEnd, Tables(s), Direct(s), Mapped(s)));
    }

    /// <summary>
    /// Xen, 64 MiB, kernel 0x95b000: p2m 128 KiB [0xb5b000, 0xb7b000), special pages to 0xb7e000 = pt_base.
    /// Round 1: pages 129 → try_end = 0xbff000 | 0x3fffff = 0xbfffff, L1 = 6, pages 138, but
    /// 0xb7e000 + 138 pages = 0xc08000 &gt; 0xc00000. Round 2: try_end = 0xc08000 | 0x3fffff =
    /// 0xffffff, L1 = 8, pages 140, 0xc0a000 ≤ 0x1000000 → stop. nr_pt_frames 11, v_end 16 MiB;
    /// n = max(8, min(32, 12, 512)) = 12 → initial map [0, 24M).
    /// </summary>
    [Fact]
    public void CountPgtablesTakesASecondRoundWhenThePageTablesCrossAFourMiBBoundary()
    {
        var x = XenLayout.Compute(64 * MiB, 0x95b000, out var error);
        Assert.Null(error);
        Assert.NotNull(x);
        Assert.Equal(
            (0xb7e000UL, 8, 11, 0x1000000UL, 0xb89000UL, 12),
            (x.PtBase, x.L1, x.NrPtFrames, x.VEnd, x.PtEnd, x.IdentEntries));
    }

    [Fact]
    public void AXenGuestWithASecondRoundLayoutBootsFixed()
    {
        // Estimate: 1 pud + 1 pmd + 32 pte pages = 0x22000; [0x8000, 0x2a000) is below the kernel
        // and Xen has no EBDA reservation: table_start 0x8, top 0x2a.
        // pmd entries 12..31 (24M..64M) get 20 PTE pages → table_end 0x1c; 4k 10240; 12 counted 2M.
        var config = Flat(64 * MiB, KernelVariant.Fixed, xen: true) with { KernelSize = 0x95b000 };
        var s = Boot(config).Summary();
        Assert.Equal(
            ("ok", "0x8", "0x1c", "0x2a", "0/0/20", "10240/12/0", "0x0-0x4000000 4k"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));
    }

    [Fact]
    public void AOneGiBXenGuestKeepsItsTablesOffItsPhysToMachineList()
    {
        // Layout (items 13-14): nr_pages 0x40000; kernel [0x200000, 0xa00000); p2m 0x40000 × 8 =
        // 2 MiB [0xa00000, 0xc00000); start info/xenstore/console [0xc00000, 0xc03000); pt_base
        // 0xc03000. count_pgtables: try_end = (0xc03000 + 129 pages) | 0x3fffff = 0xffffff; L2 = 1,
        // L1 = 8; pages 140, 0xc03000 + 0x8c000 ≤ 0x1000000 → nr_pt_frames 11, segment
        // [0xc03000, 0xc0e000), v_end 16 MiB. n = max(8, min(512, 12, 512)) = 12 → initial map [0, 24M).
        // Map (item 10): usable [0, 0xa0000), reserved [0xa0000, 0x100000), usable
        // [0x100000, 0xa00000), reserved [0xa00000, 0xc03000), usable [0xc03000, 1G).
        // Estimate 1 + 1 + 512 = 514 pages = 0x202000. find_e820_area: [0x8000, 0x20a000) does not
        // fit below 0xa0000; 0x100000 hits TEXT → 0xa00000, the end of that entry; in the last
        // entry 0xc03000 hits XEN PAGETABLES → 0xc0e000, free → table_start 0xc0e, top 0xe10.
        // (With the flat map of before item 10 was revised the buffer was [0xa00000, 0xc02000),
        // on the p2m list.) level2_ident_pgt entries 0..11 are full L1s, counted 2M
        // (a06de63000b); entries 12..511 get 500 PTE pages 0xc0e..0xe01 → table_end 0xe02. Each
        // maps frames ≥ 24 MiB, where no table page lies (the buffer ends at 0xe10000), and lies
        // inside the initial map for its alloc hook. 4k = 500 × 512 = 256000.
        var s = Boot(Flat(GiB, KernelVariant.Fixed, xen: true)).Summary();
        Assert.Equal(
            ("ok", "0xc0e", "0xe02", "0xe10", "0/0/500", "256000/12/0", "0x0-0x40000000 4k"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));
    }

    [Fact]
    public void AFiveHundredTwelveMiBXenGuestKeepsItsTablesOutOfTheIsaHole()
    {
        // Layout: nr_pages 0x20000; p2m 1 MiB [0xa00000, 0xb00000); pt_base 0xb03000; try_end =
        // (0xb03000 + 129 pages) | 0x3fffff = 0xbfffff: L2 = 1, L1 = 6; pages 138, 0xb03000 +
        // 0x8a000 ≤ 0xc00000 → nr_pt_frames 9, segment [0xb03000, 0xb0c000), v_end 12 MiB.
        // n = max(6, min(256, 10, 512)) = 10 → initial map [0, 20M).
        // Estimate: 1 pud + 1 pmd (256 pmds) + 256 pte pages (0x20000 × 8 = 1 MiB) = 258 = 0x102000.
        // Flat map (before the revision): [0x8000, 0x10a000) was free → 0x8, across the ISA range.
        // Now [0x8000, ...) does not fit below 0xa0000; [0x100000, 0x202000) hits TEXT → 0xa00000,
        // the end of that entry; 0xb03000 hits XEN PAGETABLES → 0xb0c000 → table_start 0xb0c, top 0xc0e.
        // Entries 0..9 counted 2M; entries 10..255 (20M .. 512M) get 246 PTE pages 0xb0c..0xc01 →
        // table_end 0xc02, all below 20M; 4k = 246 × 512 = 125952.
        var s = Boot(Flat(512 * MiB, KernelVariant.Fixed, xen: true)).Summary();
        Assert.Equal(
            ("ok", "0xb0c", "0xc02", "0xc0e", "0/0/246", "125952/10/0", "0x0-0x20000000 4k"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));
    }

    [Fact]
    public void AXenGuestTooSmallForTheBuildersInitialMappingCannotBeBuilt()
    {
        // 8 MiB: pt_base 0xa07000, try_end 0xbfffff → v_end 12 MiB = 3072 pages > 2048.
        var e = Assert.Throws<MachineConfigException>(() => Boot(Flat(8 * MiB, KernelVariant.Fixed, xen: true)));
        Assert.Contains("count_pgtables", e.Message);
    }

    [Theory]
    // Item 33: early_ioremap nesting never goes deeper than 3 (< FIX_BTMAPS_NESTING = 4).
    // The parent's order with nonpse_fallback holds pud, pmd and PTE aliases at once: 3.
    [InlineData("nonpse parent order", 3)]
    [InlineData("fixed nopse", 2)]
    [InlineData("fixed xen", 2)]
    [InlineData("before pse", 2)]
    public void EarlyIoremapNestingStaysBelowFixBtmapsNesting(string name, int expected)
    {
        var config = name switch
        {
            "nonpse parent order" => Flat(2 * GiB, Variant(Hunks.NonpseFallback | Hunks.TableSpacePtes), pse: false),
            "fixed nopse" => Flat(2 * GiB, KernelVariant.Fixed, pse: false),
            "fixed xen" => Flat(2 * GiB, KernelVariant.Fixed, xen: true),
            _ => Flat(2 * GiB, KernelVariant.Before),
        };
        var max = 0;
        var run = SteppedRun.Execute(config, WorkloadPlan.BootOnly, after: (m, _, _) => max = Math.Max(max, m.Allocator.Aliases.Count));
        Assert.Null(run.Stop);
        Assert.Equal(expected, max);
        Assert.Empty(run.Machine.Allocator.Aliases);
    }
}
