using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.Settings;
using ActorScenarios = BootActors.Actors.Scenarios;

namespace BootActors.Cli.Scenarios;

/// <summary>
/// <c>bootactors scenarios</c>: the scenarios a bare name finds (the nearest config/scenarios, a
/// checkout's or the tool's own), each with its one-line summary and what it expects.
/// </summary>
internal sealed class ScenariosCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Option<bool> json = new("--json")
    {
        Description = "Print one JSON object: {\"directory\", \"scenarios\": [{\"name\", \"file\", \"summary\", \"expect\", \"description\"}]}.",
    };

    private readonly TextWriter output;

    public ScenariosCommand(TextWriter stdout)
    {
        output = stdout;
        Command = new Command("scenarios",
            "List the shipped scenarios (those 'bootactors run NAME' and 'bootactors explore NAME' find by name): each one's name, " +
            "what it expects and the first sentence of its description. 'bootactors run NAME' prints the whole description. " +
            "Exit codes: see 'bootactors --help'.");
        Command.Options.Add(json);
        Command.SetAction(Execute);
    }

    public Command Command { get; }

    /// <summary>The folder bare names are looked up in, as <see cref="ActorScenarios.ScenarioLoader.Find"/> does.</summary>
    public static string? Directory() =>
        ConfigDirectory.Candidates().Select(d => Path.Combine(d, "scenarios")).FirstOrDefault(System.IO.Directory.Exists);

    /// <summary>The first sentence of the description's first paragraph: what the scenario is.</summary>
    public static string Summary(string description)
    {
        var paragraph = description.Split("\n\n", 2)[0].ReplaceLineEndings(" ").Trim();
        for (var i = paragraph.IndexOf(". ", StringComparison.Ordinal); i >= 0; i = paragraph.IndexOf(". ", i + 1, StringComparison.Ordinal))
        {
            if (i + 2 < paragraph.Length && char.IsUpper(paragraph[i + 2]))
            {
                return paragraph[..(i + 1)];
            }
        }

        return paragraph;
    }

    private int Execute(ParseResult parse)
    {
        var dir = Directory() ?? throw new UsageException(
            $"no config/scenarios folder in or above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}: there are no scenarios to list");
        var rows = new List<(string Name, string File, string Summary, ActorScenarios.Expectation? Expect, string Description)>();
        foreach (var file in System.IO.Directory.GetFiles(dir, "*" + ActorScenarios.ScenarioLoader.Extension).Order(StringComparer.Ordinal))
        {
            var display = ActorScenarios.ScenarioLoader.DisplayPath(file);
            try
            {
                var s = ActorScenarios.ScenarioLoader.Load(display);
                rows.Add((s.Name, display, Summary(s.Description), s.Expect, s.Description));
            }
            catch (ActorScenarios.ScenarioException ex)
            {
                // One broken file (a user's, in a checkout) does not hide the others; it is listed with its reason.
                rows.Add((Path.GetFileNameWithoutExtension(file), display, $"cannot be read: {ex.Message}", null, ""));
            }
        }

        var where = ActorScenarios.ScenarioLoader.DisplayPath(dir);
        if (parse.GetValue(json))
        {
            output.WriteLine(new JsonObject
            {
                ["directory"] = where,
                ["scenarios"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Name,
                    ["file"] = r.File,
                    ["summary"] = r.Summary,
                    ["expect"] = r.Expect is { } e ? new JsonObject { ["outcome"] = e.Outcome, ["error"] = e.Error, ["message"] = e.Message } : null,
                    ["description"] = r.Description,
                }).ToArray()),
            }.ToJsonString(Json));
        }
        else
        {
            output.WriteLine($"{rows.Count} scenarios in {where} ('bootactors run NAME' runs one and prints its whole description); expected outcome, summary:");
            var nameWidth = rows.Max(r => r.Name.Length);
            var expectWidth = rows.Max(r => Expect(r.Expect).Length);
            foreach (var r in rows)
            {
                output.WriteLine($"  {r.Name.PadRight(nameWidth)}  {Expect(r.Expect).PadRight(expectWidth)}  {r.Summary}");
            }
        }

        output.Flush();
        return ExitCodes.Ok;
    }

    /// <summary>"violation (overwrote_present_entry)": the message piece is in --json and in the file.</summary>
    private static string Expect(ActorScenarios.Expectation? e) =>
        e is null ? "-" : e.Outcome + (e.Error is null || e.Error == e.Outcome ? "" : $" ({e.Error})");
}
