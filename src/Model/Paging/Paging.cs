namespace BootActors.Model.Paging;

/// <summary>
/// x86-64 4-level paging as the 2.6.27-era kernel defines it (include/asm-x86/page_64.h,
/// pgtable_64.h, pgtable.h). Values from kernel-notes §1; PAGE_OFFSET is the one after
/// a6523748bddd, which the seed's parent already has.
/// </summary>
public static class X86
{
    public const int PAGE_SHIFT = 12;
    public const int PMD_SHIFT = 21;
    public const int PUD_SHIFT = 30;
    public const int PGDIR_SHIFT = 39;

    public const ulong PAGE_SIZE = 1UL << PAGE_SHIFT;
    public const ulong PMD_SIZE = 1UL << PMD_SHIFT;
    public const ulong PUD_SIZE = 1UL << PUD_SHIFT;
    public const ulong PGDIR_SIZE = 1UL << PGDIR_SHIFT;

    public const ulong PAGE_MASK = ~(PAGE_SIZE - 1);
    public const ulong PMD_MASK = ~(PMD_SIZE - 1);
    public const ulong PUD_MASK = ~(PUD_SIZE - 1);
    public const ulong PGDIR_MASK = ~(PGDIR_SIZE - 1);

    public const int PTRS_PER_PTE = 512;
    public const int PTRS_PER_PMD = 512;
    public const int PTRS_PER_PUD = 512;
    public const int PTRS_PER_PGD = 512;

    public const int __PHYSICAL_MASK_SHIFT = 46;
    public const int __VIRTUAL_MASK_SHIFT = 48;

    /// <summary>Physical frame bits of an entry, bits 12..45.</summary>
    public const ulong PTE_MASK = ((1UL << __PHYSICAL_MASK_SHIFT) - 1) & PAGE_MASK;

    public const ulong __PAGE_OFFSET = 0xffff880000000000UL;
    public const ulong PAGE_OFFSET = __PAGE_OFFSET;
    public const ulong __START_KERNEL_map = 0xffffffff80000000UL;

    /// <summary>MAXMEM = 64 TiB - 1; e820_end_of_ram caps at MAX_ARCH_PFN = MAXMEM >> PAGE_SHIFT.</summary>
    public const ulong MAXMEM = 0x00003fffffffffffUL;
    public const ulong MAX_ARCH_PFN = MAXMEM >> PAGE_SHIFT;

    /// <summary>pgd_index(PAGE_OFFSET): the slot head_64.S links to level3_ident_pgt.</summary>
    public const int L4_PAGE_OFFSET = (int)((PAGE_OFFSET >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1));

    public const ulong _PAGE_PRESENT = 0x001;
    public const ulong _PAGE_RW = 0x002;
    public const ulong _PAGE_USER = 0x004;
    public const ulong _PAGE_PWT = 0x008;
    public const ulong _PAGE_PCD = 0x010;
    public const ulong _PAGE_ACCESSED = 0x020;
    public const ulong _PAGE_DIRTY = 0x040;
    public const ulong _PAGE_PSE = 0x080;
    public const ulong _PAGE_GLOBAL = 0x100;
    public const ulong _PAGE_PAT_LARGE = 0x1000;
    public const ulong _PAGE_NX = 0x8000000000000000UL;

    public const ulong __PAGE_KERNEL_EXEC = _PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED;
    public const ulong __PAGE_KERNEL = __PAGE_KERNEL_EXEC | _PAGE_NX;
    public const ulong __PAGE_KERNEL_LARGE = __PAGE_KERNEL | _PAGE_PSE;
    public const ulong __PAGE_KERNEL_LARGE_EXEC = __PAGE_KERNEL_EXEC | _PAGE_PSE;

    /// <summary>64-bit adds GLOBAL through MAKE_GLOBAL (include/asm-x86/pgtable.h).</summary>
    public const ulong PAGE_KERNEL = __PAGE_KERNEL | _PAGE_GLOBAL;
    public const ulong PAGE_KERNEL_EXEC = __PAGE_KERNEL_EXEC | _PAGE_GLOBAL;
    public const ulong PAGE_KERNEL_LARGE = __PAGE_KERNEL_LARGE | _PAGE_GLOBAL;

    public const ulong _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
    public const ulong _PAGE_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

    public static VirtAddr __va(PhysAddr pa) => new(pa.Value + PAGE_OFFSET);
    public static PhysAddr __pa(VirtAddr va) => new(va.Value - PAGE_OFFSET);
    public static ulong __va(ulong pa) => pa + PAGE_OFFSET;
    public static ulong __pa(ulong va) => va - PAGE_OFFSET;

    public static int pgd_index(ulong addr) => (int)((addr >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1));
    public static int pud_index(ulong addr) => (int)((addr >> PUD_SHIFT) & (PTRS_PER_PUD - 1));
    public static int pmd_index(ulong addr) => (int)((addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1));
    public static int pte_index(ulong addr) => (int)((addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1));

    public static int index(Level level, ulong addr) => level switch
    {
        Level.Pgd => pgd_index(addr),
        Level.Pud => pud_index(addr),
        Level.Pmd => pmd_index(addr),
        _ => pte_index(addr),
    };

    /// <summary>Bytes one entry covers at <paramref name="level"/>.</summary>
    public static ulong EntrySpan(Level level) => level switch
    {
        Level.Pgd => PGDIR_SIZE,
        Level.Pud => PUD_SIZE,
        Level.Pmd => PMD_SIZE,
        _ => PAGE_SIZE,
    };

    public static ulong round_up(ulong x, ulong y) => (x + y - 1) & ~(y - 1);

    /// <summary>pfn_pte(pfn, prot) with __supported_pte_mask applied, as leaf entries are built.</summary>
    public static PageTableEntry pfn_pte(ulong pfn, ulong prot, ulong supportedPteMask) =>
        new((pfn << PAGE_SHIFT) | (prot & supportedPteMask));

    /// <summary>p?d_populate: a link to a lower table, _PAGE_TABLE, not masked (kernel-notes §1.4).</summary>
    public static PageTableEntry mk_table(Pfn child) => new(child.PhysAddr.Value | _PAGE_TABLE);
}

/// <summary>Page-table level; the numeric value is the hardware level (PTE = 1 … PGD = 4).</summary>
public enum Level : byte
{
    Pte = 1,
    Pmd = 2,
    Pud = 3,
    Pgd = 4,
}

public static class LevelNames
{
    public static string Name(this Level level) => level switch
    {
        Level.Pgd => "pgd",
        Level.Pud => "pud",
        Level.Pmd => "pmd",
        _ => "pte",
    };

    public static Level Below(this Level level) => (Level)((byte)level - 1);
}
