using Akka.Actor;
using BootActors.Actors.Trace;
using BootActors.Model.Machine;

namespace BootActors.Actors.Infrastructure;

/// <summary>What the actors of one run share: who is who, the machine whose parts they own, how messages travel.</summary>
public sealed class RunContext
{
    private long freeSeq;

    public RunContext(Topology topology, Machine machine, HostMode mode, ITraceSink? trace)
    {
        Topology = topology;
        Mode = mode;
        Machine = machine;
        Trace = trace;
        CpuContexts = NewContexts(topology);
    }

    /// <summary>Each CPU actor's registers (the host reads CPU0's boot last_map_addr at the end).</summary>
    public Model.Kernel.CpuContext[] CpuContexts { get; private set; }

    public Topology Topology { get; }

    public Machine Machine { get; private set; }

    public HostMode Mode { get; }

    public ITraceSink? Trace { get; private set; }

    /// <summary>Which run of a reused set of actors this is; messages of an earlier run are ignored.</summary>
    public int Epoch { get; private set; }

    /// <summary>Starts the next run on the same actors (controlled mode, between runs: nothing is in flight).</summary>
    public void Reset(Machine machine, ITraceSink? trace)
    {
        Machine = machine;
        Trace = trace;
        CpuContexts = NewContexts(Topology);
        Halted = false;
        Interlocked.Exchange(ref freeSeq, 0);
        lock (Interleaving)
        {
            Interleaving.Clear();
        }

        Epoch++;
    }

    /// <summary>A copy of <see cref="Interleaving"/> as it stands (free-mode actors may still be adding to it).</summary>
    public InterleavingLog InterleavingSnapshot()
    {
        lock (Interleaving)
        {
            return Interleaving.Snapshot();
        }
    }

    /// <summary>
    /// Drops the last run's machine and trace once the actors have stopped. Akka drops a cancelled
    /// timer from its wheel only when the wheel comes round, and that registration reaches this
    /// context through the host actor's Props: without this, a host that runs many boots keeps
    /// every machine of the last second alive.
    /// </summary>
    public void Release()
    {
        Machine = null!;
        Trace = null;
    }

    private static Model.Kernel.CpuContext[] NewContexts(Topology t) =>
        Enumerable.Range(0, t.Cpus).Select(i => new Model.Kernel.CpuContext(i)).ToArray();

    /// <summary>The conductor (controlled mode only).</summary>
    public IActorRef Conductor { get; set; } = ActorRefs.Nobody;

    public IActorRef Host { get; set; } = ActorRefs.Nobody;

    public bool Controlled => Mode == HostMode.Controlled;

    /// <summary>Delivered messages (both modes).</summary>
    public long Delivered => Interlocked.Read(ref freeSeq);

    /// <summary>The CPU each delivery served, in delivery order (the interleaving that happened).</summary>
    public InterleavingLog Interleaving { get; } = new();

    /// <summary>
    /// Controlled mode: the actors may hand a forced delivery on themselves (<see cref="Deliver.HandOn"/>);
    /// false when a test's probe stands in for an actor, since it completes deliveries later.
    /// </summary>
    public bool HandsOnForced { get; set; } = true;

    /// <summary>Set once the run has stopped: actors stop sending.</summary>
    public volatile bool Halted;

    /// <summary>
    /// The delivery just handled ended folded iterations, which stand for <paramref name="delta"/>
    /// more deliveries of <paramref name="cpu"/> than their step took (fewer when negative).
    /// </summary>
    public void Represent(int cpu, long delta)
    {
        Interlocked.Add(ref freeSeq, delta);
        if (Controlled)
        {
            Interleaving.Shift(cpu, delta);
            return;
        }

        lock (Interleaving)
        {
            Interleaving.Shift(cpu, delta);
        }
    }

    /// <summary>Assigns the next delivery position (free mode) or records the conductor's (controlled).</summary>
    public long NextSeq(long conductorSeq, int tagCpu)
    {
        long seq;
        if (Controlled)
        {
            seq = conductorSeq;
            Interlocked.Exchange(ref freeSeq, seq);
        }
        else
        {
            seq = Interlocked.Increment(ref freeSeq);
        }

        if (Controlled)
        {
            // One delivery at a time, each ordered after the last by the conductor's messages: no lock.
            Interleaving.Add(tagCpu);
        }
        else
        {
            lock (Interleaving)
            {
                Interleaving.Add(tagCpu);
            }
        }

        return seq;
    }
}
