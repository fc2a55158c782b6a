using BootActors.Model.Machine;

namespace BootActors.Model.Kernel;

/// <summary>
/// The payload of a <see cref="EffectKind.PmdIterations"/> step: at most <see cref="Count"/>
/// iterations of phys_pmd_init's loop, each of which would have taken <see cref="Steps"/>; and of a
/// <see cref="EffectKind.PudIterations"/> step: iterations of phys_pud_init's loop, each of which
/// would have taken <see cref="Steps"/> around a fold of its pmd page's 512 iterations (<see cref="Inner"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why it exists: without PSE, each 2 MiB of RAM is one iteration of phys_pmd_init's loop
/// (alloc_low_page, phys_pte_init, unmap_low_page, pmd_populate_kernel) — 14 steps and 20 actor
/// deliveries, 29 M steps at 4 TiB — and at boot they differ only by the address. A boot step no
/// one else can come between (only the boot CPU runs before smp_init) and that no trace, recorder
/// or observer watches may take a run of them as one step.
/// </para>
/// <para>
/// What stays the same (checked by the tests against <see cref="MachineConfig.StepEveryIteration"/>):
/// the owners' state afterwards is what the steps would have left — the same pages from the early
/// buffer, filled, linked and counted — and the hosts count the steps and deliveries the iterations
/// would have taken (<see cref="StepCount"/>, <see cref="Deliveries"/>), so a summary, a bound and
/// what comes after read as if each had run. An iteration that would go another way (an entry that
/// is not empty, a used-up buffer, no free fixmap slot) is not folded: the loop runs it step by step.
/// </para>
/// </remarks>
public sealed class FoldedIterations
{
    public FoldedIterations(int count, EffectKind[] steps, FoldedIterations? inner = null)
    {
        Count = count;
        Steps = steps;
        Inner = inner;
    }

    /// <summary>How many iterations the step may do.</summary>
    public int Count { get; }

    /// <summary>The steps of one iteration, in the order the loop yields them.</summary>
    public EffectKind[] Steps { get; }

    /// <summary>
    /// phys_pud_init's iterations: the phys_pmd_init iterations each one's pmd page takes, all
    /// <see cref="Count"/> of them (the step that would have stood for them is not one of <see cref="Steps"/>).
    /// </summary>
    public FoldedIterations? Inner { get; }

    public FoldedIterations WithCount(int count) => count == Count ? this : new FoldedIterations(count, Steps, Inner);

    /// <summary>The boot pages one iteration takes from alloc_low_page: its own and its inner iterations'.</summary>
    public int PagesPerIteration => Steps.Count(k => k == EffectKind.AllocPage) + (Inner is { } inner ? inner.Count * inner.PagesPerIteration : 0);

    /// <summary>Whether a step of <paramref name="kind"/> stands for folded iterations (its payload a <see cref="FoldedIterations"/>).</summary>
    public static bool Folds(EffectKind kind) => kind is EffectKind.PmdIterations or EffectKind.PudIterations or EffectKind.PmdLeaves;

    /// <summary>The steps <paramref name="done"/> iterations take (as the sequential interpreter counts: every step, entering and leaving functions too).</summary>
    public long StepCount(long done) => done * (Steps.Length + (Inner?.StepCount(Inner.Count) ?? 0));

    /// <summary>
    /// The actor host's deliveries of <paramref name="done"/> iterations: each stage's request and
    /// answer, and its forwarded part's; under Xen, <paramref name="withoutReadOnlyWrite"/> of them
    /// had no direct-map PTE for update_va_mapping to write, so that part was not sent.
    /// </summary>
    public long Deliveries(long done, bool xen, int cpus, long withoutReadOnlyWrite = 0)
    {
        long perIteration = 0;
        foreach (var kind in Steps)
        {
            perIteration += StepPlans.Deliveries(kind, xen, cpus);
        }

        if (Inner is { } inner)
        {
            perIteration += inner.Deliveries(inner.Count, xen, cpus);
        }

        return (done * perIteration) - (2 * withoutReadOnlyWrite);
    }

    /// <summary>The step's result: the iterations done, and (under Xen) how many had no update_va_mapping write.</summary>
    public static ulong Result(int done, int withoutReadOnlyWrite) => (uint)done | ((ulong)(uint)withoutReadOnlyWrite << 32);

    /// <summary>The iterations a <see cref="Result"/> says were done.</summary>
    public static int Done(ulong result) => (int)(uint)result;

    /// <summary>How many of them, under Xen, had no update_va_mapping write.</summary>
    public static int WithoutReadOnlyWrite(ulong result) => (int)(result >> 32);

    public override string ToString() =>
        Inner is { } inner ? $"{Count} iterations of {Steps.Length} steps and {inner}" : $"{Count} iterations of {Steps.Length} steps";
}
