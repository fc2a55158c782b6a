using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BootActors.Model.Paging;

namespace BootActors.Model.Memory;

/// <summary>
/// The table pages by pfn: a three-level radix. A chunk holds 64 consecutive pfns and a region 64
/// chunks (16 MiB of frames). alloc_low_page hands out pages from one contiguous buffer (and
/// get_zeroed_page from one counter), so a boot fills whole chunks in order: adding a page is an
/// array store, and enumeration is in pfn order. The levels are small because exploration copies
/// a small machine's index for every schedule.
/// </summary>
/// <remarks>
/// <para>
/// A slot holds a <see cref="TablePage"/> or a <see cref="PtePageRun"/> that speaks for that frame's
/// page, and a region's chunk slot may hold a run itself when the run speaks for all 64 frames of
/// the chunk (no array at all: a 4 TiB boot's 2 M PTE pages are then 4,096 runs and no per-page
/// slots). Whoever asks for the page itself (<see cref="TryGetValue"/>, <see cref="Values"/>) gets
/// a real one, made from the run and swapped into its slot once — the chunk first made into an
/// array when the run held it whole — each by a compare-exchange, so two threads that ask at once
/// get the same page. <see cref="TryGetEntry"/>, <see cref="TryGetHeader"/>, <see cref="RunOf"/>,
/// <see cref="Headers"/> and <see cref="Slots"/> read through a run without making pages.
/// </para>
/// <para>
/// Lookups from other threads (free mode) are safe while the owner adds or removes pages, without
/// a lock: a chunk or a region is filled before it is published by one reference write, and the
/// sorted list of regions is copied on write (a region is added once per 4,096 table pages).
/// Nothing here takes a lock, not even enumeration, which <c>ConcurrentDictionary.Keys</c> does:
/// exploration enumerates the pages at the end of every schedule.
/// </para>
/// </remarks>
internal sealed class TablePageIndex
{
    private const int Shift = 6;
    private const int Fanout = 1 << Shift;
    private const ulong Mask = Fanout - 1;

    private Region[] regions = [];
    private int count;

    // The region of the last lookup: consecutive lookups mostly fall in one region. A stale value
    // is harmless (a region never changes its key), except across Clear, which drops it.
    private Region? recent;

    public int Count => Volatile.Read(ref count);

    /// <summary>Chunks a run holds whole (for tests of that representation).</summary>
    internal int WholeChunks => Volatile.Read(ref regions).Sum(r => r.Chunks.Count(c => c is PtePageRun));

    public bool TryGetValue(ulong pfn, out TablePage page)
    {
        switch (Slot(pfn))
        {
            case TablePage p:
                page = p;
                return true;
            case PtePageRun run:
                page = Materialise(pfn, run);
                return true;
            default:
                page = null!;
                return false;
        }
    }

    public bool ContainsKey(ulong pfn) => Slot(pfn) is not null;

