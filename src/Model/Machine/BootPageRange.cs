using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>
/// Pages alloc_low_page hands out one after another from the early table buffer: consecutive
/// frames, up from table_start (bottom-up) or down from table_top (top-down). A fold of 512
/// iterations takes 512 of them, a fold of phys_pud_init's iterations 513 per GiB; they are held as the first frame, the direction and the count
/// rather than a frame each (a 4 TiB boot folds 4,096 such runs).
/// </summary>
/// <param name="Step">1 (bottom-up) or -1 (top-down).</param>
public readonly record struct BootPageRange(Pfn First, int Step, int Length)
{
    /// <summary>The <paramref name="i"/>-th page handed out.</summary>
    public Pfn this[int i] => new((ulong)((long)First.Value + ((long)Step * i)));

    /// <summary>The <paramref name="length"/> pages handed out from the <paramref name="start"/>-th on.</summary>
    public BootPageRange Slice(int start, int length) => new(this[start], Step, length);
}
