using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.Conductor;
using BootActors.Model.Files;
using BootActors.Model.Workload;

namespace BootActors.Actors.Exploration;

/// <summary>
/// A found violation, replayable: the resolved run (scenario spec), how it was found (strategy, seed,
/// schedule number), and the exact sequence of deliveries (sender, receiver, message type) after the
/// boot. <c>bootactors replay</c> re-delivers exactly these and refuses a file whose deliveries the
/// run does not offer.
/// </summary>
public sealed record ReplayFile
{
    public const int FormatVersion = 1;

    public required RunSpec Spec { get; init; }

    public required string Strategy { get; init; }

    public long Seed { get; init; }

    public int Schedule { get; init; }

    public required IReadOnlyList<RecordedDelivery> Deliveries { get; init; }

    public required string Kind { get; init; }

    public required string Message { get; init; }

    public int Steps { get; init; }

    public int ShrunkSteps { get; init; }

    public int ContextSwitches { get; init; }

    public int ShrunkContextSwitches { get; init; }

    public IReadOnlyList<string> Narrative { get; init; } = [];

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["bootactors_replay"] = FormatVersion,
            ["scenario"] = Spec.Name,
            ["strategy"] = Strategy,
            ["seed"] = Seed,
            ["schedule"] = Schedule,
            ["violation"] = new JsonObject { ["kind"] = Kind, ["message"] = Message },
            ["steps"] = Steps,
            ["shrunk_steps"] = ShrunkSteps,
            ["context_switches"] = ContextSwitches,
            ["shrunk_context_switches"] = ShrunkContextSwitches,
            ["narrative"] = new JsonArray(Narrative.Select(n => (JsonNode)n).ToArray()),
            ["spec"] = Spec.ToJson(),
            ["deliveries"] = new JsonArray(Deliveries.Select(d => (JsonNode)new JsonArray(d.From, d.To, d.Type)).ToArray()),
        };
        return o.ToJsonString(Options) + "\n";
    }

    /// <summary>
    /// Reads a replay file; a bad one throws <see cref="FormatException"/> whose message is the whole
    /// report ("file: spec.cpus: …"), including a spec the run-spec limits refuse.
    /// </summary>
    public static ReplayFile Load(string path)
    {
        string text;
        try
        {
            text = InputFile.ReadAllText(path, InputFile.MaxReplayBytes, "replay file");
        }
        catch (InputFileException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        JsonObject o;
        try
        {
            o = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) as JsonObject
                ?? throw new FormatException("the file holds a JSON value that is not an object");
        }
        catch (JsonException ex)
        {
            // System.Text.Json ends its message with its own position; the line and byte say it for a person.
            var reason = ex.Message;
            var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            reason = OneLine.Of((cut >= 0 ? reason[..cut] : reason).TrimEnd('.', ' '), 200);
            var at = ex.LineNumber is { } l ? $" (line {l + 1}, byte {ex.BytePositionInLine + 1})" : "";
            throw new FormatException($"{path}: not a replay file (not JSON: {reason}{at})", ex);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: not a replay file ({ex.Message})", ex);
        }

        if (JsonFields.Optional(o, "bootactors_replay") is not { } versionNode)
        {
            throw new FormatException($"{path}: not a replay file (no \"bootactors_replay\" version)");
        }

        try
        {
            var version = JsonFields.Integer(versionNode, "bootactors_replay", long.MinValue, long.MaxValue);
            if (version != FormatVersion)
            {
                throw new FormatException($"replay format version {version} is not supported (this bootactors reads version {FormatVersion})");
            }

            var spec = RunSpec.FromJson(JsonFields.Object(JsonFields.Required(o, "spec", ""), "spec"));
            // Replayed after Simulation.SnapshotAfterBoot's unwatched boot.
            if (spec.Problem(RunSpecLimits.HostMemory(), bootFolds: true) is { } problem)
            {
                throw new FormatException(problem);
            }

            var violation = JsonFields.Object(JsonFields.Required(o, "violation", ""), "violation");
            return new ReplayFile
            {
                Spec = spec,
                Strategy = JsonFields.String(JsonFields.Required(o, "strategy", ""), "strategy"),
                Seed = Long(o, "seed"),
                Schedule = Int(o, "schedule"),
                Kind = JsonFields.String(JsonFields.Required(violation, "kind", "violation"), "violation.kind"),
                Message = JsonFields.String(JsonFields.Required(violation, "message", "violation"), "violation.message"),
                Steps = Int(o, "steps"),
                ShrunkSteps = Int(o, "shrunk_steps"),
                ContextSwitches = Int(o, "context_switches"),
                ShrunkContextSwitches = Int(o, "shrunk_context_switches"),
                Narrative = JsonFields.Optional(o, "narrative") is { } narrative
                    ? JsonFields.Array(narrative, "narrative").Select((n, i) => JsonFields.String(n!, JsonFields.Index("narrative", i))).ToList()
                    : [],
                Deliveries = ReadDeliveries(JsonFields.Array(JsonFields.Required(o, "deliveries", ""), "deliveries")),
            };
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    private static List<RecordedDelivery> ReadDeliveries(JsonArray deliveries)
    {
        var list = new List<RecordedDelivery>(deliveries.Count);
        for (var i = 0; i < deliveries.Count; i++)
        {
            var at = JsonFields.Index("deliveries", i);
            var a = JsonFields.Array(deliveries[i] ?? throw new FormatException($"{at}: expected [from, to, type], found null"), at);
            if (a.Count != 3)
            {
                throw new FormatException($"{at}: expected [from, to, type] (3 strings), found {a.Count} value(s)");
            }

            list.Add(new RecordedDelivery(
                JsonFields.String(a[0] ?? throw new FormatException($"{at}[0]: expected a string, found null"), JsonFields.Index(at, 0)),
                JsonFields.String(a[1] ?? throw new FormatException($"{at}[1]: expected a string, found null"), JsonFields.Index(at, 1)),
                JsonFields.String(a[2] ?? throw new FormatException($"{at}[2]: expected a string, found null"), JsonFields.Index(at, 2))));
        }

        return list;
    }

    private static long Long(JsonObject o, string key) =>
        JsonFields.Optional(o, key) is { } n ? JsonFields.Integer(n, key, long.MinValue, long.MaxValue) : 0;

    private static int Int(JsonObject o, string key) =>
        JsonFields.Optional(o, key) is { } n ? (int)JsonFields.Integer(n, key, 0, int.MaxValue) : 0;
}
