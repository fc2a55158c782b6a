using System.Collections.ObjectModel;

namespace BootActors.Model.E820;

/// <summary>
/// A sanitised e820 map (arch/x86/kernel/e820.c, struct e820map after sanitize_e820_map): sorted,
/// non-overlapping, no empty entries, adjacent pieces of the same type merged. Immutable; all
/// queries are the boot-time ones the direct-mapping code makes.
/// </summary>
public sealed class E820Map
{
    /// <summary>PAGE_SHIFT: e820_find_active_region rounds entries inward to 4 KiB pages.</summary>
    public const int PageShift = 12;

    public const ulong PageSize = 1UL << PageShift;

    /// <summary>MAX_ARCH_PFN = MAXMEM &gt;&gt; PAGE_SHIFT (x86_64, MAXMEM = 2^46 - 1): e820_end_of_ram's cap (conventions item 6).</summary>
    public const ulong MaxArchPfn = 0x3ffffffffUL;

    /// <summary>reserve_ebda_region's fallback lowmem (arch/x86/kernel/head.c) when the EBDA guess is 0 or reaches 1 MiB.</summary>
    public const ulong EbdaFallback = 0x9f000;

    /// <summary>reserve_ebda_region reserves [lowmem, 1 MiB); a lowmem at or above this is "paranoia" and falls back.</summary>
    public const ulong OneMiB = 0x100000;

    private readonly E820Entry[] entries;

    // The usable entries rounded inward to whole pages (e820_find_active_region), non-empty,
    // in address order and disjoint because the sanitised entries are; kept as pfns so the
    // round-up of an entry in the last page of the address space cannot overflow.
    private readonly (ulong StartPfn, ulong EndPfn)[] ramPfns;

    private E820Map(E820Entry[] sanitised, string label, ulong? memorySize = null)
    {
        entries = sanitised;
        Entries = new ReadOnlyCollection<E820Entry>(sanitised);
        Label = label;
        MemorySize = memorySize;
        ramPfns = sanitised
            .Where(e => e.Type == E820Type.Ram)
            .Select(e => (StartPfn: PfnUp(e.Start), EndPfn: e.End >> PageShift))
            .Where(r => r.StartPfn < r.EndPfn)
            .ToArray();
    }

    /// <summary>The sanitised entries, in address order.</summary>
    public IReadOnlyList<E820Entry> Entries { get; }

    /// <summary>
    /// The name the kernel prints before each line (e820_print_map's "who"): "BIOS-e820", "Xen"
    /// (xen_memory_setup's return value) or "user" (after mem=/memmap=).
    /// </summary>
    public string Label { get; }

    /// <summary>
    /// The SIZE of a <see cref="FromMemorySize"/> map (--memory, a scenario's memory key); null for
    /// a map built from entries or read from a log. Under Xen such a map stands for the domain's
    /// size only: the guest boots with xen_memory_setup's map instead (conventions item 10).
    /// </summary>
    public ulong? MemorySize { get; }

    /// <summary>
    /// --memory SIZE: exactly one usable entry [0, SIZE) with no low-memory hole (conventions
    /// item 9; a Xen guest boots with <see cref="Xen.XenLayout.MemorySetupMap"/> instead). The label defaults to "BIOS-e820" because the kernel would print such a map as
    /// BIOS-provided; "user" is reserved for mem=/memmap=, which are not modelled (item 4).
    /// </summary>
    public static E820Map FromMemorySize(ulong bytes, string label = "BIOS-e820")
    {
        // An empty map has no RAM at all; sanitize_e820_map would drop the only entry, so
        // "exactly one entry" could not hold.
        ArgumentOutOfRangeException.ThrowIfZero(bytes);
        ArgumentException.ThrowIfNullOrEmpty(label);
        return new E820Map([new E820Entry(0, bytes, E820Type.Ram)], label, bytes);
    }

