using System.Globalization;
using BootActors.Actors.TraceTools;
using BootActors.Cli.Output;
using BootActors.Model.Paging;

namespace BootActors.Cli.Trace;

/// <summary><c>trace hb</c>, <c>trace diff</c> and <c>trace pt</c>.</summary>
internal static class TraceQueries
{
    public static int HappensBefore(string path, long seq1, long seq2, TextWriter output, bool json = false)
    {
        using var reader = TraceReader.Open(path);
        var header = reader.Header;

        // Order, types and clocks are all that happens-before needs.
        reader.OrderOnly = true;
        var lo = Math.Min(seq1, seq2);
        var hi = Math.Max(seq1, seq2);
        TraceEvent? a = null, b = null;
        var between = new List<ChainLink>();
        foreach (var e in reader.Events())
        {
            if (e.Seq == seq1)
            {
                a = e;
            }

            if (e.Seq == seq2)
            {
                b = e;
            }

            if (e.Seq >= lo && e.Seq <= hi)
            {
                between.Add(Actors.TraceTools.HappensBefore.LinkOf(e));
            }
        }

        if (a is null || b is null)
        {
            throw new UsageException($"{path}: there is no event #{(a is null ? seq1 : seq2)}");
        }

        // A free run's writer may finish lines slightly out of order; chains are found in delivery order.
        between.Sort((x, y) => x.Seq.CompareTo(y.Seq));
        var order = Actors.TraceTools.HappensBefore.Compare(a, b);
        if (json)
        {
            IReadOnlyList<ChainLink> links = [];
            if (order is Ordering.Before or Ordering.After)
            {
                var (first, second) = order == Ordering.Before ? (a, b) : (b, a);
                links = Actors.TraceTools.HappensBefore.Chain(Actors.TraceTools.HappensBefore.LinkOf(first), Actors.TraceTools.HappensBefore.LinkOf(second), between, header.Actors.Count)
                        ?? throw new TraceFormatException(path, 0,
                            $"the vector clocks order #{first.Seq} before #{second.Seq}, but no chain of messages in the trace links them: its clocks do not match its deliveries");
            }

            output.WriteLine(TraceJson.Write(new System.Text.Json.Nodes.JsonObject
            {
                ["trace"] = TraceJson.Header(path, header),
                ["a"] = TraceJson.Ordered(a, header),
                ["b"] = TraceJson.Ordered(b, header),
                ["order"] = order switch
                {
                    Ordering.Same => "same",
                    Ordering.Before => "a_before_b",
                    Ordering.After => "b_before_a",
                    _ => "concurrent",
                },
                ["chain"] = new System.Text.Json.Nodes.JsonArray(links.Select(l => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["seq"] = l.Seq,
                    ["type"] = l.Type,
                    ["from"] = header.Actors[l.From],
                    ["to"] = header.Actors[l.To],
                }).ToArray()),
            }));
            output.Flush();
            return ExitCodes.Ok;
        }

        var ta = TraceText.Title(a, header);
        var tb = TraceText.Title(b, header);
        switch (order)
        {
            case Ordering.Same:
                output.WriteLine($"{ta} is one event: it happens before neither itself nor after");
                break;
            case Ordering.Concurrent:
                output.WriteLine($"{ta} and {tb} are concurrent: neither was delivered before the other was sent");
                output.WriteLine($"  #{a.Seq} delivered with {TraceText.Clock(a.ToClock, header)}, #{b.Seq} sent with {TraceText.Clock(b.FromClock, header)}: {Witness(a.ToClock, b.FromClock, header)}");
                output.WriteLine($"  #{b.Seq} delivered with {TraceText.Clock(b.ToClock, header)}, #{a.Seq} sent with {TraceText.Clock(a.FromClock, header)}: {Witness(b.ToClock, a.FromClock, header)}");
                if (a.To == b.To)
                {
                    var (first, second) = a.Seq < b.Seq ? (a, b) : (b, a);
                    output.WriteLine($"  both were delivered to {header.Actors[a.To]}, #{first.Seq} first: that order is the schedule's choice, not a causal one (another schedule may swap them)");
                }

                break;
            default:
                var (before, after) = order == Ordering.Before ? (a, b) : (b, a);
                output.WriteLine($"{TraceText.Title(before, header)} happens before {TraceText.Title(after, header)}");
                output.WriteLine($"  #{before.Seq} delivered with {TraceText.Clock(before.ToClock, header)} ≤ #{after.Seq} sent with {TraceText.Clock(after.FromClock, header)}");
                var chain = Actors.TraceTools.HappensBefore.Chain(Actors.TraceTools.HappensBefore.LinkOf(before), Actors.TraceTools.HappensBefore.LinkOf(after), between, header.Actors.Count)
                            ?? throw new TraceFormatException(path, 0,
                                $"the vector clocks order #{before.Seq} before #{after.Seq}, but no chain of messages in the trace links them: its clocks do not match its deliveries");
                output.WriteLine($"chain of {chain.Count} message(s), each sent by the previous one's receiver after receiving it:");
                for (var i = 0; i < chain.Count; i++)
                {
                    var l = chain[i];
                    var then = i + 1 < chain.Count ? $"   then {header.Actors[l.To]} sends" : "";
                    output.WriteLine($"  #{l.Seq.ToString(CultureInfo.InvariantCulture),-8} {l.Type,-20} {header.Actors[l.From]} → {header.Actors[l.To]}{then}");
                }

                break;
        }

