using BootActors.Model.Kernel;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using BootActors.Model.Tests.Support;
using BootActors.Model.Workload;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>
/// Each later fix switched alone on top of `after` (model-conventions item 25), on the flat
/// 4 GiB machine of <see cref="WorkedExample4GiBTests"/>; hot-adds run on CPU1 of two CPUs.
/// Xen `after` boots to table_end 0x1a05 with DirectMap 1041408/0/0 and [0, 4G) mapped 4k.
/// </summary>
public class FixAloneTests
{
    private const ulong End = 4 * GiB;

    // 512 GiB: pgd slot 273, above every present pgd entry (only 272 is present).
    private const ulong Above = 512 * GiB;
    private const ulong AddSize = 128 * MiB;

    private static readonly KernelVariant AfterPopulate = Variant(Hunks.All, Fixes.PopulatePgdAlways);
    private static readonly KernelVariant AfterLocking = Variant(Hunks.All, Fixes.HotplugLocking);
    private static readonly KernelVariant AfterBoth = Variant(Hunks.All, Fixes.PopulatePgdAlways | Fixes.HotplugLocking);

    [Fact]
    public void LargePmdCheckAloneLetsNativeAfterBootWithPse()
    {
        // pud[0]: the 512 large entries of level2_ident_pgt are skipped, not counted (no a06de63000b).
        // pud[1..3]: pmd pages 0x8, 0x9, 0xa with 512 2 MiB leaves each.
        var s = Boot(Flat(End, Variant(Hunks.All, Fixes.LargePmdCheck))).Summary();
        Assert.Equal(
            ("ok", "0xb", "0/3/0", "0/1536/0", "0x100000000", "0x0-0x100000000 2m"),
            (s.Outcome, s.TableEnd, Tables(s), Direct(s), s.LastMapAddr, Mapped(s)));
    }

    [Fact]
    public void LargePmdCheckAloneLetsNativeAfterBootWithoutPse()
    {
        // As with PSE, but pud[1..3] get 512 PTE pages each from the 2053-page buffer at 0xa00.
        var s = Boot(Flat(End, Variant(Hunks.All, Fixes.LargePmdCheck), pse: false)).Summary();
        Assert.Equal(
            ("ok", "0xa00", "0x1003", "0x1205", "0/3/1536", "786432/0/0", "0x0-0x40000000 2m; 0x40000000-0x100000000 4k"),
            (s.Outcome, s.TableStart, s.TableEnd, s.TableTop, Tables(s), Direct(s), Mapped(s)));
    }

    [Fact]
    public void WithoutEitherHotplugFixAHotAddAboveEveryPgdEntryIsAWildWrite()
    {
        // init_memory_mapping(512G, 512G + 128M − 1): pgd[273] is empty (preserve_existing skips
        // it); after bootmem without 8ae3a5a8dff → pud_offset on the empty entry → wild_write,
        // before phys_pud_init runs: nothing allocated, counted or mapped by the hot-add.
        var s = Run(Flat(End, KernelVariant.After, xen: true, cpus: 2), new HotAdd(1, Above, AddSize)).Summary();
        Assert.Equal(
            ("violation", "wild_write", "0x1a05", "1041408/0/0", "0x0-0x100000000 4k"),
            (s.Outcome, Runs.Error(s), s.TableEnd, Direct(s), Mapped(s)));
        Assert.Equal(1, s.Errors[0].Cpu);
        Assert.Contains("pud_offset", s.Errors[0].Message);
        Assert.EndsWith("init_memory_mapping", s.Errors[0].Function);
    }

    [Fact]
    public void PopulatePgdAlwaysAloneStillTakesPudOffsetOnTheEmptyPgdEntry()
    {
        var after = Run(Flat(End, KernelVariant.After, xen: true, cpus: 2), new HotAdd(1, Above, AddSize)).Summary();
        var fix = Run(Flat(End, AfterPopulate, xen: true, cpus: 2), new HotAdd(1, Above, AddSize)).Summary();
        Assert.Equal("wild_write", Runs.Error(fix));
        Assert.Contains("pud_offset", fix.Errors[0].Message);
        Assert.Equal(JsonIgnoringSwitches(after), JsonIgnoringSwitches(fix));
    }

