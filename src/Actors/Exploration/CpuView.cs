using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Exploration;

/// <summary>
/// The pending messages seen per CPU: every message serves one CPU's step (its tag), and the host's
/// RunProgram serves the CPU it starts. Exploration chooses which CPU advances next and delivers
/// that CPU's oldest pending message — the interleavings that matter are between CPUs.
/// </summary>
public readonly struct CpuView
{
    private readonly IReadOnlyList<PendingMessage> pending;
    private readonly Topology topology;

    public CpuView(IReadOnlyList<PendingMessage> pending, Topology topology)
    {
        this.pending = pending;
        this.topology = topology;
        var cpus = new List<int>(4);
        foreach (var p in pending)
        {
            var c = CpuOf(p, topology);
            if (!cpus.Contains(c))
            {
                cpus.Add(c);
            }
        }

        cpus.Sort();
        Enabled = cpus;
    }

    /// <summary>CPUs with a pending message, ascending (-1 first when a message serves no CPU).</summary>
    public IReadOnlyList<int> Enabled { get; }

    public IReadOnlyList<PendingMessage> Pending => pending;

    public static int CpuOf(in PendingMessage p, Topology topology) =>
        p.Cpu >= 0 ? p.Cpu : topology.IsCpu(p.To) ? topology.CpuIndex(p.To) : -1;

    /// <summary>The index of <paramref name="cpu"/>'s oldest pending message.</summary>
    public int IndexOf(int cpu)
    {
        for (var i = 0; i < pending.Count; i++)
        {
            if (CpuOf(pending[i], topology) == cpu)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"CPU{cpu} has no pending message");
    }

    /// <summary>The receiving actor of <paramref name="cpu"/>'s next delivery.</summary>
    public int NextReceiver(int cpu) => pending[IndexOf(cpu)].To;
}
