using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>
/// One self-contained HTML file: the viewer (<see cref="HtmlViewer"/>, inline CSS and JavaScript,
/// nothing fetched) with the trace embedded as JSON. Events are compact arrays with interned type and
/// function names, and each carries its decoded entry, so the page needs no decoding of its own.
/// </summary>
internal static class HtmlExporter
{
    // The default encoder escapes <, >, & and non-ASCII, so no string in the data can close the
    // script element it sits in.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.Default };

    public static long Write(TraceReader reader, string fileName, EventFilter range, Stream output)
    {
        var header = reader.Header;
        var head = Encoding.UTF8.GetBytes(HtmlViewer.Head(header.Scenario));
        output.Write(head);

        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        var functions = new Dictionary<string, int>(StringComparer.Ordinal);
        static int Intern(Dictionary<string, int> table, string name)
        {
            if (!table.TryGetValue(name, out var i))
            {
                i = table.Count;
                table[name] = i;
            }

            return i;
        }

        long written = 0;
        long violation = -1;
        using (var w = new Utf8JsonWriter(output, Options))
        {
            w.WriteStartObject();
            w.WriteStartObject("header");
            w.WriteString("file", fileName);
            w.WriteString("scenario", header.Scenario);
            w.WriteString("mode", header.Mode);
            w.WriteString("strategy", header.Strategy);
            if (header.Seed is { } seed)
            {
                w.WriteNumber("seed", seed);
            }

            w.WriteString("start", header.Start);
            w.WriteStartArray("actors");
            foreach (var a in header.Actors)
            {
                w.WriteStringValue(a);
            }

            w.WriteEndArray();
            w.WriteEndObject();

            var decoder = new EntryDecoder();
            w.WriteStartArray("events");
            foreach (var e in reader.Events())
            {
                var entry = decoder.Decode(e, out var request);
                if (range.PastRange(e))
                {
                    break;
                }

                if (!range.InRange(e))
                {
                    continue;
                }

                if (e.IsViolation && violation < 0)
                {
                    violation = written;
                }

                written++;
                w.WriteStartArray();
                w.WriteNumberValue(e.Seq);
                w.WriteNumberValue(e.From);
                w.WriteNumberValue(e.To);
                w.WriteNumberValue(Intern(types, e.Type));
                w.WriteNumberValue(e.Cpu);
                w.WriteNumberValue(e.Function is { } fn ? Intern(functions, fn) : -1);
                StringOrNull(w, e.Effect);
                w.WriteStartArray();
                foreach (var (k, v) in e.Fields)
                {
                    w.WriteStringValue(k);
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
                StringOrNull(w, entry?.Text);
                w.WriteNumberValue(request);
                Clock(w, e.FromClock);
                Clock(w, e.ToClock);
                w.WriteEndArray();
                if (w.BytesPending > 1 << 16)
                {
                    w.Flush();
                }
            }

            w.WriteEndArray();
            Names(w, "types", types);
            Names(w, "functions", functions);
            w.WriteNumber("violation", violation);
            w.WriteEndObject();
        }

        output.Write(Encoding.UTF8.GetBytes(HtmlViewer.Tail));
        output.Flush();
        return written;
    }

    private static void StringOrNull(Utf8JsonWriter w, string? s)
    {
        if (s is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(s);
        }
    }

    /// <summary>A clock as [actor, count, actor, count, …] over its non-zero components.</summary>
    private static void Clock(Utf8JsonWriter w, long[] clock)
    {
        w.WriteStartArray();
        for (var i = 0; i < clock.Length; i++)
        {
            if (clock[i] != 0)
            {
                w.WriteNumberValue(i);
                w.WriteNumberValue(clock[i]);
            }
        }

        w.WriteEndArray();
    }

    private static void Names(Utf8JsonWriter w, string key, Dictionary<string, int> table)
    {
        w.WriteStartArray(key);
        foreach (var name in table.OrderBy(kv => kv.Value).Select(kv => kv.Key))
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
    }
}