    /// <summary>Entry <paramref name="index"/> of the page at <paramref name="pfn"/>, without making a run's page.</summary>
    public bool TryGetEntry(ulong pfn, int index, out ulong value)
    {
        switch (Slot(pfn))
        {
            case TablePage page:
                value = page[index];
                return true;
            case PtePageRun run:
                value = run.Entry(pfn, index);
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>The run that still speaks for the page at <paramref name="pfn"/>, if one does.</summary>
    public PtePageRun? RunOf(ulong pfn) => Slot(pfn) as PtePageRun;

    /// <summary>How many frames from <paramref name="from"/> on, at most <paramref name="max"/>, <paramref name="run"/> holds one after another (<see cref="RunOf"/> is it).</summary>
    public int CountHeldBy(PtePageRun run, ulong from, int max)
    {
        var n = 0;
        var pfn = from;
        while (n < max && RegionOf(pfn) is { } region)
        {
            // A chunk at a time: held whole by the run, or its slots read in place.
            var chunk = Volatile.Read(ref At(region.Chunks, (pfn >> Shift) & Mask));
            var inChunk = (int)Math.Min((ulong)(max - n), Fanout - (pfn & Mask));
            var k = 0;
            if (ReferenceEquals(chunk, run))
            {
                k = inChunk;
            }
            else if (chunk is not (null or PtePageRun))
            {
                var slots = SlotsOf(chunk);
                while (k < inChunk && ReferenceEquals(Volatile.Read(ref At(slots, (pfn & Mask) + (ulong)k)), run))
                {
                    k++;
                }
            }

            n += k;
            pfn += (ulong)k;
            if (k < inChunk)
            {
                break;
            }
        }

        return n;
    }

    /// <summary>Level, origin and parent of the page at <paramref name="pfn"/>, without making a run's page.</summary>
    public bool TryGetHeader(ulong pfn, out TablePageHeader header)
    {
        switch (Slot(pfn))
        {
            case TablePage page:
                header = TablePageHeader.Of(page);
                return true;
            case PtePageRun run:
                header = Header(pfn, run);
                return true;
            default:
                header = default;
                return false;
        }
    }

    /// <summary>Records that <paramref name="link"/> now links the page at <paramref name="pfn"/>; a run that already says so is left as it is.</summary>
    public void SetParent(ulong pfn, EntryRef link)
    {
        switch (Slot(pfn))
        {
            case PtePageRun run when run.ParentOf(pfn) == link:
                return;
            case PtePageRun run:
                Materialise(pfn, run).Parent = link;
                return;
            case TablePage page:
                page.Parent = link;
                return;
        }
    }

    /// <summary>
    /// Links each page of <paramref name="run"/> to its pmd entry (<see cref="PtePageRun.ParentOf"/>):
    /// nothing to do where the run itself still holds the page, a chunk of them at a time.
    /// </summary>
    public void SetParents(PtePageRun run)
    {
        var pfn = run.LowPfn;
        var end = pfn + (ulong)run.Count;
        while (pfn < end)
        {
            pfn += (ulong)CountHeldBy(run, pfn, (int)(end - pfn));
            if (pfn < end)
            {
                SetParent(pfn, run.ParentOf(pfn));
                pfn++;
            }
        }
    }

    /// <summary>Adds <paramref name="page"/> at its pfn, which must be free.</summary>
    public void Add(TablePage page) => Put(page.Pfn.Value, page);

    /// <summary>Adds the pages of <paramref name="run"/>, whose frames must all be free: a chunk the run fills whole, as the run itself.</summary>
    public void Add(PtePageRun run)
    {
        var pfn = run.LowPfn;
        var end = pfn + (ulong)run.Count;
        while (pfn < end)
        {
            if ((pfn & Mask) == 0 && end - pfn >= Fanout)
            {
                ref var chunk = ref ChunkSlot(pfn);
                Debug.Assert(chunk is null, "one page per pfn");
                Volatile.Write(ref chunk, run);
                Interlocked.Add(ref count, Fanout);
                pfn += Fanout;
                continue;
            }

            // The run's frames in this chunk, at one lookup of the chunk.
            var stop = Math.Min(end, (pfn | Mask) + 1);
            ref var slot = ref ChunkSlot(pfn);
            if (slot is null)
            {
                Volatile.Write(ref slot, new object?[Fanout]);
            }

            var array = ArrayOf(pfn);
            var added = (int)(stop - pfn);
            for (; pfn < stop; pfn++)
            {
                Debug.Assert(array[pfn & Mask] is null, "one page per pfn");
                Volatile.Write(ref At(array, pfn & Mask), run);
            }

            Interlocked.Add(ref count, added);
        }
    }

    public bool Remove(ulong pfn)
    {
        if (Slot(pfn) is null)
        {
            return false;
        }

        Volatile.Write(ref At(ArrayOf(pfn), pfn & Mask), null);
        Interlocked.Decrement(ref count);
        return true;
    }

    public void Clear()
    {
        recent = null;
        Volatile.Write(ref regions, []);
        Volatile.Write(ref count, 0);
    }

    /// <summary>Every page, in pfn order (a run's pages are made as they are reached).</summary>
    public IEnumerable<TablePage> Values
    {
        get
        {
            foreach (var (pfn, slot) in Slots)
            {
                yield return slot as TablePage ?? Materialise(pfn, (PtePageRun)slot);
            }
        }
    }

    /// <summary>Every page's level, origin and parent, in pfn order, without making a run's pages.</summary>
    public IEnumerable<TablePageHeader> Headers =>
        Slots.Select(s => s.Slot is TablePage page ? TablePageHeader.Of(page) : Header(s.Pfn, (PtePageRun)s.Slot));

    /// <summary>What each occupied slot holds (a page, or the run that speaks for its frame), in pfn order.</summary>
    public IEnumerable<(ulong Pfn, object Slot)> Slots
    {
        get
        {
            foreach (var (first, held) in Chunks(Volatile.Read(ref regions)))
            {
                if (held is PtePageRun whole)
                {
                    for (var i = 0UL; i < Fanout; i++)
                    {
                        yield return (first + i, whole);
                    }

                    continue;
                }

                var chunk = SlotsOf(held);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (Volatile.Read(ref At(chunk, i)) is { } slot)
                    {
                        yield return (first + (ulong)i, slot);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Slots"/> as spans: a chunk held whole by a run is one span of 64 frames, the
    /// consecutive slots of a chunk that one run holds one span, every page a span of one, in frame order.
    /// </summary>
    public IEnumerable<(ulong First, int Count, object Slot)> Spans
    {
        get
        {
            foreach (var (first, held) in Chunks(Volatile.Read(ref regions)))
            {
                if (held is PtePageRun whole)
                {
                    yield return (first, Fanout, whole);
                    continue;
                }

                var chunk = SlotsOf(held);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (Volatile.Read(ref At(chunk, i)) is not { } slot)
                    {
                        continue;
                    }

                    var n = 1;
                    while (slot is PtePageRun && i + n < chunk.Length && ReferenceEquals(Volatile.Read(ref At(chunk, i + n)), slot))
                    {
                        n++;
                    }

                    yield return (first + (ulong)i, n, slot);
                    i += n - 1;
                }
            }
        }
    }

    /// <summary>Whether some frame in [<paramref name="from"/>, <paramref name="to"/>) holds a table page; the lowest such frame.</summary>
    public bool TryFirstIn(ulong from, ulong to, out ulong pfn)
    {
        pfn = from;
        while (pfn < to)
        {
            if (RegionOf(pfn) is not { } region)
            {
                // No region: skip to the next one's first frame.
                pfn = ((pfn >> (2 * Shift)) + 1) << (2 * Shift);
                continue;
            }

            var chunk = Volatile.Read(ref At(region.Chunks, (pfn >> Shift) & Mask));
            if (chunk is PtePageRun)
            {
                return true;
            }

            if (chunk is not null)
            {
                var slots = SlotsOf(chunk);
                for (var i = (int)(pfn & Mask); i < Fanout && pfn < to; i++, pfn++)
                {
                    if (Volatile.Read(ref At(slots, i)) is not null)
                    {
                        return true;
                    }
                }

                continue;
            }

            pfn = ((pfn >> Shift) + 1) << Shift;
        }

        return false;
    }

    /// <summary>
    /// Makes this index an independent copy of <paramref name="other"/>: each page a copy-on-write
    /// copy (<see cref="TablePage.CopyOnWrite"/>), each run shared (it never changes).
    /// </summary>
    public void CopyFrom(TablePageIndex other)
    {
        Clear();
        foreach (var (first, held) in Chunks(Volatile.Read(ref other.regions)))
        {
            if (held is PtePageRun whole)
            {
                ChunkSlot(first) = whole;
                count += Fanout;
                continue;
            }

            var chunk = SlotsOf(held);
            for (var i = 0; i < chunk.Length; i++)
            {
                switch (Volatile.Read(ref At(chunk, i)))
                {
                    case TablePage page:
                        Put(first + (ulong)i, page.CopyOnWrite());
                        break;
                    case PtePageRun run:
                        Put(first + (ulong)i, run);
                        break;
                }
            }
        }
    }

    /// <summary>The chunks that hold something, in pfn order: each one's first pfn and what its slot holds (an array or a run).</summary>
    private static IEnumerable<(ulong First, object Held)> Chunks(Region[] all)
    {
        foreach (var region in all)
        {
            var chunks = region.Chunks;
            for (var c = 0; c < chunks.Length; c++)
            {
                if (Volatile.Read(ref At(chunks, c)) is { } held)
                {
                    yield return (PfnAt(region, c, 0), held);
                }
            }
        }
    }

    private static TablePageHeader Header(ulong pfn, PtePageRun run) =>
        new(new Pfn(pfn), Level.Pte, TablePageOrigin.Boot, run.ParentOf(pfn));

    private void Put(ulong pfn, object slot)
    {
        ref var chunk = ref ChunkSlot(pfn);
        if (chunk is null)
        {
            Volatile.Write(ref chunk, new object?[Fanout]);
        }

        var array = ArrayOf(pfn);
        Debug.Assert(array[pfn & Mask] is null, "one page per pfn");
        Volatile.Write(ref At(array, pfn & Mask), slot);
        Interlocked.Increment(ref count);
    }

    /// <summary>The page of <paramref name="pfn"/> made from <paramref name="run"/>, or the one another thread made first.</summary>
    private TablePage Materialise(ulong pfn, PtePageRun run)
    {
        var page = run.Materialise(pfn);
        var was = Interlocked.CompareExchange(ref At(ArrayOf(pfn), pfn & Mask), page, run);
        return ReferenceEquals(was, run) ? page : (TablePage)was!;
    }

    /// <summary>What the slot of <paramref name="pfn"/> holds, reading through a chunk held whole by a run.</summary>
    private object? Slot(ulong pfn)
    {
        if (RegionOf(pfn) is not { } region)
        {
            return null;
        }

        var chunk = Volatile.Read(ref At(region.Chunks, (pfn >> Shift) & Mask));
        return chunk is null or PtePageRun ? chunk : Volatile.Read(ref At(SlotsOf(chunk), pfn & Mask));
    }

    /// <summary>
    /// The array of slots of <paramref name="pfn"/>'s chunk, which must exist: a chunk a run held
    /// whole becomes an array of 64 slots, each the run (one compare-exchange; a thread that loses
    /// takes the winner's array).
    /// </summary>
    private object?[] ArrayOf(ulong pfn)
    {
        ref var chunk = ref ChunkSlot(pfn);
        var held = Volatile.Read(ref chunk);
        if (held is not PtePageRun run)
        {
            return SlotsOf(held!);
        }

        var split = new object?[Fanout];
        Array.Fill(split, run);
        return Interlocked.CompareExchange(ref chunk, split, run) is var won && ReferenceEquals(won, run) ? split : SlotsOf(won!);
    }

    /// <summary>The region's slot for <paramref name="pfn"/>'s chunk, the region made if it is missing.</summary>
    private ref object? ChunkSlot(ulong pfn)
    {
        var key = pfn >> (2 * Shift);
        var all = Volatile.Read(ref regions);
        var at = Search(all, key);
        Region region;
        if (at >= 0)
        {
            region = all[at];
        }
        else
        {
            at = ~at;
            region = new Region(key);
            var grown = new Region[all.Length + 1];
            Array.Copy(all, grown, at);
            grown[at] = region;
            Array.Copy(all, at, grown, at + 1, all.Length - at);
            Volatile.Write(ref regions, grown);
        }

        return ref At(region.Chunks, (pfn >> Shift) & Mask);
    }

    private Region? RegionOf(ulong pfn)
    {
        var key = pfn >> (2 * Shift);
        var region = recent;
        if (region is null || region.Key != key)
        {
            var all = Volatile.Read(ref regions);
            var at = Search(all, key);
            if (at < 0)
            {
                return null;
            }

            region = recent = all[at];
        }

        return region;
    }

    /// <summary>Where <paramref name="key"/>'s region is in <paramref name="sorted"/>, or the complement of where it would go (as Array.BinarySearch).</summary>
    private static int Search(Region[] sorted, ulong key)
    {
        // The boot buffer's regions are consecutive keys, so a key's offset from the first is
        // usually its position: one comparison instead of a binary search over thousands at 4 TiB.
        if (sorted.Length > 0 && key >= sorted[0].Key && key - sorted[0].Key < (ulong)sorted.Length)
        {
            var guess = (int)(key - sorted[0].Key);
            if (sorted[guess].Key == key)
            {
                return guess;
            }
        }

        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var k = sorted[mid].Key;
            if (k == key)
            {
                return mid;
            }

            if (k < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    // An element of a slot array by reference, without the covariance check `ref a[i]` makes on an
    // object array (a third of a 4 TiB boot's index work); every index here is below 64, its length.
    private static ref object? At(object?[] a, ulong i)
    {
        Debug.Assert(i < (ulong)a.Length, "a slot of the array");
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)i);
    }

    private static ref object? At(object?[] a, int i) => ref At(a, (ulong)i);

    // A chunk slot holds null, a PtePageRun or an object?[]: once the first two are ruled out (a
    // sealed class, an exact type test), the array needs no cast, whose covariance check is not free.
    private static object?[] SlotsOf(object chunk) => Unsafe.As<object?[]>(chunk);

    private static ulong PfnAt(Region region, int chunk, int slot) => (region.Key << (2 * Shift)) | ((ulong)(uint)chunk << Shift) | (uint)slot;

    /// <summary>64 chunk slots, each null, an array of 64 page slots, or a <see cref="PtePageRun"/> that holds the chunk whole.</summary>
    private sealed class Region(ulong key)
    {
        public ulong Key { get; } = key;

        public object?[] Chunks { get; } = new object?[Fanout];
    }
}

/// <summary>What the index knows of a table page besides its entries.</summary>
public readonly record struct TablePageHeader(Pfn Pfn, Level Level, TablePageOrigin Origin, EntryRef? Parent)
{
    public static TablePageHeader Of(TablePage page) => new(page.Pfn, page.Level, page.Origin, page.Parent);
}
