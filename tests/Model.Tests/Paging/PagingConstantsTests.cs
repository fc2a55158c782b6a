using BootActors.Model.Paging;
using Xunit;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Tests.Paging;

/// <summary>
/// Every constant of kernel-notes §1, written out literally from the tables there (not derived
/// from one another), so that a wrong shift or a wrong flag in the model shows up here.
/// </summary>
public class PagingConstantsTests
{
    [Fact]
    public void ShiftsAreThoseOfFourLevelPaging()
    {
        // kernel-notes §1.2.
        Assert.Equal(12, PAGE_SHIFT);
        Assert.Equal(21, PMD_SHIFT);
        Assert.Equal(30, PUD_SHIFT);
        Assert.Equal(39, PGDIR_SHIFT);
    }

    [Fact]
    public void EachLevelCoversFourKiBTwoMiBOneGiBAndFiveHundredTwelveGiB()
    {
        Assert.Equal(0x1000UL, PAGE_SIZE);
        Assert.Equal(0x200000UL, PMD_SIZE);
        Assert.Equal(0x40000000UL, PUD_SIZE);
        Assert.Equal(0x8000000000UL, PGDIR_SIZE);
    }

    [Fact]
    public void MasksClearTheOffsetInsideOneEntry()
    {
        Assert.Equal(0xfffffffffffff000UL, PAGE_MASK);
        Assert.Equal(0xffffffffffe00000UL, PMD_MASK);
        Assert.Equal(0xffffffffc0000000UL, PUD_MASK);
        Assert.Equal(0xffffff8000000000UL, PGDIR_MASK);
    }

    [Fact]
    public void EveryLevelHasFiveHundredTwelveEntries()
    {
        Assert.Equal(512, PTRS_PER_PTE);
        Assert.Equal(512, PTRS_PER_PMD);
        Assert.Equal(512, PTRS_PER_PUD);
        Assert.Equal(512, PTRS_PER_PGD);
    }

    [Fact]
    public void AddressSpaceLayoutIsTheOneAfterA6523748bddd()
    {
        // kernel-notes §1.1, column "PRE, POST, S27+".
        Assert.Equal(0xffff880000000000UL, PAGE_OFFSET);
        Assert.Equal(0xffff880000000000UL, __PAGE_OFFSET);
        Assert.Equal(0xffffffff80000000UL, __START_KERNEL_map);
        Assert.Equal(46, __PHYSICAL_MASK_SHIFT);
        Assert.Equal(48, __VIRTUAL_MASK_SHIFT);
        Assert.Equal(0x00003fffffffffffUL, MAXMEM);
        Assert.Equal(0x3ffffffffUL, MAX_ARCH_PFN);
    }

    [Fact]
    public void PageOffsetIsPgdSlot272()
    {
        // 0xffff880000000000 >> 39 = 0x1ffff10; & 511 = 0x110 = 272.
        Assert.Equal(272, L4_PAGE_OFFSET);
        Assert.Equal(272, pgd_index(PAGE_OFFSET));

        // __START_KERNEL_map: pgd slot 511, pud slot 510 (kernel-notes §1.1).
        Assert.Equal(511, pgd_index(__START_KERNEL_map));
        Assert.Equal(510, pud_index(__START_KERNEL_map));
    }

    [Fact]
    public void PteMaskKeepsBits12To45()
    {
        Assert.Equal(0x00003ffffffff000UL, PTE_MASK);
    }

    [Fact]
    public void FlagBitsHaveTheirKernelValues()
    {
        // kernel-notes §1.3.
        Assert.Equal(0x001UL, _PAGE_PRESENT);
        Assert.Equal(0x002UL, _PAGE_RW);
        Assert.Equal(0x004UL, _PAGE_USER);
        Assert.Equal(0x008UL, _PAGE_PWT);
        Assert.Equal(0x010UL, _PAGE_PCD);
        Assert.Equal(0x020UL, _PAGE_ACCESSED);
        Assert.Equal(0x040UL, _PAGE_DIRTY);
        Assert.Equal(0x080UL, _PAGE_PSE);
        Assert.Equal(0x100UL, _PAGE_GLOBAL);
        Assert.Equal(0x1000UL, _PAGE_PAT_LARGE);
        Assert.Equal(0x8000000000000000UL, _PAGE_NX);
    }

