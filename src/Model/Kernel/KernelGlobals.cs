using BootActors.Model.E820;
using BootActors.Model.Paging;

namespace BootActors.Model.Kernel;

/// <summary>How finely phys_pte_init's loop is split into steps.</summary>
public enum PteGrain
{
    /// <summary>One step per PTE page (the loop runs inside the owner of the page): fast boots.</summary>
    Page,

    /// <summary>One read and one write step per entry: every interleaving between entries is visible.</summary>
    Entry,
}

/// <summary>
/// Kernel globals the code reads without a step: boot-time facts fixed before the code runs
/// (cpu_has_pse, direct_gbpages after init_gbpages, the e820 map, __supported_pte_mask) and
/// after_bootmem, which mem_init sets once between the boot and the workload.
/// </summary>
public sealed class KernelGlobals
{
    public required KernelVariant Variant { get; init; }

    public required E820Map E820 { get; init; }

    public required bool cpu_has_pse { get; init; }

    /// <summary>direct_gbpages as init_gbpages leaves it: the option and the CPU feature (model-conventions item 5).</summary>
    public required bool direct_gbpages { get; init; }

    public required bool Xen { get; init; }

    /// <summary>__supported_pte_mask: all ones natively (NX kept); a Xen domU drops GLOBAL, PWT and PCD.</summary>
    public required ulong __supported_pte_mask { get; init; }

    public PteGrain Grain { get; init; } = PteGrain.Page;

    /// <summary>Scenario knob: a mutex around each hot-add/hot-remove (absent in this era, kernel-notes §2.9).</summary>
    public bool HotplugMutex { get; init; }

    /// <summary>Scenario knob: how hot-remove flushes TLBs at the end of remove_pagetable.</summary>
    public FlushScope RemoveFlush { get; init; } = FlushScope.Global;

    /// <summary>No folded iterations (<see cref="Machine.MachineConfig.StepEveryIteration"/>).</summary>
    public bool StepEveryIteration { get; init; }

    /// <summary>Set by mem_init after free_all_bootmem.</summary>
    public bool after_bootmem { get; set; }

    public bool Has(Hunks h) => Variant.Has(h);

    public bool Has(Fixes f) => Variant.Has(f);

    public PageTableEntry LargeLeaf(ulong addr) => X86.pfn_pte(addr >> X86.PAGE_SHIFT, X86.PAGE_KERNEL_LARGE, __supported_pte_mask);

    public PageTableEntry Leaf(ulong addr) => X86.pfn_pte(addr >> X86.PAGE_SHIFT, X86.PAGE_KERNEL, __supported_pte_mask);
}

/// <summary>Which TLBs a flush reaches.</summary>
public enum FlushScope
{
    /// <summary>__flush_tlb_all on the calling CPU only.</summary>
    Local,

    /// <summary>flush_tlb_all: an IPI to every CPU, each acknowledging.</summary>
    Global,
}

/// <summary>A CPU's registers as the step machines see them.</summary>
public sealed class CpuContext
{
    public CpuContext(int id) => Id = id;

    public int Id { get; }

    /// <summary>The result of the last step, and a callee's return value (the kernel's %rax).</summary>
    public ulong Rax { get; set; }

    /// <summary>init_memory_mapping's local last_map_addr during the boot call (model-conventions item 22).</summary>
    public ulong BootLastMapAddr { get; set; }

    /// <summary>
    /// Set by the host before each step: the code may fold a run of phys_pmd_init iterations into one
    /// step (<see cref="FoldedIterations"/>) — nothing traces, records or observes the steps one by one,
    /// and nothing else can come between them.
    /// </summary>
    public bool MayFold { get; set; }

    public override string ToString() => $"CPU{Id}";
}
