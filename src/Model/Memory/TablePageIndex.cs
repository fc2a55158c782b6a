using System.Collections.Concurrent;
using System.Diagnostics;

namespace BootActors.Model.Memory;

/// <summary>
/// The table pages by pfn: a two-level radix of 512-page chunks. alloc_low_page hands out pages
/// from one contiguous buffer (and get_zeroed_page from one counter), so a boot fills whole chunks
/// in order: adding a page is an array store, not a hash insert, and enumeration is in pfn order.
/// Lookups from other threads (free mode) are safe while the owner adds or removes pages: a chunk
/// is published whole, and a slot changes by one reference write.
/// </summary>
internal sealed class TablePageIndex
{
    private const int ChunkShift = 9;
    private const int ChunkSize = 1 << ChunkShift;
    private const ulong SlotMask = ChunkSize - 1;

    private readonly ConcurrentDictionary<ulong, TablePage?[]> chunks = new();
    private int count;

    public int Count => Volatile.Read(ref count);

    public bool TryGetValue(ulong pfn, out TablePage page)
    {
        if (chunks.TryGetValue(pfn >> ChunkShift, out var chunk) && chunk[pfn & SlotMask] is { } p)
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
        var chunk = chunks.GetOrAdd(pfn >> ChunkShift, static _ => new TablePage?[ChunkSize]);
        Debug.Assert(chunk[pfn & SlotMask] is null, "one page per pfn");
        chunk[pfn & SlotMask] = page;
        Interlocked.Increment(ref count);
    }

    public bool Remove(ulong pfn)
    {
        if (chunks.TryGetValue(pfn >> ChunkShift, out var chunk) && chunk[pfn & SlotMask] is not null)
        {
            chunk[pfn & SlotMask] = null;
            Interlocked.Decrement(ref count);
            return true;
        }

        return false;
    }

    public void Clear()
    {
        chunks.Clear();
        Volatile.Write(ref count, 0);
    }

    /// <summary>Every page, in pfn order.</summary>
    public IEnumerable<TablePage> Values
    {
        get
        {
            foreach (var key in chunks.Keys.Order())
            {
                foreach (var page in chunks[key])
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
