using System.Globalization;
using BootActors.Model.E820;
using BootActors.Model.Machine;
using BootActors.Model.Xen;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Workload;

/// <summary>
/// Why a run spec cannot be run, and which part of it says so: <see cref="Key"/> is "cpus",
/// "memory" (the RAM, from memory or e820), "kernel_size" or "workload"; for the workload,
/// <see cref="Step"/> and <see cref="Event"/> (0-based) and the event's <see cref="Field"/>.
/// Each reader turns this into its own location (an option, file:line: key, a JSON path).
/// </summary>
public sealed record SpecProblem(string Key, string Reason)
{
    public int Step { get; init; } = -1;

    public int Event { get; init; } = -1;

    /// <summary>"cpu", "start", "size", "addr", "count" or "stride" for a workload event.</summary>
    public string? Field { get; init; }

    /// <summary>The event kind as scenario files and run specs name it: "hotadd", "hotremove", "touch".</summary>
    public string? EventKind { get; init; }
}

/// <summary>
/// The one check of a run spec — the machine (CPUs, RAM, kernel image) and its workload —
/// against what the modelled kernel and this model can run. The command-line options, scenario
/// files, replay files and trace headers all go through it, so a value refused in one is refused
/// in all, with the same reason.
/// </summary>
public static class RunSpecLimits
{
    /// <summary>NR_CPUS's largest value on x86-64 in 2.6.27 (arch/x86/Kconfig: 4096 with MAXSMP).</summary>
    public const int MaxCpus = 4096;

    /// <summary>KERNEL_IMAGE_SIZE (include/asm-x86/page_64.h, 2.6.26 on): what level2_kernel_pgt maps of the image.</summary>
    public const ulong KernelImageSize = 512UL << 20;

    /// <summary>
    /// E820_X_MAX (include/asm-x86/e820.h, 2.6.27): E820MAX (128) plus three entries per NUMA node,
    /// for the largest MAX_NUMNODES (NODES_SHIFT 9): the most entries the kernel's e820 table holds.
    /// </summary>
    public const int MaxE820Entries = 128 + (3 * 512);

    /// <summary>Where this model numbers get_zeroed_page's pages (63 TiB, model-conventions item 20): RAM and workloads stay below it.</summary>
    public const ulong ModelMemoryLimit = PageAllocator.FirstDynamicPfn << PAGE_SHIFT;

    /// <summary>
    /// A table page whose entries form one run is held as a descriptor and a slot in the pfn index
    /// (about 128 bytes measured at 4 TiB; twice that leaves room for the actor host's own), and
    /// nearly every page a boot or hot-add writes is one; with flat pages it is 512 entries of 8 bytes.
    /// </summary>
    private static ulong BytesPerTablePage(MachineConfig m) => m.FlatTablePages ? PAGE_SIZE : 256;

    /// <summary>
    /// A boot that runs unwatched (<see cref="Machine.Machine.StepsUnwatched"/>) on a native machine
    /// holds its whole PTE pages as runs of pages (<see cref="Memory.PtePageRun"/>): about one byte
    /// a page measured from 4 to 60 TiB; sixteen leaves room for the pages an e820 hole breaks a run at.
    /// </summary>
    private const ulong BytesPerFoldedPtePage = 16;

