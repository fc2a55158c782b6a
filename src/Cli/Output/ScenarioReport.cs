using BootActors.Cli.Scenarios;
using BootActors.Model;
using BootActors.Model.Workload;

namespace BootActors.Cli.Output;

/// <summary>The parts of the human report that a scenario adds: what to expect before the summary, the verdict after it.</summary>
internal static class ScenarioReport
{
    public static IReadOnlyList<StyledLine> Header(Scenario scenario)
    {
        var lines = new List<StyledLine>
        {
            new($"scenario {scenario.Name}" + (scenario.SourcePath is { } path ? $" ({path})" : ""), LineStyle.Heading),
        };
        foreach (var line in scenario.Description.Split('\n'))
        {
            lines.Add(new StyledLine(line.Length == 0 ? "" : "  " + line));
        }

        lines.Add(new StyledLine(""));
        lines.Add(new StyledLine("workload after the boot on CPU0", LineStyle.Heading));
        if (scenario.Workload.Steps.Count == 0)
        {
            lines.Add(new StyledLine("  (none: boot only)"));
        }

        for (var i = 0; i < scenario.Workload.Steps.Count; i++)
        {
            lines.Add(new StyledLine($"  {i + 1}. {Describe(scenario.Workload.Steps[i])}"));
        }

        return lines;
    }

    /// <summary>"expected ... : met" or "... NOT met (got ...)"; the exit code stays the outcome's, so scripts keep their meaning.</summary>
    public static IReadOnlyList<StyledLine> Verdict(Scenario scenario, RunResult result)
    {
        if (scenario.Expect is not { } expect)
        {
            return [new StyledLine($"expected: nothing (scenario {scenario.Name} has no expect block)")];
        }

        var check = expect.Check(result);
        return check.Met
            ? [new StyledLine($"expected: {expect.Describe()}: met", LineStyle.Good)]
            : [new StyledLine($"expected: {expect.Describe()}: NOT met (got {check.Got})", LineStyle.Bad)];
    }

    private static string Describe(WorkloadStep step) =>
        step.Concurrent
            ? "at the same time: " + string.Join("; ", step.Events.Select(e => e.Describe()))
            : string.Join("; ", step.Events.Select(e => e.Describe()));
}
