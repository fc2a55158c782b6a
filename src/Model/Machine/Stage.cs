using BootActors.Model.Kernel;
using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>The component that carries out a stage (on the actor host, the actor that owns that state).</summary>
public enum StageOwner : byte
{
    PhysicalMemory,
    PageAllocator,

    /// <summary>The lock the step names (<see cref="Effect.Value"/>): init_mm.page_table_lock or the hotplug mutex.</summary>
    Lock,

    Hypervisor,

    /// <summary>The TLB of the CPU whose step it is.</summary>
    Tlb,

    /// <summary>Every CPU's TLB at once: one message each, sent together, all answered before the step goes on.</summary>
    EveryTlb,
}

/// <summary>
/// The model function an owner calls for a stage (<see cref="Machine.Execute"/>; and, for a stage
/// that forwards, <see cref="Machine.Complete"/> once the forwarded part has answered).
/// </summary>
public enum StageOp : byte
{
    /// <summary><see cref="Machine.MemoryStep"/>: an entry read or write (with the overwrite monitor), a PTE page fill, a __va reach, memset, free_pagetable, the counters, the ranges.</summary>
    MemoryStep,

    /// <summary>update_va_mapping's write: RW cleared on the direct-map PTE the alloc hook found (<see cref="Mmu.ClearRw"/>).</summary>
    ClearRw,

    /// <summary>The page walk of a TLB miss (<see cref="Machine.WalkStep"/>).</summary>
    Walk,

    /// <summary><see cref="Machine.AllocatorStep"/>: find_early_table_space, alloc_low_page, early_ioremap, early_iounmap.</summary>
    AllocatorStep,

    /// <summary><see cref="Machine.LockStep"/>: spin_lock (may wait) / spin_unlock (may hand the lock over).</summary>
    LockStep,

    /// <summary>A memory access through the CPU's TLB: a hit, a stale use, or a miss that forwards a <see cref="Walk"/> and caches what it returns.</summary>
    Translate,

    /// <summary>Empty this TLB: __flush_tlb_all, the local half of MMUEXT_TLB_FLUSH_*, or a flush IPI.</summary>
    FlushTlb,

    /// <summary>Xen's checks of a set_p?d: a trapped set_pte into an L1, or mmu_update of an L2–L4 entry (mod_l?_entry).</summary>
    XenEntryWrite,

    /// <summary>The paravirt alloc hook of a p?d_populate: xen_alloc_pte_init → make_lowmem_page_readonly → update_va_mapping.</summary>
    XenAllocHook,

    /// <summary>mmu_update of a p?d_populate: the child's writable alias, then the validation of what it links.</summary>
    XenPopulate,

    /// <summary>phys_pte_init's stores into a PTE page, trapped and validated one by one when the page is a pinned L1.</summary>
    XenPteStores,

    /// <summary>early_ioremap's store into the fixmap L1: a writable mapping of the page.</summary>
    XenMapAlias,

    /// <summary>early_iounmap's clear of the fixmap PTE: the writable reference is dropped.</summary>
    XenDropAlias,

    /// <summary>HYPERVISOR_mmuext_op MMUEXT_TLB_FLUSH_LOCAL (xen_flush_tlb for __flush_tlb_all).</summary>
    XenFlushLocal,

    /// <summary>HYPERVISOR_mmuext_op MMUEXT_TLB_FLUSH_ALL: every CPU of the domain.</summary>
    XenFlushAll,

    /// <summary>Folded phys_pmd_init iterations (<see cref="Kernel.FoldedIterations"/>): how many of the pmd entries are empty; on completion, fill and link them.</summary>
    EmptyPmdEntries,

    /// <summary>Folded phys_pmd_init iterations: alloc_low_page's pages, each mapped and unmapped through early_ioremap (under Xen, once the hypervisor has accepted them).</summary>
    BootPages,

    /// <summary>Folded phys_pmd_init iterations under Xen: each page's fixmap alias made and dropped, the alloc hook and the populate's mmu_update, up to the first Xen would refuse.</summary>
    XenFoldedHypercalls,

    /// <summary>Folded phys_pud_init iterations (<see cref="Kernel.FoldedIterations"/>): how many of the pud entries are empty; on completion, fill and link each one's pmd page.</summary>
    EmptyPudEntries,

    /// <summary>Folded phys_pud_init iterations: alloc_low_page's pmd page for each and the boot pages of its iterations (512 PTE pages without PSE), each mapped and unmapped through early_ioremap.</summary>
    BootTables,

    /// <summary>Folded phys_pmd_init iterations that map 2 MiB leaves: how many of the pmd entries are empty, and those leaves written.</summary>
    PmdLeaves,
}

/// <summary>How the trace names a stage's request.</summary>
public enum RequestNaming : byte
{
    /// <summary>By the step, in the kernel's words (<see cref="StageNames.Request"/>): ReadEntry, SetPud, PudPopulate, AllocLowPage, Translate, …</summary>
    ByStep,

    /// <summary>The stage's fixed name (UpdateVaMapping, FixmapStore, ApplyUpdate, Walk, …).</summary>
    Fixed,

