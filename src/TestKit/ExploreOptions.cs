namespace BootActors.TestKit;

/// <summary>
/// How <see cref="BootRaceTest.Explore"/> explores: the strategy (<c>random</c>, <c>pct</c>, <c>dfs</c>,
/// <c>dpor</c>), its seed, and its bounds. Every option is the exploration engine's own
/// (<see cref="Actors.Exploration.ExploreOptions"/>), so they mean what <c>bootactors explore</c>'s options mean.
/// </summary>
public sealed record ExploreOptions : Actors.Exploration.ExploreOptions;
