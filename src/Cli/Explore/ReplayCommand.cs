using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Trace;
using BootActors.Cli.Output;
using BootActors.Model.Kernel;

namespace BootActors.Cli.Explore;

/// <summary><c>bootactors replay FILE</c>: re-run a found schedule exactly, optionally writing its trace.</summary>
internal sealed class ReplayCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Argument<string> file = new("FILE") { Description = "A replay file written by bootactors explore (--replay-out)." };
    private readonly Option<string?> trace = new("--trace") { Description = "Write the replayed run's trace as JSON Lines (the same bytes as the trace explore wrote).", HelpName = "FILE.jsonl" };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object: reproduced, the violation, the run's summary." };

    private readonly TextWriter output;

    public ReplayCommand(TextWriter stdout)
    {
        output = stdout;
        Command = new Command("replay",
            "Replay a schedule from a replay file: the same deliveries in the same order after the same boot. A file that no longer " +
            "fits its run (a delivery the run does not offer) is refused.\n\nExit codes: 0 the run is ok; 1 the violation (or another) " +
            "happened; 2 unreadable file or a file that does not fit its run; 3 internal failure.");
        Command.Arguments.Add(file);
        Command.Options.Add(trace);
        Command.Options.Add(json);
        Command.SetAction(Execute);
    }

    public Command Command { get; }

    private int Execute(ParseResult parse)
    {
        var path = parse.GetValue(file)!;
        ReplayFile replay;
        try
        {
            replay = ReplayFile.Load(path);
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }

        using var host = ActorHost.FromConfigDirectory();
        var explorer = new Explorer(host);
        JsonlTraceSink? sink = null;
        ReplayOutcome outcome;
        try
        {
            if (parse.GetValue(trace) is { } tracePath)
            {
                FileStream stream;
                try
                {
                    stream = new FileStream(tracePath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    throw new UsageException($"--trace {tracePath}: cannot write the trace file: {ex.Message}");
                }

                sink = new JsonlTraceSink(stream, Explorer.HeaderFor(replay.Spec, replay.Strategy, replay.Seed));
            }

            try
            {
                outcome = explorer.Replay(replay, sink);
            }
            catch (FormatException ex)
            {
                throw new UsageException($"{path}: {ex.Message}");
            }
        }
        finally
        {
            sink?.Dispose();
        }

        var result = outcome.Run.Result;
        if (parse.GetValue(json))
        {
            var node = new JsonObject
            {
                ["reproduced"] = outcome.Reproduced,
                ["expected"] = new JsonObject { ["kind"] = replay.Kind, ["message"] = replay.Message },
                ["got"] = outcome.Got,
                ["message"] = result.Stop?.Fatal.Message,
                ["steps"] = outcome.Run.Delivered,
                ["narrative"] = new JsonArray(outcome.Narrative.Select(n => (JsonNode)n).ToArray()),
                ["trace"] = parse.GetValue(trace),
            };
            output.WriteLine(node.ToJsonString(Json));
        }
        else
        {
            var lines = new List<StyledLine>
            {
                new($"replay {path}: scenario {replay.Spec.Name}, found by {replay.Strategy} (seed {replay.Seed}, schedule {replay.Schedule}), {replay.Deliveries.Count} deliveries", LineStyle.Heading),
                outcome.Reproduced
                    ? new StyledLine($"reproduced: {outcome.Got} on CPU{result.Stop!.Cpu}", LineStyle.Bad)
                    : new StyledLine($"NOT reproduced: expected {replay.Kind}, got {outcome.Got}", LineStyle.Bad),
            };
            if (result.Stop is { } stop)
            {
                lines.Add(new StyledLine($"  call chain  {stop.CallChain}"));
                lines.Add(new StyledLine("  what happened"));
                lines.AddRange(outcome.Narrative.Select(n => new StyledLine($"    {n}")));
            }

            if (parse.GetValue(trace) is { } t)
            {
                lines.Add(new StyledLine($"  trace       {t}"));
            }

            new TextOutput(output).Write(lines);
        }

        return result.Outcome switch
        {
            Outcome.Ok => ExitCodes.Ok,
            Outcome.Failed => ExitCodes.InternalError,
            _ => ExitCodes.BadOutcome,
        };
    }
}
