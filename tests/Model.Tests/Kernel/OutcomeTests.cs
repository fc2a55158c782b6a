using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using BootActors.Model.Tests.Support;
using BootActors.Model.Workload;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>The other ways a run ends: panics, the seed's invariant under top-down allocation, stale TLB use.</summary>
public class OutcomeTests
{
    /// <summary>
    /// RAM too fragmented for even 2 table pages. end = 0xa04000 → puds 1 (0x1000) + pmds 6
    /// (0x1000) = 0x2000. find_e820_area(0x8000, 0xa04000, 0x2000): [0, 0x8000) ends at 0x8000;
    /// [0x200000, 0xa00000) is the kernel image (TEXT DATA BSS → 0xa00000, past the entry);
    /// [0xa01000, 0xa02000) and [0xa03000, 0xa04000) hold one page each → -1 → panic.
    /// </summary>
    private static readonly E820Map Fragmented = E820Map.FromEntries(
    [
        new E820Entry(0, 0x8000, E820Type.Ram),
        new E820Entry(0x8000, 0x200000, E820Type.Reserved),
        new E820Entry(0x200000, 0xa00000, E820Type.Ram),
        new E820Entry(0xa00000, 0xa01000, E820Type.Reserved),
        new E820Entry(0xa01000, 0xa02000, E820Type.Ram),
        new E820Entry(0xa02000, 0xa03000, E820Type.Nvs),
        new E820Entry(0xa03000, 0xa04000, E820Type.Ram),
    ]);

    [Theory]
    [InlineData("before")]
    [InlineData("after")]
    [InlineData("fixed")]
    public void TooFragmentedRamPanicsWithNoSpaceForTheKernelPageTables(string variant)
    {
        var r = Boot(new MachineConfig { E820 = Fragmented, Variant = KernelVariant.Named(variant) });
        var s = r.Summary();

        // Item 22: table_start/end/top all 0x0; last_map_addr = end (stopped in find_early_table_space).
        Assert.Equal(
            ("panic", "panic", "0xa04000", "0xa04000", "0x0", "0x0", "0x0", "0/0/0", "0/0/0", "0x0-0x40000000 2m"),
            (s.Outcome, Runs.Error(s), s.End, s.LastMapAddr, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));
        Assert.Contains("Cannot find space for the kernel page tables", s.Errors[0].Message);
        Assert.EndsWith("find_early_table_space", s.Errors[0].Function);
        Assert.Equal(3, r.Machine.Memory.TablePageCount);
    }

