using System.Text.Json;

namespace BootActors.Trace.Tests;

/// <summary>
/// <c>trace show/hb/diff --json</c>: one object on stdout, in the shapes docs/trace-format.md gives,
/// saying what the human output says.
/// </summary>
[Collection(TraceCollection.Name)]
public sealed class JsonOutputTests(TraceFiles traces)
{
    private static JsonElement One(CliRun run, int exit)
    {
        Assert.True(run.ExitCode == exit, $"exit {run.ExitCode}: {run.Stderr}");
        var line = Assert.Single(run.StdoutLines);
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    [Fact]
    public void ShowJsonHoldsTheFilteredEventsAsTheFileDoesWithTheEntryDecoded()
    {
        var raw = RawEvent.ReadAll(traces.HotaddSeed0);
        var expected = raw.Where(e => e.Cpu == 1 && e.Type == "PudPopulate").ToList();
        Assert.NotEmpty(expected);

        var o = One(Cli.Run("trace", "show", traces.HotaddSeed0, "--cpu", "1", "--type", "PudPopulate", "--json"), 0);

        Assert.Equal("hotadd-concurrent", o.GetProperty("trace").GetProperty("scenario").GetString());
        var events = o.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(expected.Select(e => e.Seq), events.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(expected.Count, o.GetProperty("shown").GetInt64());
        var first = events[0];
        Assert.Equal(expected[0].From, first.GetProperty("from").GetString());
        Assert.Equal(expected[0].Field("child"), first.GetProperty("fields").GetProperty("child").GetString());
        Assert.StartsWith("pud[8] of table 0x202 = ", first.GetProperty("entry").GetString(), StringComparison.Ordinal);
        Assert.Equal("overwrote_present_entry", o.GetProperty("violation").GetProperty("error").GetString());
        Assert.False(o.GetProperty("stopped_at_max_events").GetBoolean());
    }

    [Fact]
    public void ShowJsonStopsAtMaxEventsAndSaysSo()
    {
        var o = One(Cli.Run("trace", "show", traces.HotaddSeed0, "--max-events", "3", "--json"), 0);

        Assert.Equal([1L, 2L, 3L], o.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.True(o.GetProperty("stopped_at_max_events").GetBoolean());
        Assert.Equal(3, o.GetProperty("max_events").GetInt64());
    }

    [Fact]
    public void HbJsonGivesTheOrderAndTheChainTheTextGives()
    {
        var raw = RawEvent.ReadAll(traces.HotaddSeed0);
        var populates = raw.Where(e => e.Type == "PudPopulate" && e.Field("table") == "0x202" && e.Field("index") == "8").ToList();
        var reads = raw.Where(e => e.Type == "ReadEntry" && e.Field("table") == "0x202" && e.Field("level") == "pud" && e.Field("index") == "8").ToList();
        string[] ordered = ["trace", "hb", traces.HotaddSeed0, populates[1].Seq.ToString(), populates[0].Seq.ToString()];

        var o = One(Cli.Run([.. ordered, "--json"]), 0);
        var text = Cli.Run(ordered);

        Assert.Equal("b_before_a", o.GetProperty("order").GetString());
        var chain = o.GetProperty("chain").EnumerateArray().Select(l => l.GetProperty("seq").GetInt64()).ToList();
        var textChain = text.StdoutLines.SkipWhile(l => !l.StartsWith("chain", StringComparison.Ordinal)).Skip(1)
            .Select(l => long.Parse(l.Trim().Split(' ')[0].TrimStart('#'), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(textChain, chain);
        Assert.Equal(populates[0].Seq, chain[0]);
        Assert.Equal(populates[1].Seq, chain[^1]);
        Assert.True(o.GetProperty("a").GetProperty("from_clock").GetProperty("cpu0").GetInt64() > 0);

        var concurrent = One(Cli.Run("trace", "hb", traces.HotaddSeed0, reads[0].Seq.ToString(), reads[1].Seq.ToString(), "--json"), 0);
        Assert.Equal("concurrent", concurrent.GetProperty("order").GetString());
        Assert.Equal(0, concurrent.GetProperty("chain").GetArrayLength());
    }

    [Fact]
    public void DiffJsonNamesTheFirstDivergenceAsTheTextDoesWithTheSameExitCode()
    {
        var text = Cli.Run("trace", "diff", traces.HotaddSeed0, traces.HotaddSeed1);
        var o = One(Cli.Run("trace", "diff", traces.HotaddSeed0, traces.HotaddSeed1, "--json"), 1);

        Assert.True(o.GetProperty("differ").GetBoolean());
        var at = o.GetProperty("at").GetInt64();
        Assert.Contains(text.StdoutLines, l => l.StartsWith($"first divergence at #{at}, after {o.GetProperty("identical").GetInt64()} identical deliveries", StringComparison.Ordinal));
        Assert.Equal(at, o.GetProperty("next_a").GetProperty("seq").GetInt64());
        Assert.Equal(at - 1, o.GetProperty("last_common").GetProperty("seq").GetInt64());
        Assert.True(o.GetProperty("same_spec").GetBoolean());

        var same = One(Cli.Run("trace", "diff", traces.HotaddSeed0, traces.HotaddSeed0, "--json"), 0);
        Assert.False(same.GetProperty("differ").GetBoolean());
        Assert.Equal(JsonValueKind.Null, same.GetProperty("at").ValueKind);
        Assert.Equal(RawEvent.ReadAll(traces.HotaddSeed0).Count, same.GetProperty("identical").GetInt64());
    }
}
