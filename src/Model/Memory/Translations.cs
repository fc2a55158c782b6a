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
        var runs = new List<TranslationRun>();
        Collect(memory, entry, level, vaBase, runs);
        return runs;
    }

    /// <summary>All translations of a table page's entries from <paramref name="vaBase"/> (the va of its entry 0).</summary>
    public static List<TranslationRun> OfTable(PhysicalMemory memory, Pfn table, Level level, ulong vaBase, int firstIndex = 0, int lastIndex = 511)
    {
        var runs = new List<TranslationRun>();
        var page = memory.Find(table);
        if (page is null)
        {
            return runs;
        }

        var span = EntrySpan(level);
        for (var i = firstIndex; i <= lastIndex; i++)
        {
            var e = page.Entries[i];
            if (e != 0)
            {
                Collect(memory, new PageTableEntry(e), level, vaBase + ((ulong)i * span), runs);
            }
        }

        return runs;
    }

    private static void Collect(PhysicalMemory memory, PageTableEntry entry, Level level, ulong va, List<TranslationRun> runs)
    {
        if (!entry.Present)
        {
            return;
        }

        if (level == Level.Pte || (entry.Large && level is Level.Pmd or Level.Pud))
        {
            var size = EntrySpan(level);

            // A large leaf written at a misaligned address counts at its aligned-down frame (model-conventions item 22).
            var pa = entry.Frame.PhysAddr.Value & ~(size - 1);
            Add(runs, new TranslationRun(va, pa, size, level));
            return;
        }

        var child = memory.Find(entry.Frame);
        if (child is null)
        {
            return;
        }

        var below = level.Below();
        var span = EntrySpan(below);
        var entries = child.Entries;
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            if (e != 0)
            {
                Collect(memory, new PageTableEntry(e), below, va + ((ulong)i * span), runs);
            }
        }
    }

    private static void Add(List<TranslationRun> runs, TranslationRun run)
    {
        if (runs.Count > 0)
        {
            var last = runs[^1];
            if (last.VaEnd == run.Va && last.PaEnd == run.Pa && last.PageLevel == run.PageLevel)
            {
                runs[^1] = last with { Length = last.Length + run.Length };
                return;
            }
        }

        runs.Add(run);
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
