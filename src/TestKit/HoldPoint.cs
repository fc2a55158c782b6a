using BootActors.Model.Kernel;
using BootActors.Model.Paging;

namespace BootActors.TestKit;

/// <summary>
/// A named point in a CPU's kernel code: just after one of its steps has been carried out (its reply
/// delivered), e.g. after the pud_val check of phys_pud_init =
/// <c>HoldPoint.After(KernelFn.phys_pud_init, EffectKind.ReadEntry, Level.Pud)</c>.
/// </summary>
/// <param name="Function">The kernel function the step belongs to.</param>
/// <param name="Step">The kind of step (read an entry, populate, allocate, take a lock, …).</param>
/// <param name="Level">The page-table level the step touches (null: any).</param>
/// <param name="Occurrence">Hold at the n-th such step of the CPU (1: the first).</param>
public sealed record HoldPoint(KernelFn Function, EffectKind Step, Level? Level = null, int Occurrence = 1)
{
    /// <summary>Just after the <paramref name="occurrence"/>-th <paramref name="step"/> of <paramref name="function"/> (at <paramref name="level"/>).</summary>
    public static HoldPoint After(KernelFn function, EffectKind step, Level? level = null, int occurrence = 1) =>
        new(function, step, level, occurrence);

    /// <summary>After the read of the pud entry in phys_pud_init (the pud_val test before populating).</summary>
    public static readonly HoldPoint AfterPudValCheck = After(KernelFn.phys_pud_init, EffectKind.ReadEntry, Model.Paging.Level.Pud);

    /// <summary>Whether <paramref name="e"/> is a step of this kind (the occurrence is counted by the script).</summary>
    internal bool Matches(in Effect e) => e.Fn == Function && e.Kind == Step && (Level is null || e.Level == Level);

    /// <inheritdoc />
    public override string ToString() => $"after {Step}{(Level is { } l ? $" ({l.Name()})" : "")} in {Function}" + (Occurrence > 1 ? $" (#{Occurrence})" : "");
}