    [Fact]
    public void RunningOutOfTheBufferLeavesTableEndOnePastTableTopAndKeepsOnlyCountsOfReturnedCalls()
    {
        // fixed without table_space_ptes, native, no PSE, 4 GiB: 5 pages [0x8, 0xd).
        // pud[0]: phys_pmd_update → phys_pmd_init(level2_ident_pgt) skips and counts 512 large
        // entries (a06de63000b) and RETURNS: 512 2M stay. pud[1]: pmd 0x8; PTE pages 0x9..0xc are
        // filled (four phys_pte_init calls return: 4 × 512 = 2048 4k stay); the fifth alloc:
        // table_end++ → 0xe, pfn 0xd ≥ table_top → panic. The running phys_pmd_init(0x8) and
        // phys_pud_init lose their (zero) counts; pmd 0x8 was never linked (item 18, 19).
        var s = Boot(Flat(4 * GiB, Variant(Hunks.All & ~Hunks.TableSpacePtes, Fixes.All), pse: false)).Summary();
        Assert.Equal(
            ("panic", "0x8", "0xe", "0xd", "0/1/4", "2048/512/0", "0x100000000", "0x0-0x40000000 2m"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
        Assert.Equal(Convert.ToUInt64(s.TableTop, 16) + 1, Convert.ToUInt64(s.TableEnd, 16));
        Assert.Contains("alloc_low_page: ran out of memory", s.Errors[0].Message);
    }

    /// <summary>
    /// Xen, 16 GiB: nr_pages 0x400000; p2m 32 MiB [0xa00000, 0x2a00000); pt_base 0x2a03000;
    /// count_pgtables: try_end = (0x2a03000 + 0x81000) | 0x3fffff = 0x2bfffff, L2 = 1,
    /// L1 = 22, pages = 154 fits → nr_pt_frames 25, segment [0x2a03000, 0x2a1c000), v_end 44 MiB.
    /// n = max(22, min(8192, 26, 512)) = 26 → initial map [0, 52 MiB) = [0, 0x3400000).
    /// Estimate: 1 pud + 16 pmd + 8192 pte = 8209 = 0x2011 pages; placement 0x8000 → TEXT →
    /// 0xa00000 → XEN PAGETABLES → 0x2a1c000: table_start 0x2a1c, table_top 0x4a2d (≈ 74 MiB).
    /// </summary>
    [Fact]
    public void TopDownAllocationUnderXen16GiBAfterBreaksTheSeedsInvariant()
    {
        // Top-down: the first page is table_top − 1 = 0x4a2c (at 74 MiB, above the initial map).
        // pud[0] → level2_ident_pgt: entries 0..25 are full L1s (no writes, count 0 each);
        // pmd[26] (52 MiB) is empty → PTE page 0x4a2c is filled (512 4k, the call returns and
        // counts), unmapped, then pmd_populate_kernel's alloc hook make_lowmem_page_readonly
        // (__va(0x4a2c000)) finds it unmapped → table_page_unmapped (items 26 (1), 30).
        var s = Boot(Flat(16 * GiB, KernelVariant.After, xen: true, order: AllocOrder.TopDown)).Summary();
        Assert.Equal(
            ("violation", "table_page_unmapped", "0x2a1c", "0x2a1d", "0x4a2d", "0/0/1", "512/0/0", "0x400000000", "0x0-0x3400000 4k"),
            (s.Outcome, Runs.Error(s), s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
        Assert.Contains("0x4a2c", s.Errors[0].Message);
        Assert.Contains("pmd_populate_kernel", s.Errors[0].Message);
    }

    [Fact]
    public void TopDownUnderXenFixedLosesTheDirectMap2MCountOfTheRunningPhysPmdInit()
    {
        // As above, but a06de63000b counts the 26 pre-existing entries in phys_pmd_init's local
        // `pages`; that call is still running at the stop, so the 26 are lost; the returned
        // phys_pte_init's 512 stay (item 18).
        var s = Boot(Flat(16 * GiB, KernelVariant.Fixed, xen: true, order: AllocOrder.TopDown)).Summary();
        Assert.Equal(("table_page_unmapped", "512/0/0"), (Runs.Error(s), Direct(s)));
    }

    [Fact]
    public void BottomUpAllocationUnderXen16GiBAfterBoots()
    {
        // Bottom-up from 0x2a1c (42 MiB): each PTE page maps 2 MiB while taking 4 KiB, so the map
        // stays ahead. pud[0]: 512 − 26 = 486 PTE pages; pud[1..15]: 15 pmd + 7680 PTE pages.
        // 8181 = 0x1ff5 pages → table_end 0x4a11. 4k = 8166 × 512 = 4180992 = (16G − 52M) / 4K.
        var s = Boot(Flat(16 * GiB, KernelVariant.After, xen: true)).Summary();
        Assert.Equal(
            ("ok", "0x2a1c", "0x4a11", "0x4a2d", "0/15/8166", "4180992/0/0", "0x0-0x400000000 4k"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));
    }

    [Fact]
    public void UnderXenWithoutPreserveExistingThePgdPopulateIsRefusedBecauseThePteForTwoMiBMapsInitLevel4Pgt()
    {
        // Convention 28, last sentence. All hunks but preserve_existing, Xen, 4 GiB: buffer
        // [0x1210, 0x1a15) (2053 pages). A fresh pud 0x1210 is filled without being linked:
        // pud[k] → pmd 0x1211 + 513k, each pmd entry → a PTE page (fill, unmap, populate into an
        // unlinked pmd: plain writes). 1 + 4 + 2048 = 2053 pages: the buffer exactly, table_end
        // 0x1a15. Every phys_pte_init/phys_pmd_init/phys_pud_init returned: 2048 × 512 4k.
        // pgd_populate(pgd[272] → 0x1210): Xen validates the PTE pages in va order; the second
        // one (0x1213, [2M, 4M)) maps frame 0x201 = init_level4_pgt writable → refused.
        // The live map is still the initial [0, 28M) 4k; last_map_addr = 4G (phys_pud_init returned).
        var s = Boot(Flat(4 * GiB, Variant(Hunks.All & ~Hunks.PreserveExisting), xen: true)).Summary();
        Assert.Equal(
            ("rejected", "hypervisor_refused", "0x1a15", "0x1a15", "1/4/2048", "1048576/0/0", "0x100000000", "0x0-0x1c00000 4k"),
            (s.Outcome, Runs.Error(s), s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
        Assert.Contains("pgd_populate", s.Errors[0].Message);
        Assert.Contains("PTE page 0x1213", s.Errors[0].Message);
        Assert.Contains("page-table frame 0x201", s.Errors[0].Message);
    }

    [Fact]
    public void HotRemoveWithALocalFlushLeavesAnotherCpusTlbEntryStale()
    {
        // fixed, native, PSE, 4 GiB on 2 CPUs. CPU1 reads 2 GiB (caches pgd[272], pud[2], pmd[0]);
        // CPU0 removes [2G, 3G): 512 leaves cleared, the pmd page freed, pud[2] cleared, then only
        // its own TLB flushed. CPU1 reads 2 GiB again through its cached translation → stale.
        var s = Run(Flat(4 * GiB, KernelVariant.Fixed, cpus: 2, removeFlush: FlushScope.Local),
            new Touch(1, 2 * GiB), new HotRemove(0, 2 * GiB, GiB), new Touch(1, 2 * GiB)).Summary();
        Assert.Equal(("violation", "stale_tlb_use", 1), (s.Outcome, Runs.Error(s), s.Errors[0].Cpu));
        Assert.Equal("0/1536/0", Direct(s));
        Assert.Equal("0x0-0x80000000 2m; 0xc0000000-0x100000000 2m", Mapped(s));
    }

    [Fact]
    public void HotRemoveWithAGlobalFlushIsClean()
    {
        var s = Run(Flat(4 * GiB, KernelVariant.Fixed, cpus: 2, removeFlush: FlushScope.Global),
            new Touch(1, 2 * GiB), new HotRemove(0, 2 * GiB, GiB), new Touch(1, 2 * GiB)).Summary();
        Assert.Equal(("ok", "0/1536/0"), (s.Outcome, Direct(s)));
        Assert.Equal("0x0-0x80000000 2m; 0xc0000000-0x100000000 2m", Mapped(s));
    }

    [Fact]
    public void AXenHotAddAt62TiBIsClean()
    {
        // Contrast for the test below: fixed, a fresh pud for pgd[396], PTE pages with frames at
        // 62 TiB, none a table frame → ok.
        var s = Run(Flat(GiB, KernelVariant.Fixed, xen: true, cpus: 2), new HotAdd(1, 62UL << 40, 4 * MiB)).Summary();
        Assert.Equal("ok", s.Outcome);
    }

    [Fact]
    public void AHotAddAt63TiBIsRefusedAsAModelLimitNotRunIntoTheModelsPageIds()
    {
        // The model numbers get_zeroed_page's pages from pfn 0x3f0000000 (63 TiB, inside MAXMEM,
        // since entries must hold them in PTE_MASK); a hot-add there would map those very frames.
        // The run refuses it up front with a message naming the limit, instead of a bogus refusal.
        var ex = Assert.Throws<MachineConfigException>(() =>
            Run(Flat(GiB, KernelVariant.Fixed, xen: true, cpus: 2), new HotAdd(1, 63UL << 40, 4 * MiB)));
        Assert.Contains("63 TiB", ex.Message);
        Assert.Equal(("ok", "none"), (Run(Flat(GiB, KernelVariant.Fixed, xen: true, cpus: 2), new HotAdd(1, 62UL << 40, 4 * MiB)).Summary().Outcome, "none"));
    }

    public static TheoryData<string> FatalCases => new()
    {
        "xen preserve_existing alone: PSE leaf refused in level2_ident_pgt",
        "native before + both hotplug fixes: overwrite",
        "xen after top-down 16G: populate of an unmapped page",
        "native after: data frame",
        "native nonpse_fallback alone: ran out",
        "xen after hot-add at 512G: wild write",
    };

    private static (MachineConfig Config, WorkloadPlan Plan, string Kind) Case(string name) => name switch
    {
        "xen before: pud_populate refused for the alias" =>
            (Flat(4 * GiB, KernelVariant.Before, xen: true), WorkloadPlan.BootOnly, "hypervisor_refused"),
        "xen without preserve_existing: pgd_populate refused by validation" =>
            (Flat(4 * GiB, Variant(Hunks.All & ~Hunks.PreserveExisting), xen: true), WorkloadPlan.BootOnly, "hypervisor_refused"),
        "xen unmap_before_populate alone: pgd_populate refused for a PSE leaf" =>
            (Flat(4 * GiB, Variant(Hunks.UnmapBeforePopulate), xen: true), WorkloadPlan.BootOnly, "hypervisor_refused"),
        "xen preserve_existing alone: PSE leaf refused in level2_ident_pgt" =>
            (Flat(4 * GiB, Variant(Hunks.PreserveExisting), xen: true), WorkloadPlan.BootOnly, "hypervisor_refused"),
        "native before + both hotplug fixes: overwrite" =>
            (Flat(4 * GiB, Variant(Hunks.None, Fixes.HotplugLocking | Fixes.PopulatePgdAlways), cpus: 2),
                WorkloadPlan.Sequence(new HotAdd(1, 4 * GiB, 128 * MiB)), "overwrote_present_entry"),
        "xen after top-down 16G: populate of an unmapped page" =>
            (Flat(16 * GiB, KernelVariant.After, xen: true, order: AllocOrder.TopDown), WorkloadPlan.BootOnly, "table_page_unmapped"),
        "native after: data frame" =>
            (Flat(4 * GiB, KernelVariant.After), WorkloadPlan.BootOnly, "data_frame_written_as_table"),
        "native nonpse_fallback alone: ran out" =>
            (Flat(4 * GiB, Variant(Hunks.NonpseFallback), pse: false), WorkloadPlan.BootOnly, "panic"),
        "xen after hot-add at 512G: wild write" =>
            (Flat(4 * GiB, KernelVariant.After, xen: true, cpus: 2), WorkloadPlan.Sequence(new HotAdd(1, 512 * GiB, 128 * MiB)), "wild_write"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(FatalCases))]
    public void AFatalEventStopsTheRunBeforeItsOperationIsApplied(string name) => AssertStopsBeforeTheStep(name);

    /// <summary>
    /// Item 17: a populate refused at item 26 step (2) or (3) leaves the earlier hypercall done.
    /// The alloc hook's update_va_mapping (make_lowmem_page_readonly) succeeded before the refused
    /// mmu_update, so the child's direct-map PTE has lost RW (0x23 → 0x21); nothing else changed
    /// since just before the step (the populated entry included). Xen 4 GiB, initial
    /// map [0, 28M) through Xen's L1s 0x1206..0x120f (L1 k maps pfns 512k..512k + 511) and
    /// level1_ident_pgt; the child's entry is L1 (pfn / 512), index pfn % 512:
    /// * before: pud_populate(0x8[0] → 0x9), 0x9 still aliased (step 2): L1 0x1206[9] 0x9023 → 0x9021.
    /// * unmap_before_populate alone: pgd_populate(pgd[272] → pud 0x8) links pmd 0x9, whose
    ///   pmd[0] is a 2 MiB leaf (step 3): L1 0x1206[8] 0x8023 → 0x8021.
    /// * all hunks but preserve_existing: pgd_populate(pgd[272] → pud 0x1210), PTE page 0x1213
    ///   maps init_level4_pgt (step 3): 0x1210 = 512 × 9 + 0x10 → L1 0x120f[0x10] 0x1210023 → 0x1210021.
    /// </summary>
    [Theory]
    [InlineData("xen before: pud_populate refused for the alias", 0x1206, 9, 0x9023, 0x8, 0)]
    [InlineData("xen unmap_before_populate alone: pgd_populate refused for a PSE leaf", 0x1206, 8, 0x8023, 0x201, 272)]
    [InlineData("xen without preserve_existing: pgd_populate refused by validation", 0x120f, 0x10, 0x1210023, 0x201, 272)]
    public void ARefusedXenPopulateKeepsOnlyTheAllocHooksReadOnlyEntryFromBeforeIt(
        string name, ulong l1, int index, ulong writable, ulong table, int entry)
    {
        var (config, plan, kind) = Case(name);
        var steps = 0L;
        Assert.NotNull(SteppedRun.Execute(config, plan, before: (_, _) => steps++).Stop);
        MachineState? beforeStep = null;
        Effect refused = default;
        var i = 0L;
        var run = SteppedRun.Execute(config, plan, before: (m, e) =>
        {
            if (i++ == steps - 1)
            {
                beforeStep = MachineState.Of(m);
                refused = e;
            }
        });

        Assert.Equal(kind, run.Stop!.Fatal.Kind.JsonName());
        Assert.Equal((EffectKind.Populate, table, entry), (refused.Kind, refused.Table.Value, (int)refused.Index));
        Assert.Equal(writable, beforeStep!.Tables[l1].Entries[index]);
        Assert.Equal(writable & ~0x2UL, run.Machine.Memory.Read(new Pfn(l1), index).Value);

        // Everything else is as just before the refused step.
        beforeStep.Tables[l1].Entries[index] = writable & ~0x2UL;
        var now = MachineState.Of(run.Machine);
        Assert.Null(beforeStep.FirstTableDifference(now));
        Assert.Equal(beforeStep.DirectPages, now.DirectPages);
        Assert.Equal(beforeStep.TableEnd, now.TableEnd);
        Assert.Equal(beforeStep.Aliases, now.Aliases);
        Assert.Equal(beforeStep.XenAliases, now.XenAliases);
    }

    [Fact]
    public void AFailedEarlyIounmapStopsWithXensWritableAliasStillHeld()
    {
        // Item 17: a fatal stop leaves the state as just before the step. Xen after, 4 GiB: the
        // first page unmapped is PTE page 0x1210 (level2_ident_pgt entry 14). Its early_ioremap
        // slot is released just before unmap_low_page runs, so early_iounmap fails; the fixmap PTE
        // is never cleared and Xen keeps the page's writable reference. Every iteration stepped:
        // folded, the first GiB's would hide that early_iounmap inside one step.
        var released = new List<ulong>();
        MachineState? beforeStep = null;
        var config = Flat(4 * GiB, KernelVariant.After, xen: true) with { StepEveryIteration = true };
        var run = SteppedRun.Execute(config, WorkloadPlan.BootOnly, before: (m, e) =>
        {
            if (e.Kind == EffectKind.EarlyIounmap && released.Count == 0)
            {
                Assert.Null(m.Allocator.EarlyIounmap(e.Table));
                released.Add(e.Table.Value);
                beforeStep = MachineState.Of(m);
            }
        });

        Assert.Equal([0x1210UL], released);
        Assert.Equal(("wild_write", "early_iounmap of page 0x1210, which has no early_ioremap alias"),
            (run.Stop!.Fatal.Kind.JsonName(), run.Stop.Fatal.Message));
        var now = MachineState.Of(run.Machine);
        Assert.Equal([0x1210UL], now.XenAliases);
        Assert.Equal(beforeStep!.XenAliases, now.XenAliases);
        Assert.Equal(beforeStep.Aliases, now.Aliases);
        Assert.Null(beforeStep.FirstTableDifference(now));
    }

    private static void AssertStopsBeforeTheStep(string name)
    {
        // Item 17: the tables, counters and mapped are exactly as just before the fatal step.
        // Item 19 is the one stated exception: on "ran out" table_end is already incremented.
        var (config, plan, kind) = Case(name);

        // Runs are deterministic: find the index of the step that stopped the run, then run
        // again and copy the machine just before that step.
        var steps = 0L;
        var first = SteppedRun.Execute(config, plan, before: (_, _) => steps++);
        Assert.NotNull(first.Stop);
        var fatalIndex = steps - 1;

        MachineState? beforeStep = null;
        var index = 0L;
        var run = SteppedRun.Execute(config, plan, before: (m, _) =>
        {
            if (index++ == fatalIndex)
            {
                beforeStep = MachineState.Of(m);
            }
        });

        Assert.NotNull(run.Stop);
        Assert.Equal(kind, run.Stop.Fatal.Kind.JsonName());
        Assert.NotNull(beforeStep);
        var now = MachineState.Of(run.Machine);
        Assert.Null(beforeStep.FirstTableDifference(now));
        Assert.Equal(beforeStep.DirectPages, now.DirectPages);
        Assert.Equal(beforeStep.HandedOut, now.HandedOut);
        Assert.Equal(beforeStep.Aliases, now.Aliases);
        Assert.Equal(beforeStep.XenAliases, now.XenAliases);
        Assert.Equal(kind == "panic" ? beforeStep.TableEnd + 1 : beforeStep.TableEnd, now.TableEnd);
    }
}
