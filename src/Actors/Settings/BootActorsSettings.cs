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
            RunTimeout = Read(config, "bootactors.run-timeout", "a duration such as 60s", c => c.GetTimeSpan("bootactors.run-timeout", Default.RunTimeout, allowInfinite: false)),
            ConductorMaxSteps = Read(config, "bootactors.conductor.max-steps", "a whole number", c => c.GetLong("bootactors.conductor.max-steps", Default.ConductorMaxSteps)),

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
    /// <exception cref="AkkaConfigException">The file is not HOCON.</exception>
    public static Config ReadAkkaConfig(string path)
    {
        var text = File.ReadAllText(path);
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception ex) when (ex is not (IOException or UnauthorizedAccessException or OutOfMemoryException))
        {
            throw new AkkaConfigException(path, ex.Message, ex);
        }
    }

    /// <summary>The nearest config/akka.hocon, or null when there is none.</summary>
    public static string? FindAkkaConfigFile() =>
        ConfigDirectory.Candidates().Select(d => Path.Combine(d, AkkaConfigFileName)).FirstOrDefault(File.Exists);

    /// <summary>The nearest config/akka.hocon, or an empty config (Akka's defaults and ours) when there is none.</summary>
    public static Config FindAkkaConfig() => FindAkkaConfigFile() is { } file ? ReadAkkaConfig(file) : Config.Empty;

    /// <summary>The settings of the nearest config/akka.hocon; an unusable value is an <see cref="AkkaConfigException"/> naming the file.</summary>
    public static BootActorsSettings FromConfigDirectory(Config fallback) => UseAkkaConfig(c => From(c.WithFallback(fallback)));

    /// <summary>
    /// Gives the nearest config/akka.hocon (an empty config when there is none) to <paramref name="use"/>;
    /// a <see cref="ConfigurationException"/> it throws becomes an <see cref="AkkaConfigException"/> naming the file.
    /// </summary>
    public static T UseAkkaConfig<T>(Func<Config, T> use) => UseConfigFile(FindAkkaConfigFile(), AkkaConfigFileName, () => Config.Empty, use);

    /// <summary>
    /// Gives the configuration file <paramref name="file"/> (<paramref name="absent"/>'s config when
    /// null) to <paramref name="use"/>; a <see cref="ConfigurationException"/> it throws becomes an
    /// <see cref="AkkaConfigException"/> naming the file (<paramref name="name"/> when there is none).
    /// </summary>
    public static T UseConfigFile<T>(string? file, string name, Func<Config> absent, Func<Config, T> use)
    {
        var config = file is null ? absent() : ReadAkkaConfig(file);
        try
        {
            return use(config);
        }
        catch (ConfigurationException ex)
        {
            throw new AkkaConfigException(file ?? name, ex.Message, ex);
        }
    }

    /// <summary>
    /// Reads one value of <paramref name="config"/>; one that is there but cannot be read (Akka.NET's
    /// format or cast errors) is a <see cref="ConfigurationException"/> naming the key, the value and
    /// what was <paramref name="expected"/>.
    /// </summary>
    public static T Read<T>(Config config, string key, string expected, Func<Config, T> read)
    {
        try
        {
            return read(config);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ConfigurationException or InvalidCastException)
        {
            throw new ConfigurationException($"{key}: '{config.GetString(key, "")}' is not {expected}", ex);
        }
    }
}

/// <summary>config/akka.hocon cannot be used: "file: what is wrong" (the user's to mend, not a bug).</summary>
public sealed class AkkaConfigException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string Path { get; } = path;
}
