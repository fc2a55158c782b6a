using BootActors.Model.Paging;

namespace BootActors.Model.Kernel;

/// <summary>
/// What a step of kernel code asks of the machine. Which components carry it out, in what
/// order, natively and under Xen, is the kind's plan (<see cref="Machine.StepPlans"/>): entries
/// by PhysicalMemory (through the Hypervisor under Xen), pages by the PageAllocator, the locks by
/// InitMmLock, flushes and accesses by the TLBs.
/// </summary>
public enum EffectKind : byte
{
    /// <summary>Entering a kernel function (bookkeeping for the call chain; no message).</summary>
    Enter,

    /// <summary>Leaving a kernel function.</summary>
    Leave,

    /// <summary>pte_val/pmd_val/pud_val/pgd_val(*entry). Result: the entry.</summary>
    ReadEntry,

    /// <summary>set_pte/set_pmd/set_pud/set_pgd of a leaf or of zero.</summary>
    SetEntry,

    /// <summary>pmd_populate_kernel / pud_populate / pgd_populate of <see cref="Effect.Value"/> (child pfn).</summary>
    Populate,

    /// <summary>The body of phys_pte_init's loop over one PTE page as one step. Result: pages written.</summary>
    PteInitLoop,

    /// <summary>find_e820_area for the early table buffer of <see cref="Effect.Value"/> bytes below <see cref="Effect.Arg"/>; sets table_start/end/top. Result: table_start (pfn) or ulong.MaxValue.</summary>
    FindTableSpace,

    /// <summary>table_end++ and the bound check of alloc_low_page, or get_zeroed_page after bootmem. Result: pfn.</summary>
    AllocPage,

    /// <summary>early_ioremap(pfn * PAGE_SIZE, PAGE_SIZE): a writable fixmap alias of the page.</summary>
    EarlyIoremap,

    /// <summary>memset(adr, 0, PAGE_SIZE) of a new table page.</summary>
    ZeroPage,

    /// <summary>early_iounmap(adr, PAGE_SIZE) from unmap_low_page.</summary>
    EarlyIounmap,

    /// <summary>Dereference of an existing table through __va (pgd_page_vaddr, pmd_offset, pud_offset, pmd_page_vaddr).</summary>
    ReachTable,

    /// <summary>spin_lock on <see cref="Effect.Value"/>: 0 = init_mm.page_table_lock, 1 = the hotplug mutex knob.</summary>
    SpinLock,
    SpinUnlock,

    /// <summary>__flush_tlb_all on this CPU (MMUEXT_TLB_FLUSH_LOCAL under Xen).</summary>
    FlushTlbAll,

    /// <summary>flush_tlb_all: IPI to every CPU (a later kernel's remove_pagetable).</summary>
    FlushTlbGlobal,

    /// <summary>update_page_count(level, n).</summary>
    UpdatePageCount,

    /// <summary>A memory access at a virtual address through this CPU's TLB.</summary>
    Touch,

    /// <summary>arch_add_memory has started on [Value, Arg): that range is RAM from now on.</summary>
    AddMemoryRange,

    /// <summary>remove_pagetable has started on [Value, Arg): that range is no longer expected mapped.</summary>
    RemoveMemoryRange,

    /// <summary>free_pagetable of a page-table page (hot-remove).</summary>
    FreePage,

    /// <summary>A printk line.</summary>
    Printk,

    /// <summary>The code itself hit a fatal condition (panic, BUG, or a monitor's violation it detects).</summary>
    Fatal,

    /// <summary>
    /// Consecutive iterations of phys_pmd_init's loop at boot, each over an empty pmd entry, as one
    /// step that stands for theirs (<see cref="FoldedIterations"/>). Result: how many were done.
    /// </summary>
    PmdIterations,

    /// <summary>
    /// Consecutive iterations of phys_pud_init's loop at boot, each over an empty pud entry whose
    /// fresh pmd page phys_pmd_init fills whole (a <see cref="PmdIterations"/> step of 512), as one
    /// step that stands for theirs (<see cref="FoldedIterations"/>). Result: how many were done.
    /// </summary>
    PudIterations,

