using Akka.Actor;

namespace BootActors.Actors.Infrastructure;

/// <summary>
/// Base of every model actor: unwraps deliveries, keeps the vector clock, records the trace event,
/// and sends through the conductor (controlled mode) or directly (free mode). After handling a
/// controlled delivery it tells the conductor, which only then picks the next one.
/// </summary>
public abstract class ModelActor : ReceiveActor
{
    private readonly long[] clock;

    protected ModelActor(RunContext run, int self)
    {
        Run = run;
        Self = self;
        clock = new long[run.Topology.Count];
        Receive<Deliver>(OnDeliver);
        Receive<ResetActor>(_ =>
        {
            Array.Clear(clock);
            StoppedRun = false;
            OnReset();
        });
    }

    /// <summary>Clears the actor's per-run state (it is reused for the next schedule).</summary>
    protected virtual void OnReset()
    {
    }

    protected RunContext Run { get; }

    protected new int Self { get; }

    protected Model.Machine.Machine Machine => Run.Machine;

    protected Topology Topo => Run.Topology;

    /// <summary>The run this actor is working for: the epoch of the delivery being handled (controlled mode), the context's in free mode (one run only).</summary>
    protected int Epoch => Run.Controlled ? deliveryEpoch : Run.Epoch;

    /// <summary>The position of the delivery being handled.</summary>
    protected long CurrentSeq { get; private set; }

    /// <summary>
    /// Controlled mode, no trace, in a run of forced deliveries the conductor left to the actors
    /// (<see cref="Deliver.HandOn"/>): how many deliveries the run's bound allows after the one being
    /// handled (<see cref="Deliver.Room"/>), which folded iterations may stand for. Free mode, no
    /// trace: unbounded (a free run has no delivery bound, and folded iterations happen only at boot,
    /// where CPU0 alone runs, one step at a time). 0 otherwise.
    /// </summary>
    protected long FoldRoom { get; private set; }

    // Deliveries that folded iterations stood for beyond those their step took (set while handling one).
    private long represented;

    /// <summary>
    /// The delivery being handled ends a step of folded iterations that stands for
    /// <paramref name="delta"/> more deliveries than it took (fewer when negative): the run counts,
    /// numbers and bounds what follows as if they had been made.
    /// </summary>
    protected void Represent(long delta) => represented += delta;

    /// <summary>Set by a handler that reported a fatal event: the conductor stops delivering.</summary>
    protected bool StoppedRun { get; set; }

    private long? deferred;

    // The epoch of the delivery being handled (controlled mode): what this actor sends belongs to that run.
    private int deliveryEpoch;

    /// <summary>
    /// The handler finishes later (it waits for something outside the model, e.g. a test's probe):
    /// the conductor is told only when <see cref="CompleteDelivery"/> is called.
    /// </summary>
    protected void DeferCompletion() => deferred = CurrentSeq;

    /// <summary>Ends a deferred delivery (controlled mode: the conductor may pick the next one).</summary>
    protected void CompleteDelivery(long seq)
    {
        if (Run.Controlled)
        {
            Run.Conductor.Tell(new Processed(seq, StoppedRun, deliveryEpoch));
        }
    }

    // Controlled mode, while a delivery is handled: what the actor sends and says to the host, in
    // order, for the conductor in one message with the delivery's Processed (one Tell instead of one
    // per message; the conductor adds them in the same order as if they had come one by one).
    private readonly List<Outgoing> outbox = new();

    /// <summary>A send (<see cref="Message"/> to <see cref="To"/>) or a word for the host (<see cref="ToHost"/>), kept without an envelope: a send handed on needs none.</summary>
    private readonly record struct Outgoing(int To, ModelMessage? Message, long[] Clock, Conductor.Conductor.ToHost? ToHost)
    {
        public object ForConductor(int from, int epoch) => ToHost ?? (object)new ModelEnvelope(from, To, Message!, Clock, epoch);
    }
    private bool collecting;

    /// <summary>Hands a delivery to another actor that will complete it (it sends its own Processed).</summary>
    protected void HandOver() => deferred = -1;

    protected abstract void Handle(int from, ModelMessage message);

    /// <summary>
    /// Tells the run host something about the run (a printk, a finished program, a fatal stop). In
    /// controlled mode it goes through the conductor, ahead of this delivery's Processed, so the host
    /// never hears "nothing left to deliver" before it.
    /// </summary>
    protected void NotifyHost(object message)
    {
        if (Run.Controlled)
        {
            ToConductor(new Outgoing(0, null, NoClock, new Conductor.Conductor.ToHost(message, Epoch)));
        }
        else
        {
            Run.Host.Tell(message);
        }
    }

