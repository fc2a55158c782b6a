using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Xen;

namespace BootActors.Model.Machine;

/// <summary>Everything that decides a machine before the kernel runs (model-conventions items 1–5).</summary>
public sealed record MachineConfig
{
    public required E820Map E820 { get; init; }

    /// <summary>Where the map came from, for messages ("--memory 8G", a file name).</summary>
    public string E820Origin { get; init; } = "";

    public KernelVariant Variant { get; init; } = KernelVariant.Fixed;

    /// <summary>cpu_has_pse natively; ignored under Xen (forced off).</summary>
    public bool Pse { get; init; } = true;

    /// <summary>cpu_has_gbpages and direct_gbpages together; ignored under Xen.</summary>
    public bool Gbpages { get; init; }

    public bool Xen { get; init; }

    public int Cpus { get; init; } = 1;

    /// <summary>The kernel image size, rounded up to 4 KiB (CONFIG_PHYSICAL_START = 2 MiB).</summary>
    public ulong KernelSize { get; init; } = StaticTables.DefaultKernelSize;

    public AllocOrder AllocOrder { get; init; } = AllocOrder.BottomUp;

    public PteGrain Grain { get; init; } = PteGrain.Page;

    /// <summary>Scenario knob hotplug_mutex: serialise hot-add/hot-remove (absent in that era).</summary>
    public bool HotplugMutex { get; init; }

    /// <summary>Scenario knob flush: how hot-remove flushes at the end of remove_pagetable.</summary>
    public FlushScope RemoveFlush { get; init; } = FlushScope.Global;

    /// <summary>
    /// The map setup_arch sees. Under Xen a --memory map (<see cref="E820Map.MemorySize"/>) only
    /// sizes the domain, and the guest gets xen_memory_setup's map around the domain builder's
    /// layout (conventions item 10); a map from entries or a log is used as given. When the
    /// layout cannot be built, the given map is returned and <see cref="Machine"/> reports why.
    /// </summary>
    public E820Map BootE820 =>
        Xen && E820.MemorySize is not null && KernelSize != 0 &&
        XenLayout.Compute(E820.EndOfRamPfn() << E820Map.PageShift, KernelSize, out _) is { } layout
            ? layout.MemorySetupMap()
            : E820;

    /// <summary>
    /// Hold every table page as 512 entries instead of compact runs (<see cref="Memory.TablePage"/>):
    /// the plain representation, for tests that check the compact one changes nothing.
    /// </summary>
    internal bool FlatTablePages { get; init; }

    /// <summary>
    /// Take every phys_pmd_init iteration step by step, never folded (<see cref="Kernel.FoldedIterations"/>):
    /// the reference that tests check the folded runs against.
    /// </summary>
    public bool StepEveryIteration { get; init; }

    /// <summary>cpu_has_pse as the kernel sees it: the PV CPUID clears PSE (item 5).</summary>
    public bool EffectivePse => Pse && !Xen;

    /// <summary>direct_gbpages after init_gbpages: the option, the CPU feature, and not a PV guest.</summary>
    public bool EffectiveGbpages => Gbpages && !Xen;
}
