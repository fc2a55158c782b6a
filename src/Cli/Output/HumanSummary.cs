using System.Globalization;
using BootActors.Cli.Options;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Cli.Output;

/// <summary>The summary of a run for a person, in the kernel's terms (variables of arch/x86/mm/init_64.c).</summary>
internal static class HumanSummary
{
    /// <param name="limit">The line naming the option when a bound of the host ended the run (outcome "limit").</param>
    public static IReadOnlyList<StyledLine> Lines(RunResult result, string? limit = null)
    {
        var m = result.Machine;
        var c = m.Config;
        var a = m.Allocator;
        var lines = new List<StyledLine>();
        void Add(string text, LineStyle style = LineStyle.Plain) => lines.Add(new StyledLine(text, style));
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        Add("machine", LineStyle.Heading);
        // The map the kernel booted with: under Xen a --memory size becomes xen_memory_setup's map.
        var e820 = m.Globals.E820;
        var ram = e820.RamRanges().Aggregate(0UL, (sum, r) => sum + (r.End - r.Start));
        var entries = e820.Entries.Count;
        var built = ReferenceEquals(e820, c.E820) ? "" : " → xen_memory_setup";
        Add(F($"  e820           {c.E820Origin}{built}: {entries} {(entries == 1 ? "entry" : "entries")}, {SizeParser.Format(ram)} usable RAM"));
        foreach (var hole in e820.Entries.Where(e => e.Type != E820Type.Ram))
        {
            Add(F($"    {E820Type.Name(hole.Type),-12} {hole.Start:x10} - {hole.End:x10}"));
        }

        Add(F($"  guest          {(c.Xen ? "Xen PV domU" : "native")}, {c.Cpus} {(c.Cpus == 1 ? "CPU" : "CPUs")}"));
        Add(F($"  cpu_has_pse    {OnOff(m.Globals.cpu_has_pse)}{Forced(c.Xen && c.Pse, "the PV CPUID clears PSE")}"));
        Add(F($"  direct_gbpages {OnOff(m.Globals.direct_gbpages)}{Forced(c.Xen && c.Gbpages, "the PV CPUID clears PAGE1GB")}"));
        Add(F($"  kernel image   {SizeParser.Format(c.KernelSize)} at {Hex.Of(StaticTables.PHYSICAL_START)}"));
        Add(F($"  variant        {c.Variant.Name}"));
        Add(F($"    hunks        {List(c.Variant.HunkNames)}"));
        Add(F($"    fixes        {List(c.Variant.FixNames)}"));

        Add("");
        Add("init_memory_mapping(0, end)", LineStyle.Heading);
        Add(F($"  end            {Hex.Of(m.End)} (last_pfn {Hex.Of(m.End >> PAGE_SHIFT)})"));
        Add(F($"  last_map_addr  {Hex.Of(result.LastMapAddr)}"));
        Add(F($"  table_start    {Hex.Of(a.table_start)}   table_end {Hex.Of(a.table_end)}   table_top {Hex.Of(a.table_top)}   (pfns)"));
        if (a.table_top != 0)
        {
            // find_early_table_space's KERN_DEBUG line, repeated here because it is the figure people compare.
            Add(F($"  kernel direct mapping tables up to {m.End:x} @ {a.table_start << PAGE_SHIFT:x}-{a.table_top << PAGE_SHIFT:x}"));
        }

        Add("");
        var estimate = m.Code.EarlyTableEstimate(m.End);
        Add("  table pages    used  estimate", LineStyle.Heading);
        var used = (Pud: a.HandedOut(Level.Pud), Pmd: a.HandedOut(Level.Pmd), Pte: a.HandedOut(Level.Pte));
        Add(F($"    pud      {used.Pud,8}  {estimate.Pud,8}"));
        Add(F($"    pmd      {used.Pmd,8}  {estimate.Pmd,8}"));
        Add(F($"    pte      {used.Pte,8}  {estimate.Pte,8}"));
        Add(F($"    total    {used.Pud + used.Pmd + used.Pte,8}  {estimate.Total,8}   (table_top - table_start = {a.table_top - a.table_start})"));

        Add("");
        Add("  direct_pages_count", LineStyle.Heading);
        Add(F($"    4k       {m.DirectPagesCount[CountIndex(Level.Pte)],8}"));
        Add(F($"    2M       {m.DirectPagesCount[CountIndex(Level.Pmd)],8}"));
        Add(F($"    1G       {m.DirectPagesCount[CountIndex(Level.Pud)],8}"));

        Add("");
        Add("  direct map (physical ranges)", LineStyle.Heading);
        var mapped = result.Mapped();
        if (mapped.Count == 0)
        {
            Add("    (nothing mapped)");
        }

        foreach (var r in mapped)
        {
            // init_memory_mapping's " %010lx - %010lx page %s" (2.6.27).
            Add(F($"    {r.Start:x10} - {r.End:x10} page {PageName(r.PageLevel)}"));
        }

        Add("");
        var outcome = result.Outcome;
        if (limit is not null)
        {
            Add("outcome: limit (the run did not finish)", LineStyle.Bad);
            Add($"  limit          {limit}", LineStyle.Bad);
            if (result.Stop is { } cut)
            {
                Add(F($"  message        {cut.Fatal.Message}"));
            }

            return lines;
        }

        Add($"outcome: {outcome.JsonName()}", outcome == Outcome.Ok ? LineStyle.Good : LineStyle.Bad);
        if (result.Stop is { } stop)
        {
            // A stop with no CPU is the host's (a timeout, an actor failure): say where, not "CPU-1".
            Add(stop.Cpu >= 0 ? F($"  error          {stop.Fatal.Kind.JsonName()} on CPU{stop.Cpu}") : $"  error          {stop.Fatal.Kind.JsonName()} in {stop.CallChain} (no CPU)", LineStyle.Bad);
            if (stop.Cpu >= 0)
            {
                Add(F($"  call chain     {stop.CallChain}"));
            }

            Add(F($"  message        {stop.Fatal.Message}"));
        }

        return lines;
    }

    private static int CountIndex(Level level) => Model.Machine.Machine.CountIndex(level);

    private static string OnOff(bool on) => on ? "on" : "off";

    private static string Forced(bool overridden, string why) => overridden ? $" (forced: {why})" : "";

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    // The kernel's own size names in that message: "1G", "2M", "4k".
    private static string PageName(Level level) => level switch
    {
        Level.Pte => "4k",
        Level.Pmd => "2M",
        _ => "1G",
    };
}
