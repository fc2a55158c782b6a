using System.Globalization;
using System.Text;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Cli.Output;

/// <summary>
/// The "Low Kernel Mapping" part of /sys/kernel/debug/kernel_page_tables, as
/// arch/x86/mm/dump_pagetables.c prints it at v2.6.27: walk_pgd_level / walk_pud_level /
/// walk_pmd_level / walk_pte_level over init_level4_pgt, note_page coalescing consecutive
/// entries of equal protection and level (non-present "holes" included), printk_prot's columns.
/// The walk covers pgd slots from PAGE_OFFSET's up to the next marker the kernel prints,
/// "vmalloc() Area" at VMALLOC_START; the series that ends there is printed, the marker is not.
/// </summary>
internal static class KernelPageTablesDump
{
    /// <summary>VMALLOC_START (include/asm-x86/pgtable_64.h, 2.6.27): the marker after the direct map.</summary>
    public const ulong VMALLOC_START = 0xffffc20000000000UL;

    public const string LowKernelMarker = "---[ Low Kernel Mapping ]---";

    // PTE_FLAGS_MASK = ~PTE_MASK (include/asm-x86/pgtable.h): NX and the low 12 bits survive.
    private const ulong PTE_FLAGS_MASK = ~PTE_MASK;

    // note_page's levels: the level of the entry, printk_prot's index into level_name[].
    private const int PgdLevel = 1;
    private const int PudLevel = 2;
    private const int PmdLevel = 3;
    private const int PteLevel = 4;

    private static readonly string[] LevelName = ["cr3", "pgd", "pud", "pmd", "pte"];

    /// <summary>The dump's lines, the marker first, without trailing newlines.</summary>
    public static IReadOnlyList<string> Lines(PhysicalMemory memory)
    {
        var st = new PgState();
        var startSlot = pgd_index(PAGE_OFFSET);
        var endSlot = pgd_index(VMALLOC_START);
        for (var i = startSlot; i < endSlot; i++)
        {
            // normalize_addr: slots ≥ 256 are the sign-extended upper half.
            st.CurrentAddress = 0xffff000000000000UL | ((ulong)i << PGDIR_SHIFT);
            var e = memory.Read(memory.Root, i);
            if (!e.IsNone)
            {
                // pgd_large is 0 on x86-64: a present pgd entry always links a pud page.
                if (!e.Present)
                {
                    st.NotePage(e.Value & PTE_FLAGS_MASK, PgdLevel);
                }
                else
                {
                    WalkPud(memory, st, e, st.CurrentAddress);
                }
            }
            else
            {
                st.NotePage(0, PgdLevel);
            }
        }

        st.CurrentAddress = VMALLOC_START;
        st.NotePage(0, 0);
        return st.Lines;
    }

    private static void WalkPud(PhysicalMemory memory, PgState st, PageTableEntry pgd, ulong p)
    {
        // pgd_page_vaddr: the pud page through the direct map; a frame that holds no table reads as zeros.
        var page = memory.Find(pgd.Frame);
        for (var i = 0; i < PTRS_PER_PUD; i++)
        {
            st.CurrentAddress = p + ((ulong)i << PUD_SHIFT);
            var e = new PageTableEntry(page?[i] ?? 0);
            if (!e.IsNone)
            {
                if (e.Large || !e.Present)
                {
                    st.NotePage(e.Value & PTE_FLAGS_MASK, PudLevel);
                }
                else
                {
                    WalkPmd(memory, st, e, st.CurrentAddress);
                }
            }
            else
            {
                st.NotePage(0, PudLevel);
            }
        }
    }

    private static void WalkPmd(PhysicalMemory memory, PgState st, PageTableEntry pud, ulong p)
    {
        var page = memory.Find(pud.Frame);
        for (var i = 0; i < PTRS_PER_PMD; i++)
        {
            st.CurrentAddress = p + ((ulong)i << PMD_SHIFT);
            var e = new PageTableEntry(page?[i] ?? 0);
            if (!e.IsNone)
            {
                if (e.Large || !e.Present)
                {
                    st.NotePage(e.Value & PTE_FLAGS_MASK, PmdLevel);
                }
                else
                {
                    WalkPte(memory, st, e, st.CurrentAddress);
                }
            }
            else
            {
                st.NotePage(0, PmdLevel);
            }
        }
    }