    [Fact]
    public void CompositeProtectionsHaveTheirValuesBeforeMasking()
    {
        // kernel-notes §1.4.
        Assert.Equal(0x063UL, __PAGE_KERNEL_EXEC);
        Assert.Equal(0x8000000000000063UL, __PAGE_KERNEL);
        Assert.Equal(0x80000000000000e3UL, __PAGE_KERNEL_LARGE);
        Assert.Equal(0x0e3UL, __PAGE_KERNEL_LARGE_EXEC);
        Assert.Equal(0x8000000000000163UL, PAGE_KERNEL);
        Assert.Equal(0x163UL, PAGE_KERNEL_EXEC);
        Assert.Equal(0x80000000000001e3UL, PAGE_KERNEL_LARGE);
    }

    [Fact]
    public void LinkEntriesAreKernpgTableWithoutUserAndPageTableWithUser()
    {
        Assert.Equal(0x063UL, _KERNPG_TABLE);
        Assert.Equal(0x067UL, _PAGE_TABLE);
    }

    [Fact]
    public void PopulateBuildsAPageTableLinkThatIsNotMasked()
    {
        // PRE/POST p?d_populate → _PAGE_TABLE = 0x67 (kernel-notes §1.4, "Link entries").
        Assert.Equal(0x1234067UL, mk_table(new Pfn(0x1234)).Value);
    }

    [Theory]
    [InlineData(0xffff880000000000UL, 272, 0, 0, 0)]
    [InlineData(0xffff880040000000UL, 272, 1, 0, 0)]
    [InlineData(0xffff8800403ff000UL, 272, 1, 1, 511)]
    [InlineData(0xffff887fffffffffUL, 272, 511, 511, 511)]
    [InlineData(0xffff888000000000UL, 273, 0, 0, 0)]
    [InlineData(0xffff880001234000UL, 272, 0, 9, 0x34)]
    public void IndexesAreTheNineBitFieldsOfTheVirtualAddress(ulong va, int pgd, int pud, int pmd, int pte)
    {
        Assert.Equal(pgd, pgd_index(va));
        Assert.Equal(pud, pud_index(va));
        Assert.Equal(pmd, pmd_index(va));
        Assert.Equal(pte, pte_index(va));
        Assert.Equal(pgd, index(Level.Pgd, va));
        Assert.Equal(pud, index(Level.Pud, va));
        Assert.Equal(pmd, index(Level.Pmd, va));
        Assert.Equal(pte, index(Level.Pte, va));
    }

    [Fact]
    public void VaAndPaConvertThroughPageOffset()
    {
        Assert.Equal(0xffff880000000000UL, __va(0UL));
        Assert.Equal(0xffff880100000000UL, __va(0x100000000UL));
        Assert.Equal(0x201000UL, __pa(0xffff880000201000UL));
        Assert.Equal(new VirtAddr(0xffff880000203000UL), __va(new PhysAddr(0x203000)));
        Assert.Equal(new PhysAddr(0x8000), __pa(new VirtAddr(0xffff880000008000UL)));
    }

    [Fact]
    public void PfnAndPhysAddrConvertByThePageShift()
    {
        Assert.Equal(new PhysAddr(0x201000), new Pfn(0x201).PhysAddr);
        Assert.Equal(new Pfn(0x201), new PhysAddr(0x201fff).Pfn);
        Assert.Equal("0x201", new Pfn(0x201).ToString());
    }

    [Fact]
    public void EntrySpanIsTheSizeOneEntryCovers()
    {
        Assert.Equal(0x1000UL, EntrySpan(Level.Pte));
        Assert.Equal(0x200000UL, EntrySpan(Level.Pmd));
        Assert.Equal(0x40000000UL, EntrySpan(Level.Pud));
        Assert.Equal(0x8000000000UL, EntrySpan(Level.Pgd));
    }

    [Fact]
    public void RoundUpGoesToTheNextMultipleAndKeepsAMultiple()
    {
        Assert.Equal(0x1000UL, round_up(1, 0x1000));
        Assert.Equal(0x1000UL, round_up(0x1000, 0x1000));
        Assert.Equal(0x5000UL, round_up(0x4001, 0x1000));
        Assert.Equal(0UL, round_up(0, 0x1000));
    }
}
