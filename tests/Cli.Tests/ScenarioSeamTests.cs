using System.Text.Json;
using BootActors.Cli.Scenarios;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Cli.Tests;

public sealed class ScenarioSeamTests
{
    [Fact]
    public void APluggedInLoaderSuppliesTheMachineAndOptionsOverrideIt()
    {
        var loader = new FixedLoader(new MachineConfig
        {
            E820 = E820Map.FromMemorySize(2UL << 30),
            E820Origin = "two.scenario",
            Variant = KernelVariant.Before,
            Xen = true,
        });
        var stdout = new StringWriter();

        var code = CliApp.Run(["run", "two.scenario", "--variant", "fixed", "--json"], stdout, new StringWriter(), loader);

        Assert.Equal(0, code);
        Assert.Equal("two.scenario", loader.LoadedPath);
        using var doc = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("0x80000000", doc.RootElement.GetProperty("end").GetString());
        Assert.True(doc.RootElement.GetProperty("xen").GetBoolean());
        Assert.Equal("fixed", doc.RootElement.GetProperty("variant").GetString());
    }

    [Fact]
    public void ALoadersScenarioExceptionIsAUserErrorWithItsMessage()
    {
        var stderr = new StringWriter();

        var code = CliApp.Run(["run", "bad.scenario"], new StringWriter(), stderr, new FailingLoader());

        Assert.Equal(2, code);
        Assert.Equal("bootactors: bad.scenario:4: unknown key 'ram'", stderr.ToString().TrimEnd());
    }

    [Fact]
    public void AnUnexpectedExceptionIsAnInternalFailureWithExitThree()
    {
        var stderr = new StringWriter();

        var code = CliApp.Run(["run", "any.scenario"], new StringWriter(), stderr, new BuggyLoader());

        Assert.Equal(3, code);
        Assert.StartsWith("bootactors: internal error: System.InvalidOperationException: loader bug", stderr.ToString());
    }

    private sealed class FixedLoader(MachineConfig machine) : IScenarioLoader
    {
        public string? LoadedPath { get; private set; }

        public Scenario Load(string path)
        {
            LoadedPath = path;
            return new Scenario(path, machine);
        }
    }

    private sealed class FailingLoader : IScenarioLoader
    {
        public Scenario Load(string path) => throw new ScenarioException($"{path}:4: unknown key 'ram'");
    }

    private sealed class BuggyLoader : IScenarioLoader
    {
        public Scenario Load(string path) => throw new InvalidOperationException("loader bug");
    }
}
