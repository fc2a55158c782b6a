using System.Diagnostics;
using BootActors.Model.Paging;

namespace BootActors.Model.Memory;

/// <summary>
/// Physical memory as far as the model needs it: only frames used as page tables hold
/// contents (sparse). Each table page remembers which entry last linked it, so the live
/// tree (reachable from init_level4_pgt) can be answered without a full walk. A page whose
/// entries form one arithmetic run is held as a descriptor, not 512 entries (see
/// <see cref="TablePage"/>), so a 4 TiB map without PSE (2 M PTE pages) costs a few hundred
/// bytes per page rather than 4 KiB.
/// </summary>
public sealed class PhysicalMemory
{
    private readonly TablePageIndex pages = new();

    // Written by the step that changes an entry, read by a TLB's stale-use report (another actor's
    // thread in free mode): one lock for both. Not a ConcurrentDictionary, which allocates a node
    // per write and new tables on every Clear (once per explored schedule).
    private readonly Dictionary<(ulong Table, int Index), long> lastWrite = new();
    private readonly Dictionary<ulong, long> freedAt = new();

    public PhysicalMemory(Pfn root, bool flatPages = false)
    {
        Root = root;
        FlatPages = flatPages;
    }

    /// <summary>
    /// Every page held as 512 entries from its first write, never as a run: the plain
    /// representation, which tests compare the compact one against.
    /// </summary>
    public bool FlatPages { get; }

    /// <summary>After boot, remember at which step each entry was last written (for stale-TLB reports).</summary>
    public bool TrackWrites { get; set; }

    /// <summary>The host's position of the step being applied (a step count or a trace sequence number).</summary>
    public long CurrentSeq { get; set; }

    /// <summary>Where an entry last changed (a write, or the free of its page), if tracked.</summary>
    public long? LastChange(EntryRef at)
    {
        lock (lastWrite)
        {
            return lastWrite.TryGetValue((at.Table.Value, at.Index), out var w) ? w
                : freedAt.TryGetValue(at.Table.Value, out var f) ? f : null;
        }
    }

    /// <summary>init_level4_pgt.</summary>
    public Pfn Root { get; }

    /// <summary>
    /// Told of every entry that changes from now on (a write, a zeroed page's old entries, a freed
    /// page's entries), on the thread that changes it: for tools that keep the tables' history.
    /// </summary>
    public IEntryObserver? Observer { get; set; }

    public int TablePageCount => pages.Count;

    /// <summary>How many 64-frame chunks of the page index a <see cref="PtePageRun"/> holds whole.</summary>
    internal int PteRunChunks => pages.WholeChunks;

    public IEnumerable<TablePage> TablePages => pages.Values;

    /// <summary>Every table page's pfn, level, origin and parent, in pfn order, without making the pages of a <see cref="PtePageRun"/>.</summary>
    public IEnumerable<TablePageHeader> TablePageHeaders => pages.Headers;

    /// <summary>The run that still speaks for the page at <paramref name="pfn"/>, if one does.</summary>
    public PtePageRun? PteRunOf(Pfn pfn) => pages.RunOf(pfn.Value);

    /// <summary>How many frames from <paramref name="from"/> on, at most <paramref name="max"/>, are pages <paramref name="run"/> still holds, one after another.</summary>
    internal int PagesHeldBy(PtePageRun run, Pfn from, int max) => pages.CountHeldBy(run, from.Value, max);

    /// <summary>
    /// The zeroed and filled PTE pages of folded iterations, held as one run (their frames must
    /// hold no table yet); the pmd entries that link them are written afterwards, as each
    /// iteration's pmd_populate_kernel does.
    /// </summary>
    public void AddPteRun(PtePageRun run)
    {
        Debug.Assert(!FlatPages && Observer is null, "a run of pages only where nothing watches each page");
        pages.Add(run);
    }

    public bool IsTablePage(Pfn pfn) => pages.ContainsKey(pfn.Value);

    /// <summary>The lowest frame in [<paramref name="from"/>, <paramref name="to"/>) that holds a table page, if any.</summary>
    public Pfn? FirstTablePageIn(Pfn from, Pfn to) => pages.TryFirstIn(from.Value, to.Value, out var pfn) ? new Pfn(pfn) : null;