    /// <summary>
    /// Builds a map from raw entries, sanitising them as sanitize_e820_map does (conventions item 8).
    /// An entry whose End is below its Start is rejected with <see cref="ArgumentException"/>: the
    /// kernel's overflow check makes sanitize_e820_map give up on such a map, which is not modelled.
    /// </summary>
    public static E820Map FromEntries(IEnumerable<E820Entry> raw, string label = "BIOS-e820")
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentException.ThrowIfNullOrEmpty(label);
        return new E820Map(Sanitise(raw), label);
    }

    /// <summary>
    /// sanitize_e820_map (arch/x86/kernel/e820.c) as a sweep over change points. The kernel sorts
    /// start points before end points at the same address, so at any address the resulting type
    /// is the highest type number among the raw entries covering it, and a run of one type is
    /// one entry however many raw entries it came from. Grouping all change points at an address
    /// gives the same result. The kernel's bubble sort and its E820MAX truncation are not kept:
    /// this is O(n log n) and has no entry limit.
    /// </summary>
    internal static E820Entry[] Sanitise(IEnumerable<E820Entry> raw)
    {
        var points = new List<(ulong Addr, bool IsStart, uint Type)>();
        foreach (var e in raw)
        {
            if (e.End < e.Start)
            {
                throw new ArgumentException(
                    $"e820 entry [{Hex(e.Start)}, {Hex(e.End)}) ends below its start", nameof(raw));
            }

            // sanitize_e820_map makes no change points for size 0; type 0 never wins
            // (current_type 0 means "no entry there"), so such entries cannot contribute.
            if (e.End == e.Start || e.Type == 0)
            {
                continue;
            }

            points.Add((e.Start, true, e.Type));
            points.Add((e.End, false, e.Type));
        }

        var sorted = points.ToArray();
        Array.Sort(sorted, static (a, b) => a.Addr.CompareTo(b.Addr));

        // overlap_list as a multiset: counts per type plus an ordered set of the types present,
        // so "highest type among the overlapping entries" is O(log n).
        var counts = new Dictionary<uint, int>();
        var present = new SortedSet<uint>();
        var result = new List<E820Entry>();
        uint currentType = 0;
        ulong runStart = 0;
        var i = 0;
        while (i < sorted.Length)
        {
            var addr = sorted[i].Addr;
            for (; i < sorted.Length && sorted[i].Addr == addr; i++)
            {
                var (_, isStart, type) = sorted[i];
                counts.TryGetValue(type, out var n);
                n += isStart ? 1 : -1;
                if (n == 0)
                {
                    counts.Remove(type);
                    present.Remove(type);
                }
                else
                {
                    counts[type] = n;
                    present.Add(type);
                }
            }

            var newType = present.Count == 0 ? 0 : present.Max;
            if (newType != currentType)
            {
                // Change points at distinct addresses are strictly increasing, so the closed
                // run is never empty (the kernel's "size != 0" check).
                if (currentType != 0)
                {
                    result.Add(new E820Entry(runStart, addr, currentType));
                }

                runStart = addr;
                currentType = newType;
            }
        }

        return result.ToArray();
    }

    /// <summary>
    /// e820_end_of_ram (conventions item 6): the highest end pfn among the usable entries, each
    /// rounded inward to whole pages (e820_find_active_region, entries smaller than a page
    /// skipped), capped at MAX_ARCH_PFN. Non-RAM entries above the last RAM page do not count.
    /// 0 if the map has no usable page.
    /// </summary>
    public ulong EndOfRamPfn()
    {
        // ramPfns is in address order and disjoint, so the last range has the highest end.
        if (ramPfns.Length == 0)
        {
            return 0;
        }

        return Math.Min(ramPfns[^1].EndPfn, MaxArchPfn);
    }

    /// <summary>
    /// e820_any_mapped (arch/x86/kernel/e820.c): whether some entry of <paramref name="type"/>
    /// (0 = any type, as phys_pud_init asks) overlaps [start, end). The kernel's test, kept
    /// literally: an entry counts unless addr &gt;= end or addr + size &lt;= start.
    /// </summary>
    public bool AnyMapped(ulong start, ulong end, uint type)
    {
        // Entries are disjoint and sorted, so their ends increase: skip those ending at or
        // below start (they fail the kernel's test), and stop at the first starting at or past end.
        for (var i = FirstEndingAbove(start); i < entries.Length && entries[i].Start < end; i++)
        {
            if (type == 0 || entries[i].Type == type)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether frame <paramref name="pfn"/> lies inside a usable entry rounded inward to whole
    /// pages: the "frame in use" test of conventions item 31 for RAM. O(log n).
    /// </summary>
    public bool IsRamPfn(ulong pfn)
    {
        // The last RAM range starting at or below pfn is the only one that can contain it.
        int lo = 0, hi = ramPfns.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (ramPfns[mid].StartPfn <= pfn)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found >= 0 && pfn < ramPfns[found].EndPfn;
    }

    /// <summary>
    /// reserve_ebda_region's lowmem as conventions item 11 takes it (arch/x86/kernel/head.c): the
    /// end of the usable entry that contains address 0, rounded down to 1 KiB, when that is
    /// non-zero and below 1 MiB; otherwise the kernel's fallback 0x9f000.
    /// </summary>
    public ulong EbdaLowmem()
    {
        // Sanitised entries are disjoint and non-empty, so only the first can contain address 0.
        if (entries.Length > 0 && entries[0].Start == 0 && entries[0].Type == E820Type.Ram)
        {
            // BIOS_LOWMEM_KILOBYTES counts whole KiB, hence the round-down.
            var lowmem = entries[0].End & ~0x3ffUL;
            if (lowmem != 0 && lowmem < OneMiB)
            {
                return lowmem;
            }
        }

        return EbdaFallback;
    }

    /// <summary>
    /// find_e820_area(start, end, size, align) with bad_addr and find_overlapped_early
    /// (arch/x86/kernel/e820.c, conventions item 11). Returns <see cref="ulong.MaxValue"/> for
    /// the kernel's -1ULL (nothing found). <paramref name="align"/> must be a power of two.
    /// </summary>
    public ulong FindE820Area(ulong start, ulong end, ulong size, ulong align,
        IReadOnlyList<EarlyReservation> reservations)
    {
        ArgumentNullException.ThrowIfNull(reservations);
        if (align == 0 || (align & (align - 1)) != 0)
        {
            throw new ArgumentException($"align {Hex(align)} is not a power of two", nameof(align));
        }

        // The kernel's round_up and addr + size would wrap near 2^64; no real map gets there,
        // so a wrap is taken as "does not fit" instead of producing a bogus low address.
        if (!TryRoundUp(start, align, out var startUp))
        {
            return ulong.MaxValue;
        }

        // Entries ending at or below start cannot hold a candidate (it would be >= their end),
        // so the walk may begin at the first entry ending above start.
        for (var i = FirstEndingAbove(start); i < entries.Length; i++)
        {
            var ei = entries[i];
            if (ei.Type != E820Type.Ram)
            {
                continue;
            }

            if (!TryRoundUp(ei.Start, align, out var addr))
            {
                continue;
            }

            // addr = round_up(ei->addr, align); if (addr < start) addr = round_up(start, align);
            if (addr < start)
            {
                addr = startUp;
            }

            if (addr >= ei.End)
            {
                continue;
            }

            // while (bad_addr(&addr, size, align) && addr + size <= ei_last);
            if (!SkipReservations(ref addr, size, align, ei.End, reservations))
            {
                continue;
            }

            // last = addr + size; if (last > ei_last) continue; if (last > end) continue;
            if (!TryAdd(addr, size, out var last) || last > ei.End || last > end)
            {
                continue;
            }

            return addr;
        }

        return ulong.MaxValue;
    }

    /// <summary>The usable entries rounded inward to whole pages, in address order, empty ones left out.</summary>
    public IEnumerable<(ulong Start, ulong End)> RamRanges()
    {
        foreach (var (startPfn, endPfn) in ramPfns)
        {
            yield return (startPfn << PageShift, endPfn << PageShift);
        }
    }

    /// <summary>
    /// bad_addr's loop: while [addr, addr + size) overlaps an early reservation (the first one,
    /// in list order, that find_overlapped_early's half-open test hits) and still fits in the
    /// entry, move to that reservation's end rounded up to align. Every move goes strictly up
    /// past a reservation's end, so each reservation is passed at most once. Returns false when
    /// the arithmetic would wrap.
    /// </summary>
    private static bool SkipReservations(ref ulong addr, ulong size, ulong align, ulong entryEnd,
        IReadOnlyList<EarlyReservation> reservations)
    {
        while (true)
        {
            if (!TryAdd(addr, size, out var last))
            {
                return false;
            }

            if (last > entryEnd)
            {
                // No longer fits: the caller's fit test rejects this entry, as the kernel's does
                // after its loop condition fails.
                return true;
            }

            var hit = -1;
            for (var r = 0; r < reservations.Count; r++)
            {
                // find_overlapped_early: if (end > r->start && start < r->end)
                if (last > reservations[r].Start && addr < reservations[r].End)
                {
                    hit = r;
                    break;
                }
            }

            if (hit < 0)
            {
                return true;
            }

            if (!TryRoundUp(reservations[hit].End, align, out addr))
            {
                return false;
            }
        }
    }

    /// <summary>Index of the first entry whose End is above <paramref name="address"/> (entries' ends increase).</summary>
    private int FirstEndingAbove(ulong address)
    {
        int lo = 0, hi = entries.Length;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (entries[mid].End <= address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>PFN_UP without the overflow of (x + PAGE_SIZE - 1) in the last page of the address space.</summary>
    private static ulong PfnUp(ulong address) =>
        (address >> PageShift) + ((address & (PageSize - 1)) != 0 ? 1UL : 0UL);

    /// <summary>round_up(x, align) for a power-of-two align; false where the kernel's would wrap to 0.</summary>
    private static bool TryRoundUp(ulong x, ulong align, out ulong result)
    {
        var mask = align - 1;
        if ((x & mask) == 0)
        {
            result = x;
            return true;
        }

        var down = x & ~mask;
        if (down > ulong.MaxValue - align)
        {
            result = 0;
            return false;
        }

        result = down + align;
        return true;
    }

    private static bool TryAdd(ulong a, ulong b, out ulong sum)
    {
        sum = unchecked(a + b);
        return sum >= a;
    }

    private static string Hex(ulong v) => "0x" + v.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
