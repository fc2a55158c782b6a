namespace BootActors.Actors.Infrastructure;

/// <summary>A model message on its way: to the conductor in controlled mode.</summary>
public sealed record ModelEnvelope(int From, int To, ModelMessage Message, long[] SenderClock, int Epoch = 0);

/// <summary>A model message handed to its receiver (by the conductor, or directly in free mode).</summary>
/// <remarks>
/// <see cref="Forwarded"/>: handed on by a probe relay to the real actor; already traced.
/// <see cref="Epoch"/>: the run the conductor delivered it for. The receiver stamps everything it
/// sends while handling it with this epoch, not with the run context's current one, which the host
/// may already have moved on to the next run.
/// </remarks>
public sealed record Deliver(long Seq, int From, ModelMessage Message, long[] SenderClock, bool Forwarded = false, int Epoch = 0)
{
    /// <summary>
    /// Controlled mode: how many more deliveries the receiver may make itself when handling this one
    /// leaves exactly one message to deliver, which the strategy would then have no choice about (the
    /// conductor holds nothing else). It hands that message straight to its receiver as delivery
    /// <see cref="Seq"/> + 1 instead of through the conductor. 0: answer the conductor.
    /// </summary>
    public int HandOn { get; init; }

    /// <summary>How many deliveries of this chain were handed on before this one (the conductor never saw them).</summary>
    public int HandedOn { get; init; }

    /// <summary>
    /// With <see cref="HandOn"/>: how many deliveries the run's bound allows after this one. Folded
    /// iterations, which take a few deliveries for many, may stand for up to that many (the run
    /// then goes back to the conductor), not only for what <see cref="HandOn"/> leaves.
    /// </summary>
    public long Room { get; init; }

    /// <summary>
    /// With <see cref="HandOn"/>: the strategy to tell of each delivery handed on (<see
    /// cref="Conductor.IScheduleStrategy.TakesForcedAsTold"/>), null when it need not see them.
    /// Carried with the delivery, like <see cref="Epoch"/>: the chain tells its own run's strategy.
    /// </summary>
    public Conductor.IScheduleStrategy? Told { get; init; }

    /// <summary>With <see cref="Told"/>: the number the conductor would give the next message sent (<see cref="Conductor.PendingMessage.Id"/>).</summary>
    public long NextId { get; init; }
}

/// <summary>The receiver finished handling delivery <see cref="Seq"/>; <see cref="Stopped"/>: the run hit a fatal event.</summary>
public sealed record Processed(long Seq, bool Stopped, int Epoch = 0)
{
    /// <summary>
    /// What the receiver sent while handling it, in order: each a <see cref="ModelEnvelope"/> or a
    /// <see cref="Conductor.Conductor.ToHost"/>; null when nothing. Carried here rather than told one
    /// by one, which would cost a message each for the same ordered effect.
    /// </summary>
    public IReadOnlyList<object>? Sent { get; init; }

    /// <summary>Deliveries made without the conductor before this one (<see cref="Deliver.HandOn"/>): <see cref="Seq"/> is the chain's last.</summary>
    public int HandedOn { get; init; }
}

/// <summary>Forget the previous run: the actors are reused for the next one (exploration).</summary>
public sealed record ResetActor(int Epoch);

/// <summary>How messages travel.</summary>
public enum HostMode
{
    /// <summary>Every model message passes through the conductor; a strategy picks the next delivery.</summary>
    Controlled,

    /// <summary>Actors tell each other directly on the default dispatcher; real thread interleavings.</summary>
    Free,
}