    /// <summary>The first problem of the spec, or null when it can run.</summary>
    /// <param name="hostMemory">Bytes this process may use; page tables that cannot fit are refused (null: not checked).</param>
    /// <param name="bootFolds">
    /// The boot will run unwatched — no trace and no access recorder, as a plain run, an exploration's
    /// or a replay's boot — so a native machine's PTE pages are counted as runs, not one by one.
    /// False (the safe default) when every step of it is seen, as a traced run's.
    /// </param>
    public static SpecProblem? Check(MachineConfig machine, WorkloadPlan workload, ulong? hostMemory = null, bool bootFolds = false)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(workload);
        return Cpus(machine.Cpus) ?? Ram(machine) ?? Kernel(machine) ?? Workload(machine, workload) ?? Capacity(machine, workload, hostMemory, bootFolds);
    }

    /// <summary>Bytes of memory this process can count on: the GC's view, which honours container limits.</summary>
    public static ulong HostMemory() => (ulong)Math.Max(0, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>"8 GiB", "512 MiB", "4 KiB" or "N bytes", for messages.</summary>
    public static string Size(ulong bytes)
    {
        (int Shift, string Unit)[] units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
        foreach (var (shift, unit) in units)
        {
            if (bytes >= 1UL << shift)
            {
                return bytes % (1UL << shift) == 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{bytes >> shift} {unit}")
                    : string.Create(CultureInfo.InvariantCulture, $"{(double)bytes / (1UL << shift):0.##} {unit}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
    }

    private static SpecProblem? Cpus(int cpus) =>
        cpus is >= 1 and <= MaxCpus
            ? null
            : new SpecProblem("cpus", string.Create(CultureInfo.InvariantCulture,
                $"{cpus} is not a CPU count: expected 1 to {MaxCpus} (NR_CPUS's largest value in 2.6.27, with MAXSMP)"));

    private static SpecProblem? Ram(MachineConfig m)
    {
        var e820 = m.E820;
        if (e820.Entries.Count > MaxE820Entries)
        {
            return new SpecProblem("memory", string.Create(CultureInfo.InvariantCulture,
                $"the e820 map has {e820.Entries.Count} entries after sanitize_e820_map; the kernel's table holds at most {MaxE820Entries} (E820_X_MAX)"));
        }

        var endPfn = e820.EndOfRamPfn();
        if (endPfn == 0)
        {
            return new SpecProblem("memory", "the e820 map has no usable RAM (e820_end_of_ram() is 0)");
        }

        var end = endPfn << PAGE_SHIFT;
        if (end >= ModelMemoryLimit)
        {
            return new SpecProblem("memory",
                $"RAM ends at {Hex(end)} ({Size(end)}); this model numbers get_zeroed_page's pages from {Hex(ModelMemoryLimit)} (63 TiB) up, so RAM must end below that");
        }

        if (m.Xen && XenLayout.Compute(end, Math.Min(m.KernelSize, KernelImageSize), out var error) is null)
        {
            return new SpecProblem("memory", error ?? "Xen's domain builder cannot lay out this guest");
        }

        return null;
    }

    private static SpecProblem? Kernel(MachineConfig m)
    {
        var size = m.KernelSize;
        if (size == 0)
        {
            return new SpecProblem("kernel_size", "the kernel image size must be positive");
        }

        if (size > KernelImageSize)
        {
            return new SpecProblem("kernel_size",
                $"a kernel image of {Size(size)} does not fit KERNEL_IMAGE_SIZE ({Size(KernelImageSize)}, all that level2_kernel_pgt maps; include/asm-x86/page_64.h)");
        }

        // The boot loader puts the image at CONFIG_PHYSICAL_START in RAM (model-conventions item 1).
        var start = StaticTables.PHYSICAL_START;
        var end = start + round_up(size, PAGE_SIZE);
        if (!m.E820.RamRanges().Any(r => r.Start <= start && end <= r.End))
        {
            return new SpecProblem("kernel_size",
                $"the kernel image [{Hex(start)}, {Hex(end)}) ({Size(size)} at CONFIG_PHYSICAL_START) is not inside one usable e820 range: the machine could not have loaded it");
        }

        return null;
    }

    private static SpecProblem? Workload(MachineConfig m, WorkloadPlan plan)
    {
        for (var s = 0; s < plan.Steps.Count; s++)
        {
            var events = plan.Steps[s].Events;
            if (events.Count == 0)
            {
                return new SpecProblem("workload", "a step has no event") { Step = s };
            }

            for (var e = 0; e < events.Count; e++)
            {
                if (Event(m, events[e]) is { } problem)
                {
                    return problem with { Step = s, Event = e };
                }
            }
        }

        return null;
    }

    private static SpecProblem? Event(MachineConfig m, WorkloadEvent ev)
    {
        var kind = ev switch
        {
            HotAdd => "hotadd",
            HotRemove => "hotremove",
            _ => "touch",
        };
        SpecProblem Bad(string field, string reason) => new("workload", reason) { Field = field, EventKind = kind };

        if (ev.Cpu < 0 || ev.Cpu >= m.Cpus)
        {
            return Bad("cpu", string.Create(CultureInfo.InvariantCulture,
                $"CPU{ev.Cpu} does not exist: the machine has {m.Cpus} CPU(s) (CPU0-CPU{m.Cpus - 1})"));
        }

        switch (ev)
        {
            case HotAdd or HotRemove:
            {
                var (start, size) = ev is HotAdd h ? (h.Start, h.Size) : (((HotRemove)ev).Start, ((HotRemove)ev).Size);
                if (size == 0)
                {
                    return Bad("size", "the size must be positive");
                }

                if (start >= ModelMemoryLimit || size > ModelMemoryLimit - start)
                {
                    return Bad(start >= ModelMemoryLimit ? "start" : "size",
                        $"[{Hex(start)}, {(start + size < start ? "beyond 2^64" : Hex(start + size))}) reaches {Hex(ModelMemoryLimit)} (63 TiB), where this model numbers get_zeroed_page's pages; keep workloads below it");
                }

                return null;
            }

            case Touch t:
            {
                if (t.Count < 1)
                {
                    return Bad("count", string.Create(CultureInfo.InvariantCulture, $"{t.Count} is not a page count (expected 1 or more)"));
                }

                if (t.Stride == 0)
                {
                    return Bad("stride", "the stride must be positive");
                }

                // The last page read is addr + (count - 1) * stride; it must end below the model's limit.
                var span = UInt128.CreateTruncating((ulong)(t.Count - 1)) * t.Stride + PAGE_SIZE;
                if (t.PhysAddr >= ModelMemoryLimit || span > ModelMemoryLimit - t.PhysAddr)
                {
                    return Bad(t.PhysAddr >= ModelMemoryLimit ? "addr" : "count",
                        $"the pages read from {Hex(t.PhysAddr)} reach {Hex(ModelMemoryLimit)} (63 TiB), where this model numbers get_zeroed_page's pages; keep workloads below it");
                }

                return null;
            }

            default:
                return null;
        }
    }

    /// <summary>
    /// The page-table pages the direct mapping can need at most — a PUD page per 512 GiB, a PMD page
    /// per GiB (none with gbpages), a PTE page per 2 MiB without PSE, for the boot and every hot-add —
    /// against the memory this process has. A machine whose tables cannot fit is refused before it
    /// is run rather than ending the process out of memory.
    /// </summary>
    private static SpecProblem? Capacity(MachineConfig m, WorkloadPlan plan, ulong? hostMemory, bool bootFolds)
    {
        if (hostMemory is not { } available || available == 0)
        {
            return null;
        }

        var end = m.E820.EndOfRamPfn() << PAGE_SHIFT;
        var pages = TablePages(m, end);

        // Only natively (Xen's update_va_mapping writes into the direct map's own PTE pages as it
        // goes) and in the compact representation; hot-added pages come from get_zeroed_page, one by one.
        var folded = bootFolds && !m.Xen && !m.FlatTablePages && !m.EffectivePse ? PtePages(end) : 0;
        foreach (var add in plan.AllEvents.OfType<HotAdd>())
        {
            pages += TablePages(m, add.Size) + 2;
        }

        var bytes = ((pages - folded) * BytesPerTablePage(m)) + (folded * BytesPerFoldedPtePage);
        var budget = available / 4 * 3;
        if (bytes <= budget)
        {
            return null;
        }

        // "1.5 GiB, more than the 1.5 GiB" says nothing: sizes that round alike are given in MiB, or bytes.
        string need = "", have = "";
        foreach (var format in new Func<ulong, string>[] { Size, Mib, Bytes })
        {
            (need, have) = (format(bytes), format(budget));
            if (need != have)
            {
                break;
            }
        }

        return new SpecProblem("memory",
            $"mapping {Size(end)} of RAM {(m.EffectivePse ? "with 2 MiB pages" : "with 4 KiB pages (no PSE)")} takes up to {pages:N0} page-table pages " +
            $"({need}), more than the {have} this model may use on this host");
    }

    private static string Mib(ulong bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1UL << 20):#,0.#} MiB");

    private static string Bytes(ulong bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");

    private static ulong TablePages(MachineConfig m, ulong bytes)
    {
        var pages = Count(bytes, PGDIR_SHIFT);
        if (!m.EffectiveGbpages)
        {
            pages += Count(bytes, PUD_SHIFT);
        }

        if (!m.EffectivePse)
        {
            pages += PtePages(bytes);
        }

        return pages;
    }

    private static ulong PtePages(ulong bytes) => Count(bytes, PMD_SHIFT);

    private static ulong Count(ulong bytes, int shift) => (bytes >> shift) + ((bytes & ((1UL << shift) - 1)) != 0 ? 1UL : 0);

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
