using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Cli.Scenarios;
using BootActors.Model;
using BootActors.Model.Summary;

namespace BootActors.Cli.Output;

/// <summary>The single JSON object of <c>--json</c>: the model's <see cref="RunSummary"/>, plus the dumps asked for.</summary>
internal static class JsonOutput
{
    // Relaxed escaping keeps the "→" of call chains and messages readable instead of \u2192.
    private static readonly SummaryJsonContext Context = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    });

    /// <summary>
    /// The summary's keys in the model's order; "meminfo" and "kernel_page_tables" (arrays of the
    /// lines the text options print) are appended only when <c>--meminfo</c> / <c>--dump</c> ask for
    /// them, because stdout must stay one object. With a scenario, "scenario" (its name, file,
    /// expect block and whether the run met it) is appended too.
    /// </summary>
    /// <param name="limit">The option and the line naming it when a bound ended the run: "outcome" is then "limit".</param>
    public static string Render(RunResult result, IReadOnlyList<string>? meminfo, IReadOnlyList<string>? dump, Scenario? scenario = null, HostReport? host = null,
        (string Option, string Message)? limit = null)
    {
        var node = JsonSerializer.SerializeToNode(result.Summary(), Context.RunSummary)!.AsObject();
        if (limit is { } l)
        {
            node["outcome"] = "limit";
            node["limit"] = new JsonObject { ["option"] = l.Option, ["message"] = l.Message };
        }

        if (meminfo is not null)
        {
            node["meminfo"] = new JsonArray(meminfo.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        }

        if (dump is not null)
        {
            node["kernel_page_tables"] = new JsonArray(dump.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        }

        if (scenario is not null)
        {
            node["scenario"] = ScenarioNode(scenario, result);
        }

        // Timing goes here, never into the trace, so traces stay byte-identical across runs.
        node["host"] = host?.Json() ?? new JsonObject { ["name"] = "sequential", ["steps"] = result.Steps };

        return node.ToJsonString(Context.Options);
    }

    private static JsonObject ScenarioNode(Scenario scenario, RunResult result)
    {
        var expect = scenario.Expect;
        return new JsonObject
        {
            ["name"] = scenario.Name,
            ["file"] = scenario.SourcePath,
            ["expect"] = expect is null
                ? null
                : new JsonObject
                {
                    ["outcome"] = expect.Outcome,
                    ["error"] = expect.Error,
                    ["message"] = expect.Message,
                },
            ["expect_met"] = expect is null ? null : JsonValue.Create(expect.Check(result).Met),
        };
    }
}
