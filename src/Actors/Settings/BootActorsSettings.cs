using Akka.Configuration;

namespace BootActors.Actors.Settings;

/// <summary>
/// The <c>bootactors</c> section of config/akka.hocon: how long the actor host waits, and where its
/// conductor runs. Every key has a default, so a config without the section still gives a host
/// that cannot hang (every wait has a timeout).
/// </summary>
public sealed record BootActorsSettings
{
    /// <summary>The dispatcher id config/akka.hocon defines for the conductor and the model actors in controlled mode (one thread).</summary>
    public const string ModelDispatcherId = "bootactors.model-dispatcher";

    public const string AkkaConfigFileName = "akka.hocon";

    public static readonly BootActorsSettings Default = new();

    /// <summary>How long a whole run may take.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Delivered model steps after which the conductor stops a run (a livelock guard).</summary>
    public long ConductorMaxSteps { get; init; } = 50_000_000;

    /// <summary>The dispatcher controlled runs use; the ActorHost's built-in one-thread definition when the config has none.</summary>
    public string ModelDispatcher { get; init; } = ModelDispatcherId;

    /// <summary>Reads the <c>bootactors</c> section of <paramref name="config"/> (the actor system's whole config).</summary>
    /// <exception cref="ConfigurationException">A value is present but not usable.</exception>
    public static BootActorsSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settings = new BootActorsSettings
        {
            RunTimeout = config.GetTimeSpan("bootactors.run-timeout", Default.RunTimeout, allowInfinite: false),
            ConductorMaxSteps = config.GetLong("bootactors.conductor.max-steps", Default.ConductorMaxSteps),

            // Without its definition the id would make actor creation fail; the ActorHost's own defaults define it.
            ModelDispatcher = config.HasPath(ModelDispatcherId) ? ModelDispatcherId : Host.ActorHost.ModelDispatcher,
        };

        if (settings.RunTimeout <= TimeSpan.Zero)
        {
            throw new ConfigurationException("bootactors.run-timeout must be positive");
        }

        if (settings.ConductorMaxSteps <= 0)
        {
            throw new ConfigurationException("bootactors.conductor.max-steps must be positive");
        }

        return settings;
    }

    /// <summary>Parses an akka.hocon file (config/akka.hocon, found with <see cref="ConfigDirectory"/>).</summary>
    public static Config ReadAkkaConfig(string path) => ConfigurationFactory.ParseString(File.ReadAllText(path));

    /// <summary>The nearest config/akka.hocon, or an empty config (Akka's defaults and ours) when there is none.</summary>
    public static Config FindAkkaConfig() =>
        ConfigDirectory.Candidates().Select(d => Path.Combine(d, AkkaConfigFileName)).FirstOrDefault(File.Exists) is { } file
            ? ReadAkkaConfig(file)
            : Config.Empty;
}