    /// <summary>A set_pte is a trapped store (PteStore); a set_pmd/pud/pgd is an mmu_update (MmuUpdate).</summary>
    EntryWriteHypercall,
}

/// <summary>How the trace names a stage's reply.</summary>
public enum ReplyNaming : byte
{
    /// <summary>By the step (<see cref="StageNames.Reply"/>): EntryRead, Populated, PageAllocated, LockGranted, Translated, …; Faulted or Refused on a fatal event.</summary>
    ByStep,

    /// <summary>HypercallDone, HypercallRefused (Xen refused it) or GuestBug (the guest's code hit a fatal event).</summary>
    Hypercall,

    /// <summary>UpdateApplied: memory applied (or, on a fatal event, did not apply) what Xen accepted.</summary>
    Applied,

    /// <summary>Walked, NotMapped, or Faulted (a fault on RAM that should be mapped).</summary>
    Walk,
}

/// <summary>
/// One stage of a kernel step: which owner does what. A stage with a <see cref="Forward"/> part has
/// its owner run <see cref="Op"/>, then (when the op asks for it) hand <see cref="Forward"/> on to
/// its owner, and answer only when that part has answered (<see cref="Machine.Complete"/>). An
/// <see cref="Atomic"/> stage's owner takes no other stage meanwhile: a hypercall is checked and
/// applied as one, as Xen serialises a domain's page-table updates on the page-type lock.
/// Instances are fixed data (<see cref="StepPlans"/>); a host compares them by reference.
/// </summary>
public sealed partial class Stage
{
    private readonly string? name;
    private readonly RequestNaming requestNaming;
    private readonly ReplyNaming replyNaming;

    internal Stage(StageOwner owner, StageOp op, RequestNaming request = RequestNaming.ByStep, string? name = null,
        ReplyNaming reply = ReplyNaming.ByStep, Stage? forward = null, bool atomic = false)
    {
        if ((request == RequestNaming.Fixed) != (name is not null))
        {
            throw new ArgumentException("a fixed request name needs the name, and only it", nameof(name));
        }

        if (atomic && forward is null)
        {
            throw new ArgumentException("only a stage that forwards can hold its owner until the answer", nameof(atomic));
        }

        Owner = owner;
        Op = op;
        requestNaming = request;
        this.name = name;
        replyNaming = reply;
        Forward = forward;
        Atomic = atomic;
    }

    public StageOwner Owner { get; }

    public StageOp Op { get; }

    /// <summary>The part this stage's owner hands on (to another owner) and waits for, when its own part asks for it.</summary>
    public Stage? Forward { get; }

    /// <summary>The owner serves no other stage from the moment it starts this one until <see cref="Forward"/> has answered.</summary>
    public bool Atomic { get; }

    /// <summary>Whether the op can make the CPU wait (a lock held by another CPU); such a stage ends its step.</summary>
    public bool MayWait => Op == StageOp.LockStep;

    /// <summary>How many owners receive this stage at once on a machine with <paramref name="cpus"/> CPUs.</summary>
    public int TargetCount(int cpus) => Owner == StageOwner.EveryTlb ? cpus : 1;

    /// <summary>
    /// Which instance of the owner the <paramref name="i"/>-th message goes to: the TLB of the step's
    /// CPU, or TLB <paramref name="i"/> of every TLB; 0 for the one memory, allocator, hypervisor.
    /// A lock is chosen by the step (<see cref="Effect.Value"/>), not by this number.
    /// </summary>
    public int Target(int cpu, int i) => Owner switch
    {
        StageOwner.Tlb => cpu,
        StageOwner.EveryTlb => i,
        _ => 0,
    };

    /// <summary>The request's name in the trace.</summary>
    public string RequestName(in Effect e) => requestNaming switch
    {
        RequestNaming.Fixed => name!,
        RequestNaming.EntryWriteHypercall => e.Level == Level.Pte ? "PteStore" : "MmuUpdate",
        _ => StageNames.Request(e),
    };

    /// <summary>The reply's name in the trace.</summary>
    public string ReplyName(in Effect e, in StepResult result, StageData? data) => replyNaming switch
    {
        ReplyNaming.Hypercall => result.Fatal?.Kind == ErrorKind.HypervisorRefused ? "HypercallRefused" : result.IsFatal ? "GuestBug" : "HypercallDone",
        ReplyNaming.Applied => "UpdateApplied",
        ReplyNaming.Walk => result.IsFatal ? "Faulted" : data?.Walked is null ? "NotMapped" : "Walked",
        _ => StageNames.Reply(e, result),
    };

    /// <summary>
    /// "Hypervisor XenPopulate `MmuUpdate` → PhysicalMemory MemoryStep `ApplyUpdate`, atomic": the
    /// stage as a reader of the plans sees it, with its trace name where it is not the step's own.
    /// </summary>
    public override string ToString()
    {
        var traceName = requestNaming switch
        {
            RequestNaming.Fixed => $" `{name}`",
            RequestNaming.EntryWriteHypercall => " `MmuUpdate`/`PteStore`",
            _ => "",
        };
        var self = $"{Owner} {Op}{traceName}";
        return Forward is null ? self : $"{self} → {Forward}{(Atomic ? ", atomic" : "")}";
    }
}
