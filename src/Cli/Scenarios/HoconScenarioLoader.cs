using ActorScenarios = BootActors.Actors.Scenarios;

namespace BootActors.Cli.Scenarios;

/// <summary>
/// The CLI's scenario loader: HOCON files under config/scenarios (by bare name) or at a path, read
/// by <see cref="ActorScenarios.ScenarioLoader"/>; its refusals become the CLI's
/// <see cref="ScenarioException"/> with the same "file:line: key: reason" message.
/// </summary>
public sealed class HoconScenarioLoader(string? configDir = null) : IScenarioLoader
{
    /// <summary>Looks bare names up in the config/ found from the current directory or the program's.</summary>
    public static readonly HoconScenarioLoader Default = new();

    public Scenario Load(string path) => Load(path, []);

    public Scenario Load(string path, IReadOnlyList<string> sets)
    {
        try
        {
            var file = ActorScenarios.ScenarioLoader.Find(path, configDir);
            var s = ActorScenarios.ScenarioLoader.Load(file, sets);
            return new Scenario(s.Name, s.Machine)
            {
                Description = s.Description,
                Workload = s.Workload,
                Expect = s.Expect,
                SourcePath = s.SourcePath,
            };
        }
        catch (ActorScenarios.ScenarioException ex)
        {
            throw new ScenarioException(ex.Message, ex);
        }
    }
}
