using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Tests.Components;

/// <summary>
/// One actor under test among stand-ins: a machine, its topology and run context, every peer's
/// ref (and, in controlled mode, the conductor and the host) pointing at a test actor, so that each
/// message the actor sends can be asserted. Deliveries are numbered like the conductor's.
/// </summary>
internal sealed class ProtocolRig
{
    public const ulong GiB = 1UL << 30;

    private long seq;

    public ProtocolRig(IActorRef standIn, MachineConfig config, HostMode mode = HostMode.Controlled)
    {
        Machine = new Machine(config);
        Topology = new Topology(Machine.Tlbs.Length, config.Xen);
        Run = new RunContext(Topology, Machine, mode, null);
        for (var i = 0; i < Topology.Count; i++)
        {
            Topology.Refs[i] = standIn;
        }

        Run.Host = standIn;
        if (mode == HostMode.Controlled)
        {
            Run.Conductor = standIn;
        }
    }

    public Machine Machine { get; }

    public Topology Topology { get; }

    public RunContext Run { get; }

    /// <summary>A native machine with PSE: head_64.S's level2_ident_pgt maps [0, 1G) with 2 MiB leaves.</summary>
    public static MachineConfig Native(int cpus = 1, ulong memory = 4 * GiB) => new()
    {
        E820 = E820Map.FromMemorySize(memory),
        Variant = KernelVariant.Fixed,
        Cpus = cpus,
    };

    /// <summary>A Xen PV domU (no PSE).</summary>
    public static MachineConfig Xen(int cpus = 1, ulong memory = 4 * GiB) => Native(cpus, memory) with { Xen = true };

    /// <summary>The next delivery, numbered as the conductor would (1, 2, ...).</summary>
    public Deliver Deliver(int from, ModelMessage message) => new(++seq, from, message, new long[Topology.Count]);

    public long LastSeq => seq;

    /// <summary>The request a CPU sends for stage <paramref name="stage"/> of its step <paramref name="e"/> (natively, or under Xen).</summary>
    public static StepRequest Step(int cpu, Effect e, bool xen = false, int stage = 0) =>
        new(StepPlans.Of(e.Kind, xen)[stage], new StepTag(cpu, e));

    /// <summary>The part an owner forwards for stage <paramref name="stage"/> of <paramref name="cpu"/>'s step, carrying <paramref name="data"/>.</summary>
    public static StepRequest Forwarded(int cpu, Effect e, bool xen = false, int stage = 0, StageData? data = null) =>
        new(StepPlans.Of(e.Kind, xen)[stage].Forward!, new StepTag(cpu, e), data) { ForwardedBy = StepPlans.Of(e.Kind, xen)[stage] };
}

/// <summary>TestKit with the assertions every protocol test makes: what the actor sent through the conductor, and its Processed.</summary>
public abstract class ProtocolTestKit : Akka.TestKit.Xunit2.TestKit
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private protected ProtocolRig NewRig(MachineConfig config, HostMode mode = HostMode.Controlled) => new(TestActor, config, mode);

    // What a Processed carried (the actor's sends and words for the host during the delivery),
    // handed out one by one ahead of the Processed itself.
    private readonly Queue<object> said = new();

    /// <summary>The next thing the actor told the conductor (or, in free mode, sent): a Processed's contents come before it.</summary>
    protected object NextSaid()
    {
        if (said.Count > 0)
        {
            return said.Dequeue();
        }

        var next = ExpectMsg<object>(Wait);
        if (next is Processed { Sent: { Count: > 0 } sent } p)
        {
            foreach (var m in sent)
            {
                said.Enqueue(m);
            }

            said.Enqueue(p with { Sent = null });
            return said.Dequeue();
        }

        return next;
    }

    /// <summary>The next thing the actor sent (controlled mode: to the conductor) is a model message from <paramref name="from"/> to <paramref name="to"/>.</summary>
    protected TMessage ExpectSent<TMessage>(int from, int to)
        where TMessage : ModelMessage
    {
        var envelope = Assert.IsType<ModelEnvelope>(NextSaid());
        Assert.True(envelope.From == from && envelope.To == to,
            $"expected a {typeof(TMessage).Name} from {from} to {to}, got {envelope.Message.TypeName} from {envelope.From} to {envelope.To}");
        return Assert.IsType<TMessage>(envelope.Message);
    }

    /// <summary>The next thing the actor sent is word for the run host, through the conductor (controlled mode).</summary>
    protected TMessage ExpectToHost<TMessage>()
    {
        var toHost = Assert.IsType<Conductor.Conductor.ToHost>(NextSaid());
        return Assert.IsType<TMessage>(toHost.Message);
    }

    /// <summary>The next thing the actor sent is its Processed for delivery <paramref name="seq"/>: nothing else was sent before it.</summary>
    protected void ExpectProcessed(long seq, bool stopped = false)
    {
        var processed = Assert.IsType<Processed>(NextSaid());
        Assert.Equal(new Processed(seq, stopped), processed);
    }
}
