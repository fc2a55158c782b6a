using System.Globalization;
using static BootActors.Model.Workload.HexFormat;

namespace BootActors.Model.Workload;

/// <summary>Something one CPU does after boot.</summary>
public abstract record WorkloadEvent(int Cpu)
{
    public abstract string Describe();
}

/// <summary>Memory hot-add: arch_add_memory(nid, start, size) on a CPU.</summary>
public sealed record HotAdd(int Cpu, ulong Start, ulong Size) : WorkloadEvent(Cpu)
{
    public override string Describe() => $"CPU{Cpu} hot-add [{Hex(Start)}, {Hex(Start + Size)})";
}

/// <summary>Memory hot-remove of [Start, Start + Size): the later kernel's remove_pagetable (kernel-notes §4.4).</summary>
public sealed record HotRemove(int Cpu, ulong Start, ulong Size) : WorkloadEvent(Cpu)
{
    public override string Describe() => $"CPU{Cpu} hot-remove [{Hex(Start)}, {Hex(Start + Size)})";
}

/// <summary>Reads of <see cref="Count"/> pages from physical address <see cref="PhysAddr"/> through the direct map.</summary>
public sealed record Touch(int Cpu, ulong PhysAddr, int Count = 1, ulong Stride = 4096) : WorkloadEvent(Cpu)
{
    public override string Describe() =>
        Count == 1 ? $"CPU{Cpu} touch {Hex(PhysAddr)}" : $"CPU{Cpu} touch {Count} pages from {Hex(PhysAddr)} (stride {Hex(Stride)})";
}

/// <summary>A group of events that run at the same time on their CPUs; groups run one after another.</summary>
public sealed record WorkloadStep(IReadOnlyList<WorkloadEvent> Events, bool Concurrent);

/// <summary>After the boot on CPU0: the steps in order.</summary>
public sealed record WorkloadPlan(IReadOnlyList<WorkloadStep> Steps)
{
    public static readonly WorkloadPlan BootOnly = new(Array.Empty<WorkloadStep>());

    public IEnumerable<WorkloadEvent> AllEvents => Steps.SelectMany(s => s.Events);

    public static WorkloadPlan Sequence(params WorkloadEvent[] events) =>
        new(events.Select(e => new WorkloadStep([e], false)).ToList());

    public static WorkloadPlan Concurrently(params WorkloadEvent[] events) => new([new WorkloadStep(events, true)]);
}

internal static class HexFormat
{
    public static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
