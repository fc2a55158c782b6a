using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>Told each delivery's footprint: its option, the delivery that sent it (as <see cref="HappensBefore.Add"/> numbers it), its receiver.</summary>
internal interface IFootprintSink
{
    void Delivered(int option, int sender, int to, ReadOnlySpan<Access> footprint);
}

/// <summary>
/// Follows a schedule's state for a strategy: attaches an access recorder to the run's machine,
/// hands each delivery's footprint to the state hasher (and to DPOR's happens-before order when
/// there is one), and hashes the state at a decision point.
/// </summary>
internal sealed class StateProbe
{
    private readonly Dictionary<ulong, ulong> labels = new();
    private readonly Dictionary<ulong, ulong> pfnOfLabel = new();
    private int[] allocations = [];
    private Machine? machine;
    private ulong nextBefore;
    private int cpu;
    private int option;
    private int sender;
    private int from;
    private int to;
    private ulong message;

    public AccessRecorder Recorder { get; } = new();

    // One delegate for the probe's life: a method group converted per delivery allocates each time.
    private readonly Func<ulong, ulong> canon;

    public StateProbe()
    {
        canon = Canon;
        Hasher = new StateHasher(canon);
    }

    public StateHasher Hasher { get; }

    /// <summary>DPOR's order of this schedule's deliveries (null: not kept).</summary>
    public HappensBefore? Order { get; set; }

    /// <summary>Also told every delivery's footprint (the stateful DPOR's summaries).</summary>
    public IFootprintSink? Sink { get; set; }

    public Topology? Topology { get; private set; }

    /// <summary>The run's machine, before its first delivery.</summary>
    public void Start(Machine machine, Machine boot, Topology topology)
    {
        Topology = topology;
        this.machine = machine;
        labels.Clear();
        pfnOfLabel.Clear();
        allocations = new int[topology.Cpus + 1];
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
        cpu = ChoiceView.CpuOf(p, Topology!);

        // Only an actor that keeps state of its own has its inputs hashed.
        message = Topology!.KeepsOwnState(to) ? StateHasher.Message(p.Message, canon) : 0;
        nextBefore = machine!.Allocator.NextDynamic;
        Recorder.Clear();
    }

    /// <summary>
    /// The label of a value that names a page from get_zeroed_page (its pfn, or an entry linking it):
    /// "the k-th such page CPU c allocated", the same in every schedule whatever the order in which
    /// the CPUs allocated; any other value is itself.
    /// </summary>
    public ulong Canon(ulong v)
    {
        if (v >= PageAllocator.FirstDynamicPfn && labels.TryGetValue(v, out var label))
        {
            return label;
        }

        const ulong present = 1;
        var frame = (v & Model.Paging.X86.PTE_MASK) >> Model.Paging.X86.PAGE_SHIFT;
        return (v & present) != 0 && frame >= PageAllocator.FirstDynamicPfn && labels.TryGetValue(frame, out var l)
            ? Hash64.Mix(v & ~Model.Paging.X86.PTE_MASK, l)
            : v;
    }

    /// <summary>The resource of this run that <paramref name="canonical"/> (from <see cref="CanonResource"/>) names; null for a page this run has not allocated.</summary>
    public ulong? ConcreteResource(ulong canonical)
    {
        var kind = Resource.KindOf(canonical);
        if (kind is not (ResourceKind.Page or ResourceKind.PageMeta))
        {
            return canonical;
        }

        var value = canonical & ((1UL << 56) - 1);
        if ((value & (1UL << 44)) == 0)
        {
            return canonical;
        }

        return pfnOfLabel.TryGetValue(value, out var pfn) ? (canonical & ~((1UL << 56) - 1)) | pfn : null;
    }

    /// <summary>A resource with a get_zeroed_page page named by its label.</summary>
    public ulong CanonResource(ulong resource)
    {
        var kind = Resource.KindOf(resource);
        if (kind is not (ResourceKind.Page or ResourceKind.PageMeta))
        {
            return resource;
        }

        var pfn = Resource.PfnOf(resource).Value;
        return pfn >= PageAllocator.FirstDynamicPfn && labels.TryGetValue(pfn, out var label)
            ? (resource & ~((1UL << 56) - 1)) | label
            : resource;
    }

    /// <summary>The delivery has been handled: its footprint is complete.</summary>
    public void Processed()
    {
        for (var pfn = nextBefore; pfn < machine!.Allocator.NextDynamic; pfn++)
        {
            var k = allocations[cpu + 1]++;
            var label = (1UL << 44) | ((ulong)(cpu + 1) << 32) | (uint)k;
            labels[pfn] = label;
            pfnOfLabel[label] = pfn;
        }

        if (Topology!.KeepsOwnState(to))
        {
            // The receiver's own fields (a CPU's program, a queue) changed: deliveries to it are ordered.
            Recorder.Write(Resource.Actor(to));
            Hasher.Delivered(from, to, message);
        }

        var footprint = Recorder.Accesses;
        Hasher.Wrote(footprint);
        Order?.Add(option, sender, footprint);
        Sink?.Delivered(option, sender, to, footprint);
        Recorder.Clear();
    }
}
