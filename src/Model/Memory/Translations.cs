using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Memory;

/// <summary>A run of translations: [Va, Va + Length) → [Pa, Pa + Length), all with one page size.</summary>
public readonly record struct TranslationRun(ulong Va, ulong Pa, ulong Length, Level PageLevel)
{
    public ulong VaEnd => Va + Length;

    public ulong PaEnd => Pa + Length;
}

/// <summary>Coalesced translations of a page-table subtree, read from memory as it is now.</summary>
public static class Translations
{
    /// <summary>
    /// The translations reachable through <paramref name="entry"/> at <paramref name="level"/>,
    /// whose first byte of virtual space is <paramref name="vaBase"/>; runs merge when both the
    /// virtual and physical sides continue and the page size is the same.
    /// </summary>
    public static List<TranslationRun> Of(PhysicalMemory memory, PageTableEntry entry, Level level, ulong vaBase)
    {
        var b = new Builder();
        Collect(memory, entry, level, vaBase, b);
        return b.Finish();
    }

    /// <summary>All translations of a table page's entries from <paramref name="vaBase"/> (the va of its entry 0).</summary>
    public static List<TranslationRun> OfTable(PhysicalMemory memory, Pfn table, Level level, ulong vaBase, int firstIndex = 0, int lastIndex = 511)
    {
        var b = new Builder();
        var page = memory.Find(table);
        if (page is not null)
        {
            CollectEntries(memory, page, level, vaBase, firstIndex, lastIndex, b);
        }

        return b.Finish();
    }

    private static void Collect(PhysicalMemory memory, PageTableEntry entry, Level level, ulong va, Builder b)
    {
        if (!entry.Present)
        {
            return;
        }

        if (level == Level.Pte || (entry.Large && level is Level.Pmd or Level.Pud))
        {
            var size = EntrySpan(level);

            // A large leaf written at a misaligned address counts at its aligned-down frame (model-conventions item 22).
            b.Add(va, entry.Frame.PhysAddr.Value & ~(size - 1), size, level);
            return;
        }

        if (level.Below() == Level.Pte && memory.PteRunOf(entry.Frame) is { } pages)
        {
            // A whole PTE page of a run of pages: what CollectEntries makes of it, without the page.
            if (PresentLeaf(pages, entry.Frame, out var leaf))
            {
                b.Add(va, leaf & PTE_MASK, PTRS_PER_PTE * PAGE_SIZE, Level.Pte);
            }

            return;
        }

        var child = memory.Find(entry.Frame);
        if (child is not null)
        {
            CollectEntries(memory, child, level.Below(), va, 0, 511, b);
        }
    }

    private static void CollectEntries(PhysicalMemory memory, TablePage page, Level level, ulong va, int first, int last, Builder b)
    {
        var span = EntrySpan(level);
        if (page.Run is { } run)
        {
            // A run of leaves that map consecutive spans is one range of translations (the big
            // maps' PTE pages and pmd pages of 2 MiB leaves): the Builder would merge them anyway.
            var leaves = level == Level.Pte || ((run.First & _PAGE_PSE) != 0 && level is Level.Pmd or Level.Pud);
            var lo = Math.Max(first, run.Lo);
            var hi = Math.Min(last + 1, run.Hi);
            if (lo >= hi || (run.First & _PAGE_PRESENT) == 0)
            {
                return;
            }

            if (leaves && run.Stride == span)
            {
                var pa = (run.At(lo) & PTE_MASK) & ~(span - 1);
                b.Add(va + ((ulong)lo * span), pa, (ulong)(hi - lo) * span, level);
                return;
            }

            first = lo;
            last = hi - 1;
        }

        if (level == Level.Pte)
        {
            // The hot loop of big maps held as 512 entries: one PTE page, coalesced in place.
            for (var i = first; i <= last; i++)
            {
                var e = page[i];
                if ((e & _PAGE_PRESENT) != 0)
                {
                    b.Add(va + ((ulong)i << PAGE_SHIFT), e & PTE_MASK, PAGE_SIZE, Level.Pte);
                }
            }

            return;
        }

        for (var i = first; i <= last; i++)
        {
            var e = page[i];
            if (e == 0)
            {
                continue;
            }

            if (level == Level.Pmd && LinkedPteRun(memory, page, e, i, last, out var leaf) is var n and > 0)
            {
                // n entries that link the next pages of one run of pages: 2 MiB each, leaves that go on.
                b.Add(va + ((ulong)i * span), leaf & PTE_MASK, (ulong)n * span, Level.Pte);
                i += n - 1;
                continue;
            }

            Collect(memory, new PageTableEntry(e), level, va + ((ulong)i * span), b);
        }
    }

