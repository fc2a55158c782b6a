using Akka.Actor;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Infrastructure;

/// <summary>
/// The fixed set of model actors of one run and their ids (indices into vector clocks):
/// the host, then cpu0..n-1, tlb0..n-1, memory, allocator, the two locks, and the hypervisor under Xen.
/// </summary>
public sealed class Topology
{
    public Topology(int cpus, bool xen)
    {
        Cpus = cpus;
        var names = new List<string> { "host" };
        for (var i = 0; i < cpus; i++)
        {
            names.Add($"cpu{i}");
        }

        for (var i = 0; i < cpus; i++)
        {
            names.Add($"tlb{i}");
        }

        Memory = names.Count;
        names.Add("memory");
        Allocator = names.Count;
        names.Add("allocator");
        PageTableLock = names.Count;
        names.Add("page_table_lock");
        HotplugMutex = names.Count;
        names.Add("hotplug_mutex");
        Hypervisor = xen ? names.Count : -1;
        if (xen)
        {
            names.Add("hypervisor");
        }

        Names = names;
        Refs = new IActorRef[names.Count];
    }

    public const int Host = 0;

    public int Cpus { get; }

    public int Memory { get; }

    public int Allocator { get; }

    public int PageTableLock { get; }

    public int HotplugMutex { get; }

    /// <summary>-1 when the machine is native.</summary>
    public int Hypervisor { get; }

    public IReadOnlyList<string> Names { get; }

    public int Count => Names.Count;

    public IActorRef[] Refs { get; }

    public int Cpu(int i) => 1 + i;

    public int Tlb(int i) => 1 + Cpus + i;

    public bool IsCpu(int id) => id >= 1 && id <= Cpus;

    public int CpuIndex(int id) => id - 1;

    /// <summary>
    /// Whether handling a message changes fields of the actor itself (a CPU's program and registers,
    /// a TLB's forwarded walk, the hypervisor's held hypercalls) that the machine does not determine,
    /// beyond what the access recorder sees. The owner actors of memory and the allocator never forward
    /// and never hold: each request is carried out and answered at once, so they keep nothing between
    /// deliveries. A lock's owner actor keeps a parked request per CPU, but which CPUs wait is the model
    /// lock's state and what each asked is where that CPU's program stands. So deliveries to these are
    /// independent unless their footprints meet.
    /// </summary>
    public bool KeepsOwnState(int id) => id != Memory && id != Allocator && id != PageTableLock && id != HotplugMutex && id != Host;

    public int Lock(ulong lockId) => lockId == Model.Kernel.KernelCode.HotplugMutexLock ? HotplugMutex : PageTableLock;

    /// <summary>Which instance of its owner an actor is, as a stage's target (<see cref="Stage.Target"/>): a TLB's CPU; 0 for any other actor.</summary>
    public int TargetOf(int actor) => actor > Cpus && actor <= 2 * Cpus ? actor - 1 - Cpus : 0;

    /// <summary>The actor that receives the <paramref name="i"/>-th message of <paramref name="stage"/> for <paramref name="cpu"/>'s step <paramref name="step"/>.</summary>
    public int OwnerOf(Stage stage, int cpu, int i, in Effect step) => stage.Owner switch
    {
        StageOwner.PhysicalMemory => Memory,
        StageOwner.PageAllocator => Allocator,
        StageOwner.Lock => Lock(step.Value),
        StageOwner.Hypervisor => Hypervisor >= 0 ? Hypervisor : throw new InvalidOperationException($"{stage} needs the hypervisor, but the run is native"),
        _ => Tlb(stage.Target(cpu, i)),
    };
}
