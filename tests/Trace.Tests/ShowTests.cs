namespace BootActors.Trace.Tests;

[Collection(TraceCollection.Name)]
public sealed class ShowTests(TraceFiles traces)
{
    private static List<string> EventLines(CliRun run) => run.StdoutLines.Where(l => l.StartsWith('#')).ToList();

    [Fact]
    public void RedirectedShowPrintsOnePlainLinePerEventAndNamesTheViolation()
    {
        var run = Cli.Run("trace", "show", traces.HotaddSeed0);
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(trace.Count, EventLines(run).Count);
        Assert.DoesNotContain('\u001b', run.Stdout);
        Assert.StartsWith($"trace {traces.HotaddSeed0}: scenario hotadd-concurrent: controlled mode, strategy random, seed 0", run.StdoutLines[0], StringComparison.Ordinal);
        var violation = trace.Single(e => e.Fields.ContainsKey("error"));
        Assert.StartsWith($"violation: #{violation.Seq} Faulted memory → cpu1: overwrote_present_entry", run.StdoutLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void EachEntryReadIsDecodedWithLevelIndexFrameAndFlags()
    {
        var run = Cli.Run("trace", "show", traces.HotaddSeed0, "--to", "5");

        var lines = EventLines(run);
        Assert.Equal(5, lines.Count);

        // The boot's first walk reads pgd[272] (PAGE_OFFSET's slot) of init_level4_pgt, which links level3_ident_pgt.
        Assert.Contains("cpu0 init_memory_mapping: read pgd[272] of table 0x201", lines[3]);
        Assert.Contains("entry pgd[272] of table 0x201 (maps va 0xffff880000000000-0xffff887fffffffff)", lines[3]);
        Assert.Contains("entry pgd[272] of table 0x201 = 0x0000000000202063: pud page 0x202; flags PRESENT RW ACCESSED DIRTY; maps va 0xffff880000000000-0xffff887fffffffff", lines[4]);
    }

    [Fact]
    public void AWrittenLargePageIsDecodedWithItsFrameAndPhysicalRange()
    {
        var run = Cli.Run("trace", "show", traces.HotaddSeed0, "--type", "SetPmd", "--cpu", "1", "--max-events", "1");

        var line = Assert.Single(EventLines(run));
        Assert.Matches(@"entry pmd\[\d+\] of table 0x[0-9a-f]+ = 0x80000002[0-9a-f]{8}: 2M page at frame 0x20[0-9a-f]{4} \(phys 0x20[0-9a-f]+-0x20[0-9a-f]+\); flags PRESENT RW ACCESSED DIRTY PSE GLOBAL NX", line);
        Assert.Contains("(stopped at --max-events 1", run.Stdout);
    }

    [Fact]
    public void FiltersByCpuActorTypeAndRangeAllHold()
    {
        var run = Cli.Run("trace", "show", traces.HotaddSeed0, "--cpu", "2", "--actor", "memory", "--type", "ReadEntry,EntryRead", "--from", "29800", "--to", "29900");
        var expected = RawEvent.ReadAll(traces.HotaddSeed0).Where(e => e.Cpu == 2 && (e.From == "memory" || e.To == "memory") &&
                                                                        e.Type is "ReadEntry" or "EntryRead" && e.Seq is >= 29800 and <= 29900).ToList();

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(e => $"#{e.Seq}"), EventLines(run).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public void AddrKeepsTheEventsAboutTheEntryThatMapsIt()
    {
        // 0x201000000 is CPU2's hot-added memory: through the direct map, pud[8] of table 0x202 maps it.
        var run = Cli.Run("trace", "show", traces.HotaddSeed0, "--addr", "0x201000000", "--type", "PudPopulate,ReadEntry", "--from", "29848");

        var lines = EventLines(run);
        Assert.Contains(lines, l => l.Contains("PudPopulate", StringComparison.Ordinal) && l.Contains("pud[8] of table 0x202", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"(pgd\[272\] of table 0x201|pud\[8\] of table 0x202|pmd\[8\] of table 0x3f0000000)", l));
        Assert.DoesNotContain(lines, l => l.Contains("pud[4]", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownActorIsAUsageErrorThatListsTheTracesActors()
    {
        var run = Cli.Run("trace", "show", traces.HotaddSeed0, "--actor", "gpu");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--actor gpu: the trace's actors are host, cpu0, cpu1, cpu2, tlb0", run.Stderr);
    }
}

/// <summary>Every subcommand on the traces of the shipped scenarios, in both modes.</summary>
[Collection(TraceCollection.Name)]
public sealed class ScenarioTraceTests(TraceFiles traces)
{
    public static TheoryData<string> Scenarios => new() { "xen-boot-after", "hotremove-local-flush", "hotadd-free" };

    private string TraceOf(string scenario) => scenario switch
    {
        "xen-boot-after" => traces.XenBootAfter,
        "hotremove-local-flush" => traces.HotremoveLocalFlush,
        _ => traces.HotaddFree,
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void EverySubcommandReadsTheScenariosTrace(string scenario)
    {
        var path = TraceOf(scenario);
        var events = RawEvent.ReadAll(path);
        var mid = events[events.Count / 2].Seq;

        var show = Cli.Run("trace", "show", path, "--from", mid.ToString(), "--to", (mid + 20).ToString());
        var hb = Cli.Run("trace", "hb", path, "1", mid.ToString());
        var pt = Cli.Run("trace", "pt", path, "--at", mid.ToString());
        var diff = Cli.Run("trace", "diff", path, traces.HotaddSeed0);

        Assert.Equal(21, show.StdoutLines.Count(l => l.StartsWith('#')));
        Assert.Contains("#1 RunProgram host → cpu0 happens before", hb.Stdout);
        Assert.Equal(0, pt.ExitCode);
        Assert.Contains("---[ Low Kernel Mapping ]---", pt.StdoutLines);
        Assert.Contains("first divergence", diff.Stdout);
        foreach (var format in new[] { "chrome", "shiviz", "mermaid", "html" })
        {
            var export = Cli.Run("trace", "export", path, "--format", format, "-o", traces.PathFor($"{scenario}.{format}"));
            Assert.Equal(0, export.ExitCode);

            // Mermaid's default export is the window its renderer accepts, and says so (issue 14).
            var written = format == "mermaid" ? Math.Min(events.Count, MermaidWindow(export.Stderr, events.Count)) : events.Count;
            Assert.Equal($"wrote {written} event(s) of {path} to {traces.PathFor($"{scenario}.{format}")} ({format})\n", export.Stdout);
        }
    }

    private static int MermaidWindow(string stderr, int total)
    {
        var m = System.Text.RegularExpressions.Regex.Match(stderr, $@"note: (\d+) of the trace's {total} messages");
        Assert.True(m.Success, stderr);
        Assert.InRange(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 201);
        return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void AXenTracesHypercallsAreDecodedAsTheEntriesTheyWrite()
    {
        var run = Cli.Run("trace", "show", traces.XenBootAfter, "--type", "MmuUpdate", "--max-events", "1");

        var line = Assert.Single(run.StdoutLines, l => l.StartsWith('#'));
        Assert.Matches(@"cpu0 → hypervisor\s+MmuUpdate .*\| entry p[mu]d\[\d+\] of table 0x[0-9a-f]+ = 0x[0-9a-f]{16}: p[mt][de] page 0x[0-9a-f]+; flags PRESENT RW USER ACCESSED DIRTY", line);
    }
}
