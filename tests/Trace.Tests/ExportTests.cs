using System.Text.Json;
using System.Text.RegularExpressions;
using BootActors.Cli.Trace;

namespace BootActors.Trace.Tests;

[Collection(TraceCollection.Name)]
public sealed class ExportTests(TraceFiles traces)
{
    [Fact]
    public void TheChromeExportParsedBackHoldsTheSameMessagesInTheSameOrder()
    {
        var output = traces.PathFor("seed0.chrome.json");
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "chrome", "-o", output);
        Assert.Equal(0, run.ExitCode);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(output));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var names = events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(e => e.GetProperty("tid").GetInt32(), e => e.GetProperty("args").GetProperty("name").GetString()!);
        var slices = events.Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("cat").GetString() == "message")
            .Select(e => (Seq: e.GetProperty("args").GetProperty("seq").GetInt64(),
                From: e.GetProperty("args").GetProperty("from").GetString(),
                To: names[e.GetProperty("tid").GetInt32()],
                Type: e.GetProperty("name").GetString()))
            .ToList();

        var expected = RawEvent.ReadAll(traces.HotaddSeed0).Select(e => (e.Seq, (string?)e.From, e.To, (string?)e.Type)).ToList();
        Assert.Equal(expected, slices);
    }

    [Fact]
    public void EveryChromeFlowStartsAtItsSenderAndEndsAtItsReceiverNoLaterThanTheDelivery()
    {
        var output = traces.PathFor("seed0-flows.chrome.json");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "chrome", "-o", output).ExitCode);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(output));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var starts = events.Where(e => e.GetProperty("ph").GetString() == "s").ToDictionary(e => e.GetProperty("id").GetInt64());
        var ends = events.Where(e => e.GetProperty("ph").GetString() == "f").ToDictionary(e => e.GetProperty("id").GetInt64());
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var actors = JsonDocument.Parse(File.ReadLines(traces.HotaddSeed0).First()).RootElement.GetProperty("actors")
            .EnumerateArray().Select(a => a.GetString()).ToList();

        Assert.Equal(trace.Count, starts.Count);
        Assert.Equal(trace.Count, ends.Count);
        foreach (var e in trace)
        {
            Assert.Equal(actors.IndexOf(e.From), starts[e.Seq].GetProperty("tid").GetInt32());
            Assert.Equal(actors.IndexOf(e.To), ends[e.Seq].GetProperty("tid").GetInt32());
            Assert.True(starts[e.Seq].GetProperty("ts").GetDouble() < ends[e.Seq].GetProperty("ts").GetDouble(), $"flow of #{e.Seq} goes back in time");
            Assert.Equal(e.Seq, ends[e.Seq].GetProperty("ts").GetDouble());
        }
    }

    [Fact]
    public void EveryShivizEventLineMatchesTheDocumentedRegexAndTheHeaderGivesIt()
    {
        var output = traces.PathFor("seed0.shiviz.log");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "shiviz", "-o", output).ExitCode);

        var lines = File.ReadAllLines(output);
        var header = lines.TakeWhile(l => l.StartsWith('#')).ToList();
        var body = lines.Skip(header.Count).Where(l => l.Length > 0).ToList();
        Assert.Contains("# " + ShivizExporter.Pattern, header);

        // The same expression ShiViz applies (JavaScript and .NET agree on this one), line by line.
        var regex = new Regex(ShivizExporter.Pattern);
        Assert.All(body, l => Assert.Matches(regex, l));
        Assert.All(header, l => Assert.DoesNotMatch(regex, l));
        Assert.Equal(2 * RawEvent.ReadAll(traces.HotaddSeed0).Count, body.Count);
    }

    [Fact]
    public void ShivizClocksCountEachHostsEventsOneTwoThreeAsShivizRequires()
    {
        var output = traces.PathFor("seed0-clocks.shiviz.log");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "shiviz", "-o", output).ExitCode);

        var regex = new Regex(ShivizExporter.Pattern);
        var events = File.ReadAllLines(output).Where(l => regex.IsMatch(l)).Select(l =>
        {
            var m = regex.Match(l);
            var clock = JsonSerializer.Deserialize<Dictionary<string, long>>(m.Groups["clock"].Value)!;
            return (Host: m.Groups["host"].Value, Clock: clock);
        }).ToList();

        // ShiViz's ModelGraph: per host the own entries, sorted, are exactly 1..n, and no clock
        // names a host's event beyond its n.
        var counts = new Dictionary<string, long>();
        foreach (var group in events.GroupBy(e => e.Host))
        {
            var own = group.Select(e => e.Clock[group.Key]).OrderBy(t => t).ToList();
            Assert.Equal(Enumerable.Range(1, own.Count).Select(i => (long)i), own);
            counts[group.Key] = own.Count;
        }

        Assert.All(events, e => Assert.All(e.Clock, c => Assert.InRange(c.Value, 1, counts[c.Key])));
    }

    [Fact]
    public void ShivizRenumbersAnActorsClockWhenACutLeavesGapsInIt()
    {
        var output = traces.PathFor("seed0-cut.shiviz.log");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "shiviz", "--from", "29850", "--to", "29900", "-o", output).ExitCode);

        var regex = new Regex(ShivizExporter.Pattern);
        var events = File.ReadAllLines(output).Where(l => regex.IsMatch(l)).Select(l =>
        {
            var m = regex.Match(l);
            return (Host: m.Groups["host"].Value, Clock: JsonSerializer.Deserialize<Dictionary<string, long>>(m.Groups["clock"].Value)!);
        }).ToList();

        Assert.Equal(2 * 51, events.Count);
        foreach (var group in events.GroupBy(e => e.Host))
        {
            Assert.Equal(Enumerable.Range(1, group.Count()).Select(i => (long)i), group.Select(e => e.Clock[group.Key]).OrderBy(t => t));
        }
    }

    [Fact]
    public void TheMermaidDiagramHasOneArrowPerMessageOfTheCut()
    {
        var output = traces.PathFor("seed0.mmd");
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "mermaid", "--from", "30000", "--to", "30023", "-o", output);
        Assert.Equal(0, run.ExitCode);

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
    public void TheHtmlExportIsOneFileThatFetchesNothing()
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

        // The embedded data is the trace, and nothing in it closes its script element early.
        var start = html.IndexOf("<script id=\"trace-data\" type=\"application/json\">", StringComparison.Ordinal);
        var end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        var json = html[(html.IndexOf('>', start) + 1)..end];
        using var data = JsonDocument.Parse(json);
        var expected = RawEvent.ReadAll(traces.HotaddSeed0);
        Assert.Equal(expected.Select(e => e.Seq), data.RootElement.GetProperty("events").EnumerateArray().Select(e => e[0].GetInt64()));
        var violation = data.RootElement.GetProperty("violation").GetInt32();
        Assert.Equal(expected.Single(e => e.Fields.ContainsKey("error")).Seq, data.RootElement.GetProperty("events")[violation][0].GetInt64());
    }

    [Fact]
    public void AnUnknownFormatIsAUsageError()
    {
        var run = Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "svg", "-o", traces.PathFor("x.svg"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--format svg: expected chrome, shiviz, mermaid or html", run.Stderr);
    }
}
