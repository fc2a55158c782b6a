using Akka.Actor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Conductor;

/// <summary>The conductor's protocol with the run host.</summary>
public static class Conductor
{
    /// <summary>Begin a phase: these messages from the host are pending from now on.</summary>
    public sealed record StartPhase(int Phase, IReadOnlyList<ModelEnvelope> Messages);

    /// <summary>Nothing pending and nothing in flight since the phase started (of run <see cref="Epoch"/>: the host may have moved on).</summary>
    public sealed record Quiescent(int Phase, long Delivered, int Epoch = 0);

    /// <summary>The step bound was reached (in run <see cref="Epoch"/>).</summary>
    public sealed record StepLimit(long Delivered, int Epoch = 0);

    /// <summary>Forget the previous run and order the next one with this strategy.</summary>
    public sealed record Reset(IScheduleStrategy Strategy, long MaxSteps, int Epoch);

    /// <summary>
    /// A model actor's word to the run host (a printk, a finished program, a fatal stop), sent through
    /// the conductor so that the host sees it in delivery order, before any verdict the conductor
    /// reaches after that delivery (Quiescent, StepLimit).
    /// </summary>
    public sealed record ToHost(object Message, int Epoch);

    /// <summary>The strategy ended the run before it finished (it reached a state already explored), after <see cref="Delivered"/> deliveries.</summary>
    public sealed record Cut(long Delivered, int Epoch);

    /// <summary>Stop delivering.</summary>
    public sealed record Halt
    {
        public static readonly Halt Instance = new();
    }
}

/// <summary>
/// Controlled mode: every model message comes here first. Exactly one message is in flight; when
/// its receiver has handled it (Processed), the strategy picks the next among the pending ones.
/// With a deterministic strategy the whole run — and its trace — is deterministic, whatever the
/// threads do. What the actors tell the run host also passes through here (<see
/// cref="Conductor.ToHost"/>), so the host learns that a run finished, stopped or deadlocked from
/// this actor's one ordered stream, never from a race between mailboxes.
/// </summary>
internal sealed class ConductorActor : ReceiveActor
{
    private readonly RunContext run;
    private IScheduleStrategy strategy;
    private long maxSteps;
    private int epoch;
    private readonly List<PendingMessage> pending = new();
    private readonly List<long[]> clocks = new();
    private readonly List<object> toHost = new();
    private long nextId;
    private long seq;
    private bool inFlight;
    private bool halted;
    private int phase;

    public ConductorActor(RunContext run, IScheduleStrategy initialStrategy, long initialMaxSteps)
    {
        this.run = run;
        strategy = initialStrategy;
        maxSteps = initialMaxSteps;
        Receive<ModelEnvelope>(e =>
        {
            if (e.Epoch != epoch)
            {
                return;
            }

            Add(e);
            Pump();
        });
        Receive<Conductor.ToHost>(t =>
        {
            if (t.Epoch != epoch)
            {
                return;
            }

            // Held until the delivery's Processed: the strategy has then seen the whole delivery
            // before the host can end the run, and the host still hears it before a Quiescent.
            if (inFlight)
            {
                toHost.Add(t.Message);
            }
            else
            {
                run.Host.Tell(t.Message);
            }
        });
        Receive<Processed>(p =>
        {
            if (p.Epoch != epoch)
            {
                return;
            }

            if (p.HandedOn != 0)
            {
                // A run of forced deliveries the actors made themselves (or stood for, with folded
                // iterations; fewer when a fold took more than it stood for): they end at p.Seq, and
                // each message took the number it would have had here.
                seq = p.Seq;
                nextId += p.HandedOn;
                if (!strategy.SeesForcedDeliveries)
                {
                    strategy.Processed(p.HandedOn);
                }
            }

            if (p.Sent is { } sent)
            {
                foreach (var m in sent)
                {
                    if (m is ModelEnvelope e)
                    {
                        Add(e);
                    }
                    else
                    {
                        toHost.Add(((Conductor.ToHost)m).Message);
                    }
                }
            }

            inFlight = false;
            halted |= p.Stopped;
            strategy.Processed();
            foreach (var m in toHost)
            {
                run.Host.Tell(m);
            }

            toHost.Clear();
            Pump();
        });
        Receive<Conductor.Reset>(r =>
        {
            strategy = r.Strategy;
            maxSteps = r.MaxSteps;
            epoch = r.Epoch;
            pending.Clear();
            clocks.Clear();
            toHost.Clear();
            nextId = 0;
            seq = 0;
            inFlight = false;
            halted = false;
            phase = 0;
        });
        Receive<Conductor.StartPhase>(s =>
        {
            phase = s.Phase;
            foreach (var e in s.Messages)
            {
                Add(e);
            }

            Pump();
        });
        Receive<Conductor.Halt>(_ => halted = true);
    }

    public long Delivered => seq;

    /// <summary>At most this many forced deliveries in a row without the conductor.</summary>
    public const int MaxHandOn = 4096;

    public static Props Props(RunContext run, IScheduleStrategy strategy, long maxSteps) =>
        Akka.Actor.Props.Create<ConductorActor>(run, strategy, maxSteps); // not an expression: see OwnerActor.Props

    /// <summary>A message to deliver: sent during delivery <see cref="seq"/> (or, from the host, after it).</summary>
    private void Add(ModelEnvelope e)
    {
        pending.Add(new PendingMessage(nextId++, e.From, e.To, e.Message, seq));
        clocks.Add(e.SenderClock);
    }

    private void Pump()
    {
        if (inFlight || halted)
        {
            return;
        }

        if (pending.Count == 0)
        {
            run.Host.Tell(new Conductor.Quiescent(phase, seq, epoch));
            return;
        }

        if (seq >= maxSteps)
        {
            halted = true;
            run.Host.Tell(new Conductor.StepLimit(seq, epoch));
            return;
        }

        var i = strategy.Choose(pending);
        if (i == IScheduleStrategy.StopRun)
        {
            halted = true;
            run.Host.Tell(new Conductor.Cut(seq, epoch));
            return;
        }

        var m = pending[i];
        var clock = clocks[i];
        pending.RemoveAt(i);
        clocks.RemoveAt(i);
        // Nothing else pending and a strategy that need not see forced choices, or takes them as told:
        // the actors may carry the run on by themselves for a while (bounded, so that a halt or the
        // step bound is heard). A strategy told of each delivery gets no folded iterations (Room 0):
        // it records every delivery as a message.
        var sees = strategy.SeesForcedDeliveries;
        var told = sees && strategy.TakesForcedAsTold;
        var handOn = pending.Count == 0 && run.HandsOnForced && (!sees || told)
            ? (int)Math.Min(MaxHandOn, maxSteps - (seq + 1))
            : 0;
        inFlight = true;
        seq++;
        run.Topology.Refs[m.To].Tell(new Deliver(seq, m.From, m.Message, clock, Epoch: epoch)
        {
            HandOn = handOn,
            Room = handOn > 0 && !told ? maxSteps - seq : 0,
            Told = handOn > 0 && told ? strategy : null,
            NextId = nextId,
        });
    }
}
