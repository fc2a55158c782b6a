using System.Diagnostics;
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
/// A slot holds a <see cref="TablePage"/> or a <see cref="PtePageRun"/> that speaks for that frame's
/// page. Whoever asks for the page itself (<see cref="TryGetValue"/>, <see cref="Values"/>) gets a
/// real one, made from the run and swapped into the slot once (a compare-exchange, so two threads
/// that ask at once get the same page); <see cref="TryGetEntry"/>, <see cref="TryGetHeader"/> and
/// <see cref="Headers"/> read through a run without making pages.
/// </remarks>
/// <remarks>
/// Lookups from other threads (free mode) are safe while the owner adds or removes pages, without
/// a lock: a chunk or a region is filled before it is published by one reference write, and the
/// sorted list of regions is copied on write (a region is added once per 4,096 table pages).
/// Nothing here takes a lock, not even enumeration, which <c>ConcurrentDictionary.Keys</c> does:
/// exploration enumerates the pages at the end of every schedule.
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

    public bool TryGetValue(ulong pfn, out TablePage page)
    {
        if (ChunkOf(pfn) is { } chunk && Volatile.Read(ref chunk[pfn & Mask]) is { } slot)
        {
            page = slot as TablePage ?? Materialise(ref chunk[pfn & Mask], pfn, (PtePageRun)slot);
            return true;
        }

        page = null!;
        return false;
    }

    /// <summary>Entry <paramref name="index"/> of the page at <paramref name="pfn"/>, without making a run's page.</summary>
    public bool TryGetEntry(ulong pfn, int index, out ulong value)
    {
        switch (ChunkOf(pfn) is { } chunk ? Volatile.Read(ref chunk[pfn & Mask]) : null)
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

    /// <summary>The page at <paramref name="pfn"/> when a <see cref="PtePageRun"/> still speaks for it.</summary>
    public PtePageRun? RunOf(ulong pfn) => ChunkOf(pfn) is { } chunk ? Volatile.Read(ref chunk[pfn & Mask]) as PtePageRun : null;

    /// <summary>Level, origin and parent of the page at <paramref name="pfn"/>, without making a run's page.</summary>
    public bool TryGetHeader(ulong pfn, out TablePageHeader header)
    {
        switch (ChunkOf(pfn) is { } chunk ? Volatile.Read(ref chunk[pfn & Mask]) : null)
        {
            case TablePage page:
                header = TablePageHeader.Of(page);
                return true;
            case PtePageRun run:
                header = new TablePageHeader(new Pfn(pfn), Level.Pte, TablePageOrigin.Boot, run.ParentOf(pfn));
                return true;
            default:
                header = default;
                return false;
        }
    }

    /// <summary>Records that <paramref name="link"/> now links the page at <paramref name="pfn"/>; a run that already says so is left as it is.</summary>
    public void SetParent(ulong pfn, EntryRef link)
    {
        if (RunOf(pfn) is { } run && run.ParentOf(pfn) == link)
        {
            return;
        }

        if (TryGetValue(pfn, out var page))
        {
            page.Parent = link;
        }
    }

    /// <summary>Adds the pages of <paramref name="run"/>, whose frames must all be free.</summary>
    public void Add(PtePageRun run)
    {
        var low = run.LowPfn;
        for (var k = 0UL; k < (ulong)run.Count; k++)
        {
            Put(low + k, run);
        }
    }

    private static TablePage Materialise(ref object? slot, ulong pfn, PtePageRun run)
    {
        var page = run.Materialise(pfn);
        var was = Interlocked.CompareExchange(ref slot, page, run);
        return ReferenceEquals(was, run) ? page : (TablePage)was!;
    }

    public bool ContainsKey(ulong pfn) => TryGetValue(pfn, out _);

    /// <summary>Adds <paramref name="page"/> at its pfn, which must be free.</summary>
    public void Add(TablePage page) => Put(page.Pfn.Value, page);

    private void Put(ulong pfn, object slot)
    {
        var key = pfn >> (2 * Shift);
        var at = Search(regions, key);
        Region region;
        if (at >= 0)
        {
            region = regions[at];
        }
        else
        {
            at = ~at;
            region = new Region(key);
            var grown = new Region[regions.Length + 1];
            Array.Copy(regions, grown, at);
            grown[at] = region;
            Array.Copy(regions, at, grown, at + 1, regions.Length - at);
            Volatile.Write(ref regions, grown);
        }

        ref var chunk = ref region.Chunks[(pfn >> Shift) & Mask];
        if (chunk is null)
        {
            Volatile.Write(ref chunk, new object?[Fanout]);
        }

        Debug.Assert(chunk![pfn & Mask] is null, "one page per pfn");
        Volatile.Write(ref chunk[pfn & Mask], slot);
        Interlocked.Increment(ref count);
    }

    public bool Remove(ulong pfn)
    {
        if (ChunkOf(pfn) is { } chunk && chunk[pfn & Mask] is not null)
        {
            Volatile.Write(ref chunk[pfn & Mask], null);
            Interlocked.Decrement(ref count);
            return true;
        }

        return false;
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
            foreach (var region in Volatile.Read(ref regions))
            {
                var chunks = region.Chunks;
                for (var c = 0; c < chunks.Length; c++)
                {
                    if (Volatile.Read(ref chunks[c]) is not { } chunk)
                    {
                        continue;
                    }

                    for (var i = 0; i < chunk.Length; i++)
                    {
                        switch (Volatile.Read(ref chunk[i]))
                        {
                            case TablePage page:
                                yield return page;
                                break;
                            case PtePageRun run:
                                yield return Materialise(ref chunk[i], PfnAt(region, c, i), run);
                                break;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Every page's level, origin and parent, in pfn order, without making a run's pages.</summary>
    public IEnumerable<TablePageHeader> Headers
    {
        get
        {
            foreach (var region in Volatile.Read(ref regions))
            {
                var chunks = region.Chunks;
                for (var c = 0; c < chunks.Length; c++)
                {
                    if (Volatile.Read(ref chunks[c]) is not { } chunk)
                    {
                        continue;
                    }

                    for (var i = 0; i < chunk.Length; i++)
                    {
                        switch (Volatile.Read(ref chunk[i]))
                        {
                            case TablePage page:
                                yield return TablePageHeader.Of(page);
                                break;
                            case PtePageRun run:
                                var pfn = PfnAt(region, c, i);
                                yield return new TablePageHeader(new Pfn(pfn), Level.Pte, TablePageOrigin.Boot, run.ParentOf(pfn));
                                break;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Makes this index an independent copy of <paramref name="other"/>: each page a copy-on-write
    /// copy (<see cref="TablePage.CopyOnWrite"/>), each run shared (it never changes).
    /// </summary>
    public void CopyFrom(TablePageIndex other)
    {
        Clear();
        foreach (var region in Volatile.Read(ref other.regions))
        {
            var chunks = region.Chunks;
            for (var c = 0; c < chunks.Length; c++)
            {
                if (Volatile.Read(ref chunks[c]) is not { } chunk)
                {
                    continue;
                }

                for (var i = 0; i < chunk.Length; i++)
                {
                    var pfn = PfnAt(region, c, i);
                    switch (Volatile.Read(ref chunk[i]))
                    {
                        case TablePage page:
                            Put(pfn, page.CopyOnWrite());
                            break;
                        case PtePageRun run:
                            Put(pfn, run);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>The chunk that holds <paramref name="pfn"/>'s slot, if its region and chunk exist.</summary>
    private object?[]? ChunkOf(ulong pfn)
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

        return Volatile.Read(ref region.Chunks[(pfn >> Shift) & Mask]);
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

    private static ulong PfnAt(Region region, int chunk, int slot) => (region.Key << (2 * Shift)) | ((ulong)(uint)chunk << Shift) | (uint)slot;

    private sealed class Region(ulong key)
    {
        public ulong Key { get; } = key;

        public object?[]?[] Chunks { get; } = new object?[]?[Fanout];
    }
}

/// <summary>What the index knows of a table page besides its entries.</summary>
public readonly record struct TablePageHeader(Pfn Pfn, Level Level, TablePageOrigin Origin, EntryRef? Parent)
{
    public static TablePageHeader Of(TablePage page) => new(page.Pfn, page.Level, page.Origin, page.Parent);
}
