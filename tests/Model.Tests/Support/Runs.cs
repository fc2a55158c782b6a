using System.Globalization;
using System.Text.Json;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Summary;
using BootActors.Model.Workload;

namespace BootActors.Model.Tests.Support;

/// <summary>Machines and runs the kernel tests share, and short forms of a summary for assertions.</summary>
internal static class Runs
{
    public const ulong KiB = 1UL << 10;
    public const ulong MiB = 1UL << 20;
    public const ulong GiB = 1UL << 30;

    public static KernelVariant Variant(Hunks hunks, Fixes fixes = Fixes.None) => new(hunks, fixes);

    /// <summary>--memory SIZE: one usable entry [0, size) (model-conventions item 9).</summary>
    public static MachineConfig Flat(ulong size, KernelVariant variant, bool pse = true, bool xen = false, int cpus = 1,
        AllocOrder order = AllocOrder.BottomUp, PteGrain grain = PteGrain.Page, bool gbpages = false,
        FlushScope removeFlush = FlushScope.Global) =>
        new()
        {
            E820 = E820Map.FromMemorySize(size),
            Variant = variant,
            Pse = pse,
            Gbpages = gbpages,
            Xen = xen,
            Cpus = cpus,
            AllocOrder = order,
            Grain = grain,
            RemoveFlush = removeFlush,
        };

    public static RunResult Boot(MachineConfig config) => Simulation.Boot(config);

    public static RunResult Run(MachineConfig config, params WorkloadEvent[] events) =>
        Simulation.Run(config, WorkloadPlan.Sequence(events));

    public static string Json(RunSummary s) => JsonSerializer.Serialize(s, SummaryJsonContext.Default.RunSummary);

    /// <summary>The mapped ranges as "start-end size" joined by "; ", e.g. "0x0-0x40000000 2m".</summary>
    public static string Mapped(RunSummary s) => string.Join("; ", s.Mapped.Select(r => $"{r[0]}-{r[1]} {r[2]}"));

    /// <summary>direct_pages as "4k/2m/1g".</summary>
    public static string Direct(RunSummary s) =>
        string.Create(CultureInfo.InvariantCulture, $"{s.DirectPages.K4}/{s.DirectPages.M2}/{s.DirectPages.G1}");

    /// <summary>table_pages as "pud/pmd/pte".</summary>
    public static string Tables(RunSummary s) =>
        string.Create(CultureInfo.InvariantCulture, $"{s.TablePages.Pud}/{s.TablePages.Pmd}/{s.TablePages.Pte}");

    /// <summary>The error kind, or "none".</summary>
    public static string Error(RunSummary s) => s.Errors.Count == 0 ? "none" : s.Errors[0].Kind;

    /// <summary>The summary with the switch lists blanked, to compare runs of different variants.</summary>
    public static string JsonIgnoringSwitches(RunSummary s) =>
        Json(s with { Variant = "", Hunks = Array.Empty<string>(), Fixes = Array.Empty<string>() });

    public static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
