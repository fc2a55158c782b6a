using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Follows a schedule's state for a strategy: attaches an access recorder to the run's machine,
/// hands each delivery's footprint to the state hasher (and to DPOR's happens-before order when
/// there is one), and hashes the state at a decision point.
/// </summary>
internal sealed class StateProbe
{
    private int option;
    private int sender;
    private int from;
    private int to;
    private ulong message;

    public AccessRecorder Recorder { get; } = new();

    public StateHasher Hasher { get; } = new();

    /// <summary>DPOR's order of this schedule's deliveries (null: not kept).</summary>
    public HappensBefore? Order { get; set; }

    public Topology? Topology { get; private set; }

    /// <summary>The run's machine, before its first delivery.</summary>
    public void Start(Machine machine, Machine boot, Topology topology)
    {
        Topology = topology;
        machine.Recorder = Recorder;
        Recorder.Clear();
        Order?.Clear();
        Hasher.Begin(machine, boot, topology.Count);
    }

    /// <summary>The state before the next delivery (the pending messages as <paramref name="view"/> holds them).</summary>
    public ulong State(ChoiceView view) => Hasher.State(view.Pending, Topology!, view.Mode);

    /// <summary>The delivery about to be made.</summary>
    public void Chosen(int opt, in PendingMessage p)
    {
        option = opt;
        sender = p.From == Topology.Host ? -1 - (int)p.SentBy : (int)p.SentBy - 1;
        from = p.From;
        to = p.To;
        message = StateHasher.Message(p.Message);
        Recorder.Clear();
    }

    /// <summary>The delivery has been handled: its footprint is complete.</summary>
    public void Processed()
    {
        if (Topology!.KeepsOwnState(to))
        {
            // The receiver's own fields (a CPU's program, a queue) changed: deliveries to it are ordered.
            Recorder.Write(Resource.Actor(to));
            Hasher.Delivered(from, to, message);
        }

        var footprint = Recorder.Accesses;
        Hasher.Wrote(footprint);
        Order?.Add(option, sender, footprint, message);
        Recorder.Clear();
    }
}