    /// <summary>Makes this memory an independent copy of <paramref name="other"/> (exploration starts every schedule from one snapshot).</summary>
    public void CopyFrom(PhysicalMemory other)
    {
        Debug.Assert(FlatPages == other.FlatPages, "a copy keeps its original's representation");
        // A run is immutable and an array is copied on its first write, so this is O(1) per page.
        pages.CopyFrom(other.pages);

        lock (lastWrite)
        {
            lock (other.lastWrite)
            {
                lastWrite.Clear();
                foreach (var kv in other.lastWrite)
                {
                    lastWrite[kv.Key] = kv.Value;
                }

                freedAt.Clear();
                foreach (var kv in other.freedAt)
                {
                    freedAt[kv.Key] = kv.Value;
                }
            }
        }

        TrackWrites = other.TrackWrites;
        CurrentSeq = other.CurrentSeq;
    }

    public TablePage? Find(Pfn pfn) => pages.TryGetValue(pfn.Value, out var p) ? p : null;

    /// <summary>A table page, or an all-zero view for a frame that never held one.</summary>
    public TablePage Page(Pfn pfn) =>
        pages.TryGetValue(pfn.Value, out var p) ? p : throw new InvalidOperationException($"frame {pfn} holds no page table");

    /// <summary>memset(adr, 0, PAGE_SIZE) of a freshly allocated table page (or get_zeroed_page).</summary>
    public TablePage Zero(Pfn pfn, Level level, TablePageOrigin origin)
    {
        if (pages.TryGetValue(pfn.Value, out var existing))
        {
            Cleared(existing);
            existing.Clear();
            existing.Level = level;
            existing.Origin = origin;
            existing.Parent = null;
            return existing;
        }

        var page = new TablePage(pfn, level, origin);
        pages.Add(page);
        return page;
    }

    public void Free(Pfn pfn)
    {
        if (Observer is not null && Find(pfn) is { } freed)
        {
            Cleared(freed);
        }

        pages.Remove(pfn.Value);
        if (TrackWrites)
        {
            lock (lastWrite)
            {
                freedAt[pfn.Value] = CurrentSeq;
            }
        }
    }

    public PageTableEntry Read(Pfn table, int index) =>
        pages.TryGetEntry(table.Value, index, out var v) ? new PageTableEntry(v) : PageTableEntry.None;

    /// <summary>Stores an entry and keeps the child's parent link current.</summary>
    public void Write(Pfn table, int index, PageTableEntry value)
    {
        var page = Page(table);
        var before = Observer is null ? 0 : page[index];
        if (FlatPages)
        {
            page.Entries[index] = value.Value;
        }
        else
        {
            page.Store(index, value.Value);
        }

        if (Observer is { } observer && before != value.Value)
        {
            observer.EntryChanged(table, page.Level, index, before, value.Value);
        }

        if (TrackWrites)
        {
            lock (lastWrite)
            {
                lastWrite[(table.Value, index)] = CurrentSeq;
            }
        }

        if (page.Level != Level.Pte && value.Present && !value.Large)
        {
            pages.SetParent(value.Frame.Value, new EntryRef(table, index));
        }
    }

    /// <summary>
    /// The pmd entries that link <paramref name="run"/>'s pages (mk_table of each), as many
    /// <see cref="Write"/>s: a pmd page held as a run takes them as one stretch when they continue it.
    /// For a run just added (<see cref="AddPteRun"/>), as the folded iterations write them.
    /// </summary>
    public void WriteLinks(PtePageRun run)
    {
        // What Write does besides the store, a page's parent link, the run already holds for each
        // page: a page made from it since it was added took its parent from it (PtePageRun.Materialise).
        if (run.PfnStep > 0 && TryFillEmpty(Page(run.Table), run.Index0, run.Count, X86.mk_table(run.Pfn0).Value, X86.PAGE_SIZE))
        {
            return;
        }

        for (var j = 0; j < run.Count; j++)
        {
            Write(run.Table, run.Index0 + j, X86.mk_table(run.PfnOf(j)));
        }
    }

