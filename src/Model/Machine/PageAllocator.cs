using BootActors.Model.E820;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>Which end of the early table buffer alloc_low_page takes pages from.</summary>
public enum AllocOrder
{
    /// <summary>table_end++ from table_start, as the seed's invariant assumes.</summary>
    BottomUp,

    /// <summary>From table_top downward (the order of 3.9's "setup page table in top-down").</summary>
    TopDown,
}

/// <summary>
/// alloc_low_page's early table buffer (table_start/table_end/table_top of init_64.c), the
/// early_ioremap fixmap aliases of the pages it hands out, and get_zeroed_page after bootmem.
/// </summary>
public sealed class PageAllocator
{
    /// <summary>
    /// First id of a get_zeroed_page page: above any RAM this model maps (63 TiB), inside PTE_MASK,
    /// so it cannot collide with a boot-buffer pfn (model-conventions item 20).
    /// </summary>
    public const ulong FirstDynamicPfn = 0x3f0000000;

    /// <summary>FIX_BTMAPS_NESTING (include/asm-x86/fixmap_64.h).</summary>
    public const int FIX_BTMAPS_NESTING = 4;

    private readonly E820Map e820;
    private readonly IReadOnlyList<EarlyReservation> reservations;
    private readonly AllocOrder order;
    private readonly List<Pfn> aliases = new();
    private readonly int[] handedOut = new int[5];
    private ulong nextDynamic = FirstDynamicPfn;

    public PageAllocator(E820Map e820, IReadOnlyList<EarlyReservation> reservations, AllocOrder order)
    {
        this.e820 = e820;
        this.reservations = reservations;
        this.order = order;
    }

    public ulong table_start { get; private set; }

    public ulong table_end { get; private set; }

    public ulong table_top { get; private set; }

    public IReadOnlyList<EarlyReservation> Reservations => reservations;

    /// <summary>Where uses of the next free page and of the fixmap slots are reported; null: not recorded.</summary>
    public AccessRecorder? Recorder { get; set; }

    /// <summary>Pages with a live writable early_ioremap alias, oldest first (the fixmap nesting stack).</summary>
    public IReadOnlyList<Pfn> Aliases => aliases;

    public bool HasAlias(Pfn pfn)
    {
        Recorder?.Read(Resource.IoremapSlots);
        return aliases.Contains(pfn);
    }

    /// <summary>Boot pages handed out, per level (table_pages of the summary).</summary>
    public int HandedOut(Level level) => handedOut[(int)level];

    /// <summary>The boot pages handed out so far, as a pfn range [start, end).</summary>
    public (ulong Start, ulong End) HandedOutRange
    {
        get
        {
            var n = Math.Min(table_end, table_top) - table_start;
            return order == AllocOrder.BottomUp ? (table_start, table_start + n) : (table_top - n, table_top);
        }
    }

    public bool IsBootPage(Pfn pfn)
    {
        var (s, e) = HandedOutRange;
        return pfn.Value >= s && pfn.Value < e;
    }

    public static bool IsDynamic(Pfn pfn) => pfn.Value >= FirstDynamicPfn;

    /// <summary>The pfn the next get_zeroed_page after bootmem returns.</summary>
    public ulong NextDynamic => nextDynamic;

    /// <summary>find_early_table_space's placement: find_e820_area(0x8000, end, tables, PAGE_SIZE).</summary>
    public ulong FindTableSpace(ulong tables, ulong end)
    {
        Recorder?.Write(Resource.Allocator);
        var start = e820.FindE820Area(0x8000, end, tables, PAGE_SIZE, reservations);
        if (start == ulong.MaxValue)
        {
            table_start = table_end = table_top = 0;
            return ulong.MaxValue;
        }

        table_start = start >> PAGE_SHIFT;
        table_end = table_start;
        table_top = table_start + (tables >> PAGE_SHIFT);
        return table_start;
    }

    /// <summary>
    /// The allocating part of alloc_low_page: pfn = table_end++ (bumped even after bootmem), the
    /// table_top check (d86623a0d55a) at boot, get_zeroed_page after. Null: "ran out of memory".
    /// </summary>
    public Pfn? AllocPage(bool afterBootmem, Level level)
    {
        Recorder?.Write(Resource.Allocator);
        var n = table_end - table_start;
        table_end++;
        if (afterBootmem)
        {
            return new Pfn(nextDynamic++);
        }

        var pfn = BootPage(n);
        if (table_start + n >= table_top)
        {
            return null;
        }

        handedOut[(int)level]++;
        return pfn;
    }

    /// <summary>The <paramref name="n"/>-th page alloc_low_page hands out of the early buffer (from either end).</summary>
    private Pfn BootPage(ulong n) => new(order == AllocOrder.BottomUp ? table_start + n : table_top - 1 - n);

