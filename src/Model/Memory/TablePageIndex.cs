using System.Diagnostics;

namespace BootActors.Model.Memory;

/// <summary>
/// The table pages by pfn: a three-level radix. A chunk holds 64 consecutive pfns and a region 64
/// chunks (16 MiB of frames). alloc_low_page hands out pages from one contiguous buffer (and
/// get_zeroed_page from one counter), so a boot fills whole chunks in order: adding a page is an
/// array store, and enumeration is in pfn order. The levels are small because exploration copies
/// a small machine's index for every schedule.
/// </summary>
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
        if (ChunkOf(pfn) is { } chunk && Volatile.Read(ref chunk[pfn & Mask]) is { } p)
        {
            page = p;
            return true;
        }

        page = null!;
        return false;
    }

    public bool ContainsKey(ulong pfn) => TryGetValue(pfn, out _);

    /// <summary>Adds <paramref name="page"/> at its pfn, which must be free.</summary>
    public void Add(TablePage page)
    {
        var pfn = page.Pfn.Value;
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
            Volatile.Write(ref chunk, new TablePage?[Fanout]);
        }

        Debug.Assert(chunk![pfn & Mask] is null, "one page per pfn");
        Volatile.Write(ref chunk[pfn & Mask], page);
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

    /// <summary>Every page, in pfn order.</summary>
    public IEnumerable<TablePage> Values
    {
        get
        {
            foreach (var region in Volatile.Read(ref regions))
            {
                foreach (var chunk in region.Chunks)
                {
                    if (chunk is null)
                    {
                        continue;
                    }

                    foreach (var page in chunk)
                    {
                        if (page is not null)
                        {
                            yield return page;
                        }
                    }
                }
            }
        }
    }

    /// <summary>The chunk that holds <paramref name="pfn"/>'s slot, if its region and chunk exist.</summary>
    private TablePage?[]? ChunkOf(ulong pfn)
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

    private sealed class Region(ulong key)
    {
        public ulong Key { get; } = key;

        public TablePage?[]?[] Chunks { get; } = new TablePage?[]?[Fanout];
    }
}