    [Fact]
    public void HotplugLockingAloneMapsTheHotAddIntoAPudThatIsNeverLinked()
    {
        // 8ae3a5a8dff: a fresh pud from get_zeroed_page (table_end++), a pmd (table_end++), then
        // 64 entries (512G .. 512G + 126M < end) each get a PTE page (table_end++) with 512
        // leaves: 64 × 512 = 32768 4k. table_end = 0x1a05 + 66 = 0x1a47. Without 574977a2edd the
        // pgd is populated only at boot: the pud stays unlinked, the hot-added RAM unmapped
        // (reported first at the end of the run), and its table pages lost.
        var r = Run(Flat(End, AfterLocking, xen: true, cpus: 2), new HotAdd(1, Above, AddSize));
        var s = r.Summary();
        Assert.Equal(
            ("violation", "unmapped_ram", "0x1a47", "1074176/0/0", "0x0-0x100000000 4k"),
            (s.Outcome, Runs.Error(s), s.TableEnd, Direct(s), Mapped(s)));
        Assert.Contains("0x8000000000", s.Errors[0].Message);

        var memory = r.Machine.Memory;
        var lost = memory.TablePages.Where(p => p.Origin == TablePageOrigin.AfterBootmem && !memory.IsReachable(p.Pfn)).ToList();
        Assert.Equal(1 + 1 + 64, lost.Count);
        Assert.Single(lost, p => p.Level == Level.Pud);
        Assert.True(memory.Read(memory.Root, 273).IsNone);
    }

    [Fact]
    public void BothHotplugFixesTogetherMapTheHotAddAbove512GiB()
    {
        // As above, then pgd_populate(pgd[273] → the fresh pud): Xen validates the 64 PTE pages
        // (frames in [512G, 512G + 128M), none a table frame) → ok.
        var s = Run(Flat(End, AfterBoth, xen: true, cpus: 2), new HotAdd(1, Above, AddSize)).Summary();
        Assert.Equal(
            ("ok", "0x1a47", "1074176/0/0", "0x0-0x100000000 4k; 0x8000000000-0x8008000000 4k", "0x100000000", "0x100000000"),
            (s.Outcome, s.TableEnd, Direct(s), Mapped(s), s.End, s.LastMapAddr));

        // get_zeroed_page pages are not boot pages: table_pages keeps the boot counts (item 20).
        Assert.Equal("0/3/2034", Tables(s));
    }

    [Fact]
    public void DirectMapCountAloneUnderXenCountsTheFourteenLevel2IdentPgtEntriesAsTwoMiB()
    {
        var after = Boot(Flat(End, KernelVariant.After, xen: true)).Summary();
        var fix = Boot(Flat(End, Variant(Hunks.All, Fixes.DirectMapCount), xen: true)).Summary();
        Assert.Equal("1041408/0/0", Direct(after));
        Assert.Equal("1041408/14/0", Direct(fix));
        Assert.Equal(
            JsonIgnoringSwitches(after with { DirectPages = fix.DirectPages }),
            JsonIgnoringSwitches(fix));
    }

    [Fact]
    public void AddMemoryNoMinusOneAloneChangesNothingThatIsMapped()
    {
        // Hot-add [4G, 4G + 128M) into the existing pgd entry (phys_pud_update → pud[4] of
        // level3_ident_pgt): with end − 1 or end, phys_pte_init compares page addresses against
        // a byte end, so the same 64 × 512 leaves are written (item 23).
        var after = Run(Flat(End, KernelVariant.After, xen: true, cpus: 2), new HotAdd(1, End, AddSize)).Summary();
        var fix = Run(Flat(End, Variant(Hunks.All, Fixes.AddMemoryNoMinusOne), xen: true, cpus: 2), new HotAdd(1, End, AddSize)).Summary();
        Assert.Equal(("ok", "0x0-0x108000000 4k", "1074176/0/0"), (after.Outcome, Mapped(after), Direct(after)));
        Assert.Equal(JsonIgnoringSwitches(after), JsonIgnoringSwitches(fix));
    }