    /// <summary>
    /// Folded phys_pmd_init iterations (<see cref="Kernel.FoldedIterations"/>): up to
    /// <paramref name="count"/> boot pages, each as alloc_low_page's table_end++ followed by its
    /// early_ioremap and unmap_low_page's early_iounmap. It stops before the page whose allocation
    /// or alias would fail, which the loop then takes step by step to the same failure.
    /// </summary>
    public BootPageRange AllocBootPages(int count, Level level)
    {
        // Each page's steps at once: BootPagesLeft leaves room for every page and a free fixmap
        // slot, and each alias is dropped as soon as it is made, so only table_end and the count move.
        var pages = NextBootPages(count);
        if (Recorder is { } r)
        {
            for (var i = 0; i < pages.Length; i++)
            {
                // What AllocPage, EarlyIoremap and EarlyIounmap record for each page.
                r.Write(Resource.Allocator);
                r.Write(Resource.IoremapSlots);
                r.Write(Resource.IoremapSlots);
            }
        }

        table_end += (ulong)pages.Length;
        handedOut[(int)level] += pages.Length;
        return pages;
    }

    /// <summary>
    /// Folded phys_pud_init iterations: up to <paramref name="iterations"/> times a pmd page and the
    /// <paramref name="ptePages"/> PTE pages its phys_pmd_init iterations take (512 without PSE, none
    /// with 2 MiB leaves), as <see cref="AllocBootPages"/> hands them out. Only whole iterations:
    /// where the buffer would run out inside one, or its pmd page's alias would leave no fixmap slot
    /// for its PTE pages', the loop takes that one step by step.
    /// </summary>
    public BootPageRange AllocBootTables(int iterations, int ptePages)
    {
        var perIteration = 1 + ptePages;
        var nested = ptePages > 0 ? 2 : 1;
        var n = aliases.Count + nested > FIX_BTMAPS_NESTING ? 0 : (int)Math.Min((ulong)Math.Max(iterations, 0), Room / (ulong)perIteration);
        var pages = NextBootPages(n * perIteration);
        table_end += (ulong)pages.Length;
        handedOut[(int)Level.Pmd] += n;
        handedOut[(int)Level.Pte] += n * ptePages;
        return pages;
    }

    /// <summary>The pages <see cref="AllocBootPages"/> would hand out now, without handing them out.</summary>
    public BootPageRange NextBootPages(int count) =>
        new(BootPage(table_end - table_start), order == AllocOrder.BottomUp ? 1 : -1, BootPagesLeft(count));

    // The pages left in the early buffer.
    private ulong Room => table_top > table_end ? table_top - table_end : 0;

    // How many of count boot pages alloc_low_page would hand out before it fails or early_ioremap finds no slot.
    private int BootPagesLeft(int count)
    {
        return aliases.Count >= FIX_BTMAPS_NESTING ? 0 : (int)Math.Min((ulong)Math.Max(count, 0), Room);
    }

    /// <summary>early_ioremap of one page into a fixmap slot. Null on success, else the kernel's WARN text.</summary>
    public string? EarlyIoremap(Pfn pfn)
    {
        Recorder?.Write(Resource.IoremapSlots);
        if (aliases.Count >= FIX_BTMAPS_NESTING)
        {
            return $"early_ioremap({Hex.Of(pfn.PhysAddr.Value)}, 4096): nesting level {aliases.Count} exceeds FIX_BTMAPS_NESTING";
        }

        aliases.Add(pfn);
        return null;
    }

    /// <summary>early_iounmap; unmaps must be LIFO (the nesting counter is a stack).</summary>
    public string? EarlyIounmap(Pfn pfn)
    {
        Recorder?.Write(Resource.IoremapSlots);
        if (aliases.Count == 0 || aliases[^1] != pfn)
        {
            var idx = aliases.IndexOf(pfn);
            if (idx < 0)
            {
                return $"early_iounmap of page {pfn}, which has no early_ioremap alias";
            }

            aliases.RemoveAt(idx);
            return null;
        }

        aliases.RemoveAt(aliases.Count - 1);
        return null;
    }

    public PageAllocatorSnapshot Snapshot() => new(table_start, table_end, table_top, aliases.ToArray(), handedOut.ToArray(), nextDynamic);

    public void Restore(PageAllocatorSnapshot s)
    {
        table_start = s.TableStart;
        table_end = s.TableEnd;
        table_top = s.TableTop;
        aliases.Clear();
        aliases.AddRange(s.Aliases);
        Array.Copy(s.HandedOut, handedOut, handedOut.Length);
        nextDynamic = s.NextDynamic;
    }
}

public sealed record PageAllocatorSnapshot(ulong TableStart, ulong TableEnd, ulong TableTop, Pfn[] Aliases, int[] HandedOut, ulong NextDynamic);
