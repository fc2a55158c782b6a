using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Trace;
using BootActors.Cli.Options;
using BootActors.Cli.Output;
using BootActors.Model.Files;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;

namespace BootActors.Cli.Explore;

/// <summary><c>bootactors replay FILE</c>: re-run a found schedule exactly, optionally writing its trace.</summary>
internal sealed class ReplayCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Argument<string> file = new Argument<string>("FILE") { Description = "A replay file written by bootactors explore (into --output-dir)." }.Named("a replay file");
    private readonly Option<string?> trace = new Option<string?>("--trace") { Description = "Write the replayed run's trace as JSON Lines (the same bytes as the trace explore wrote).", HelpName = "FILE.jsonl" }.Named("a trace file");
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object: reproduced, the violation, the run's summary." };

    private readonly LimitOptions limits = new("Stop the replayed run after this many delivered messages [default: bootactors.conductor.max-steps in config/akka.hocon].");
    private readonly TextWriter output;
    private readonly TextWriter errors;

    public ReplayCommand(TextWriter stdout, TextWriter stderr)
    {
        output = stdout;
        errors = stderr;
        Command = new Command("replay",
            "Replay a schedule from a replay file: the same deliveries in the same order after the same boot. A file that no longer " +
            "fits its run (a delivery the run does not offer) is refused. Exits 1 when the file's violation happens again, 4 when it does " +
            "not. Exit codes: see 'bootactors --help'.");
        Command.Arguments.Add(file);
        Command.Options.Add(trace);
        Command.Options.Add(json);
        limits.AddTo(Command);
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
        var bounds = limits.Parse(parse, host.Settings);
        var explorer = new Explorer(host);
        ReplayOutcome outcome;
        using (var traceFile = parse.GetValue(trace) is { } tracePath ? OutputFile.Create(tracePath, [path]) : null)
        {
            var sink = traceFile is null ? null : new JsonlTraceSink(traceFile.Stream, Explorer.HeaderFor(replay.Spec, replay.Strategy, replay.Seed), ownsStream: false);
            try
            {
                outcome = explorer.Replay(replay, sink, bounds.Timeout, bounds.MaxDeliveries);
            }
            catch (FormatException ex)
            {
                throw new UsageException($"{path}: {ex.Message}");
            }
            finally
            {
                sink?.Dispose();
            }

            if (sink?.WriteError is { } error)
            {
                throw traceFile!.Failed(error);
            }

            traceFile?.Commit();
        }

        var result = outcome.Run.Result;
        var limit = RunLimits.Of(result.Stop);
        var limitLine = limit == RunLimit.None ? null : bounds.Describe(limit, outcome.Run.Delivered);
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
                ["limit"] = limitLine,
            };
            output.WriteLine(node.ToJsonString(Json));
        }
        else
        {
            var lines = new List<StyledLine>
            {
                new($"replay {path}: scenario {replay.Spec.Name}, found by {replay.Strategy} (seed {replay.Seed}, schedule {replay.Schedule}), {replay.Deliveries.Count} deliveries", LineStyle.Heading),
                limitLine is not null
                    ? new StyledLine($"not finished: {limitLine}", LineStyle.Bad)
                    : outcome.Reproduced
                        ? new StyledLine($"reproduced: {outcome.Got} on CPU{result.Stop!.Cpu}", LineStyle.Bad)
                        : new StyledLine($"NOT reproduced: expected {replay.Kind}, got {outcome.Got}", LineStyle.Bad),
            };
            if (result.Stop is { Cpu: >= 0 } stop)
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

        output.Flush();
        if (limitLine is not null)
        {
            errors.WriteLine($"bootactors: {limitLine}");
            return ExitCodes.LimitReached;
        }

        if (result.Outcome == Outcome.Failed)
        {
            return ExitCodes.InternalError;
        }

        if (!outcome.Reproduced)
        {
            errors.WriteLine($"bootactors: {OneLine.Of($"{path}: not reproduced: the file's violation is {replay.Kind}, the replay gave {outcome.Got}")}");
            return ExitCodes.ExpectationNotMet;
        }

        return result.Outcome == Outcome.Ok ? ExitCodes.Ok : ExitCodes.BadOutcome;
    }
}