    /// <summary>
    /// Entries [<paramref name="index"/>, + <paramref name="count"/>) of <paramref name="page"/>, all
    /// empty, written as one stretch of the page's run (entry i is <paramref name="first"/> +
    /// (i − index) × <paramref name="stride"/>): what <see cref="Write"/> of each would leave in them,
    /// where nothing hears of each write (no observer, no write tracking) and the page is held as a
    /// run. False: nothing written; write them one by one. A write's other part, a table's parent
    /// link, is the caller's.
    /// </summary>
    public bool TryFillEmpty(TablePage page, int index, int count, ulong first, ulong stride) =>
        count > 0 && !FlatPages && Observer is null && !TrackWrites &&

        // TryFillRun keeps entries that are set, where a write replaces them: only over empty ones.
        page.IsEmptyRange(index, count) && page.TryFillRun(index, count, first, stride, -1) >= 0;

    private void Cleared(TablePage page)
    {
        if (Observer is not { } observer)
        {
            return;
        }

        if (page.Run is { IsEmpty: true })
        {
            return;
        }

        for (var i = 0; i < X86.PTRS_PER_PTE; i++)
        {
            var old = page[i];
            if (old != 0)
            {
                observer.EntryChanged(page.Pfn, page.Level, i, old, 0);
            }
        }
    }

    /// <summary>True when <paramref name="pfn"/> is init_level4_pgt or linked into it now.</summary>
    public bool IsReachable(Pfn pfn)
    {
        var reached = default(Reached);
        return IsReachable(pfn, ref reached);
    }