    [Fact]
    public void AddMemoryNoMinusOneChangesNothingMappedForAnUnalignedNativeHotAddEither()
    {
        // fixed with PSE, hot-add [4G + 1M, 4G + 3M + 4K): phys_pmd_init writes a leaf at 4G + 1M
        // and, carrying the offset (item 23), at 4G + 3M < end; 4G + 5M ≥ end stops. They count at
        // their aligned-down frames, [4G, 4G + 4M). The same whether the end is exclusive or one
        // byte short.
        var withFix = Run(Flat(End, KernelVariant.Fixed, cpus: 2), new HotAdd(1, End + MiB, (2 * MiB) + 0x1000)).Summary();
        var without = Run(Flat(End, Variant(Hunks.All, Fixes.All & ~Fixes.AddMemoryNoMinusOne), cpus: 2), new HotAdd(1, End + MiB, (2 * MiB) + 0x1000)).Summary();
        Assert.Equal("0x0-0x100400000 2m", Mapped(withFix));
        Assert.Equal(JsonIgnoringSwitches(withFix), JsonIgnoringSwitches(without));
    }

    [Fact]
    public void BeforeWithBothHotplugFixesOverwritesTheBootPudAndLosesFrameZero()
    {
        // Boot (parent): pgd[272] → pud 0x8 mapping [0, 4G) in 2 MiB pages. Hot-add [4G, 4G+128M):
        // 8ae3a5a8dff allocates a fresh pud, phys_pud_init fills pud[4] only; 574977a2edd then
        // pgd_populates it over the present pgd[272]: the translation of PAGE_OFFSET → frame 0
        // (RAM, in use) is lost first in virtual order → overwrote_present_entry (item 31).
        var r = Run(Flat(End, Variant(Hunks.None, Fixes.HotplugLocking | Fixes.PopulatePgdAlways), cpus: 2), new HotAdd(1, End, AddSize));
        var s = r.Summary();
        Assert.Equal(("violation", "overwrote_present_entry"), (s.Outcome, Runs.Error(s)));
        Assert.Contains("virtual page 0xffff880000000000 to frame 0x0", s.Errors[0].Message);
        Assert.Contains("pgd_populate", s.Errors[0].Message);

        // The stop is before the write (item 17): pgd[272] still links the boot pud.
        Assert.Equal(new Pfn(0x8), r.Machine.Memory.Read(r.Machine.Memory.Root, 272).Frame);
        Assert.Equal("0x0-0x100000000 2m", Mapped(s));
    }

    [Fact]
    public void BeforeWithPopulatePgdAloneWritesAnUninitialisedPudPhysOnHotAdd()
    {
        // pgd[272] exists (the boot pud 0x8) and preserve_existing is off: pud_offset reuses
        // 0x8, pud[4] is populated (parent order) and filled with 64 2 MiB leaves, then
        // 574977a2edd's pgd_populate uses pud_phys, set only on the boot path → wild_write
        // (item 32). phys_pud_init returned, so its 64 leaves are counted and mapped.
        var s = Run(Flat(End, Variant(Hunks.None, Fixes.PopulatePgdAlways), cpus: 2), new HotAdd(1, End, AddSize)).Summary();
        Assert.Equal(
            ("violation", "wild_write", "0xe", "0/2112/0", "0x0-0x108000000 2m"),
            (s.Outcome, Runs.Error(s), s.TableEnd, Direct(s), Mapped(s)));
        Assert.Contains("pud_phys", s.Errors[0].Message);
    }
}
