using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Exploration;

/// <summary>What a strategy chooses among at each step.</summary>
public enum ChoiceMode
{
    /// <summary>
    /// Any message that may be delivered now: the oldest pending message of each (sender, receiver)
    /// pair (Akka keeps each pair's messages in order). Several IPIs or replies of one CPU are
    /// separate choices.
    /// </summary>
    Delivery,

    /// <summary>Which CPU advances: its oldest pending message is delivered. Coarser: the order of one CPU's concurrent messages is fixed (oldest first).</summary>
    Cpu,
}

/// <summary>
/// The choices open at one step: each an option (a sender→receiver pair in <see cref="ChoiceMode.Delivery"/>
/// mode, a CPU in <see cref="ChoiceMode.Cpu"/> mode) with the pending message it delivers and the CPU it
/// serves, oldest first. One instance per strategy, refilled at every step.
/// </summary>
public sealed class ChoiceView
{
    private int[] options = new int[8];
    private int[] indices = new int[8];
    private int[] cpus = new int[8];
    private IReadOnlyList<PendingMessage> pending = [];

    public ChoiceMode Mode { get; private set; }

    /// <summary>How many options are open.</summary>
    public int Count { get; private set; }

    public IReadOnlyList<PendingMessage> Pending => pending;

    /// <summary>The option id of choice <paramref name="k"/>: a pair's id (<see cref="ChannelId"/>) or a CPU + 1.</summary>
    public int Option(int k) => options[k];

    /// <summary>The pending index of the message choice <paramref name="k"/> delivers.</summary>
    public int PendingIndex(int k) => indices[k];

    /// <summary>The CPU choice <paramref name="k"/> serves (-1: none).</summary>
    public int Cpu(int k) => cpus[k];

    public PendingMessage Message(int k) => pending[indices[k]];

    /// <summary>The choice whose option id is <paramref name="option"/>, or -1.</summary>
    public int Find(int option)
    {
        for (var k = 0; k < Count; k++)
        {
            if (options[k] == option)
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>The oldest choice serving <paramref name="cpu"/>, or -1.</summary>
    public int OldestOf(int cpu)
    {
        for (var k = 0; k < Count; k++)
        {
            if (cpus[k] == cpu)
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>The CPUs served by some choice, ascending.</summary>
    public List<int> ServedCpus()
    {
        var list = new List<int>(4);
        for (var k = 0; k < Count; k++)
        {
            if (!list.Contains(cpus[k]))
            {
                list.Add(cpus[k]);
            }
        }

        list.Sort();
        return list;
    }

    /// <summary>A pair's option id: unique per (sender, receiver) of a topology with <paramref name="actors"/> actors.</summary>
    public static int ChannelId(int from, int to, int actors) => (from * actors) + to;

    /// <summary>The CPU a message serves: its step's CPU, or for the host's RunProgram the CPU it starts.</summary>
    public static int CpuOf(in PendingMessage p, Topology topology) =>
        p.Cpu >= 0 ? p.Cpu : topology.IsCpu(p.To) ? topology.CpuIndex(p.To) : -1;

    /// <summary>Fills the view from the conductor's pending messages (in the order they were sent).</summary>
    public void Fill(IReadOnlyList<PendingMessage> list, Topology topology, ChoiceMode mode)
    {
        pending = list;
        Mode = mode;
        Count = 0;
        for (var i = 0; i < list.Count; i++)
        {
            var p = list[i];
            var cpu = CpuOf(p, topology);
            var option = mode == ChoiceMode.Delivery ? ChannelId(p.From, p.To, topology.Count) : cpu + 1;
            if (Find(option) >= 0)
            {
                // Not the oldest of its pair (or of its CPU): not deliverable yet.
                continue;
            }

            if (Count == options.Length)
            {
                Array.Resize(ref options, Count * 2);
                Array.Resize(ref indices, Count * 2);
                Array.Resize(ref cpus, Count * 2);
            }

            options[Count] = option;
            indices[Count] = i;
            cpus[Count] = cpu;
            Count++;
        }
    }
}