    /// <summary>
    /// How many pmd entries from <paramref name="i"/> on link, one after another, the next pages of one
    /// <see cref="PtePageRun"/> (each still held by it, its leaves present), and the first leaf of the
    /// first; 0 when entry i does not link one.
    /// </summary>
    private static int LinkedPteRun(PhysicalMemory memory, TablePage pmd, ulong e, int i, int last, out ulong leaf)
    {
        var entry = new PageTableEntry(e);
        leaf = 0;
        if (!entry.Present || entry.Large || memory.PteRunOf(entry.Frame) is not { } run || !PresentLeaf(run, entry.Frame, out leaf))
        {
            return 0;
        }

        if (run.PfnStep > 0 && pmd.Run is { Stride: PAGE_SIZE } links && i >= links.Lo && i < links.Hi)
        {
            // The pmd page is a run of links to the next frame each: as far as the run of pages still holds them.
            return memory.PagesHeldBy(run, entry.Frame, Math.Min(last + 1, links.Hi) - i);
        }

        // The next page of the run is the next frame, or the one before when handed out top-down.
        var pfnStep = run.PfnStep > 0 ? 1UL : ulong.MaxValue;
        var n = 1;
        while (i + n <= last && pmd[i + n] == unchecked(e + ((ulong)n * pfnStep * PAGE_SIZE)) &&
               ReferenceEquals(memory.PteRunOf(new Pfn(unchecked(entry.Frame.Value + ((ulong)n * pfnStep)))), run))
        {
            n++;
        }

        return n;
    }

    /// <summary>Entry 0 of <paramref name="run"/>'s page at <paramref name="pfn"/>; whether it (and so every leaf of the page) is present.</summary>
    private static bool PresentLeaf(PtePageRun run, Pfn pfn, out ulong leaf)
    {
        leaf = run.FirstLeafOf(pfn.Value);
        return (leaf & _PAGE_PRESENT) != 0;
    }

    /// <summary>Accumulates runs, merging when both sides continue with the same page size.</summary>
    private sealed class Builder
    {
        private readonly List<TranslationRun> runs = new();
        private ulong va, pa, length;
        private Level level;

        public void Add(ulong v, ulong p, ulong size, Level l)
        {
            if (length != 0 && va + length == v && pa + length == p && level == l)
            {
                length += size;
                return;
            }

            Flush();
            va = v;
            pa = p;
            length = size;
            level = l;
        }

        public List<TranslationRun> Finish()
        {
            Flush();
            return runs;
        }

        private void Flush()
        {
            if (length != 0)
            {
                runs.Add(new TranslationRun(va, pa, length, level));
                length = 0;
            }
        }
    }

    /// <summary>
    /// The first translation of <paramref name="oldRuns"/> to an in-use frame that <paramref name="newRuns"/>
    /// does not keep (same virtual page to the same frame), in virtual-address order; null when none is lost.
    /// </summary>
    public static (ulong Va, ulong Pa)? FirstLost(List<TranslationRun> oldRuns, List<TranslationRun> newRuns, InUseFrames inUse)
    {
        var j = 0;
        foreach (var run in oldRuns)
        {
            foreach (var (paStart, paEnd) in inUse.Intersect(run.Pa, run.PaEnd))
            {
                var va = run.Va + (paStart - run.Pa);
                var vaEnd = run.Va + (paEnd - run.Pa);
                var delta = run.Va - run.Pa;

                // Walk the new runs over [va, vaEnd), which must translate with the same delta.
                while (j < newRuns.Count && newRuns[j].VaEnd <= va)
                {
                    j++;
                }

                var k = j;
                var cursor = va;
                while (cursor < vaEnd)
                {
                    if (k >= newRuns.Count || newRuns[k].Va > cursor)
                    {
                        return (cursor, cursor - delta);
                    }

                    var n = newRuns[k];
                    if (n.Va - n.Pa != delta)
                    {
                        return (cursor, cursor - delta);
                    }

                    cursor = Math.Min(vaEnd, n.VaEnd);
                    if (cursor == n.VaEnd)
                    {
                        k++;
                    }
                }
            }
        }

        return null;
    }
}
