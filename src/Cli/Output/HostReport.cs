using System.Globalization;
using System.Text.Json.Nodes;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Model;

namespace BootActors.Cli.Output;

/// <summary>What the command line chose: which host, which mode, which seed, where the trace goes.</summary>
internal sealed record HostChoice(bool Actors, HostMode Mode, long Seed, string? TraceFile);

/// <summary>What the actor host adds to a run's report: deliveries, the interleaving, the trace file.</summary>
internal sealed record HostReport(ActorRunResult Run, string? TraceFile, long TraceEvents)
{
    public static IEnumerable<StyledLine> Lines(HostReport? report, RunResult result)
    {
        var ms = result.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        if (report is null)
        {
            yield return new StyledLine($"host: sequential interpreter, {result.Steps} steps in {ms} ms");
            yield break;
        }

        var r = report.Run;
        var how = r.Mode == HostMode.Controlled ? $"controlled, {r.Strategy} schedule" : "free (thread pool)";
        yield return new StyledLine($"host: actors, {how}, {r.Delivered} messages delivered in {ms} ms");
        yield return new StyledLine($"  interleaving: {r.InterleavingSummary()} ({r.ContextSwitches} switches between CPUs)");
        if (report.TraceFile is { } file)
        {
            yield return new StyledLine($"  trace: {report.TraceEvents} events written to {file}");
        }
    }

    public JsonObject Json() => new()
    {
        ["name"] = "actors",
        ["mode"] = Run.Mode == HostMode.Controlled ? "controlled" : "free",
        ["strategy"] = Run.Strategy,
        ["delivered"] = Run.Delivered,
        ["context_switches"] = Run.ContextSwitches,
        ["interleaving"] = Run.InterleavingSummary(),
        ["trace"] = TraceFile,
    };
}
