using System.Globalization;
using BootActors.Actors.TraceTools;
using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Cli.Trace;

/// <summary>A TLB's contents as <c>trace pt</c> prints them (and the viewer shows them): one line for the TLB, one per translation.</summary>
internal static class TlbText
{
    public static IEnumerable<string> Lines(int cpu, IReadOnlyList<TlbEntry> entries, long flushes)
    {
        var flushed = $"{flushes.ToString(CultureInfo.InvariantCulture)} flush(es) so far";
        yield return entries.Count == 0
            ? $"  tlb{cpu} (CPU{cpu}): empty; {flushed}"
            : $"  tlb{cpu} (CPU{cpu}): {entries.Count} translation(s); {flushed}";
        foreach (var t in entries)
        {
            var va = t.VirtPage << X86.PAGE_SHIFT;
            var size = t.PageLevel switch
            {
                Level.Pud => "1G",
                Level.Pmd => "2M",
                _ => "4K",
            };
            var sources = string.Join(", ", t.Sources.Select((s, i) => $"{Hex.Of(s.Table.Value)}[{s.Index}]={Hex.Of(t.SourceValues[i])}"));
            yield return $"    va {Hex.Of(va)} → frame {t.Frame} ({size} page, {t.PageLevel.Name()} entry), flags {EntryDecoder.FlagNames(t.Flags, t.PageLevel)}, cached at #{t.CachedAt}; walked {sources}";
        }
    }
}
