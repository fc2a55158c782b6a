using System.Diagnostics;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Memory;

/// <summary>
/// Consecutive boot PTE pages that phys_pmd_init's folded iterations filled whole and linked from
/// consecutive entries of one pmd page, held as one descriptor instead of one <see cref="TablePage"/>
/// each: iteration j's page is frame <c>Pfn0 + j × PfnStep</c> (alloc_low_page hands the buffer out
/// bottom-up or top-down), was linked by pmd[<c>Index0 + j</c>] of <see cref="Table"/>, and maps
/// 2 MiB: entry i = <c>FirstLeaf + (j × 512 + i) × 4 KiB</c>.
/// </summary>
/// <remarks>
/// Immutable, so machine copies share it. The page index hands out a real <see cref="TablePage"/>
/// for a frame of the run the first time anyone asks for one (<see cref="Materialise"/>), with
/// exactly these contents, level, origin and parent; from then on that page is held on its own and
/// the run no longer speaks for it. Readers that only need an entry, the parent or the origin read
/// them from here without making the page (a 4 TiB map without PSE has 2 M such pages).
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class PtePageRun
{
    public PtePageRun(Pfn pfn0, int pfnStep, int count, Pfn table, int index0, ulong firstLeaf)
    {
        Debug.Assert(pfnStep is 1 or -1 && count > 0, "consecutive frames, one way");
        Debug.Assert(index0 >= 0 && index0 + count <= PTRS_PER_PMD, "the links lie in one pmd page");
        Debug.Assert((firstLeaf & PTE_MASK) + (((ulong)count * PTRS_PER_PTE) - 1) * PAGE_SIZE <= PTE_MASK, "the last leaf still fits PTE_MASK");
        Pfn0 = pfn0;
        PfnStep = pfnStep;
        Count = count;
        Table = table;
        Index0 = index0;
        FirstLeaf = firstLeaf;
    }

    /// <summary>The frame of the first iteration's page.</summary>
    public Pfn Pfn0 { get; }

    /// <summary>+1 when the pages were handed out bottom-up, −1 top-down.</summary>
    public int PfnStep { get; }

    public int Count { get; }

    /// <summary>The pmd page whose entries link the pages.</summary>
    public Pfn Table { get; }

    /// <summary>The pmd entry that links the first iteration's page.</summary>
    public int Index0 { get; }

    /// <summary>Entry 0 of the first iteration's page.</summary>
    public ulong FirstLeaf { get; }

    /// <summary>The lowest frame of the run.</summary>
    public ulong LowPfn => PfnStep > 0 ? Pfn0.Value : Pfn0.Value - (ulong)(Count - 1);

    /// <summary>The frame of iteration <paramref name="j"/>'s page.</summary>
    public Pfn PfnOf(int j) => new(PfnStep > 0 ? Pfn0.Value + (ulong)j : Pfn0.Value - (ulong)j);

    /// <summary>Entry <paramref name="index"/> of the page at <paramref name="pfn"/> (a frame of the run).</summary>
    public ulong Entry(ulong pfn, int index) => FirstLeaf + ((((ulong)IterationOf(pfn) * PTRS_PER_PTE) + (ulong)index) * PAGE_SIZE);

    /// <summary>Entry 0 of the page at <paramref name="pfn"/>.</summary>
    public ulong FirstLeafOf(ulong pfn) => Entry(pfn, 0);

    /// <summary>The entry that linked the page at <paramref name="pfn"/>.</summary>
    public EntryRef ParentOf(ulong pfn) => new(Table, Index0 + IterationOf(pfn));

    /// <summary>The page at <paramref name="pfn"/> as a table page of its own.</summary>
    public TablePage Materialise(ulong pfn)
    {
        var page = new TablePage(new Pfn(pfn), Level.Pte, TablePageOrigin.Boot) { Parent = ParentOf(pfn) };
        page.SetRun(UniformRun.Of(0, PTRS_PER_PTE, FirstLeafOf(pfn), PAGE_SIZE)!);
        return page;
    }

    private int IterationOf(ulong pfn)
    {
        var j = PfnStep > 0 ? (long)(pfn - Pfn0.Value) : (long)(Pfn0.Value - pfn);
        Debug.Assert(j >= 0 && j < Count, "a frame of the run");
        return (int)j;
    }

    public override string ToString() =>
        $"{Count} PTE pages from {Pfn0} ({(PfnStep > 0 ? "up" : "down")}) linked by {Table}[{Index0}..], first leaf {FirstLeaf:x16}";
}
