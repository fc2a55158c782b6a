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
/// sorted list of regions is copied on write (a region is added once per 4,096 table pages), an
/// append into spare room of its array shared with the snapshots before it, which do not see it.
/// Nothing here takes a lock, not even enumeration, which <c>ConcurrentDictionary.Keys</c> does:
/// exploration enumerates the pages at the end of every schedule.
/// </para>
/// </remarks>
internal sealed class TablePageIndex
{
    private const int Shift = 6;
    private const int Fanout = 1 << Shift;
    private const ulong Mask = Fanout - 1;

    private RegionList regions = RegionList.Empty;
    private int count;

    // The region of the last lookup: consecutive lookups mostly fall in one region. A stale value
    // is harmless (a region never changes its key), except across Clear, which drops it.
    private Region? recent;

    // The owner's own: the region it changed last (readers on other threads never set it, so it is
    // always a region of the current list).
    private Region? written;

    public int Count => Volatile.Read(ref count);

    /// <summary>Chunks a run holds whole (for tests of that representation).</summary>
    internal int WholeChunks
    {
        get
        {
            var all = Volatile.Read(ref regions);
            return all.Items.Take(all.Count).Sum(r => r.Chunks.Count(c => c is PtePageRun));
        }
    }

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
            else if (chunk is Stretches stretches)
            {
                var part = stretches.PartAt((int)(pfn & Mask));
                k = ReferenceEquals(part.Slot, run) ? Math.Min(inChunk, part.Hi - (int)(pfn & Mask)) : 0;
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
                // Free frames: no chunk yet, or the array a chunk keeps after its pages were all removed.
                ref var chunk = ref ChunkSlot(pfn);
                Debug.Assert(chunk is null || (chunk is object?[] slots && Array.TrueForAll(slots, slot => slot is null)), "one page per pfn");
                Volatile.Write(ref chunk, run);
                Interlocked.Add(ref count, Fanout);
                pfn += Fanout;
                continue;
            }

