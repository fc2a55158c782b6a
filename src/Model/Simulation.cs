using System.Diagnostics;
using System.Globalization;
using BootActors.Model.E820;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using BootActors.Model.Summary;
using BootActors.Model.Workload;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model;

/// <summary>A dmesg-like line: the CPU, the kernel function that printed it, the text.</summary>
public sealed record LogLine(int Cpu, string Function, string Text);

/// <summary>A coalesced range of the direct map: physical [Start, End) mapped with pages of one size.</summary>
public readonly record struct MappedRange(ulong Start, ulong End, Level PageLevel);

/// <summary>The result of a run on either host.</summary>
public sealed class RunResult
{
    public required Machine.Machine Machine { get; init; }

    public RunStop? Stop { get; init; }

    public required IReadOnlyList<LogLine> Log { get; init; }

    public long Steps { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>init_memory_mapping's last_map_addr of the boot call (model-conventions item 22).</summary>
    public ulong LastMapAddr { get; init; }

    public Outcome Outcome => Stop is null ? Outcome.Ok : Stop.Fatal.Kind.Outcome();

    private IReadOnlyList<MappedRange>? mapped;

    /// <summary>The direct map as it stands after the run (computed once; the run is over).</summary>
    public IReadOnlyList<MappedRange> Mapped() => mapped ??= Simulation.Mapped(Machine.Memory);

    public RunSummary Summary()
    {
        var m = Machine;
        var a = m.Allocator;
        var errors = Stop is null
            ? Array.Empty<ErrorEntry>()
            : new[] { new ErrorEntry(Stop.Fatal.Kind.JsonName(), Stop.Fatal.Message, Stop.Cpu, Stop.CallChain) { TracePositions = Stop.Fatal.Positions } };
        return new RunSummary
        {
            Variant = m.Config.Variant.Name,
            Hunks = m.Config.Variant.HunkNames,
            Fixes = m.Config.Variant.FixNames,
            Pse = m.Globals.cpu_has_pse,
            Gbpages = m.Globals.direct_gbpages,
            Xen = m.Config.Xen,
            Cpus = m.Config.Cpus,
            End = RunSummary.Hex(m.End),
            LastMapAddr = RunSummary.Hex(LastMapAddr),
            TableStart = RunSummary.Hex(a.table_start),
            TableEnd = RunSummary.Hex(a.table_end),
            TableTop = RunSummary.Hex(a.table_top),
            TablePages = new TablePages(a.HandedOut(Level.Pud), a.HandedOut(Level.Pmd), a.HandedOut(Level.Pte)),
            DirectPages = new DirectPages(m.DirectPagesCount[0], m.DirectPagesCount[1], m.DirectPagesCount[2]),
            Mapped = Mapped().Select(r => (IReadOnlyList<string>)[RunSummary.Hex(r.Start), RunSummary.Hex(r.End), RunSummary.SizeName(r.PageLevel)]).ToList(),
            EarlyIoremapAliases = a.Aliases.Select(p => p.ToString()).ToList(),
            Outcome = Outcome.JsonName(),
            Errors = errors,
        };
    }
}

/// <summary>
/// A machine just after its boot (after_bootmem set), with what the boot printed: the starting point
/// of every schedule an exploration runs, copied with <see cref="Model.Machine.Machine.Clone"/>.
/// </summary>
public sealed record BootSnapshot(Machine.Machine Machine, ulong LastMapAddr, IReadOnlyList<LogLine> Log, RunStop? Stop);

/// <summary>Runs machines on the sequential interpreter.</summary>
public static class Simulation
{
    /// <summary>Boots: setup_arch's e820 report, then init_memory_mapping(0, end) on CPU0.</summary>
    public static RunResult Boot(MachineConfig config, Action<LogLine>? onLog = null) => Run(config, WorkloadPlan.BootOnly, onLog);

    /// <summary>Boots on CPU0, sets after_bootmem (mem_init), then runs the workload's steps in order.</summary>
    public static RunResult Run(MachineConfig config, WorkloadPlan plan, Action<LogLine>? onLog = null) => Run(config, plan, onLog, null);

