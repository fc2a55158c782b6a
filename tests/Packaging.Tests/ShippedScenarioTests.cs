using BootActors.Actors.Scenarios;
using BootActors.Model.Workload;
using BootActors.TestKit;

namespace BootActors.Packaging.Tests;

/// <summary>The kit carries every scenario of config/scenarios, byte for byte, and reads it as the CLI reads the file.</summary>
public sealed class ShippedScenarioTests
{
    private static string ScenarioFolder => Path.Combine(Repo.Root, "config", "scenarios");

    private static IReadOnlyList<string> Names =>
        Directory.GetFiles(ScenarioFolder, "*.hocon").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> Files() => new(Names);

    [Fact]
    public void TheKitShipsExactlyTheScenariosOfConfigScenarios() =>
        Assert.Equal(Names, ShippedScenarios.Names);

    [Theory]
    [MemberData(nameof(Files))]
    public void EachShippedScenarioIsTheFileAndLoadsToTheSameMachineAndWorkload(string name)
    {
        var file = Path.Combine(ScenarioFolder, name + ".hocon");
        Assert.Equal(File.ReadAllText(file), ShippedScenarios.Text(name));

        var fromFile = ScenarioLoader.Load(file, ["cpus=4"]);
        var shipped = ScenarioLoader.LoadText(ShippedScenarios.Text(name)!, name + ".hocon", ["cpus=4"]);
        Assert.Equal(Resolved(fromFile), Resolved(shipped));
        Assert.Equal(fromFile.Description, shipped.Description);
        Assert.Equal(fromFile.Expect, shipped.Expect);
    }

    // Everything that decides a run (what a replay file records), so "the same scenario" means the same run.
    private static string Resolved(Scenario s) => new RunSpec(s.Name, s.Machine, s.Workload).ToJson().ToJsonString();

    [Fact]
    public void AnUnknownNameIsRefusedNamingTheShippedScenarios()
    {
        var ex = Assert.Throws<ScenarioException>(() => ShippedScenarios.Load("hotadd-concurent", []));

        Assert.Equal("hotadd-concurent: no such scenario file, and BootActors.TestKit ships no scenario of that name " +
                     $"(it ships {string.Join(", ", ShippedScenarios.Names)})", ex.Message);
        Assert.Contains("hotadd-concurrent", ex.Message);
    }

    [Fact]
    public void AUsersOwnHoconPathIsReadFromThatFile()
    {
        var dir = Directory.CreateTempSubdirectory("bootactors-own-scenario-");
        try
        {
            var file = Path.Combine(dir.FullName, "mine.hocon");
            File.WriteAllText(file, "# two CPUs, one hot-add\ncpus = 2\nmemory = 4G\nvariant = fixed\nworkload = [{cpu = 1, hotadd = {start = 4G, size = 1G}}]\n");

            var s = ShippedScenarios.Load(file, ["hotplug_mutex=on"]);

            Assert.Equal("mine", s.Name);
            Assert.Equal(2, s.Machine.Cpus);
            Assert.Equal("two CPUs, one hot-add", s.Description);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
