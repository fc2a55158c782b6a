using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>
/// The objects <c>trace show/hb/diff --json</c> print (docs/trace-format.md, "--json output"): an
/// event as in the trace file, with actor names and clocks by name, plus the entry decoded.
/// </summary>
internal static class TraceJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject Header(string path, TraceFileHeader h) => new()
    {
        ["path"] = path,
        ["scenario"] = h.Scenario,
        ["mode"] = h.Mode,
        ["seed"] = h.Seed,
        ["strategy"] = h.Strategy,
        ["start"] = h.Start,
        ["actors"] = new JsonArray(h.Actors.Select(a => (JsonNode)a).ToArray()),
    };

    /// <summary>What happens-before reads of an event (hb reads no fields): who, what type, which CPU's step, and the clocks.</summary>
    public static JsonObject Ordered(TraceEvent e, TraceFileHeader h) => new()
    {
        ["seq"] = e.Seq,
        ["from"] = h.Actors[e.From],
        ["to"] = h.Actors[e.To],
        ["type"] = e.Type,
        ["cpu"] = e.Cpu >= 0 ? e.Cpu : null,
        ["function"] = e.Function,
        ["from_clock"] = Clock(e.FromClock, h),
        ["to_clock"] = Clock(e.ToClock, h),
    };

    /// <summary>The event as the trace file holds it (clocks left out: they would double the output), with its entry decoded.</summary>
    public static JsonObject Event(TraceEvent e, TraceFileHeader h, DecodedEntry? entry)
    {
        var fields = new JsonObject();
        foreach (var (k, v) in e.Fields)
        {
            fields[k] = v;
        }

        return new JsonObject
        {
            ["seq"] = e.Seq,
            ["from"] = h.Actors[e.From],
            ["to"] = h.Actors[e.To],
            ["type"] = e.Type,
            ["cpu"] = e.Cpu >= 0 ? e.Cpu : null,
            ["function"] = e.Function,
            ["effect"] = e.Effect,
            ["fields"] = fields,
            ["entry"] = entry?.Text,
        };
    }

    /// <summary>The non-zero components by actor name, as the trace file writes them.</summary>
    public static JsonObject Clock(long[] clock, TraceFileHeader h)
    {
        var o = new JsonObject();
        for (var i = 0; i < clock.Length; i++)
        {
            if (clock[i] != 0)
            {
                o[h.Actors[i]] = clock[i];
            }
        }

        return o;
    }

    public static string Write(JsonNode node) => node.ToJsonString(Options);
}
