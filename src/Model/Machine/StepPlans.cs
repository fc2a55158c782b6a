using BootActors.Model.Kernel;

namespace BootActors.Model.Machine;

/// <summary>One kernel step's ordered stages. Fixed data: looking a plan up allocates nothing.</summary>
public sealed class StepPlan
{
    private readonly Stage[] stages;

    internal StepPlan(EffectKind kind, bool xen, params Stage[] stages)
    {
        for (var i = 0; i < stages.Length - 1; i++)
        {
            if (stages[i].MayWait)
            {
                throw new ArgumentException($"{kind}: a stage that may wait must be the step's last");
            }
        }

        Kind = kind;
        Xen = xen;
        this.stages = stages;
    }

    public EffectKind Kind { get; }

    public bool Xen { get; }

    /// <summary>0 for a step the CPU takes alone (<see cref="Machine.CpuStep"/>): entering or leaving a function, a printk, the code's own fatal event.</summary>
    public int Count => stages.Length;

    public Stage this[int i] => stages[i];

    public IEnumerable<Stage> Stages => stages;

    public override string ToString() =>
        $"{Kind}{(Xen ? " (Xen)" : "")}: {(stages.Length == 0 ? "the CPU alone" : string.Join(", then ", stages.Select(s => s.ToString())))}";
}

/// <summary>
/// The one definition of how each kernel step is put together from its owners' parts, natively and
/// as a Xen PV guest: the ordered stages of every <see cref="EffectKind"/>. The sequential
/// interpreter runs them inline (<see cref="Machine.Apply"/>); the actor host sends each stage to
/// its owner, which calls the same <see cref="Machine.Execute"/> and <see cref="Machine.Complete"/>.
/// Each stage of a step starts only when the one before it has answered, and a fatal answer ends
/// the step there (model-conventions item 17: what completed before it stays done).
/// </summary>
public static class StepPlans
{
    // The owners' parts that several plans share.
    private static readonly Stage Memory = new(StageOwner.PhysicalMemory, StageOp.MemoryStep);
    private static readonly Stage Allocator = new(StageOwner.PageAllocator, StageOp.AllocatorStep);
    private static readonly Stage Lock = new(StageOwner.Lock, StageOp.LockStep);
    private static readonly Stage FlushOwnTlb = new(StageOwner.Tlb, StageOp.FlushTlb);
    private static readonly Stage FlushEveryTlb = new(StageOwner.EveryTlb, StageOp.FlushTlb);

    // A memory access: the TLB answers a hit; a miss walks the live tables, and the TLB caches what
    // the walk found before it answers. Not atomic: a flush IPI may reach the TLB during the walk.
    private static readonly Stage Translate = new(StageOwner.Tlb, StageOp.Translate,
        forward: new Stage(StageOwner.PhysicalMemory, StageOp.Walk, RequestNaming.Fixed, "Walk", ReplyNaming.Walk));

    // Under Xen (model-conventions items 26 and 28): Xen checks each hypercall, memory applies what
    // it accepts, and Xen answers the guest only then; no other hypercall comes between.
    private static readonly Stage ApplyUpdate = new(StageOwner.PhysicalMemory, StageOp.MemoryStep, RequestNaming.Fixed, "ApplyUpdate", ReplyNaming.Applied);

    private static readonly Stage MmuUpdateOfEntry = new(StageOwner.Hypervisor, StageOp.XenEntryWrite, RequestNaming.EntryWriteHypercall,
        reply: ReplyNaming.Hypercall, forward: ApplyUpdate, atomic: true);

    private static readonly Stage UpdateVaMapping = new(StageOwner.Hypervisor, StageOp.XenAllocHook, RequestNaming.Fixed, "UpdateVaMapping",
        ReplyNaming.Hypercall,
        forward: new Stage(StageOwner.PhysicalMemory, StageOp.ClearRw, RequestNaming.Fixed, "ApplyReadOnly", ReplyNaming.Applied), atomic: true);

    private static readonly Stage MmuUpdateOfPopulate = new(StageOwner.Hypervisor, StageOp.XenPopulate, RequestNaming.Fixed, "MmuUpdate",
        ReplyNaming.Hypercall, forward: ApplyUpdate, atomic: true);

    private static readonly Stage PteStores = new(StageOwner.Hypervisor, StageOp.XenPteStores, RequestNaming.Fixed, "PteStores",
        ReplyNaming.Hypercall, forward: ApplyUpdate, atomic: true);

    private static readonly Stage FixmapMap = new(StageOwner.Hypervisor, StageOp.XenMapAlias, RequestNaming.Fixed, "FixmapStore", ReplyNaming.Hypercall);

    private static readonly Stage FixmapClear = new(StageOwner.Hypervisor, StageOp.XenDropAlias, RequestNaming.Fixed, "FixmapStore", ReplyNaming.Hypercall);

    private static readonly Stage MmuextFlushLocal = new(StageOwner.Hypervisor, StageOp.XenFlushLocal, RequestNaming.Fixed, "MmuextTlbFlushLocal",
        ReplyNaming.Hypercall, forward: FlushOwnTlb, atomic: true);

    private static readonly Stage MmuextFlushAll = new(StageOwner.Hypervisor, StageOp.XenFlushAll, RequestNaming.Fixed, "MmuextTlbFlushAll",
        ReplyNaming.Hypercall, forward: FlushEveryTlb, atomic: true);