    private static void WalkPte(PhysicalMemory memory, PgState st, PageTableEntry pmd, ulong p)
    {
        if (memory.PteRunOf(pmd.Frame) is { } held)
        {
            // A folded boot's page that a run of pages still speaks for: 512 leaves of one protection.
            // Find would make the page (12 TiB without PSE has 6 million of them).
            NotePtes(st, p, 0, PTRS_PER_PTE, held.FirstLeafOf(pmd.Frame.Value));
            return;
        }

        var page = memory.Find(pmd.Frame);
        if (page?.Run is { } run)
        {
            // A page held as one run: zeros, the run's one protection, zeros. note_page only acts
            // where the protection changes, so noting each stretch once prints the same lines.
            NotePtes(st, p, 0, run.Lo, 0);
            NotePtes(st, p, run.Lo, run.Hi, run.Flags);
            NotePtes(st, p, run.Hi, PTRS_PER_PTE, 0);
            return;
        }

        for (var i = 0; i < PTRS_PER_PTE; i++)
        {
            // walk_pte_level notes every entry, empty or not: pte_pgprot of a none pte is 0.
            st.CurrentAddress = p + ((ulong)i << PAGE_SHIFT);
            st.NotePage((page?[i] ?? 0) & PTE_FLAGS_MASK, PteLevel);
        }
    }

    private static void NotePtes(PgState st, ulong p, int from, int to, ulong prot)
    {
        if (from < to)
        {
            st.CurrentAddress = p + ((ulong)from << PAGE_SHIFT);
            st.NotePage(prot & PTE_FLAGS_MASK, PteLevel);
        }
    }

    /// <summary>struct pg_state and note_page; the only marker after ours is VMALLOC_START.</summary>
    private sealed class PgState
    {
        private const string Units = "KMGTPE";

        private int level;
        private ulong currentProt;
        private ulong startAddress;

        public ulong CurrentAddress { get; set; }

        public List<string> Lines { get; } = new();

        public void NotePage(ulong prot, int newLevel)
        {
            if (level == 0)
            {
                // First entry: the kernel prints the marker whose series starts here.
                currentProt = prot;
                level = newLevel;
                startAddress = CurrentAddress;
                Lines.Add(LowKernelMarker);
                return;
            }

            var atMarker = CurrentAddress >= VMALLOC_START;
            if (prot == currentProt && newLevel == level && !atMarker)
            {
                return;
            }

            var line = new StringBuilder(96);
            line.Append(CultureInfo.InvariantCulture, $"0x{startAddress:x16}-0x{CurrentAddress:x16}   ");

            // delta in KiB, scaled while it is a whole multiple of 1024 of the next unit.
            var delta = (CurrentAddress - startAddress) >> 10;
            var unit = 0;
            while ((delta & 1023) == 0 && unit + 1 < Units.Length)
            {
                delta >>= 10;
                unit++;
            }

            line.Append(CultureInfo.InvariantCulture, $"{delta,9}{Units[unit]} ");
            PrintkProt(line, currentProt, level);
            Lines.Add(line.ToString());

            startAddress = CurrentAddress;
            currentProt = prot;
            level = newLevel;
        }

        /// <summary>printk_prot: fixed-width columns, then the level name.</summary>
        private static void PrintkProt(StringBuilder m, ulong pr, int level)
        {
            if (pr == 0)
            {
                // Not present.
                m.Append(' ', 26);
            }
            else
            {
                m.Append((pr & _PAGE_USER) != 0 ? "USR " : "    ");
                m.Append((pr & _PAGE_RW) != 0 ? "RW " : "ro ");
                m.Append((pr & _PAGE_PWT) != 0 ? "PWT " : "    ");
                m.Append((pr & _PAGE_PCD) != 0 ? "PCD " : "    ");

                // Bit 7 is PSE in a pud/pmd entry and PAT in a pte.
                if (level <= PmdLevel)
                {
                    m.Append((pr & _PAGE_PSE) != 0 ? "PSE " : "    ");
                }
                else
                {
                    m.Append((pr & _PAGE_PSE) != 0 ? "pat " : "    ");
                }

                m.Append((pr & _PAGE_GLOBAL) != 0 ? "GLB " : "    ");
                m.Append((pr & _PAGE_NX) != 0 ? "NX " : "x  ");
            }

            m.Append(LevelName[level]);
        }
    }
}
