using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Summary;
using BootActors.Model.Workload;

namespace BootActors.Cli.Ablate;

/// <summary>What <c>ablate --over</c> varies: the seed's four hunks, the five later fixes, or all nine.</summary>
internal enum AblationAxis
{
    Hunks,
    Fixes,
    Both,
}

/// <summary>One switch of the ablation: a hunk or a fix, by the name the CLI and the JSON use.</summary>
internal sealed record Switch(string Name, bool IsHunk, Hunks Hunk, Fixes Fix);

/// <summary>One combination's run: which switches were on, and what happened.</summary>
internal sealed record AblationRow(int Index, bool[] On, KernelVariant Variant, Outcome Outcome, IReadOnlyList<ErrorEntry> Errors)
{
    /// <summary>What rows are grouped by: the outcome, the first error's kind and its call chain.</summary>
    public (Outcome Outcome, string Kind, string Chain) Result =>
        (Outcome, Errors.Count > 0 ? Errors[0].Kind : "", Errors.Count > 0 ? Errors[0].Function : "");
}

/// <summary>
/// Runs one machine and workload under every combination of a set of kernel switches, on the
/// sequential interpreter (the reference host: one combination is one deterministic run), in
/// parallel over the cores. The rest of the variant stays as given.
/// </summary>
internal static class Ablation
{
    public static IReadOnlyList<Switch> Switches(AblationAxis axis)
    {
        var hunks = KernelSwitches.HunkTable.Select(h => new Switch(h.Name, true, h.Flag, Fixes.None));
        var fixes = KernelSwitches.FixTable.Select(f => new Switch(f.Commit, false, Hunks.None, f.Flag));
        return axis switch
        {
            AblationAxis.Hunks => hunks.ToList(),
            AblationAxis.Fixes => fixes.ToList(),
            _ => hunks.Concat(fixes).ToList(),
        };
    }

    /// <summary>
    /// Every combination, in counting order (switch i is bit i of the row's index: the first row has
    /// none on, the last all). <paramref name="parallelism"/> runs go at once.
    /// </summary>
    public static IReadOnlyList<AblationRow> Run(MachineConfig machine, WorkloadPlan workload, AblationAxis axis, int parallelism)
    {
        var switches = Switches(axis);
        var count = 1 << switches.Count;
        var rows = new AblationRow[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, k =>
        {
            var on = switches.Select((_, i) => (k & (1 << i)) != 0).ToArray();
            var variant = VariantOf(machine.Variant, switches, on, axis);
            var result = Simulation.Run(machine with { Variant = variant }, workload);
            rows[k] = new AblationRow(k, on, variant, result.Outcome, result.Summary().Errors);
        });
        return rows;
    }

    /// <summary>The base variant with the ablated set(s) replaced by the row's switches.</summary>
    public static KernelVariant VariantOf(KernelVariant baseVariant, IReadOnlyList<Switch> switches, bool[] on, AblationAxis axis)
    {
        var hunks = axis == AblationAxis.Fixes ? baseVariant.Hunks : Hunks.None;
        var fixes = axis == AblationAxis.Hunks ? baseVariant.Fixes : Fixes.None;
        for (var i = 0; i < switches.Count; i++)
        {
            if (!on[i])
            {
                continue;
            }

            if (switches[i].IsHunk)
            {
                hunks |= switches[i].Hunk;
            }
            else
            {
                fixes |= switches[i].Fix;
            }
        }

        return new KernelVariant(hunks, fixes);
    }

    /// <summary>Rows grouped by result: the clean runs first, then each failure, each group in counting order.</summary>
    public static IReadOnlyList<IReadOnlyList<AblationRow>> Groups(IReadOnlyList<AblationRow> rows) =>
        rows.GroupBy(r => r.Result)
            .OrderBy(g => g.Key.Outcome == Outcome.Ok ? 0 : 1)
            .ThenBy(g => g.Min(r => r.Index))
            .Select(g => (IReadOnlyList<AblationRow>)g.OrderBy(r => r.Index).ToList())
            .ToList();
}
