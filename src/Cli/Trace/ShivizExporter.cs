using System.Globalization;
using System.Text;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>
/// The log ShiViz parses, in the form its "upload a file" button takes as is: line 1 is the log
/// parsing regular expression and line 2 the multi-execution delimiter (ShiViz wraps each in ^…$);
/// the log follows, opened by one delimiter line that names the execution, then a human header in
/// lines the expression does not match (ShiViz skips text between events), then one line per event —
/// each message's send at its sender and its receive at its receiver — with the host and its vector
/// clock as a JSON object.
/// <para>
/// ShiViz accepts a clock only if it is exactly what its own derivation gives (ModelGraph: each
/// host's own values run 1, 2, 3…, and each event's clock is the join of its host's previous event
/// and the sends it receives). A trace's clocks also count what the log does not show (sends never
/// delivered before a run stopped, messages in flight when a free run stopped, events cut off by
/// --from/--to), so the exporter recomputes the clocks over the events it writes: same program
/// order per actor, same send → receive pairs, nothing else.
/// </para>
/// </summary>
internal static class ShivizExporter
{
    /// <summary>Line 1: the log parsing regular expression (ShiViz adds ^ and $).</summary>
    public const string Pattern = @"(?<host>[a-z][a-z0-9_]*) (?<clock>\{[^}]*\}) (?<event>.*)";

    /// <summary>Line 2: the multi-execution delimiter; its "trace" group labels the execution.</summary>
    public const string Delimiter = @"=== (?<trace>.*) ===";

    public static long Write(string path, EventFilter range, TextWriter output)
    {
        TraceFileHeader header;
        Timelines timelines;

        // Pass 1: each actor's events (sends and receives) in its own program order.
        using (var reader = TraceReader.Open(path))
        {
            header = reader.Header;
            reader.OrderOnly = true;
            timelines = new Timelines(header.Actors.Count);
            foreach (var e in reader.Events())
            {
                if (range.PastRange(e))
                {
                    break;
                }

                if (range.InRange(e))
                {
                    timelines.Add(e);
                }
            }
        }

        timelines.Seal();
        var seed = header.Seed is { } s ? $", seed {s}" : "";
        output.WriteLine(Pattern);
        output.WriteLine(Delimiter);
        output.WriteLine($"=== {header.Scenario}: {header.Mode}{seed} ({Path.GetFileName(path)}) ===");
        output.WriteLine($"# bootactors trace {header.Scenario}: {header.Mode} mode, strategy {header.Strategy}{seed}, start {header.Start}, events {Range(range)}");
        output.WriteLine("# Upload this file in ShiViz (https://distributedclocks.github.io/shiviz/): line 1 is the log parsing regular expression, line 2 the execution delimiter.");
        output.WriteLine("# Each message is two events: 'send #SEQ TYPE to ACTOR' at its sender and 'recv #SEQ TYPE from ACTOR' at its receiver.");
        output.WriteLine("# Clocks are recomputed over the events written here (each actor's own events count 1, 2, 3...), as ShiViz checks them.");

        long written = 0;
        var decoder = new EntryDecoder();
        var line = new StringBuilder(256);
        var clocks = new ClockComputer(timelines, header.Actors.Count, path);
        using (var reader = TraceReader.Open(path))
        {
            foreach (var e in reader.Events())
            {
                var entry = decoder.Decode(e);
                if (range.PastRange(e))
                {
                    break;
                }

                if (!range.InRange(e))
                {
                    continue;
                }

                written++;
                var (send, receive) = clocks.Of(e.Seq);
                var what = Describe(e, entry);
                line.Clear();
                Event(line, header.Actors[e.From], send, header)
                    .Append("send #").Append(e.Seq.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Type)
                    .Append(" to ").Append(header.Actors[e.To]).Append(what);
                output.WriteLine(line);
                line.Clear();
                Event(line, header.Actors[e.To], receive, header)
                    .Append("recv #").Append(e.Seq.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Type)
                    .Append(" from ").Append(header.Actors[e.From]).Append(what);
                output.WriteLine(line);
            }
        }

        output.Flush();
        return written;
    }

    private static string Range(EventFilter range) =>
        range.From is null && range.To is null ? "all" : $"#{range.From?.ToString(CultureInfo.InvariantCulture) ?? "1"} to #{range.To?.ToString(CultureInfo.InvariantCulture) ?? "end"}";

