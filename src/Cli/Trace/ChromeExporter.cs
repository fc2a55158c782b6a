using System.Text.Encodings.Web;
using System.Text.Json;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>
/// Chrome Trace Event JSON (the format Perfetto and chrome://tracing open): one thread track per
/// actor, a complete slice ("X") on the receiver for handling each message, and a flow ("s" → "f")
/// from the slice in which the sender sent it to the receiver's slice. There is no wall clock in a
/// trace, so time is the delivery order: delivery #n is handled during [n, n+1) µs.
/// <para>
/// Each flow event sits exactly at the start of the slice it belongs to, with that slice's pid, tid
/// and category: DevTools' trace engine binds a flow event only to a slice with the same ts, pid,
/// tid and cat (FlowsHandler), and Perfetto binds "s" and an enclosing "f" (bp "e") to the topmost
/// slice open on the track at ts, sorting a complete slice before a flow event of equal ts
/// (trace_sorter.h, KeyForType). A slice starting at ts is therefore the one both pick.
/// </para>
/// </summary>
internal static class ChromeExporter
{
    public const string MessageCategory = "message";

    /// <summary>The name of a slice that only carries a flow's start: "send " and the message type.</summary>
    public const string SendSlicePrefix = "send ";

    // Inside the previous delivery's microsecond, after any slice that delivery starts on the track.
    private const double SendSliceLead = 0.5;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static long Write(TraceReader reader, EventFilter range, Stream output)
    {
        var header = reader.Header;
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteString("displayTimeUnit", "ns");
        w.WriteStartObject("otherData");
        w.WriteNumber("bootactors_trace", header.Version);
        w.WriteString("scenario", header.Scenario);
        w.WriteString("mode", header.Mode);
        w.WriteString("strategy", header.Strategy);
        if (header.Seed is { } seed)
        {
            w.WriteNumber("seed", seed);
        }

        w.WriteString("time", "ts is the delivery's seq in microseconds: delivery #n is handled during [n, n+1); no wall clock is recorded");
        w.WriteEndObject();
        w.WriteStartArray("traceEvents");

        w.WriteStartObject();
        w.WriteString("ph", "M");
        w.WriteNumber("pid", 1);
        w.WriteString("name", "process_name");
        w.WriteStartObject("args");
        w.WriteString("name", $"bootactors {header.Scenario} ({header.Mode}{(header.Seed is { } s ? $", seed {s}" : "")})");
        w.WriteEndObject();
        w.WriteEndObject();
        for (var i = 0; i < header.Actors.Count; i++)
        {
            Meta(w, i, "thread_name", "name", header.Actors[i]);
            Meta(w, i, "thread_sort_index", "sort_index", i);
        }

        // Per actor, its receives (own clock, seq) in order: a send happened while handling the
        // last receive before it in the sender's program order.
        var receives = new Receives[header.Actors.Count];
        for (var i = 0; i < receives.Length; i++)
        {
            receives[i] = new Receives();
        }

        var decoder = new EntryDecoder();
        long written = 0;
        foreach (var e in reader.Events())
        {
            var entry = decoder.Decode(e);
            receives[e.To].Add(e.ReceiveTime, e.Seq);
            if (range.PastRange(e))
            {
                break;
            }

            if (!range.InRange(e))
            {
                continue;
            }

            written++;
            var trigger = receives[e.From].Before(e.SendTime);
            double sendTs;
            if (trigger > 0 && range.InRange(trigger))
            {
                // The sender sent it while handling delivery #trigger: the flow starts at that slice's start.
                sendTs = trigger;
            }
            else
            {
                // The host sends without having received anything (or the cause is cut off): a short
                // "send" slice on the sender's track just before the delivery carries the flow's start.
                sendTs = e.Seq - SendSliceLead;
                w.WriteStartObject();
                w.WriteString("ph", "X");
                w.WriteString("cat", MessageCategory);
                w.WriteString("name", SendSlicePrefix + e.Type);
                w.WriteNumber("pid", 1);
                w.WriteNumber("tid", e.From);
                w.WriteNumber("ts", sendTs);
                w.WriteNumber("dur", 0.25);
                w.WriteStartObject("args");
                w.WriteNumber("sends", e.Seq);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteStartObject();
            w.WriteString("ph", "X");
            w.WriteString("cat", MessageCategory);
            w.WriteString("name", e.Type);
            w.WriteNumber("pid", 1);
            w.WriteNumber("tid", e.To);
            w.WriteNumber("ts", e.Seq);
            w.WriteNumber("dur", 1);
            w.WriteStartObject("args");
            w.WriteNumber("seq", e.Seq);
            w.WriteString("from", header.Actors[e.From]);
            w.WriteString("to", header.Actors[e.To]);
            if (e.Cpu >= 0)
            {
                w.WriteNumber("cpu", e.Cpu);
            }

            if (e.Function is { } fn)
            {
                w.WriteString("function", fn);
            }

            if (e.Effect is { } effect)
            {
                w.WriteString("effect", effect);
            }

            if (entry is not null)
            {
                w.WriteString("entry", entry.Text);
            }

            w.WriteStartObject("fields");
            foreach (var (k, v) in e.Fields)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();

            Flow(w, "s", e, e.From, sendTs);
            Flow(w, "f", e, e.To, e.Seq);
            if (w.BytesPending > 1 << 16)
            {
                w.Flush();
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return written;
    }

    private static void Meta<T>(Utf8JsonWriter w, int tid, string name, string key, T value)
    {
        w.WriteStartObject();
        w.WriteString("ph", "M");
        w.WriteNumber("pid", 1);
        w.WriteNumber("tid", tid);
        w.WriteString("name", name);
        w.WriteStartObject("args");
        if (value is string s)
        {
            w.WriteString(key, s);
        }
        else
        {
            w.WriteNumber(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Flow(Utf8JsonWriter w, string ph, TraceEvent e, int tid, double ts)
    {
        w.WriteStartObject();
        w.WriteString("ph", ph);
        if (ph == "f")
        {
            // Bind to the slice that encloses ts (the receiver's handling), not the next one.
            w.WriteString("bp", "e");
        }

        w.WriteString("cat", MessageCategory);
        w.WriteString("name", e.Type);
        w.WriteNumber("id", e.Seq);
        w.WriteNumber("pid", 1);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", ts);
        w.WriteEndObject();
    }

    /// <summary>One actor's receives: own-clock values and seqs, both ascending.</summary>
    private sealed class Receives
    {
        private long[] times = new long[64];
        private long[] seqs = new long[64];
        private int count;

        public void Add(long time, long seq)
        {
            if (count == times.Length)
            {
                Array.Resize(ref times, count * 2);
                Array.Resize(ref seqs, count * 2);
            }

            times[count] = time;
            seqs[count] = seq;
            count++;
        }

        /// <summary>The seq of the last receive strictly before own time <paramref name="time"/>, or 0.</summary>
        public long Before(long time)
        {
            var i = Array.BinarySearch(times, 0, count, time);
            var at = i >= 0 ? i - 1 : ~i - 1;
            return at >= 0 ? seqs[at] : 0;
        }
    }
}
