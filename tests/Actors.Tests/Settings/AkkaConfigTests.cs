using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Settings;
using BootActors.Actors.Tests.Scenarios;

namespace BootActors.Actors.Tests.Settings;

/// <summary>config/akka.hocon starts an actor system as the host will use it: Serilog logging, quiet stdout, the one-thread model dispatcher.</summary>
public sealed class AkkaConfigTests() : Akka.TestKit.Xunit2.TestKit(AkkaHocon(), "akka-config")
{
    private static Config AkkaHocon() => BootActorsSettings.ReadAkkaConfig(Path.Combine(ScenarioText.ConfigDir(), BootActorsSettings.AkkaConfigFileName));

    [Fact]
    public void TheBootactorsSectionIsReadWithItsValues()
    {
        var settings = BootActorsSettings.From(Sys.Settings.Config);

        Assert.Equal(TimeSpan.FromSeconds(60), settings.RunTimeout);
        Assert.Equal(50_000_000, settings.ConductorMaxSteps);
        Assert.Equal("bootactors.model-dispatcher", settings.ModelDispatcher);
    }

    [Fact]
    public void TheModelDispatcherRunsOnOneDedicatedThread()
    {
        var id = BootActorsSettings.From(Sys.Settings.Config).ModelDispatcher;
        var dispatcher = Sys.Dispatchers.Lookup(id);

        Assert.IsType<Dispatcher>(dispatcher);
        Assert.Equal(typeof(ModelThreadExecutorConfigurator).AssemblyQualifiedName!.Split(',')[..2].Select(p => p.Trim()),
            Sys.Settings.Config.GetString($"{id}.executor").Split(',').Select(p => p.Trim()));

        // Actors on it, handling messages from any thread, all run on the one thread the executor started.
        var probe = CreateTestProbe();
        var actors = Enumerable.Range(0, 3).Select(i => Sys.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher(id), $"on-model-{i}")).ToList();
        var threads = new HashSet<int>();
        Parallel.For(0, 30, i => actors[i % 3].Tell(i, probe.Ref));
        for (var i = 0; i < 30; i++)
        {
            threads.Add(probe.ExpectMsg<int>(TimeSpan.FromSeconds(10)));
        }

        Assert.Single(threads);
    }

    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter() => Receive<int>(_ => Sender.Tell(Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void AkkaLogsThroughSerilogAndNotToStdout()
    {
        Assert.Equal(["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"], Sys.Settings.Loggers);
        Assert.Equal("WARNING", Sys.Settings.LogLevel);
        Assert.Equal("OFF", Sys.Settings.StdoutLogLevel);
        Assert.False(Sys.Settings.DebugAutoReceive);
        Assert.False(Sys.Settings.DebugLifecycle);
        Assert.False(Sys.Settings.DebugUnhandledMessage);
    }

    [Fact]
    public void EveryKeyHasACommentAboveIt()
    {
        var lines = File.ReadAllLines(Path.Combine(ScenarioText.ConfigDir(), BootActorsSettings.AkkaConfigFileName));
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#') || line == "}" || line.EndsWith('{'))
            {
                continue;
            }

            Assert.True(i > 0 && lines[i - 1].Trim().StartsWith('#'), $"akka.hocon line {i + 1} ('{line}') has no comment above it");
        }
    }
}

public sealed class BootActorsSettingsTests
{
    [Fact]
    public void AConfigWithoutTheSectionGivesTheDefaults()
    {
        var settings = BootActorsSettings.From(ConfigurationFactory.ParseString("akka.loglevel = INFO"));

        Assert.Equal(BootActorsSettings.Default, settings);
    }

    [Fact]
    public void APartialSectionKeepsTheDefaultsOfTheRest()
    {
        var settings = BootActorsSettings.From(ConfigurationFactory.ParseString("bootactors { run-timeout = 250ms }"));

        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.RunTimeout);
        Assert.Equal(50_000_000, settings.ConductorMaxSteps);
    }

    [Theory]
    [InlineData("bootactors.run-timeout = 0s")]
    [InlineData("bootactors.conductor.max-steps = 0")]
    public void AnUnusableValueIsRefused(string hocon)
    {
        Assert.Throws<ConfigurationException>(() => BootActorsSettings.From(ConfigurationFactory.ParseString(hocon)));
    }
}
