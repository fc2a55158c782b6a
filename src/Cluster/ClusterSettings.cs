using Akka.Configuration;

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
            MinWorkersTimeout = Positive(config.GetTimeSpan(s + "min-workers-timeout", Default.MinWorkersTimeout, allowInfinite: false), s + "min-workers-timeout"),
            JoinTimeout = Positive(config.GetTimeSpan(s + "join-timeout", Default.JoinTimeout, allowInfinite: false), s + "join-timeout"),
            CoordinatorLostAfter = Positive(config.GetTimeSpan(s + "coordinator-lost-after", Default.CoordinatorLostAfter, allowInfinite: false), s + "coordinator-lost-after"),
            LeaveTimeout = Positive(config.GetTimeSpan(s + "leave-timeout", Default.LeaveTimeout, allowInfinite: false), s + "leave-timeout"),
            CoordinatorExplores = config.GetBoolean(s + "coordinator-explores", Default.CoordinatorExplores),
            UnitSize = config.GetInt(s + "unit-size", Default.UnitSize),
            Prefetch = config.GetInt(s + "prefetch", Default.Prefetch),
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

    private static TimeSpan Positive(TimeSpan t, string key) =>
        t > TimeSpan.Zero ? t : throw new ConfigurationException($"{key} = {t}: expected a positive duration");
}