            // The run's frames in this chunk: one stretch, or slots of its array.
            var stop = Math.Min(end, (pfn | Mask) + 1);
            var added = (int)(stop - pfn);
            if (TryAddStretch(pfn, added, run))
            {
                pfn = stop;
            }
            else
            {
                var array = ArrayOf(pfn);
                for (; pfn < stop; pfn++)
                {
                    Debug.Assert(array[pfn & Mask] is null, "one page per pfn");
                    Volatile.Write(ref At(array, pfn & Mask), run);
                }
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
        written = null;
        Volatile.Write(ref regions, RegionList.Empty);
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

                if (held is Stretches stretches)
                {
                    foreach (var part in stretches.Parts)
                    {
                        for (var i = part.Lo; i < part.Hi; i++)
                        {
                            yield return (first + (ulong)i, part.Slot);
                        }
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

                if (held is Stretches stretches)
                {
                    foreach (var part in stretches.Parts)
                    {
                        yield return (first + (ulong)part.Lo, part.Hi - part.Lo, part.Slot);
                    }

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

            if (chunk is Stretches stretches)
            {
                var start = pfn & ~Mask;
                foreach (var part in stretches.Parts)
                {
                    if (start + (ulong)part.Hi > pfn)
                    {
                        pfn = Math.Max(pfn, start + (ulong)part.Lo);
                        return pfn < to;
                    }
                }

                pfn = start + Fanout;
                continue;
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

            if (held is Stretches stretches)
            {
                ChunkSlot(first) = stretches.Copy();
                count += stretches.Frames;
                continue;
            }

            var chunk = SlotsOf(held);
            var copy = new object?[Fanout];
            for (var i = 0; i < chunk.Length; i++)
            {
                switch (Volatile.Read(ref At(chunk, i)))
                {
                    case TablePage page:
                        At(copy, i) = page.CopyOnWrite();
                        count++;
                        break;
                    case PtePageRun run:
                        At(copy, i) = run;
                        count++;
                        break;
                }
            }

            ChunkSlot(first) = copy;
        }
    }

    /// <summary>The chunks that hold something, in pfn order: each one's first pfn and what its slot holds (an array or a run).</summary>
    private static IEnumerable<(ulong First, object Held)> Chunks(RegionList all)
    {
        for (var r = 0; r < all.Count; r++)
        {
            var region = all.Items[r];
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
        if (!TryAddStretch(pfn, 1, slot))
        {
            var array = ArrayOf(pfn);
            Debug.Assert(array[pfn & Mask] is null, "one page per pfn");
            Volatile.Write(ref At(array, pfn & Mask), slot);
        }

        Interlocked.Increment(ref count);
    }

    /// <summary>
    /// Puts <paramref name="slot"/> in the <paramref name="n"/> free frames from <paramref name="pfn"/>
    /// on (in one chunk) as one stretch of a <see cref="Stretches"/> chunk, if the chunk is empty or
    /// holds fewer than <see cref="Stretches.Most"/> stretches; false leaves the chunk to its array.
    /// </summary>
    private bool TryAddStretch(ulong pfn, int n, object slot)
    {
        ref var chunk = ref ChunkSlot(pfn);
        var lo = (int)(pfn & Mask);
        while (true)
        {
            var held = Volatile.Read(ref chunk);
            var next = held switch
            {
                null => new Stretches([new Part(lo, lo + n, slot)]),
                Stretches stretches => stretches.With(new Part(lo, lo + n, slot)),
                _ => null,
            };

            if (next is null)
            {
                return false;
            }

            // A reader that makes a page from a run (Materialise) may have made the chunk an array meanwhile.
            if (ReferenceEquals(Interlocked.CompareExchange(ref chunk, next, held), held))
            {
                return true;
            }
        }
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
        return chunk switch
        {
            null or PtePageRun => chunk,
            Stretches stretches => stretches.PartAt((int)(pfn & Mask)).Slot,
            _ => Volatile.Read(ref At(SlotsOf(chunk), pfn & Mask)),
        };
    }

    /// <summary>
    /// The array of slots of <paramref name="pfn"/>'s chunk, which must exist: a chunk a run held
    /// whole becomes an array of 64 slots, each the run (one compare-exchange; a thread that loses
    /// takes the winner's array).
    /// </summary>
    private object?[] ArrayOf(ulong pfn)
    {
        ref var chunk = ref ChunkSlot(pfn);
        while (true)
        {
            var held = Volatile.Read(ref chunk);
            object?[] split;
            switch (held)
            {
                case null:
                    split = new object?[Fanout];
                    break;
                case PtePageRun run:
                    split = new object?[Fanout];
                    Array.Fill(split, run);
                    break;
                case Stretches stretches:
                    split = stretches.ToArray();
                    break;
                default:
                    return SlotsOf(held);
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref chunk, split, held), held))
            {
                return split;
            }
        }
    }

    /// <summary>The region's slot for <paramref name="pfn"/>'s chunk, the region made if it is missing.</summary>
    private ref object? ChunkSlot(ulong pfn)
    {
        var key = pfn >> (2 * Shift);
        var region = written;
        if (region is null || region.Key != key)
        {
            var all = Volatile.Read(ref regions);
            var at = Search(all, key);
            if (at >= 0)
            {
                region = all.Items[at];
            }
            else
            {
                region = new Region(key);
                Volatile.Write(ref regions, all.With(~at, region));
            }

            written = region;
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

            region = recent = all.Items[at];
        }

        return region;
    }

    /// <summary>Where <paramref name="key"/>'s region is in <paramref name="sorted"/>, or the complement of where it would go (as Array.BinarySearch).</summary>
    private static int Search(RegionList list, ulong key)
    {
        var sorted = list.Items;
        var n = list.Count;

        // The boot buffer's regions are consecutive keys, so a key's offset from the first, or
        // (with the static tables' region below them) back from the last, is usually its position:
        // one comparison instead of a binary search over thousands at 4 TiB.
        if (n > 0 && key >= sorted[0].Key && key - sorted[0].Key < (ulong)n)
        {
            var guess = (int)(key - sorted[0].Key);
            if (sorted[guess].Key == key)
            {
                return guess;
            }
        }

        if (n > 0 && key <= sorted[n - 1].Key && sorted[n - 1].Key - key < (ulong)n)
        {
            var guess = n - 1 - (int)(sorted[n - 1].Key - key);
            if (sorted[guess].Key == key)
            {
                return guess;
            }
        }

        int lo = 0, hi = n - 1;
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

    // A chunk slot holds null, a PtePageRun, a Stretches or an object?[]: once the first three are ruled out (a
    // sealed classes, exact type tests), the array needs no cast, whose covariance check is not free.
    private static object?[] SlotsOf(object chunk) => Unsafe.As<object?[]>(chunk);

    private static ulong PfnAt(Region region, int chunk, int slot) => (region.Key << (2 * Shift)) | ((ulong)(uint)chunk << Shift) | (uint)slot;

    /// <summary>
    /// A chunk held as a few stretches of frames, each a page or part of a run, instead of an array
    /// of 64 slots: the chunk where one folded GiB's run of PTE pages ends, the next GiB's pmd page
    /// lies and its run begins (4,096 of them at 4 TiB). Immutable: a stretch added makes a new one;
    /// any other change (a page made from a run, a page freed, a fifth stretch) makes the chunk an array.
    /// </summary>
    private sealed class Stretches(Part[] parts)
    {
        /// <summary>The most stretches a chunk holds before it becomes an array.</summary>
        public const int Most = 4;

        /// <summary>In frame order, none overlapping.</summary>
        public Part[] Parts { get; } = parts;

        public int Frames => Parts.Sum(p => p.Hi - p.Lo);

        /// <summary>The stretch that holds frame <paramref name="offset"/> of the chunk (Slot null: none).</summary>
        public Part PartAt(int offset)
        {
            foreach (var part in Parts)
            {
                if (offset < part.Hi)
                {
                    return offset >= part.Lo ? part : default;
                }
            }

            return default;
        }

        /// <summary>These stretches and <paramref name="added"/>, or null when there would be too many.</summary>
        public Stretches? With(Part added)
        {
            if (Parts.Length >= Most)
            {
                return null;
            }

            var at = 0;
            while (at < Parts.Length && Parts[at].Lo < added.Lo)
            {
                at++;
            }

            Debug.Assert((at == 0 || Parts[at - 1].Hi <= added.Lo) && (at == Parts.Length || added.Hi <= Parts[at].Lo), "one page per pfn");
            var parts = new Part[Parts.Length + 1];
            Array.Copy(Parts, parts, at);
            parts[at] = added;
            Array.Copy(Parts, at, parts, at + 1, Parts.Length - at);
            return new Stretches(parts);
        }

        /// <summary>An independent copy: each page copy-on-write, each run shared.</summary>
        public Stretches Copy()
        {
            var parts = new Part[Parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                var p = Parts[i];
                parts[i] = p.Slot is TablePage page ? p with { Slot = page.CopyOnWrite() } : p;
            }

            return new Stretches(parts);
        }

        public object?[] ToArray()
        {
            var slots = new object?[Fanout];
            foreach (var part in Parts)
            {
                Array.Fill(slots, part.Slot, part.Lo, part.Hi - part.Lo);
            }

            return slots;
        }
    }

    /// <summary>Frames [<see cref="Lo"/>, <see cref="Hi"/>) of a chunk, each held by <see cref="Slot"/> (a page: one frame).</summary>
    private readonly record struct Part(int Lo, int Hi, object Slot);

    /// <summary>
    /// The first <see cref="Count"/> regions of <see cref="Items"/>, sorted by key. Immutable as far as
    /// a reader sees: a region appended goes into the array's spare room past Count, in a new list.
    /// </summary>
    private sealed class RegionList(Region[] items, int count)
    {
        public static readonly RegionList Empty = new([], 0);

        public Region[] Items { get; } = items;

        public int Count { get; } = count;

        /// <summary>This list with <paramref name="region"/> at <paramref name="at"/> (the owner's thread only).</summary>
        public RegionList With(int at, Region region)
        {
            if (at == Count && Count < Items.Length)
            {
                Items[at] = region;
                return new RegionList(Items, Count + 1);
            }

            var grown = new Region[Math.Max(4, Count * 2)];
            Array.Copy(Items, grown, at);
            grown[at] = region;
            Array.Copy(Items, at, grown, at + 1, Count - at);
            return new RegionList(grown, Count + 1);
        }
    }

    /// <summary>64 chunk slots, each null, an array of 64 page slots, a <see cref="Stretches"/>, or a <see cref="PtePageRun"/> that holds the chunk whole.</summary>
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
