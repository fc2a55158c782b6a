using BootActors.Model.Memory;
using BootActors.Model.Paging;

namespace BootActors.Model.Tests.Support;

/// <summary>A copy of everything a step can change: table contents, counters, the allocator, Xen's aliases.</summary>
internal sealed record MachineState(
    IReadOnlyDictionary<ulong, (byte Level, TablePageOrigin Origin, ulong[] Entries)> Tables,
    ulong[] DirectPages,
    ulong TableEnd,
    int[] HandedOut,
    ulong[] Aliases,
    ulong[] XenAliases)
{
    public static MachineState Of(BootActors.Model.Machine.Machine m) => new(
        m.Memory.TablePages.ToDictionary(p => p.Pfn.Value, p => ((byte)p.Level, p.Origin, (ulong[])p.Entries.Clone())),
        (ulong[])m.DirectPagesCount.Clone(),
        m.Allocator.table_end,
        [m.Allocator.HandedOut(Level.Pud), m.Allocator.HandedOut(Level.Pmd), m.Allocator.HandedOut(Level.Pte)],
        m.Allocator.Aliases.Select(a => a.Value).ToArray(),
        m.Xen?.WritableAliases.Order().ToArray() ?? []);

    /// <summary>The first difference in the page tables, or null.</summary>
    public string? FirstTableDifference(MachineState other)
    {
        foreach (var (pfn, page) in Tables)
        {
            if (!other.Tables.TryGetValue(pfn, out var o))
            {
                return $"table page {Runs.Hex(pfn)} disappeared";
            }

            if (o.Level != page.Level || o.Origin != page.Origin)
            {
                return $"table page {Runs.Hex(pfn)} changed level or origin";
            }

            for (var i = 0; i < 512; i++)
            {
                if (o.Entries[i] != page.Entries[i])
                {
                    return $"entry {i} of table page {Runs.Hex(pfn)} changed from {Runs.Hex(page.Entries[i])} to {Runs.Hex(o.Entries[i])}";
                }
            }
        }

        foreach (var pfn in other.Tables.Keys)
        {
            if (!Tables.ContainsKey(pfn))
            {
                return $"table page {Runs.Hex(pfn)} appeared";
            }
        }

        return null;
    }
}