    protected void Send(int to, ModelMessage message)
    {
        if (Run.Halted && !Run.Controlled)
        {
            return;
        }

        // The clocks are only for the trace: a run that records none keeps none (no copy per message).
        long[] snapshot;
        if (Run.Trace is null)
        {
            snapshot = NoClock;
        }
        else
        {
            clock[Self]++;
            snapshot = (long[])clock.Clone();
        }

        if (Run.Controlled)
        {
            ToConductor(new Outgoing(to, message, snapshot, null));
        }
        else
        {
            Run.Topology.Refs[to].Tell(new Deliver(0, Self, message, snapshot));
        }
    }

    private static readonly long[] NoClock = [];

    /// <summary>Controlled mode: a send or a word for the host, kept for the delivery's Processed while one is handled.</summary>
    private void ToConductor(in Outgoing o)
    {
        if (collecting)
        {
            outbox.Add(o);
        }
        else
        {
            Run.Conductor.Tell(o.ForConductor(Self, deliveryEpoch));
        }
    }

    /// <summary>The position in the outbox of the one model message this delivery sent, if it sent exactly one; else -1.</summary>
    private int TheOnlyMessage()
    {
        var only = -1;
        for (var i = 0; i < outbox.Count; i++)
        {
            if (outbox[i].ToHost is null)
            {
                if (only >= 0)
                {
                    return -1;
                }

                only = i;
            }
        }

        return only;
    }

    /// <summary>The outbox as the conductor takes it with a Processed (null when empty).</summary>
    private object[]? SentForConductor()
    {
        if (outbox.Count == 0)
        {
            return null;
        }

        var sent = new object[outbox.Count];
        for (var i = 0; i < sent.Length; i++)
        {
            sent[i] = outbox[i].ForConductor(Self, deliveryEpoch);
        }

        return sent;
    }

    private void OnDeliver(Deliver d)
    {
        if (Run.Trace is not null)
        {
            VectorClock.Merge(clock, d.SenderClock);
            clock[Self]++;
        }

        if (!Run.Controlled && Run.Halted)
        {
            // A free-mode run that has stopped: what is still in flight is neither handled nor traced.
            return;
        }

        if (Run.Controlled && d.Epoch != Run.Epoch)
        {
            // A delivery of a run the host has already ended: it must not touch the next run's machine.
            return;
        }

        deliveryEpoch = d.Epoch;
        if (d.Forwarded)
        {
            CurrentSeq = Run.Controlled ? d.Seq : Run.Delivered;
        }
        else
        {
            CurrentSeq = Run.NextSeq(d.Seq, d.Message.Tag.Cpu);
            Run.Trace?.Record(CurrentSeq, d.From, Self, d.Message, d.SenderClock, (long[])clock.Clone());
        }

        deferred = null;
        if (!Run.Controlled)
        {
            FoldRoom = Run.Trace is null && !d.Forwarded ? long.MaxValue : 0;
            represented = 0;
            Handle(d.From, d.Message);
            if (represented != 0)
            {
                Run.Represent(d.Message.Tag.Cpu, represented);
            }

            return;
        }

        FoldRoom = Run.Trace is null && !d.Forwarded && d.HandOn > 0 ? d.Room : 0;
        represented = 0;
        collecting = true;
        try
        {
            Handle(d.From, d.Message);
        }
        finally
        {
            collecting = false;
        }

        var shift = represented;
        if (shift != 0)
        {
            Run.Represent(d.Message.Tag.Cpu, shift);
        }

        if (deferred is null)
        {
            if (d.HandOn - shift > 0 && !StoppedRun && !Run.Halted && TheOnlyMessage() is var only && only >= 0)
            {
                // A forced delivery (nothing else pending): deliver it as the conductor would have,
                // numbered next; what was said for the host goes ahead of it, as it would have.
                foreach (var m in outbox)
                {
                    if (m.ToHost is { } word)
                    {
                        Run.Conductor.Tell(word);
                    }
                }

                var next = outbox[only];
                if (d.Told is { } strategy)
                {
                    // What the conductor would have done between the two (no folds here: shift is 0).
                    strategy.Processed();
                    strategy.Forced(new Conductor.PendingMessage(d.NextId, Self, next.To, next.Message!, d.Seq));
                }

                Run.Topology.Refs[next.To].Tell(new Deliver(d.Seq + shift + 1, Self, next.Message!, next.Clock, Epoch: deliveryEpoch)
                {
                    HandOn = (int)(d.HandOn - shift - 1),
                    HandedOn = (int)(d.HandedOn + shift + 1),
                    Room = d.Told is null ? d.Room - shift - 1 : 0,
                    Told = d.Told,
                    NextId = d.NextId + 1,
                });
            }
            else
            {
                Run.Conductor.Tell(new Processed(d.Seq + shift, StoppedRun, deliveryEpoch)
                {
                    Sent = SentForConductor(),
                    HandedOn = (int)(d.HandedOn + shift),
                });
            }
        }
        else
        {
            // Completed later (a probe's answer): what was said so far goes ahead of that Processed.
            foreach (var m in outbox)
            {
                Run.Conductor.Tell(m.ForConductor(Self, deliveryEpoch));
            }
        }

        outbox.Clear();
    }
}
