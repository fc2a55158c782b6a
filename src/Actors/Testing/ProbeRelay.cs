using Akka.Actor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Testing;

/// <summary>Replace the named model actor (e.g. "hypervisor", "memory", "tlb1") with a test's probe.</summary>
/// <param name="Actor">The actor's name in the run's topology.</param>
/// <param name="Probe">A TestProbe (or any actor) that answers <see cref="ProbeRelay.Probed"/>.</param>
/// <param name="Intercept">Which messages go to the probe; the others go straight to the real actor (null: all).</param>
public sealed record ActorReplacement(string Actor, IActorRef Probe, Func<ModelMessage, bool>? Intercept = null);

/// <summary>The protocol between a replaced actor's relay and the test's probe.</summary>
public static class ProbeRelay
{
    /// <summary>A message for the replaced actor; answer it with <see cref="Answer"/> (via <c>probe.Reply</c>).</summary>
    public sealed record Probed(string From, ModelMessage Message, long Seq);

    /// <summary>What the replaced actor does with a probed message.</summary>
    public sealed record Answer(bool PassThrough, IReadOnlyList<(string To, ModelMessage Message)> Sends)
    {
        /// <summary>Let the real actor handle it.</summary>
        public static readonly Answer Real = new(true, []);

        /// <summary>Handle it by sending these messages (in place of the real actor), e.g. a refusal back to the sender.</summary>
        public static Answer With(params (string To, ModelMessage Message)[] sends) => new(false, sends);
    }
}

/// <summary>
/// Stands in for a model actor: what the test intercepts goes to its probe, which answers with the
/// messages to send (as if this actor sent them) or lets the real actor, kept as a child, handle it.
/// In controlled mode the delivery completes only when the probe has answered.
/// </summary>
internal sealed class ProbeRelayActor : ModelActor
{
    private readonly ActorReplacement replacement;
    private readonly Props realProps;
    private IActorRef? real;
    private (int From, Deliver Delivery, long Seq)? waiting;
    private Deliver? current;

    public ProbeRelayActor(RunContext run, int self, ActorReplacement replacement, Props realProps)
        : base(run, self)
    {
        this.replacement = replacement;
        this.realProps = realProps;
        Receive<ProbeRelay.Answer>(OnAnswer);
    }

    public static Props Props(RunContext run, int self, ActorReplacement replacement, Props realProps) =>
        Akka.Actor.Props.Create(() => new ProbeRelayActor(run, self, replacement, realProps));

    protected override void PreStart() => real = Context.ActorOf(realProps, "real");

    protected override void OnReset() => real?.Tell(new ResetActor(Run.Epoch));

    protected override void Handle(int from, ModelMessage message)
    {
        if (replacement.Intercept is { } intercept && !intercept(message))
        {
            PassOn();
            return;
        }

        DeferCompletion();
        waiting = (from, current!, CurrentSeq);
        replacement.Probe.Tell(new ProbeRelay.Probed(Topo.Names[from], message, CurrentSeq), Context.Self);
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is Deliver d)
        {
            current = d;
        }

        return base.AroundReceive(receive, message);
    }

    private void PassOn()
    {
        // The real actor handles the delivery and tells the conductor itself.
        HandOver();
        real!.Tell(current! with { Forwarded = true });
    }

    private void OnAnswer(ProbeRelay.Answer answer)
    {
        if (waiting is not { } w)
        {
            return;
        }

        waiting = null;
        if (answer.PassThrough)
        {
            real!.Tell(w.Delivery with { Forwarded = true });
            return;
        }

        foreach (var (to, m) in answer.Sends)
        {
            var id = Topo.Names.ToList().IndexOf(to);
            if (id < 0)
            {
                throw new ArgumentException($"the probe answered with a message to '{to}', which is not an actor of this run");
            }

            Send(id, m);
        }

        CompleteDelivery(w.Seq);
    }
}
