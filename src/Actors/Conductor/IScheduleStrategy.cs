using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Conductor;

/// <summary>A message waiting for delivery, as a strategy sees it.</summary>
/// <param name="Id">Its number in the run, in the order the conductor got it.</param>
/// <param name="From">The sending actor.</param>
/// <param name="To">The receiving actor.</param>
/// <param name="Message">The message.</param>
/// <param name="SentBy">
/// The delivery (its position, from 1) during which it was sent; for a message of the host (<see cref="Topology.Host"/>),
/// which starts a phase once the previous one is over, the number of deliveries before it.
/// </param>
public readonly record struct PendingMessage(long Id, int From, int To, ModelMessage Message, long SentBy = 0)
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

    /// <summary><see cref="Choose"/>'s answer for "end this run here" (a state already explored).</summary>
    const int StopRun = -1;

    /// <summary>Picks the index of the next delivery among <paramref name="pending"/> (never empty), or <see cref="StopRun"/>.</summary>
    int Choose(IReadOnlyList<PendingMessage> pending);

    /// <summary>The delivery chosen last has been handled (its receiver is done with it).</summary>
    void Processed()
    {
    }

    /// <summary>
    /// <paramref name="count"/> forced deliveries the actors made among themselves have been handled
    /// (<see cref="SeesForcedDeliveries"/> false): by default <see cref="Processed()"/> for each. A
    /// strategy with nothing to do for them says so here: a boot's folded iterations stand for
    /// tens of millions.
    /// </summary>
    void Processed(long count)
    {
        for (var i = 0L; i < count; i++)
        {
            Processed();
        }
    }

    /// <summary>Called once per run before the first choice, with the run's actors.</summary>
    void Attach(Topology topology)
    {
    }

    /// <summary>
    /// Whether the strategy must see the deliveries it has no choice about (only one message
    /// pending): true, the default, to record every delivery (exploration, replay); false lets the
    /// conductor leave a run of forced deliveries to the actors (<see cref="Deliver.HandOn"/>), which
    /// deliver exactly what <see cref="Choose"/> would have picked, in the same order.
    /// </summary>
    bool SeesForcedDeliveries => true;

    /// <summary>
    /// With <see cref="SeesForcedDeliveries"/>: whether the strategy may be told of a forced delivery
    /// instead of asked. True lets the conductor leave a run of forced deliveries to the actors (as
    /// false <see cref="SeesForcedDeliveries"/> does), which tell the strategy of each in turn —
    /// <see cref="Processed()"/> for the delivery just handled, then <see cref="Forced"/> for the
    /// next — exactly when and in the order the conductor would have asked it, on the delivery's
    /// thread while the conductor waits. Only for a strategy whose answer to one pending message is
    /// always 0 and never <see cref="StopRun"/>.
    /// </summary>
    bool TakesForcedAsTold => false;

    /// <summary>
    /// A forced delivery made by the actors (<see cref="TakesForcedAsTold"/>): what <see
    /// cref="Choose"/> with <paramref name="only"/> alone pending would have been asked, and taken.
    /// </summary>
    void Forced(in PendingMessage only) =>
        throw new NotSupportedException($"the '{Name}' strategy takes no forced delivery as told");
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

    // A forced choice draws no random number, so skipping it leaves every later draw the same.
    public bool SeesForcedDeliveries => false;

    public void Processed(long count)
    {
    }
}

/// <summary>Always the oldest pending message: FIFO, the schedule closest to "everyone in turn".</summary>
public sealed class FifoStrategy : IScheduleStrategy
{
    public string Name => "fifo";

    public int Choose(IReadOnlyList<PendingMessage> pending) => 0;

    public bool SeesForcedDeliveries => false;

    public void Processed(long count)
    {
    }
}