    /// <summary>
    /// The first page, in pfn order, that alloc_low_page or get_zeroed_page handed out
    /// (<see cref="TablePageOrigin.Boot"/>, <see cref="TablePageOrigin.AfterBootmem"/>) and that is not
    /// linked into init_level4_pgt (<see cref="IsReachable(Pfn)"/>), or null. The pages of a
    /// <see cref="PtePageRun"/> (all boot pages) are checked without making them: the entry that
    /// linked each must still link it, and their pmd page is followed up once per run.
    /// </summary>
    public TablePageHeader? FirstUnlinkedAllocatedPage()
    {
        var reached = default(Reached);
        PtePageRun? run = null;
        TablePage? table = null;
        var tableReachable = false;
        var linkedWhole = false;
        foreach (var (first, count, slot) in pages.Spans)
        {
            if (slot is TablePage page)
            {
                if (page.Origin is TablePageOrigin.Boot or TablePageOrigin.AfterBootmem && !IsReachable(page.Pfn, ref reached))
                {
                    return TablePageHeader.Of(page);
                }

                continue;
            }

            var r = (PtePageRun)slot;
            if (!ReferenceEquals(r, run))
            {
                // What IsReachable would find from each page once past its linking entry (the same
                // for every page of the run, with nothing changing meanwhile).
                run = r;
                table = Find(r.Table);
                tableReachable = table is not null && (reached.Holds(r.Table) || IsReachable(r.Table, ref reached, depth: 1));
                if (tableReachable)
                {
                    // Where IsReachable's walk from a page of the run leaves its memo.
                    reached.Note(r.Table);
                }

                // Every page of the run linked by one stretch of the table's run: the spans the run
                // still holds need no look (a folded GiB's run lies in nine or ten of them).
                linkedWhole = tableReachable && r.PfnStep > 0 && LinksInOneRun(table!, r.Index0, r.Pfn0.Value, r.Count);
            }

            if (linkedWhole || (tableReachable && r.PfnStep > 0 && LinksInOneRun(table!, r.ParentOf(first).Index, first, count)))
            {
                continue;
            }

            for (var pfn = first; pfn < first + (ulong)count; pfn++)
            {
                var link = new PageTableEntry(table is null ? 0 : table[r.ParentOf(pfn).Index]);
                if (!tableReachable || !link.Present || link.Large || link.Frame.Value != pfn)
                {
                    return new TablePageHeader(new Pfn(pfn), Level.Pte, TablePageOrigin.Boot, r.ParentOf(pfn));
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Whether entries [<paramref name="index"/>, + <paramref name="count"/>) of <paramref name="table"/>,
    /// held as one run, link frames <paramref name="first"/>, <paramref name="first"/> + 1, … (each
    /// present, not a leaf): what checking each link would find, read from the run.
    /// </summary>
    internal static bool LinksInOneRun(TablePage table, int index, ulong first, int count)
    {
        if (count == 1 || table.Run is not { Stride: X86.PAGE_SIZE } run || index < run.Lo || index + count > run.Hi)
        {
            return false;
        }

        var link = new PageTableEntry(run.At(index));
        return link.Present && !link.Large && link.Frame.Value == first;
    }

    /// <summary>
    /// <see cref="IsReachable(Pfn)"/> for many pages while nothing changes: a walk whose link leads to
    /// one of <paramref name="reached"/>'s tables, found reachable before, ends there, and a page found
    /// reachable leaves its parent table in it. The 512 PTE pages of a pmd page then cost one walk,
    /// and each pmd page one step to the pud page.
    /// <paramref name="depth"/>: links the walk already followed to reach pfn (the same bound on the chain).
    /// </summary>
    private bool IsReachable(Pfn pfn, ref Reached reached, int depth = 0)
    {
        Pfn? firstParent = null;
        for (; depth < 5; depth++)
        {
            if (pfn == Root)
            {
                if (firstParent is { } first)
                {
                    reached.Note(first);
                }

                return true;
            }

            if (!pages.TryGetHeader(pfn.Value, out var page) || page.Parent is not { } parent)
            {
                return false;
            }

            var e = Read(parent.Table, parent.Index);
            if (!e.Present || e.Large || e.Frame != pfn)
            {
                return false;
            }

            pfn = parent.Table;
            firstParent ??= pfn;
            if (reached.Holds(pfn))
            {
                reached.Note(firstParent.Value);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Walks the live tables for a virtual address, as the MMU would. Returns the leaf entry
    /// and its level, or the level at which the walk found a non-present entry.
    /// </summary>
    public Walk WalkVirt(ulong va)
    {
        var table = Root;
        for (var level = Level.Pgd; ; level = level.Below())
        {
            var index = X86.index(level, va);
            var e = Read(table, index);
            if (!e.Present)
            {
                return new Walk(false, level, e, new EntryRef(table, index));
            }

            if (level == Level.Pte || ((level == Level.Pmd || level == Level.Pud) && e.Large))
            {
                return new Walk(true, level, e, new EntryRef(table, index));
            }

            table = e.Frame;
            if (!pages.ContainsKey(table.Value))
            {
                // A link to a frame that holds no table (e.g. a data frame): the walk reads zeros.
                return new Walk(false, level.Below(), PageTableEntry.None, new EntryRef(table, X86.index(level.Below(), va)));
            }
        }
    }

    /// <summary>Whether __va(pfn) is mapped by the live tables now.</summary>
    public bool IsMappedInLinearMap(Pfn pfn) => WalkVirt(X86.__va(pfn.PhysAddr.Value)).Mapped;
}

/// <summary>The last two tables a run of reachability walks found reachable (a pmd page and its pud page).</summary>
internal struct Reached
{
    private Pfn? last;
    private Pfn? before;

    public readonly bool Holds(Pfn pfn) => pfn == last || pfn == before;

    public void Note(Pfn pfn)
    {
        if (last != pfn)
        {
            before = last;
            last = pfn;
        }
    }
}

/// <summary>Hears of each page-table entry that changes (<see cref="PhysicalMemory.Observer"/>).</summary>
public interface IEntryObserver
{
    void EntryChanged(Pfn table, Level level, int index, ulong before, ulong after);
}

public enum TablePageOrigin : byte
{
    /// <summary>head_64.S's static init_level4_pgt / level3_ident_pgt / level2_ident_pgt.</summary>
    Static,

    /// <summary>arch/x86/xen/enlighten.c's level1_ident_pgt pages.</summary>
    XenLevel1Ident,

    /// <summary>A page of the Xen domain builder's page-table segment.</summary>
    XenBuilder,

    /// <summary>Handed out by alloc_low_page from the early table buffer.</summary>
    Boot,

    /// <summary>get_zeroed_page(GFP_ATOMIC) after bootmem.</summary>
    AfterBootmem,
}

public readonly record struct EntryRef(Pfn Table, int Index);

public readonly record struct Walk(bool Mapped, Level Level, PageTableEntry Entry, EntryRef At);
