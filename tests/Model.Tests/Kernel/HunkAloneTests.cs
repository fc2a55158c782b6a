using BootActors.Model.Kernel;
using BootActors.Model.Tests.Support;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>
/// Each hunk of the seed switched alone on top of `before` (model-conventions item 24), on the
/// flat 4 GiB machine of <see cref="WorkedExample4GiBTests"/> (whose comment has the common
/// derivation: buffers, Xen layout, initial tables). What changes relative to `before`.
/// </summary>
public class HunkAloneTests
{
    private const ulong End = 4 * GiB;

    [Fact]
    public void NonpseFallbackAloneWithoutPseExhaustsTheFivePageBufferAndPanics()
    {
        // No table_space_ptes: 5 pages [0x8, 0xd). No preserve_existing: pud 0x8, then pud[0]
        // gets pmd 0x9 (populated first, parent order), then phys_pmd_init: pmd[0..2] get PTE
        // pages 0xa, 0xb, 0xc (three phys_pte_init calls return: 3 × 512 4k counted). pmd[3]:
        // table_end++ makes 0xe, pfn 0xd ≥ table_top 0xd → "alloc_low_page: ran out of memory".
        // phys_pmd_init and phys_pud_init are still running: their counts are lost (item 18).
        // pgd_populate never ran, so the live map is head_64.S's.
        var s = Boot(Flat(End, Variant(Hunks.NonpseFallback), pse: false)).Summary();
        Assert.Equal(
            ("panic", "panic", "0x8", "0xe", "0xd", "1/1/3", "1536/0/0", "0x100000000", "0x0-0x40000000 2m"),
            (s.Outcome, Runs.Error(s), s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
        Assert.Contains("alloc_low_page: ran out of memory", s.Errors[0].Message);
        Assert.Equal("ok", Boot(Flat(End, KernelVariant.Before, pse: false)).Summary().Outcome);
    }

    [Fact]
    public void NonpseFallbackAloneWithPseChangesNothing()
    {
        Assert.Equal(
            JsonIgnoringSwitches(Boot(Flat(End, KernelVariant.Before)).Summary()),
            JsonIgnoringSwitches(Boot(Flat(End, Variant(Hunks.NonpseFallback))).Summary()));
    }

    [Fact]
    public void UnmapBeforePopulateAloneUnderXenMovesTheRefusalFromTheAliasToThePgdPopulateThatLinksThePseLeaves()
    {
        // before: pud_populate(0x8[0] → 0x9) while 0x9 has its alias → refused in phys_pud_init.
        // With the hunk each pmd page is filled first: no nonpse_fallback, so phys_pmd_init writes
        // 512 2 MiB leaves into it. Pmd 0x9 is not linked yet: a plain write, accepted (items 26, 28).
        // Then unmap 0x9 and pud_populate(0x8[0] → 0x9): pud 0x8 is not linked either, so nothing
        // is validated. Same for pud[1..3] (pmds 0xa, 0xb, 0xc): each phys_pmd_init returns and
        // counts 512 2M, phys_pud_init returns (last_map_addr 4G). The 5-page buffer is used up
        // exactly: table_end 0xd. Then unmap 0x8 and pgd_populate(pgd[272] → 0x8): init_level4_pgt
        // is reachable, so Xen validates the new subtree in va order: pud 0x8 → pud[0] → pmd 0x9 →
        // pmd[0] is a PSE leaf → "Bad L2 flags 80", alloc_l2_table fails at entry 0 → refused in
        // init_memory_mapping. The live map is still the initial [0, 28M) 4k.
        var before = Boot(Flat(End, KernelVariant.Before, xen: true)).Summary();
        var hunk = Boot(Flat(End, Variant(Hunks.UnmapBeforePopulate), xen: true)).Summary();

        Assert.Equal("hypervisor_refused", Runs.Error(before));
        Assert.EndsWith("phys_pud_init", before.Errors[0].Function);
        Assert.Contains("early_ioremap alias", before.Errors[0].Message);

        Assert.Equal("hypervisor_refused", Runs.Error(hunk));
        Assert.Equal("init_memory_mapping", hunk.Errors[0].Function);
        Assert.Contains("Bad L2 flags 80", hunk.Errors[0].Message);
        Assert.Contains("Failure in alloc_l2_table: entry 0", hunk.Errors[0].Message);
        Assert.Contains("validating pmd page 0x9 below pud page 0x8, which pgd_populate links into pgd[272] of table 0x201", hunk.Errors[0].Message);
        Assert.Contains("pmd[0] (va 0xffff880000000000) is a 2 MiB PSE leaf", hunk.Errors[0].Message);
        Assert.DoesNotContain("alias", hunk.Errors[0].Message);

        Assert.Equal(
            ("0xd", "0xd", "1/4/0", "0/2048/0", "0x100000000", "0x0-0x1c00000 4k"),
            (hunk.TableEnd, hunk.TableTop, Tables(hunk), Direct(hunk), hunk.LastMapAddr, Mapped(hunk)));
    }

    [Fact]
    public void UnmapBeforePopulateAloneNativelyChangesNothingInTheSummary()
    {
        // Natively no check depends on the alias, so only the order of steps differs.
        foreach (var pse in new[] { true, false })
        {
            Assert.Equal(
                JsonIgnoringSwitches(Boot(Flat(End, KernelVariant.Before, pse: pse)).Summary()),
                JsonIgnoringSwitches(Boot(Flat(End, Variant(Hunks.UnmapBeforePopulate), pse: pse)).Summary()));
        }
    }

    [Fact]
    public void PreserveExistingAloneNativelyReachesPhysPteUpdateOnHeadsTwoMiBLeaf()
    {
        // pgd[272] present → phys_pud_update → pud[0] → phys_pmd_update → level2_ident_pgt[0] is
        // the 2 MiB leaf 0xe3 → phys_pte_update without 22b45144f67 → data_frame_written_as_table.
        // The 5-page buffer is untouched.
        var s = Boot(Flat(End, Variant(Hunks.PreserveExisting))).Summary();
        Assert.Equal(
            ("violation", "data_frame_written_as_table", "0x8", "0x8", "0xd", "0/0/0", "0/0/0", "0x100000000", "0x0-0x40000000 2m"),
            (s.Outcome, Runs.Error(s), s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
        Assert.Equal("init_memory_mapping → phys_pud_update → phys_pud_init → phys_pmd_update → phys_pmd_init → phys_pte_update", s.Errors[0].Function);
    }

    [Fact]
    public void PreserveExistingAloneUnderXenKeepsTheInitialMapButIsRefusedAtTheFirstEmptyPmd()
    {
        // level2_ident_pgt[0..13] are links to full pinned L1s: phys_pte_update writes nothing.
        // pmd[14] (28 MiB) is empty and there is no nonpse_fallback → a 2 MiB leaf → refused.
        // No page was allocated: the 5-page buffer is untouched.
        var s = Boot(Flat(End, Variant(Hunks.PreserveExisting), xen: true)).Summary();
        Assert.Equal(
            ("rejected", "hypervisor_refused", "0x8", "0/0/0", "0/0/0", "0x0-0x1c00000 4k"),
            (s.Outcome, Runs.Error(s), s.TableEnd, Tables(s), Direct(s), Mapped(s)));
        Assert.Contains("pmd[14] of table 0x203", s.Errors[0].Message);
    }

    [Fact]
    public void TableSpacePtesAloneWithoutPseChangesOnlyTheTableSpace()
    {
        // The estimate grows from 5 to 2053 pages and moves past the kernel image (0xa00);
        // with no nonpse_fallback the same 1 pud + 4 pmd pages are used from the new start.
        var before = Boot(Flat(End, KernelVariant.Before, pse: false)).Summary();
        var hunk = Boot(Flat(End, Variant(Hunks.TableSpacePtes), pse: false)).Summary();
        Assert.Equal(("0x8", "0xd", "0xd"), (before.TableStart, before.TableEnd, before.TableTop));
        Assert.Equal(("0xa00", "0xa05", "0x1205"), (hunk.TableStart, hunk.TableEnd, hunk.TableTop));
        Assert.Equal(
            JsonIgnoringSwitches(before with { TableStart = "", TableEnd = "", TableTop = "" }),
            JsonIgnoringSwitches(hunk with { TableStart = "", TableEnd = "", TableTop = "" }));
    }

    [Fact]
    public void TableSpacePtesAloneWithPseChangesNothing()
    {
        Assert.Equal(
            JsonIgnoringSwitches(Boot(Flat(End, KernelVariant.Before)).Summary()),
            JsonIgnoringSwitches(Boot(Flat(End, Variant(Hunks.TableSpacePtes))).Summary()));
    }
}
