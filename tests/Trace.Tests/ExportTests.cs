using System.Text.Json;
using System.Text.RegularExpressions;
using BootActors.Actors.TraceTools;
using BootActors.Cli.Trace;
using BootActors.Trace.Tests.Consumers;

namespace BootActors.Trace.Tests;

[Collection(ExportCollection.Name)]
public sealed class ExportTests(TraceFiles traces)
{
    [Fact]
    public void TheChromeExportParsedBackHoldsTheSameMessagesInTheSameOrder()
    {
        var output = traces.PathFor("seed0.chrome.json");
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "chrome", "-o", output);
        Assert.Equal(0, run.ExitCode);

        var events = ChromeTrace.Read(output);
        var names = ThreadNames(output);
        var slices = events.Where(e => e is { Ph: "X", Seq: not null })
            .Select(e => (Seq: e.Seq!.Value, To: names[e.Tid], Type: e.Name))
            .ToList();

        var expected = RawEvent.ReadAll(traces.HotaddSeed0).Select(e => (e.Seq, e.To, (string?)e.Type)).ToList();
        Assert.Equal(expected, slices);
    }

    [Fact]
    public void TimeIsDeliveryOrderAndEveryFlowGoesFromTheSenderForwardToTheReceiver()
    {
        var output = traces.PathFor("seed0-flows.chrome.json");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "chrome", "-o", output).ExitCode);

        var events = ChromeTrace.Read(output);
        var starts = events.Where(e => e.Ph == "s").ToDictionary(e => e.Id!.Value);
        var ends = events.Where(e => e.Ph == "f").ToDictionary(e => e.Id!.Value);
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var actors = Actors(traces.HotaddSeed0);

        Assert.Equal(trace.Count, starts.Count);
        Assert.Equal(trace.Count, ends.Count);
        foreach (var e in trace)
        {
            Assert.Equal(actors.IndexOf(e.From), starts[e.Seq].Tid);
            Assert.Equal(actors.IndexOf(e.To), ends[e.Seq].Tid);
            Assert.True(starts[e.Seq].Ts < ends[e.Seq].Ts, $"flow of #{e.Seq} goes back in time");
            Assert.Equal(e.Seq, ends[e.Seq].Ts);
        }

        Assert.All(events.Where(e => e is { Ph: "X", Seq: not null }), s => Assert.Equal(s.Seq!.Value, s.Ts));
    }

    [Theory]
    [InlineData("hotadd", null, null)]
    [InlineData("hotadd", "29850", "29900")]
    [InlineData("xen", null, null)]
    [InlineData("free", null, null)]
    public void EveryChromeFlowEventHasASliceWithItsTsPidTidAndCategoryAsDevToolsRequires(string which, string? from, string? to)
    {
        var (trace, output) = ExportChrome(which, from, to);
        var events = ChromeTrace.Read(output);

        // DevTools' FlowsHandler binds a flow phase event to the slice with the same ts, pid, tid and
        // cat, and only to the first such slice: exactly one must exist.
        var slices = events.Where(e => e.Ph == "X").ToLookup(e => (e.Ts, e.Pid, e.Tid, e.Cat));
        var flows = events.Where(e => e.Ph is "s" or "f").ToList();
        Assert.NotEmpty(flows);
        foreach (var f in flows)
        {
            var bound = slices[(f.Ts, f.Pid, f.Tid, f.Cat)].ToList();
            Assert.True(bound.Count == 1, $"{f.Ph} of flow {f.Id} (ts {f.Ts}, tid {f.Tid}, cat {f.Cat}) matches {bound.Count} slices");
            if (f.Ph == "f")
            {
                Assert.Equal(f.Id, bound[0].Seq);
            }
            else
            {
                // The sender's slice: the delivery it was handling when it sent, or a send slice.
                Assert.True(bound[0].Seq < f.Id || bound[0].Sends == f.Id, $"flow {f.Id} starts at slice {bound[0].Name} (#{bound[0].Seq})");
            }
        }

        Assert.Equal(2 * RawEvent.ReadAll(trace).Count(e => InCut(e.Seq, from, to)), flows.Count);
    }

    [Theory]
    [InlineData("hotadd", null, null)]
    [InlineData("hotadd", "29850", "29900")]
    [InlineData("xen", null, null)]
    [InlineData("free", null, null)]
    public void PerfettoBindsEveryFlowFromTheSendersSliceToTheDelivery(string which, string? from, string? to)
    {
        var (trace, output) = ExportChrome(which, from, to);
        var events = ChromeTrace.Read(output);
        var problems = new List<string>();
        var flows = ChromeTrace.BindLikePerfetto(events, problems);

        Assert.Empty(problems);
        var messages = RawEvent.ReadAll(trace).Where(e => InCut(e.Seq, from, to)).ToList();
        Assert.Equal(messages.Count, flows.Count);
        var actors = Actors(trace);
        var byId = flows.ToDictionary(f => f.Id);
        foreach (var m in messages)
        {
            var flow = byId[m.Seq];
            var into = events[flow.In];
            var outOf = events[flow.Out];
            Assert.Equal(m.Seq, into.Seq);
            Assert.Equal(actors.IndexOf(m.To), into.Tid);
            Assert.Equal(actors.IndexOf(m.From), outOf.Tid);
            Assert.True(outOf.Seq < m.Seq || outOf.Sends == m.Seq, $"flow of #{m.Seq} leaves slice {outOf.Name} (#{outOf.Seq})");
        }
    }

    [DevToolsEngineFact]
    public void DevToolsTraceEngineBindsEveryFlowOfTheChromeExport()
    {
        foreach (var (which, from, to) in new[] { ("hotadd", (string?)null, (string?)null), ("xen", null, null), ("hotadd", "29850", "29900") })
        {
            var (trace, output) = ExportChrome(which, from, to);
            var run = NodeTools.Run(TimeSpan.FromMinutes(3), "devtools-flows.mjs", output);
            Assert.True(run.ExitCode == 0, $"devtools-flows.mjs failed: {run.Stderr}");

            using var doc = JsonDocument.Parse(run.Stdout);
            var flows = doc.RootElement.GetProperty("flows").EnumerateArray().Select(f => f.EnumerateArray().ToList()).ToList();
            var messages = RawEvent.ReadAll(trace).Where(e => InCut(e.Seq, from, to)).ToList();
            var actors = Actors(trace);

            // One arrow per message, from the sender's track to the delivery's slice on the receiver's.
            Assert.Equal(messages.Count, flows.Count);
            Assert.All(flows, f => Assert.Equal(2, f.Count));
            var into = flows.ToDictionary(f => f[1].GetProperty("seq").GetInt64());
            foreach (var m in messages)
            {
                var f = into[m.Seq];
                Assert.Equal(actors.IndexOf(m.To), f[1].GetProperty("tid").GetInt32());
                Assert.Equal(actors.IndexOf(m.From), f[0].GetProperty("tid").GetInt32());
                Assert.True(f[0].GetProperty("ts").GetDouble() < f[1].GetProperty("ts").GetDouble());
            }
        }
    }

    [Fact]
    public void TheShivizExportUploadsAsIsWithTheRegexAndTheDelimiterFirst()
    {
        var output = traces.PathFor("seed0.shiviz.log");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "shiviz", "-o", output).ExitCode);

        var text = File.ReadAllText(output);
        var lines = text.Split('\n');
        Assert.Equal(ShivizExporter.Pattern, lines[0]);
        Assert.Equal(ShivizExporter.Delimiter, lines[1]);

        var executions = ShivizLog.Parse(text);
        var (label, events) = Assert.Single(executions);
        Assert.Equal("hotadd-concurrent: controlled, seed 0 (hotadd-seed0.jsonl)", label);

        // Two events per message: its send at the sender and its receive at the receiver; the human
        // header is in the log but is no event.
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        Assert.Equal(2 * trace.Count, events.Count);
        Assert.Contains(lines, l => l.StartsWith("# bootactors trace hotadd-concurrent", StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain("bootactors trace", e.Text, StringComparison.Ordinal));
        var sends = events.Where(e => e.Text.StartsWith("send #", StringComparison.Ordinal)).ToDictionary(e => long.Parse(Regex.Match(e.Text, @"^send #(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        var receives = events.Where(e => e.Text.StartsWith("recv #", StringComparison.Ordinal)).ToDictionary(e => long.Parse(Regex.Match(e.Text, @"^recv #(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        foreach (var m in trace)
        {
            Assert.Equal(m.From, sends[m.Seq].Host);
            Assert.Equal(m.To, receives[m.Seq].Host);
            Assert.StartsWith($"send #{m.Seq} {m.Type} to {m.To}", sends[m.Seq].Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("xen", null, null)]
    [InlineData("free", null, null)]
    [InlineData("hotremove", null, null)]
    [InlineData("hotadd", "29850", "29900")]
    [InlineData("hotadd", "100", "5000")]
    public void EveryShivizExportPassesShivizsClockChecks(string which, string? from, string? to)
    {
        // A free run stops with messages in flight, a run that stops leaves sends undelivered, and a
        // cut drops the events that carried knowledge into it: the trace's own clocks would then be
        // refused ("impermissible vector clock"), so the export recomputes them over what it writes.
        var trace = Trace(which);
        var output = traces.PathFor($"{which}-{from}-{to}.shiviz.log");
        var args = new List<string> { "trace", "export", trace, "--format", "shiviz", "-o", output };
        if (from is not null)
        {
            args.AddRange(["--from", from, "--to", to!]);
        }

        Assert.Equal(0, Cli.Run([.. args]).ExitCode);
        var events = Assert.Single(ShivizLog.Parse(File.ReadAllText(output))).Value;
        Assert.Equal(2 * RawEvent.ReadAll(trace).Count(e => InCut(e.Seq, from, to)), events.Count);
    }

    [Fact]
    public void TheShivizChecksRefuseAClockThatClaimsMoreThanTheLogShows()
    {
        var output = traces.PathFor("seed0-tampered.shiviz.log");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "shiviz", "--from", "29850", "--to", "29900", "-o", output).ExitCode);
        var lines = File.ReadAllLines(output).ToList();
        ShivizLog.Parse(string.Join('\n', lines));

        // A receive that also claims the host's first event, which no message in the log carried to it.
        var at = lines.FindIndex(l => l.StartsWith("memory {", StringComparison.Ordinal) && !l.Contains("\"host\"", StringComparison.Ordinal));
        Assert.True(at > 0);
        lines[at] = lines[at].Replace("memory {", "memory {\"host\": 1, ", StringComparison.Ordinal);
        var e = Assert.ThrowsAny<Exception>(() => ShivizLog.Parse(string.Join('\n', lines)));
        Assert.Matches("unrecognized host|impermissible vector clock", e.Message);
    }

    [Fact]
    public void ShivizOrdersTwoMessagesOnlyWhenTheTraceDoes()
    {
        var output = traces.PathFor("seed0-hb.shiviz.log");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "shiviz", "-o", output).ExitCode);
        var events = Assert.Single(ShivizLog.Parse(File.ReadAllText(output))).Value;
        var receive = events.Where(e => e.Text.StartsWith("recv #", StringComparison.Ordinal))
            .ToDictionary(e => long.Parse(Regex.Match(e.Text, @"^recv #(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        var send = events.Where(e => e.Text.StartsWith("send #", StringComparison.Ordinal))
            .ToDictionary(e => long.Parse(Regex.Match(e.Text, @"^send #(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

        using var reader = TraceReader.Open(traces.HotaddSeed0);
        reader.OrderOnly = true;
        var all = reader.Events().ToList();
        var random = new Random(14);
        var ordered = 0;
        for (var k = 0; k < 4000; k++)
        {
            var i = random.Next(all.Count);
            var a = all[i];
            var b = all[Math.Min(all.Count - 1, i + 1 + random.Next(200))];
            var shiviz = receive[a.Seq].Clock.All(c => send[b.Seq].Clock.GetValueOrDefault(c.Key) >= c.Value);
            if (shiviz)
            {
                ordered++;
                Assert.True(HappensBefore.Compare(a, b) == Ordering.Before, $"ShiViz orders #{a.Seq} before #{b.Seq}, the trace does not");
            }
            else if (HappensBefore.Compare(a, b) == Ordering.Before)
            {
                // The trace orders them only through messages ShiViz does not see: none in a native controlled run.
                Assert.Fail($"the trace orders #{a.Seq} before #{b.Seq}, ShiViz's clocks do not");
            }
        }

        Assert.True(ordered > 100, $"only {ordered} ordered pairs sampled");
    }

    [Fact]
    public void TheDefaultMermaidExportIsAWindowAroundTheViolationThatMermaidAccepts()
    {
        var output = traces.PathFor("seed0-default.mmd");
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "mermaid", "-o", output);
        Assert.Equal(0, run.ExitCode);

        var text = File.ReadAllText(output);
        Assert.True(text.Length < MermaidExporter.MaxTextSize, $"{text.Length} characters");
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var violation = trace.Single(e => e.Fields.ContainsKey("error"));
        var arrows = Arrows(text);
        Assert.Equal(violation.Seq, arrows[^1].Seq);
        Assert.InRange(arrows.Count, 100, MermaidExporter.WindowBefore + 1);
        Assert.Equal(Enumerable.Range(0, arrows.Count).Select(i => arrows[0].Seq + i), arrows.Select(a => a.Seq));

        // The cut is said in the diagram (a note at the top) and on stderr.
        var lines = text.Split('\n');
        Assert.Matches(@"^    Note over \w+,\w+: " + arrows.Count + $" of the trace's {trace.Count} messages \\(#35;{arrows[0].Seq} to #35;{violation.Seq}\\), around the violation", lines.First(l => l.Contains("Note over", StringComparison.Ordinal)));
        Assert.Contains($"bootactors: note: {arrows.Count} of the trace's {trace.Count} messages (#{arrows[0].Seq} to #{violation.Seq}), around the violation", run.Stderr);
        Assert.Contains("    Note over memory,cpu1: violation: overwrote_present_entry", lines);
    }

    [Fact]
    public void WithoutAViolationTheDefaultMermaidWindowIsTheStart()
    {
        var output = traces.PathFor("xen-default.mmd");
        var run = Cli.Run("trace", "export", traces.XenBootAfter, "--format", "mermaid", "-o", output);
        Assert.Equal(0, run.ExitCode);

        var text = File.ReadAllText(output);
        Assert.True(text.Length < MermaidExporter.MaxTextSize, $"{text.Length} characters");
        var arrows = Arrows(text);
        Assert.Equal(Enumerable.Range(1, arrows.Count).Select(i => (long)i), arrows.Select(a => a.Seq));
        Assert.Contains("the first ones (the trace has no violation)", run.Stderr);
    }

    [Fact]
    public void ACutTooLongForMermaidIsWrittenWholeAndSaysSo()
    {
        var output = traces.PathFor("seed0-long.mmd");
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "mermaid", "--from", "1", "--to", "5000", "-o", output);
        Assert.Equal(0, run.ExitCode);

        Assert.Equal(5000, Arrows(File.ReadAllText(output)).Count);
        Assert.Contains("more than Mermaid's default maxTextSize (50,000): narrow --from/--to", run.Stderr);
    }

    [MermaidCliFact]
    public void MermaidsCliRendersTheDefaultExportWithEveryArrow()
    {
        var output = traces.PathFor("seed0-render.mmd");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "mermaid", "-o", output).ExitCode);
        var svg = traces.PathFor("seed0-render.svg");

        var run = NodeTools.Run(TimeSpan.FromMinutes(3), "node_modules/@mermaid-js/mermaid-cli/src/cli.js",
            "-p", "puppeteer-config.json", "-i", output, "-o", svg);
        Assert.True(run.ExitCode == 0, $"mmdc failed: {run.Stderr}");

        var rendered = File.ReadAllText(svg);
        Assert.DoesNotContain("Maximum text size in diagram exceeded", rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("Syntax error", rendered, StringComparison.Ordinal);
        var arrows = Arrows(File.ReadAllText(output));
        var messages = Regex.Matches(rendered, "class=\"messageText\"[^>]*>([^<]*)<").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(arrows.Select(a => a.Seq), messages.Select(m => long.Parse(m.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(messages, m => m.Contains("overwrote_present_entry", StringComparison.Ordinal));
    }

    [Fact]
    public void TheMermaidDiagramHasOneArrowPerMessageOfTheCut()
    {
        var output = traces.PathFor("seed0.mmd");
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "mermaid", "--from", "30000", "--to", "30023", "-o", output);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr);

        var lines = File.ReadAllLines(output);
        Assert.Equal("sequenceDiagram", lines[0]);
        var arrow = new Regex(@"^    (?<from>[a-z][a-z0-9_]*)(?<kind>-->>|->>)(?<to>[a-z][a-z0-9_]*): (?<seq>\d+) (?<type>\S+)");
        var arrows = lines.Select(l => arrow.Match(l)).Where(m => m.Success).ToList();
        var expected = RawEvent.ReadAll(traces.HotaddSeed0).Where(e => e.Seq is >= 30000 and <= 30023).ToList();

        Assert.Equal(expected.Select(e => (e.Seq, e.From, e.To, e.Type)),
            arrows.Select(m => (long.Parse(m.Groups["seq"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["from"].Value, m.Groups["to"].Value, m.Groups["type"].Value)));

        // Replies are dashed, requests solid.
        Assert.All(arrows.Zip(expected), p => Assert.Equal(p.Second.Fields.ContainsKey("value") || p.Second.Fields.ContainsKey("error") ? "-->>" : "->>", p.First.Groups["kind"].Value));
        Assert.Contains(lines, l => l.StartsWith("    Note over memory,cpu1: violation: overwrote_present_entry", StringComparison.Ordinal));

        // Only the actors the cut involves take part.
        Assert.DoesNotContain("    participant tlb0", lines);
        Assert.Contains("    participant page_table_lock", lines);
    }

    [Fact]
    public void TheHtmlExportIsOneFileThatFetchesNothingWithTheTraceCompressedInside()
    {
        var output = traces.PathFor("seed0.html");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "html", "-o", output).ExitCode);

        var html = File.ReadAllText(output);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);

        // No external script, style, image or fetch: the page works offline.
        Assert.DoesNotMatch(new Regex(@"<(script|link|img|iframe)[^>]+(src|href)\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("fetch(", html, StringComparison.Ordinal);
        Assert.DoesNotContain("XMLHttpRequest", html, StringComparison.Ordinal);
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);

        // The embedded data is base64 of gzip; inflated, it ends with its directory and holds every event.
        var m = Regex.Match(html, @"<script id=""trace-data"" type=""application/octet-stream""[^>]*>\s*([A-Za-z0-9+/=]+)\s*</script>");
        Assert.True(m.Success);
        using var inflated = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(Convert.FromBase64String(m.Groups[1].Value)), System.IO.Compression.CompressionMode.Decompress))
        {
            gzip.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        var length = BitConverter.ToUInt32(raw, raw.Length - 4);
        using var dir = JsonDocument.Parse(raw.AsMemory(raw.Length - 4 - (int)length, (int)length));
        var a = dir.RootElement.GetProperty("traces")[0];
        var expected = RawEvent.ReadAll(traces.HotaddSeed0).ToList();
        Assert.Equal(expected.Count, a.GetProperty("count").GetInt64());
        var seq = dir.RootElement.GetProperty("sections").GetProperty("a.seq");
        var seqs = Enumerable.Range(0, expected.Count).Select(i => (long)BitConverter.ToUInt32(raw, seq[0].GetInt32() + 4 * i));
        Assert.Equal(expected.Select(e => e.Seq), seqs);
        Assert.Equal(expected.FindIndex(e => e.Fields.ContainsKey("error")), a.GetProperty("violation").GetInt32());
        Assert.True(new FileInfo(output).Length * 5 < new FileInfo(traces.HotaddSeed0).Length, "the page is not compressed");
    }

    [Fact]
    public void TheSameTraceExportsToTheSameBytes()
    {
        foreach (var format in new[] { "html", "chrome", "shiviz", "mermaid" })
        {
            var first = traces.PathFor($"same-1.{format}");
            var second = traces.PathFor($"same-2.{format}");
            Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", format, "-o", first).ExitCode);
            Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", format, "-o", second).ExitCode);
            Assert.True(File.ReadAllBytes(first).AsSpan().SequenceEqual(File.ReadAllBytes(second)), $"{format}: two exports differ");
        }
    }

    [Fact]
    public void CompareIsForTheHtmlViewerOnly()
    {
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "chrome", "--compare", traces.HotaddSeed1, "-o", traces.PathFor("x.json"));
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("bootactors: --compare ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("only the html viewer shows two traces side by side", run.Stderr);
    }

    [Fact]
    public void AnUnknownFormatIsAUsageError()
    {
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "svg", "-o", traces.PathFor("x.svg"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--format svg: expected chrome, shiviz, mermaid or html", run.Stderr);
    }

    private static readonly Regex ArrowLine = new(@"^    [a-z][a-z0-9_]*(?:-->>|->>)[a-z][a-z0-9_]*: (?<seq>\d+) ", RegexOptions.Multiline);

    private static List<(long Seq, string Line)> Arrows(string text) =>
        ArrowLine.Matches(text).Select(m => (long.Parse(m.Groups["seq"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Value)).ToList();

    private static bool InCut(long seq, string? from, string? to) =>
        (from is null || seq >= long.Parse(from, System.Globalization.CultureInfo.InvariantCulture)) &&
        (to is null || seq <= long.Parse(to, System.Globalization.CultureInfo.InvariantCulture));

    private string Trace(string which) => which switch
    {
        "hotadd" => traces.HotaddSeed0,
        "xen" => traces.XenBootAfter,
        "free" => traces.HotaddFree,
        "hotremove" => traces.HotremoveLocalFlush,
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    private (string Trace, string Output) ExportChrome(string which, string? from, string? to)
    {
        var trace = Trace(which);
        var output = traces.PathFor($"{which}-{from}-{to}.chrome.json");
        var args = new List<string> { "trace", "export", trace, "--format", "chrome", "-o", output };
        if (from is not null)
        {
            args.AddRange(["--from", from, "--to", to!]);
        }

        Assert.Equal(0, Cli.Run([.. args]).ExitCode);
        return (trace, output);
    }

    private static List<string?> Actors(string trace) =>
        JsonDocument.Parse(File.ReadLines(trace).First()).RootElement.GetProperty("actors").EnumerateArray().Select(a => a.GetString()).ToList();

    private static Dictionary<int, string> ThreadNames(string chrome)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(chrome));
        return doc.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(e => e.GetProperty("tid").GetInt32(), e => e.GetProperty("args").GetProperty("name").GetString()!);
    }
}
