using Akka.Actor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Testing;

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
        Receive<ActorReplacement.Answer>(OnAnswer);
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
        replacement.Probe.Tell(new ActorReplacement.Probed(Topo.Names[from], message, CurrentSeq), Context.Self);
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

    private void OnAnswer(ActorReplacement.Answer answer)
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