    private static string Describe(TraceEvent e, DecodedEntry? entry)
    {
        var sb = new StringBuilder();
        if (e.Effect is { } effect)
        {
            sb.Append(": cpu").Append(e.Cpu.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(effect);
        }

        if (entry is not null)
        {
            sb.Append(" | ").Append(entry.Text);
        }
        else if (e.Fields.Count > 0)
        {
            sb.Append(" | ").Append(TraceText.Fields(e));
        }

        // One event per line: nothing in the text may end it early.
        return sb.Replace('\n', ' ').Replace('\r', ' ').ToString();
    }

    private static StringBuilder Event(StringBuilder sb, string host, long[] clock, TraceFileHeader header)
    {
        sb.Append(host).Append(" {");
        var first = true;
        for (var i = 0; i < clock.Length; i++)
        {
            if (clock[i] == 0)
            {
                continue;
            }

            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append('"').Append(header.Actors[i]).Append("\": ").Append(clock[i].ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append("} ");
    }

    /// <summary>Each actor's written events ordered by its own clock: a send or a receive of a delivery.</summary>
    private sealed class Timelines
    {
        private readonly List<(long Own, long Seq, bool Send)>[] lists;

        public Timelines(int actors)
        {
            lists = new List<(long, long, bool)>[actors];
            for (var i = 0; i < actors; i++)
            {
                lists[i] = new List<(long, long, bool)>();
            }
        }

        /// <summary>Per delivery: its sender and receiver.</summary>
        public Dictionary<long, (int From, int To)> Deliveries { get; } = new();

        public IReadOnlyList<(long Own, long Seq, bool Send)> Of(int actor) => lists[actor];

        public void Add(TraceEvent e)
        {
            lists[e.From].Add((e.SendTime, e.Seq, true));
            lists[e.To].Add((e.ReceiveTime, e.Seq, false));
            Deliveries[e.Seq] = (e.From, e.To);
        }

        public void Seal()
        {
            foreach (var l in lists)
            {
                l.Sort((a, b) => a.Own != b.Own ? a.Own.CompareTo(b.Own) : a.Send.CompareTo(b.Send));
            }
        }
    }

    /// <summary>
    /// Vector clocks over the written events only: each actor's events in its program order; a send
    /// takes the actor's clock, a receive joins it with its send's. Events are computed on demand as
    /// the writer reaches each delivery; a send computed ahead of its delivery (an actor's later
    /// receive needed it) waits in <c>pending</c>, which holds about as many clocks as messages in flight.
    /// </summary>
    private sealed class ClockComputer(Timelines timelines, int actors, string path)
    {
        private readonly int[] cursor = new int[actors];
        private readonly long[][] current = Enumerable.Range(0, actors).Select(_ => new long[actors]).ToArray();
        private readonly Dictionary<long, long[]> sends = new();
        private readonly Dictionary<long, long[]> receives = new();

        public (long[] Send, long[] Receive) Of(long seq)
        {
            if (!timelines.Deliveries.TryGetValue(seq, out var d))
            {
                throw new TraceFormatException(path, 0, $"event #{seq} changed between the exporter's two passes over the file");
            }

            Advance(d.To, seq, send: false);
            if (!sends.Remove(seq, out var send))
            {
                throw new TraceFormatException(path, 0, $"the vector clocks order #{seq}'s receive before its send");
            }

            receives.Remove(seq, out var receive);
            return (send, receive!);
        }

        /// <summary>Computes <paramref name="actor"/>'s events up to and including the given one.</summary>
        private void Advance(int actor, long seq, bool send)
        {
            // Explicit stack: a receive may need another actor's send first, which may need a receive…
            var stack = new Stack<(int Actor, long Seq, bool Send)>();
            stack.Push((actor, seq, send));
            var guard = 0L;
            while (stack.Count > 0)
            {
                if (++guard > 64L * (timelines.Deliveries.Count + 1))
                {
                    throw new TraceFormatException(path, 0, $"the vector clocks around #{seq} are cyclic: no order of the events fits them");
                }

                var (a, target, isSend) = stack.Peek();
                if (Done(a, target, isSend))
                {
                    stack.Pop();
                    continue;
                }

                var list = timelines.Of(a);
                var next = list[cursor[a]];
                var clock = current[a];
                if (next.Send)
                {
                    clock[a]++;
                    sends[next.Seq] = (long[])clock.Clone();
                    cursor[a]++;
                    continue;
                }

                var from = timelines.Deliveries[next.Seq].From;
                if (!sends.TryGetValue(next.Seq, out var sent))
                {
                    // Its send is not computed yet: do that first.
                    stack.Push((from, next.Seq, true));
                    continue;
                }

                for (var i = 0; i < clock.Length; i++)
                {
                    clock[i] = Math.Max(clock[i], sent[i]);
                }

                clock[a]++;
                receives[next.Seq] = (long[])clock.Clone();
                cursor[a]++;
            }
        }

        private bool Done(int actor, long seq, bool send)
        {
            if (send ? sends.ContainsKey(seq) : receives.ContainsKey(seq))
            {
                return true;
            }

            if (cursor[actor] >= timelines.Of(actor).Count)
            {
                throw new TraceFormatException(path, 0, $"#{seq} is missing from {(send ? "its sender" : "its receiver")}'s events");
            }

            return false;
        }
    }
}
