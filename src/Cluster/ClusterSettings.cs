using Akka.Configuration;
using BootActors.Actors.Settings;

namespace BootActors.Cluster;

/// <summary>The <c>bootactors.cluster</c> section of config/cluster.hocon: how long each side waits, and how work is cut.</summary>
public sealed record ClusterSettings
{
    public static readonly ClusterSettings Default = new();

    public TimeSpan MinWorkersTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan CoordinatorLostAfter { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan LeaveTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool CoordinatorExplores { get; init; } = true;

    public int UnitSize { get; init; } = 16;

    public int Prefetch { get; init; } = 1;

    /// <exception cref="ConfigurationException">A value is present but not usable; the message names the key.</exception>
    public static ClusterSettings From(Config config)
    {
        const string s = "bootactors.cluster.";
        var settings = new ClusterSettings
        {
            MinWorkersTimeout = Duration(config, s + "min-workers-timeout", Default.MinWorkersTimeout),
            JoinTimeout = Duration(config, s + "join-timeout", Default.JoinTimeout),
            CoordinatorLostAfter = Duration(config, s + "coordinator-lost-after", Default.CoordinatorLostAfter),
            LeaveTimeout = Duration(config, s + "leave-timeout", Default.LeaveTimeout),
            CoordinatorExplores = BootActorsSettings.Read(config, s + "coordinator-explores", "on or off", c => c.GetBoolean(s + "coordinator-explores", Default.CoordinatorExplores)),
            UnitSize = BootActorsSettings.Read(config, s + "unit-size", "a whole number", c => c.GetInt(s + "unit-size", Default.UnitSize)),
            Prefetch = BootActorsSettings.Read(config, s + "prefetch", "a whole number", c => c.GetInt(s + "prefetch", Default.Prefetch)),
        };

        if (settings.UnitSize < 1)
        {
            throw new ConfigurationException($"{s}unit-size = {settings.UnitSize}: a unit holds at least one schedule");
        }

        if (settings.Prefetch < 0)
        {
            throw new ConfigurationException($"{s}prefetch = {settings.Prefetch}: expected 0 or more");
        }

        return settings;
    }

    private static TimeSpan Duration(Config config, string key, TimeSpan fallback)
    {
        var t = BootActorsSettings.Read(config, key, "a duration such as 30s", c => c.GetTimeSpan(key, fallback, allowInfinite: false));
        return t > TimeSpan.Zero ? t : throw new ConfigurationException($"{key} = {t}: expected a positive duration");
    }
}