        output.Flush();
        return ExitCodes.Ok;
    }

    /// <summary>Names the first component where a clock is ahead of the other: why they are not ordered.</summary>
    private static string Witness(long[] delivered, long[] sent, TraceFileHeader header)
    {
        for (var i = 0; i < delivered.Length; i++)
        {
            if (delivered[i] > sent[i])
            {
                return $"{header.Actors[i]} {delivered[i]} > {sent[i]}, not ≤";
            }
        }

        return "≤ everywhere";
    }

    public static int Diff(string pathA, string pathB, TextWriter output, bool json = false)
    {
        if (json)
        {
            return DiffJson(pathA, pathB, output);
        }

        using var a = TraceReader.Open(pathA);
        using var b = TraceReader.Open(pathB);
        output.WriteLine($"A {pathA}: {a.Header.Describe()}");
        output.WriteLine($"B {pathB}: {b.Header.Describe()}");
        if (!a.Header.Actors.SequenceEqual(b.Header.Actors))
        {
            output.WriteLine("the traces have different actors, so they are of different machines; comparing by name anyway");
        }

        if (a.Header.Spec?.ToJsonString() != b.Header.Spec?.ToJsonString())
        {
            output.WriteLine("the run specs differ (machine or workload), so the runs may differ for that reason and not only by schedule");
        }

        var da = new EntryDecoder();
        var db = new EntryDecoder();
        long same = 0;
        var differ = true;
        TraceEvent? lastSame = null;
        DecodedEntry? lastSameEntry = null;
        while (true)
        {
            var ea = a.Read();
            var eb = b.Read();
            var xa = ea is null ? null : da.Decode(ea);
            var xb = eb is null ? null : db.Decode(eb);
            if (ea is null && eb is null)
            {
                output.WriteLine($"no divergence: both traces deliver the same {same.ToString(CultureInfo.InvariantCulture)} messages in the same order");
                differ = false;
                break;
            }

            if (ea is not null && eb is not null && SameDelivery(ea, a.Header, eb, b.Header))
            {
                same++;
                lastSame = ea;
                lastSameEntry = xa;
                continue;
            }

            var at = ea?.Seq ?? eb!.Seq;
            output.WriteLine($"first divergence at #{at.ToString(CultureInfo.InvariantCulture)}, after {same.ToString(CultureInfo.InvariantCulture)} identical deliveries");
            if (lastSame is not null)
            {
                output.WriteLine($"  last common  {TraceText.Line(lastSame, a.Header, lastSameEntry)}");
            }

            output.WriteLine(ea is null ? $"  A            ends after {same.ToString(CultureInfo.InvariantCulture)} deliveries" : $"  A            {TraceText.Line(ea, a.Header, xa)}");
            output.WriteLine(eb is null ? $"  B            ends after {same.ToString(CultureInfo.InvariantCulture)} deliveries" : $"  B            {TraceText.Line(eb, b.Header, xb)}");
            if (ea is not null && eb is not null && ea.Cpu != eb.Cpu && ea.Cpu >= 0 && eb.Cpu >= 0)
            {
                output.WriteLine($"  the schedules part here: A delivers a message of cpu{ea.Cpu}'s step, B one of cpu{eb.Cpu}'s");
            }

            break;
        }

        output.Flush();

        // As diff(1): scripts ask "are these the same schedule?" by the status.
        return differ ? ExitCodes.BadOutcome : ExitCodes.Ok;
    }

    /// <summary>The same comparison as one JSON object; the exit code as diff(1)'s.</summary>
    private static int DiffJson(string pathA, string pathB, TextWriter output)
    {
        using var a = TraceReader.Open(pathA);
        using var b = TraceReader.Open(pathB);
        var da = new EntryDecoder();
        var db = new EntryDecoder();
        long same = 0;
        TraceEvent? lastSame = null;
        DecodedEntry? lastSameEntry = null;
        TraceEvent? ea, eb;
        DecodedEntry? xa, xb;
        while (true)
        {
            ea = a.Read();
            eb = b.Read();
            xa = ea is null ? null : da.Decode(ea);
            xb = eb is null ? null : db.Decode(eb);
            if (ea is null || eb is null || !SameDelivery(ea, a.Header, eb, b.Header))
            {
                break;
            }

            same++;
            lastSame = ea;
            lastSameEntry = xa;
        }

        var differ = ea is not null || eb is not null;
        output.WriteLine(TraceJson.Write(new System.Text.Json.Nodes.JsonObject
        {
            ["a"] = TraceJson.Header(pathA, a.Header),
            ["b"] = TraceJson.Header(pathB, b.Header),
            ["same_actors"] = a.Header.Actors.SequenceEqual(b.Header.Actors),
            ["same_spec"] = a.Header.Spec?.ToJsonString() == b.Header.Spec?.ToJsonString(),
            ["identical"] = same,
            ["differ"] = differ,
            ["at"] = differ ? ea?.Seq ?? eb!.Seq : null,
            ["last_common"] = lastSame is null || !differ ? null : TraceJson.Event(lastSame, a.Header, lastSameEntry),
            ["next_a"] = ea is null ? null : TraceJson.Event(ea, a.Header, xa),
            ["next_b"] = eb is null ? null : TraceJson.Event(eb, b.Header, xb),
        }));
        output.Flush();
        return differ ? ExitCodes.BadOutcome : ExitCodes.Ok;
    }

    /// <summary>How many deliveries two traces share from the start, and each one's next seq there (null: it ended).</summary>
    public static (long Same, long? A, long? B) FirstDivergence(string pathA, string pathB)
    {
        using var a = TraceReader.Open(pathA);
        using var b = TraceReader.Open(pathB);
        long same = 0;
        while (true)
        {
            var ea = a.Read();
            var eb = b.Read();
            if (ea is null && eb is null)
            {
                return (same, null, null);
            }

            if (ea is not null && eb is not null && SameDelivery(ea, a.Header, eb, b.Header))
            {
                same++;
                continue;
            }

            return (same, ea?.Seq, eb?.Seq);
        }
    }

    /// <summary>Same sender, receiver, type, CPU step and fields: clocks follow from the order, so they are not compared.</summary>
    internal static bool SameDelivery(TraceEvent x, TraceFileHeader hx, TraceEvent y, TraceFileHeader hy)
    {
        if (x.Type != y.Type || x.Cpu != y.Cpu || x.Effect != y.Effect ||
            hx.Actors[x.From] != hy.Actors[y.From] || hx.Actors[x.To] != hy.Actors[y.To] || x.Fields.Count != y.Fields.Count)
        {
            return false;
        }

        for (var i = 0; i < x.Fields.Count; i++)
        {
            if (x.Fields[i].Key != y.Fields[i].Key || x.Fields[i].Value != y.Fields[i].Value)
            {
                return false;
            }
        }

        return true;
    }

    public static int PageTables(string path, long seq, TextWriter output)
    {
        var point = TraceReplay.At(path, seq);
        var header = TraceReader.ReadHeaderOf(path);
        var e = point.Event;
        var step = TraceText.Step(e);
        output.WriteLine($"page tables after {TraceText.Title(e, header)}{(step.Length > 0 ? $" ({step})" : "")}");
        output.WriteLine($"({point.How})");
        output.WriteLine();
        foreach (var line in KernelPageTablesDump.Lines(point.Machine.Memory))
        {
            output.WriteLine(line);
        }

        output.WriteLine();
        output.WriteLine("TLBs");
        foreach (var tlb in point.Machine.Tlbs)
        {
            foreach (var line in TlbText.Lines(tlb.Cpu, tlb.Entries.ToList(), tlb.Flushes))
            {
                output.WriteLine(line);
            }
        }

        output.Flush();
        return ExitCodes.Ok;
    }
}
