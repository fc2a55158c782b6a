using BootActors.Model.Machine;

namespace BootActors.Cli.Scenarios;

/// <summary>
/// The machine a scenario file describes. Command-line options given with the scenario
/// override its settings one by one, so a scenario can be re-run with another variant.
/// </summary>
public sealed record Scenario(string Name, MachineConfig Machine);

/// <summary>
/// Turns the SCENARIO argument of <c>bootactors run</c> into a <see cref="Scenario"/>. This is the
/// seam where scenario files plug in; a loader reports a bad file by throwing
/// <see cref="ScenarioException"/>, which the command turns into exit code 2.
/// </summary>
public interface IScenarioLoader
{
    Scenario Load(string path);
}

/// <summary>A scenario that cannot be used; the message names the file (and line, where there is one).</summary>
public sealed class ScenarioException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The loader until scenario files exist: every SCENARIO argument is a user error.</summary>
internal sealed class UnsupportedScenarioLoader : IScenarioLoader
{
    public static readonly UnsupportedScenarioLoader Instance = new();

    public Scenario Load(string path) =>
        throw new ScenarioException($"{path}: scenario files are not supported yet (describe the machine with --memory or --e820 and the other options)");
}