    /// <summary>
    /// Consecutive iterations of phys_pmd_init's loop at boot that each map 2 MiB with a large leaf
    /// into an empty pmd entry (with PSE, or the parent without the non-PSE fallback), as one step
    /// that stands for theirs (<see cref="FoldedIterations"/>). Result: how many were done.
    /// </summary>
    PmdLeaves,

    /// <summary>
    /// A call of another kernel function (<see cref="Effect.Payload"/>: its steps): the CPU runs
    /// them before the caller goes on. Never a step: <see cref="Interpreter.CpuThread"/> keeps the
    /// callers on a stack, so a step passes through one iterator, not through one per caller.
    /// </summary>
    Call,
}

/// <summary>The kernel functions, by their kernel names.</summary>
public enum KernelFn : byte
{
    None,
    init_memory_mapping,
    init_gbpages,
    find_early_table_space,
    phys_pud_init,
    phys_pud_update,
    phys_pmd_init,
    phys_pmd_update,
    phys_pte_init,
    phys_pte_update,
    alloc_low_page,
    unmap_low_page,
    arch_add_memory,
    arch_remove_memory,
    remove_pagetable,
    remove_pud_table,
    remove_pmd_table,
    remove_pte_table,
    touch,
    setup_arch,
    add_memory,
    remove_memory,
    free_pte_table,
    free_pmd_table,
}

/// <summary>One step's request. A small value type so the sequential interpreter allocates nothing per step.</summary>
public readonly struct Effect
{
    public readonly EffectKind Kind;
    public readonly KernelFn Fn;
    public readonly Level Level;
    public readonly short Index;
    public readonly Pfn Table;
    public readonly ulong Value;
    public readonly ulong Arg;
    public readonly object? Payload;

    public Effect(EffectKind kind, KernelFn fn, Level level = 0, int index = 0, Pfn table = default, ulong value = 0, ulong arg = 0, object? payload = null)
    {
        Kind = kind;
        Fn = fn;
        Level = level;
        Index = (short)index;
        Table = table;
        Value = value;
        Arg = arg;
        Payload = payload;
    }

    public EntryLocation Entry => new(Table, Level, Index);

    /// <summary>Runs <paramref name="callee"/>'s steps, then goes on (<see cref="EffectKind.Call"/>).</summary>
    public static Effect Call(IEnumerable<Effect> callee) => new(EffectKind.Call, KernelFn.None, payload: callee);

    /// <summary>A program's steps with its calls run in place: what a CPU takes, for code that reads a program itself.</summary>
    public static IEnumerable<Effect> Flatten(IEnumerable<Effect> program)
    {
        foreach (var e in program)
        {
            if (e.Kind != EffectKind.Call)
            {
                yield return e;
                continue;
            }

            foreach (var inner in Flatten((IEnumerable<Effect>)e.Payload!))
            {
                yield return inner;
            }
        }
    }

    /// <summary>This step with another payload.</summary>
    public Effect With(object? payload) => new(Kind, Fn, Level, Index, Table, Value, Arg, payload);

    public override string ToString() => Describe.Effect(this);
}

/// <summary>An entry of a table page: the table's frame, its level and the index.</summary>
public readonly record struct EntryLocation(Pfn Table, Level Level, int Index)
{
    public override string ToString() => $"{Level.Name()}[{Index}] of table {Table}";
}

/// <summary>Why the code stopped by itself (payload of <see cref="EffectKind.Fatal"/>).</summary>
public sealed record FatalEvent(ErrorKind Kind, string Message)
{
    /// <summary>Host-specific positions the report refers to (e.g. where a TLB entry was cached and where its source changed).</summary>
    public IReadOnlyDictionary<string, long>? Positions { get; init; }

    /// <summary>The page-table entry the event is about, when there is one (the overwritten entry of a lost update).</summary>
    public EntryLocation? At { get; init; }
}
