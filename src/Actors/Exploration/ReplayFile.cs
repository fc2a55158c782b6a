using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.Conductor;
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

    /// <summary>Reads a replay file; a bad one throws <see cref="FormatException"/> naming the file and the problem.</summary>
    public static ReplayFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new FormatException($"{path}: cannot read the replay file: {ex.Message}", ex);
        }

        JsonObject o;
        try
        {
            o = JsonNode.Parse(text)?.AsObject() ?? throw new FormatException("empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{path}: not a replay file (not a JSON object: {ex.Message})", ex);
        }

        if (o["bootactors_replay"]?.GetValue<int>() is not { } version)
        {
            throw new FormatException($"{path}: not a replay file (no \"bootactors_replay\" version)");
        }

        if (version != FormatVersion)
        {
            throw new FormatException($"{path}: replay format version {version} is not supported (this bootactors reads version {FormatVersion})");
        }

        try
        {
            return new ReplayFile
            {
                Spec = RunSpec.FromJson(o["spec"]!.AsObject()),
                Strategy = o["strategy"]!.GetValue<string>(),
                Seed = o["seed"]?.GetValue<long>() ?? 0,
                Schedule = o["schedule"]?.GetValue<int>() ?? 0,
                Kind = o["violation"]!["kind"]!.GetValue<string>(),
                Message = o["violation"]!["message"]!.GetValue<string>(),
                Steps = o["steps"]?.GetValue<int>() ?? 0,
                ShrunkSteps = o["shrunk_steps"]?.GetValue<int>() ?? 0,
                ContextSwitches = o["context_switches"]?.GetValue<int>() ?? 0,
                ShrunkContextSwitches = o["shrunk_context_switches"]?.GetValue<int>() ?? 0,
                Narrative = o["narrative"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [],
                Deliveries = o["deliveries"]!.AsArray().Select(d =>
                {
                    var a = d!.AsArray();
                    return new RecordedDelivery(a[0]!.GetValue<string>(), a[1]!.GetValue<string>(), a[2]!.GetValue<string>());
                }).ToList(),
            };
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new FormatException($"{path}: incomplete replay file: {ex.Message}", ex);
        }
    }
}
