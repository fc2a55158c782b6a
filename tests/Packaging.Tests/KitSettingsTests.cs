using Akka.Configuration;
using BootActors.Actors.Settings;
using BootActors.TestKit;
using Xunit.Abstractions;

namespace BootActors.Packaging.Tests;

/// <summary>
/// The kit's ActorSystem: the actor host's defaults (not config/akka.hocon, whose Serilog logger would
/// displace Akka.TestKit's own), with the same bootactors settings as the CLI's akka.hocon, and a
/// test's own HOCON on top.
/// </summary>
public sealed class KitSettingsTests(ITestOutputHelper output)
    : BootRaceTest(output, ConfigurationFactory.ParseString("bootactors.run-timeout = 123s"))
{
    [Fact]
    public void WithoutATestsOwnConfigTheKitHasTheBootactorsSettingsOfConfigAkkaHocon()
    {
        var shipped = BootActorsSettings.From(BootActorsSettings.ReadAkkaConfig(Path.Combine(Repo.Root, "config", "akka.hocon")));
        var kit = BootActorsSettings.From(Actors.Host.ActorHost.Defaults);

        Assert.Equal(shipped, kit);
    }

    [Fact]
    public void ATestsOwnConfigReachesTheHost()
    {
        Assert.Equal(TimeSpan.FromSeconds(123), Host.Settings.RunTimeout);
        Assert.Equal(TimeSpan.FromSeconds(123), Host.DefaultOptions().Timeout);
        Assert.Equal(BootActorsSettings.Default.ConductorMaxSteps, Host.Settings.ConductorMaxSteps);
    }

    [Fact]
    public void TheKitsLoggerIsAkkaTestKitsSoEventFiltersWork() =>
        Assert.Contains(Sys.Settings.Loggers, l => l.Contains("Akka.TestKit.TestEventListener", StringComparison.Ordinal));
}
