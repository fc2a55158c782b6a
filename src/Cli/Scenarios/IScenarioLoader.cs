using Expectation = BootActors.Actors.Scenarios.Expectation;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Cli.Scenarios;

/// <summary>
/// The machine a scenario file describes, with what runs after the boot and what should come of
/// it. Command-line options given with the scenario override its machine settings one by one, so
/// a scenario can be re-run with another variant.
/// </summary>
public sealed record Scenario(string Name, MachineConfig Machine)
{
    /// <summary>What a user should see and why (the file's leading comment), printed above the summary.</summary>
    public string Description { get; init; } = "";

    /// <summary>The steps after the boot on CPU0.</summary>
    public WorkloadPlan Workload { get; init; } = WorkloadPlan.BootOnly;

    /// <summary>The outcome the file promises; null when it promises none.</summary>
    public Expectation? Expect { get; init; }

    /// <summary>The file the scenario was read from, for the report.</summary>
    public string? SourcePath { get; init; }
}

/// <summary>
/// Turns the SCENARIO argument of <c>bootactors run</c> into a <see cref="Scenario"/>. This is the
/// seam where scenario files plug in; a loader reports a bad file by throwing
/// <see cref="ScenarioException"/>, which the command turns into exit code 2.
/// </summary>
public interface IScenarioLoader
{
    Scenario Load(string path);

    /// <summary>As <see cref="Load(string)"/>, with <c>--set KEY=VALUE</c> overrides of the file's keys.</summary>
    Scenario Load(string path, IReadOnlyList<string> sets) =>
        sets.Count == 0 ? Load(path) : throw new ScenarioException($"{path}: --set is not supported by this scenario loader");
}

/// <summary>A scenario that cannot be used; the message names the file (and line, where there is one).</summary>
public sealed class ScenarioException(string message, Exception? inner = null) : Exception(message, inner);
