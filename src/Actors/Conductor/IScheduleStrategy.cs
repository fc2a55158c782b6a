using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Conductor;

/// <summary>A message waiting for delivery, as a strategy sees it.</summary>
public readonly record struct PendingMessage(long Id, int From, int To, ModelMessage Message)
{
    /// <summary>The CPU whose step the message serves (-1 for the host's).</summary>
    public int Cpu => Message.Tag.Cpu;
}

/// <summary>
/// Answers only "which next?" (as Coyote's strategies do): given the pending messages in the order
/// they were sent, pick one. Every choice of the run goes through it, so a run is replayable from
/// the sequence of choices.
/// </summary>
public interface IScheduleStrategy
{
    string Name { get; }

    /// <summary>Picks the index of the next delivery among <paramref name="pending"/> (never empty).</summary>
    int Choose(IReadOnlyList<PendingMessage> pending);

    /// <summary>Called once per run before the first choice, with the run's actors.</summary>
    void Attach(Topology topology)
    {
    }
}

/// <summary>Seeded uniform random choice; the same seed gives the same schedule.</summary>
public sealed class RandomStrategy : IScheduleStrategy
{
    private readonly Random random;

    public RandomStrategy(long seed)
    {
        Seed = seed;
        random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
    }

    public long Seed { get; }

    public string Name => "random";

    public int Choose(IReadOnlyList<PendingMessage> pending) => pending.Count == 1 ? 0 : random.Next(pending.Count);
}

/// <summary>Always the oldest pending message: FIFO, the schedule closest to "everyone in turn".</summary>
public sealed class FifoStrategy : IScheduleStrategy
{
    public string Name => "fifo";

    public int Choose(IReadOnlyList<PendingMessage> pending) => 0;
}
