using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>A cached translation and the entries (with their values) it was built from.</summary>
public sealed record TlbEntry(ulong VirtPage, Pfn Frame, Level PageLevel, ulong Flags, EntryRef[] Sources, ulong[] SourceValues, long CachedAt);

/// <summary>What a memory access through the TLB found.</summary>
public readonly record struct TlbAccess(bool Hit, bool Faulted, Pfn Frame, TlbEntry? Entry, StaleUse? Stale);

/// <summary>A cached translation used after a source entry changed so that the translation no longer holds.</summary>
public sealed record StaleUse(TlbEntry Entry, EntryRef ChangedEntry, ulong CachedValue, ulong CurrentValue, Pfn? CurrentFrame);

/// <summary>
/// One CPU's TLB: translations of 4 KiB virtual pages (a large page is cached per 4 KiB page it
/// is used at), with their source entries. __flush_tlb_all and a shootdown IPI empty it; invlpg
/// drops one page. The paging-structure caches are folded into the source entries.
/// </summary>
public sealed class Tlb
{
    private readonly Dictionary<ulong, TlbEntry> entries = new();

    public Tlb(int cpu) => Cpu = cpu;

    public int Cpu { get; }

    public int Count => entries.Count;

    public IEnumerable<TlbEntry> Entries => entries.Values.OrderBy(e => e.VirtPage);

    public long Flushes { get; private set; }

    /// <summary>Where uses of this TLB (and the entries its lookups read) are reported; null: not recorded.</summary>
    public AccessRecorder? Recorder { get; set; }

    /// <summary>
    /// Looks <paramref name="va"/> up. A hit is checked against memory: if a source entry changed
    /// so that the translation no longer holds, the use is stale. A miss returns Entry = null and
    /// the caller walks the tables (<see cref="Walk"/>) and <see cref="Insert"/>s the result.
    /// </summary>
    public TlbAccess Lookup(PhysicalMemory memory, ulong va)
    {
        var r = Recorder;
        r?.Read(Resource.Tlb(Cpu));
        if (!entries.TryGetValue(va >> PAGE_SHIFT, out var cached))
        {
            return new TlbAccess(false, false, default, null, null);
        }

        for (var i = 0; i < cached.Sources.Length; i++)
        {
            var src = cached.Sources[i];
            if (r is not null)
            {
                r.Read(Resource.PageMeta(src.Table));
                r.Read(Resource.Entry(src.Table, src.Index));
            }

            var now = memory.Read(src.Table, src.Index).Value;
            if (now == cached.SourceValues[i])
            {
                continue;
            }

            var walk = Walk(memory, va, 0, r);
            var current = walk?.Frame;
            if (current != cached.Frame || walk!.Flags != cached.Flags)
            {
                return new TlbAccess(true, false, cached.Frame, cached, new StaleUse(cached, src, cached.SourceValues[i], now, current));
            }
        }

        return new TlbAccess(true, false, cached.Frame, cached, null);
    }

    public void Insert(TlbEntry entry)
    {
        Recorder?.Write(Resource.Tlb(Cpu));
        entries[entry.VirtPage] = entry;
    }

    public void CopyFrom(Tlb other)
    {
        entries.Clear();
        foreach (var (k, v) in other.entries)
        {
            entries[k] = v;
        }

        Flushes = other.Flushes;
    }

    /// <summary>__flush_tlb_all (or the local half of a shootdown).</summary>
    public void FlushAll()
    {
        Recorder?.Write(Resource.Tlb(Cpu));
        entries.Clear();
        Flushes++;
    }

    /// <summary>invlpg / __flush_tlb_one.</summary>
    public void FlushOne(ulong va)
    {
        Recorder?.Write(Resource.Tlb(Cpu));
        entries.Remove(va >> PAGE_SHIFT);
    }

    /// <summary>A page walk for <paramref name="va"/>; the entries it reads are reported to <paramref name="recorder"/>.</summary>
    public static TlbEntry? Walk(PhysicalMemory memory, ulong va, long seq = 0, AccessRecorder? recorder = null)
    {
        if (recorder is not null)
        {
            RecordedReads.Walk(recorder, memory, va);
        }

        var sources = new List<EntryRef>(4);
        var values = new List<ulong>(4);
        var table = memory.Root;
        for (var level = Level.Pgd; ; level = level.Below())
        {
            var index = X86.index(level, va);
            var e = memory.Read(table, index);
            sources.Add(new EntryRef(table, index));
            values.Add(e.Value);
            if (!e.Present)
            {
                return null;
            }

            if (level == Level.Pte || (level is Level.Pmd or Level.Pud && e.Large))
            {
                var span = EntrySpan(level);
                var frame = new Pfn(((e.Frame.PhysAddr.Value & ~(span - 1)) + (va & (span - 1))) >> PAGE_SHIFT);
                return new TlbEntry(va >> PAGE_SHIFT, frame, level, e.Flags & ~_PAGE_PAT_LARGE & ~_PAGE_ACCESSED & ~_PAGE_DIRTY, sources.ToArray(), values.ToArray(), seq);
            }

            if (!memory.IsTablePage(e.Frame))
            {
                return null;
            }

            table = e.Frame;
        }
    }
}