    /// <summary>As <see cref="Run(MachineConfig, WorkloadPlan, Action{LogLine}?)"/>, ended by a timeout (cpu -1, "host") past <paramref name="timeout"/>.</summary>
    public static RunResult Run(MachineConfig config, WorkloadPlan plan, Action<LogLine>? onLog, TimeSpan? timeout)
    {
        var sw = Stopwatch.StartNew();
        var machine = new Machine.Machine(config);
        machine.Validate(plan);

        var log = new List<LogLine>();
        void Emit(LogLine l)
        {
            log.Add(l);
            onLog?.Invoke(l);
        }

        foreach (var line in SetupArchLines(machine))
        {
            Emit(new LogLine(0, nameof(KernelFn.setup_arch), line));
        }

        var cpus = Enumerable.Range(0, machine.Tlbs.Length).Select(i => new CpuContext(i)).ToArray();
        var interpreter = new SequentialInterpreter(machine)
        {
            OnPrintk = (cpu, fn, text) => Emit(new LogLine(cpu, fn.ToString(), text)),
            Timeout = timeout,
        };
        var stop = interpreter.Run([new CpuThread(cpus[0], machine.Code.InitMemoryMapping(cpus[0], 0, machine.End), "boot")]);
        if (stop is null)
        {
            // mem_init: free_all_bootmem, then after_bootmem = 1.
            machine.Globals.after_bootmem = true;
            machine.Memory.TrackWrites = true;
            foreach (var step in plan.Steps)
            {
                stop = interpreter.Run(Threads(machine, cpus, step));
                if (stop is not null)
                {
                    break;
                }
            }
        }

        stop ??= EndOfRunChecks(machine);
        return new RunResult
        {
            Machine = machine,
            Stop = stop,
            Log = log,
            Steps = interpreter.Steps,
            Elapsed = sw.Elapsed,
            LastMapAddr = cpus[0].BootLastMapAddr,
        };
    }

    /// <summary>Boots on the sequential interpreter and keeps the machine for later runs (null Stop: the boot was clean).</summary>
    public static BootSnapshot SnapshotAfterBoot(MachineConfig config, TimeSpan? timeout = null) => BootSnapshotOf(Run(config, WorkloadPlan.BootOnly, null, timeout));

    private static BootSnapshot BootSnapshotOf(RunResult boot)
    {
        boot.Machine.Globals.after_bootmem = true;
        boot.Machine.Memory.TrackWrites = true;
        return new BootSnapshot(boot.Machine, boot.LastMapAddr, boot.Log, boot.Stop);
    }

    /// <summary>Runs a workload on a copy of a booted machine (the snapshot stays as it was).</summary>
    public static RunResult RunFrom(BootSnapshot boot, WorkloadPlan plan)
    {
        var sw = Stopwatch.StartNew();
        boot.Machine.Validate(plan);
        var machine = boot.Machine.Clone();
        var cpus = Enumerable.Range(0, machine.Tlbs.Length).Select(i => new CpuContext(i)).ToArray();
        var interpreter = new SequentialInterpreter(machine);
        RunStop? stop = boot.Stop;
        if (stop is null)
        {
            foreach (var step in plan.Steps)
            {
                stop = interpreter.Run(Threads(machine, cpus, step));
                if (stop is not null)
                {
                    break;
                }
            }

            stop ??= EndOfRunChecks(machine);
        }

        return new RunResult { Machine = machine, Stop = stop, Log = boot.Log, Steps = interpreter.Steps, Elapsed = sw.Elapsed, LastMapAddr = boot.LastMapAddr };
    }

    /// <summary>One thread per CPU of a workload step, running that CPU's events in order.</summary>
    public static IReadOnlyList<CpuThread> Threads(Machine.Machine machine, CpuContext[] cpus, WorkloadStep step) =>
        ByCpu(step).Select(p => new CpuThread(cpus[p.Cpu], Program(machine, cpus[p.Cpu], p.Events), p.Label)).ToList();

    /// <summary>A workload step's events by CPU (in CPU order of first appearance), each CPU's with its label.</summary>
    public static IReadOnlyList<(int Cpu, WorkloadEvent[] Events, string Label)> ByCpu(WorkloadStep step) =>
        step.Events.GroupBy(e => e.Cpu)
            .Select(g => (g.Key, g.ToArray(), string.Join("; ", g.Select(e => e.Describe()))))
            .ToList();

    /// <summary>The kernel code one CPU's events of a workload step run, one after another.</summary>
    public static IEnumerable<Effect> Program(Machine.Machine machine, CpuContext cpu, WorkloadEvent[] events) =>
        events.SelectMany(e => Program(machine, cpu, e));

    /// <summary>The kernel code one workload event runs.</summary>
    public static IEnumerable<Effect> Program(Machine.Machine machine, CpuContext cpu, WorkloadEvent e) => e switch
    {
        HotAdd h => machine.Code.AddMemory(cpu, h.Start, h.Size),
        HotRemove r => machine.Code.RemoveMemory(cpu, r.Start, r.Size),
        Touch t => machine.Code.TouchMemory(cpu, t.PhysAddr, t.Count, t.Stride),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "unknown workload event"),
    };