    // Folded phys_pmd_init iterations: memory finds the empty entries, the allocator hands out a page
    // for each, and memory fills and links them. Under Xen the allocator first names the pages it
    // would hand out, and the hypervisor takes each page's hypercalls (the fixmap alias made and
    // dropped, the alloc hook, the populate's mmu_update) before the allocator hands out those it accepted.
    private static readonly Stage FoldedIterations = new(StageOwner.PhysicalMemory, StageOp.EmptyPmdEntries,
        forward: new Stage(StageOwner.PageAllocator, StageOp.BootPages));

    private static readonly Stage FoldedIterationsXen = new(StageOwner.PhysicalMemory, StageOp.EmptyPmdEntries,
        forward: new Stage(StageOwner.PageAllocator, StageOp.BootPages,
            forward: new Stage(StageOwner.Hypervisor, StageOp.XenFoldedHypercalls)));

    // Folded phys_pud_init iterations (natively only): memory finds the empty pud entries, the
    // allocator hands out each iteration's pmd page and its 512 PTE pages, and memory fills and links them.
    private static readonly Stage FoldedPudIterations = new(StageOwner.PhysicalMemory, StageOp.EmptyPudEntries,
        forward: new Stage(StageOwner.PageAllocator, StageOp.BootTables));

    private static readonly Stage FoldedLeaves = new(StageOwner.PhysicalMemory, StageOp.PmdLeaves);

    private static readonly StepPlan[] Native = Build(xen: false);
    private static readonly StepPlan[] Xen = Build(xen: true);

    /// <summary>The stages of a step of <paramref name="kind"/>, natively or under Xen.</summary>
    public static StepPlan Of(EffectKind kind, bool xen) => (xen ? Xen : Native)[(int)kind];

    /// <summary>
    /// The deliveries a step of <paramref name="kind"/> takes on the actor host when every stage that
    /// may forward does: a request and an answer per owner each stage and forwarded part names.
    /// </summary>
    public static long Deliveries(EffectKind kind, bool xen, int cpus)
    {
        long n = 0;
        var plan = Of(kind, xen);
        for (var i = 0; i < plan.Count; i++)
        {
            n += Deliveries(plan[i], cpus);
        }

        return n;
    }

    private static long Deliveries(Stage stage, int cpus) =>
        stage.TargetCount(cpus) * (2 + (stage.Forward is { } forward ? Deliveries(forward, cpus) : 0));

    /// <summary>Every plan, native ones first, in <see cref="EffectKind"/> order.</summary>
    public static IEnumerable<StepPlan> All => Native.Concat(Xen);

    private static StepPlan[] Build(bool xen)
    {
        var kinds = Enum.GetValues<EffectKind>();
        var plans = new StepPlan[kinds.Length];
        foreach (var kind in kinds)
        {
            plans[(int)kind] = new StepPlan(kind, xen, Stages(kind, xen));
        }

        return plans;
    }

    private static Stage[] Stages(EffectKind kind, bool xen) => kind switch
    {
        EffectKind.Enter or EffectKind.Leave or EffectKind.Printk or EffectKind.Fatal => [],
        EffectKind.Call => [], // taken by the CPU thread itself, never a step

        // set_p?d: natively a store; under Xen a trapped store (L1) or mmu_update (L2–L4).
        EffectKind.SetEntry => xen ? [MmuUpdateOfEntry] : [Memory],

        // p?d_populate (item 26): under Xen the alloc hook's update_va_mapping, then the mmu_update.
        EffectKind.Populate => xen ? [UpdateVaMapping, MmuUpdateOfPopulate] : [Memory],

        // phys_pte_init's loop over one PTE page: under Xen its stores are trapped once the page is a pinned L1.
        EffectKind.PteInitLoop => xen ? [PteStores] : [Memory],

        EffectKind.ReadEntry or EffectKind.ReachTable or EffectKind.ZeroPage or EffectKind.FreePage or
            EffectKind.UpdatePageCount or EffectKind.AddMemoryRange or EffectKind.RemoveMemoryRange => [Memory],

        // early_ioremap: under Xen the fixmap store (Xen refuses a writable mapping of a table frame), then the slot.
        EffectKind.EarlyIoremap => xen ? [FixmapMap, Allocator] : [Allocator],

        // early_iounmap: the slot first; a failed unmap stops before the fixmap PTE is cleared, so Xen keeps the alias (item 17).
        EffectKind.EarlyIounmap => xen ? [Allocator, FixmapClear] : [Allocator],

        EffectKind.FindTableSpace or EffectKind.AllocPage => [Allocator],
        EffectKind.SpinLock or EffectKind.SpinUnlock => [Lock],

        // __flush_tlb_all: under Xen xen_flush_tlb's MMUEXT_TLB_FLUSH_LOCAL.
        EffectKind.FlushTlbAll => xen ? [MmuextFlushLocal] : [FlushOwnTlb],

        // flush_tlb_all: an IPI to every CPU; under Xen xen_flush_tlb_others' MMUEXT_TLB_FLUSH_ALL.
        EffectKind.FlushTlbGlobal => xen ? [MmuextFlushAll] : [FlushEveryTlb],

        EffectKind.Touch => [Translate],
        EffectKind.PmdIterations => xen ? [FoldedIterationsXen] : [FoldedIterations],

        // The kernel code folds them only natively; the same owners would take them under Xen.
        EffectKind.PudIterations => [FoldedPudIterations],

        // Folded 2 MiB leaves (natively only): memory counts the empty pmd entries and writes the leaves.
        EffectKind.PmdLeaves => [FoldedLeaves],
        _ => throw new InvalidOperationException($"no plan for {kind}"),
    };
}