    /// <summary>The lines setup_arch prints before init_memory_mapping (arch/x86/kernel/setup.c, e820.c).</summary>
    public static IEnumerable<string> SetupArchLines(Machine.Machine m)
    {
        var who = m.Config.Xen ? "Xen" : "BIOS-e820";
        yield return "BIOS-provided physical RAM map:";
        foreach (var e in m.Globals.E820.Entries)
        {
            var type = e.Type switch
            {
                E820Type.Ram => "(usable)",
                E820Type.Reserved => "(reserved)",
                E820Type.Acpi => "(ACPI data)",
                E820Type.Nvs => "(ACPI NVS)",
                _ => $"type {e.Type}",
            };
            yield return string.Create(CultureInfo.InvariantCulture, $" {who}: {e.Start:x16} - {e.End:x16} {type}");
        }

        yield return string.Create(CultureInfo.InvariantCulture, $"last_pfn = {Hex.Of(m.End >> PAGE_SHIFT)} max_arch_pfn = {Hex.Of(MAX_ARCH_PFN)}");
    }

    /// <summary>
    /// The end-of-run monitors: every usable-RAM page below end and every hot-added page is
    /// mapped; every page-table page handed out is linked (none lost).
    /// </summary>
    public static RunStop? EndOfRunChecks(Machine.Machine m)
    {
        var mapped = Mapped(m.Memory);
        var expected = new List<(ulong, ulong)>();
        foreach (var (s, e) in m.Globals.E820.RamRanges())
        {
            if (s < m.End)
            {
                expected.Add((s, Math.Min(e, m.End)));
            }
        }

        expected.AddRange(m.HotAdded);
        foreach (var (s, e) in expected)
        {
            var gap = FirstGap(mapped, s, e, m.Removed);
            if (gap is { } pa)
            {
                return new RunStop(0, "end of run", new FatalEvent(ErrorKind.UnmappedRam,
                    $"RAM page {Hex.Of(pa)} (in {Hex.Of(s)}-{Hex.Of(e)}) is not mapped in the direct map at the end of the run: {m.Mmu.DescribeWalk(new PhysAddr(pa).Pfn)}"));
            }
        }

        if (m.Memory.FirstUnlinkedAllocatedPage() is { } page)
        {
            return new RunStop(0, "end of run", new FatalEvent(ErrorKind.LostTablePage,
                $"{page.Level.Name()} page {page.Pfn} was allocated by alloc_low_page but is not linked into init_level4_pgt at the end of the run"));
        }

        return null;
    }

    private static ulong? FirstGap(IReadOnlyList<MappedRange> mapped, ulong start, ulong end, IReadOnlyList<(ulong Start, ulong End)> removed)
    {
        foreach (var (s, e) in Subtract(start, end, removed))
        {
            var cursor = s;
            foreach (var r in mapped)
            {
                if (r.End <= cursor)
                {
                    continue;
                }

                if (r.Start > cursor)
                {
                    break;
                }

                cursor = r.End;
                if (cursor >= e)
                {
                    break;
                }
            }

            if (cursor < e)
            {
                return cursor;
            }
        }

        return null;
    }

    /// <summary>[start, end) minus the given ranges, in order.</summary>
    private static IEnumerable<(ulong Start, ulong End)> Subtract(ulong start, ulong end, IReadOnlyList<(ulong Start, ulong End)> holes)
    {
        var cursor = start;
        foreach (var (hs, he) in holes.OrderBy(h => h.Start))
        {
            if (he <= cursor || hs >= end)
            {
                continue;
            }

            if (hs > cursor)
            {
                yield return (cursor, hs);
            }

            cursor = Math.Max(cursor, he);
        }

        if (cursor < end)
        {
            yield return (cursor, end);
        }
    }

    /// <summary>
    /// Every present leaf reachable from init_level4_pgt slots ≥ L4_PAGE_OFFSET, as sorted physical
    /// ranges, adjacent ranges of the same page size merged (model-conventions item 22).
    /// </summary>
    public static IReadOnlyList<MappedRange> Mapped(PhysicalMemory memory)
    {
        var all = new List<MappedRange>();
        for (var slot = L4_PAGE_OFFSET; slot < PTRS_PER_PGD; slot++)
        {
            var e = memory.Read(memory.Root, slot);
            if (!e.Present)
            {
                continue;
            }

            var va = 0xffff000000000000UL | ((ulong)slot << PGDIR_SHIFT);
            foreach (var run in Translations.Of(memory, e, Level.Pgd, va))
            {
                all.Add(new MappedRange(run.Pa, run.PaEnd, run.PageLevel));
            }
        }

        all.Sort((x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : x.End.CompareTo(y.End));
        var merged = new List<MappedRange>(all.Count);
        foreach (var r in all)
        {
            if (merged.Count > 0 && merged[^1].End == r.Start && merged[^1].PageLevel == r.PageLevel)
            {
                merged[^1] = merged[^1] with { End = r.End };
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }
}
