using BootActors.Model.Kernel;
using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>The parts of the machine a stage may read or write.</summary>
[Flags]
public enum Resources : ushort
{
    None = 0,

    /// <summary>One page-table entry: <see cref="StageFootprint.Table"/>[<see cref="StageFootprint.Index"/>].</summary>
    Entry = 1 << 0,

    /// <summary>Every entry of one table page, and whether it is a table page: <see cref="StageFootprint.Table"/>.</summary>
    TablePage = 1 << 1,

    /// <summary>Any table entry or page (a walk, Xen's validation of what it types, the overwrite monitor's look below an entry).</summary>
    Tables = 1 << 2,

    /// <summary>The page allocator: the early table buffer, get_zeroed_page's next page, the early_ioremap slots.</summary>
    Allocator = 1 << 3,

    /// <summary>The lock <see cref="StageFootprint.LockId"/>.</summary>
    Lock = 1 << 4,

    /// <summary>TLB <see cref="StageFootprint.Tlb"/>.</summary>
    Tlb = 1 << 5,

    /// <summary>Xen's own state: writable references of the early_ioremap aliases and hypercall counts.</summary>
    Xen = 1 << 6,

    /// <summary>The hot-added and removed ranges and the freed pages: what the monitors hold in use or expect mapped.</summary>
    Ranges = 1 << 7,

    /// <summary>direct_pages_count.</summary>
    Counters = 1 << 8,
}

/// <summary>
/// What one owner's part of a stage may touch (an over-approximation: a stage that reads the tables
/// only when, say, an overwrite needs checking is said to read them). Two parts conflict — their
/// order can matter — when one writes a resource the other reads or writes.
/// </summary>
public readonly record struct StageFootprint(Resources Reads, Resources Writes, Pfn Table = default, int Index = 0, ulong LockId = 0, int Tlb = 0)
{
    public static readonly StageFootprint None = default;

    /// <summary>Whether the order of the two parts can matter: one writes what the other reads or writes.</summary>
    public bool ConflictsWith(in StageFootprint other) =>
        Overlap(Writes, this, other.Reads | other.Writes, other) || Overlap(other.Writes, other, Reads, this);

    private static bool Overlap(Resources a, in StageFootprint fa, Resources b, in StageFootprint fb)
    {
        const Resources tableParts = Resources.Entry | Resources.TablePage | Resources.Tables;
        if ((a & b & ~tableParts & ~Resources.Lock & ~Resources.Tlb) != 0)
        {
            return true;
        }

        if ((a & b & Resources.Lock) != 0 && fa.LockId == fb.LockId)
        {
            return true;
        }

        if ((a & b & Resources.Tlb) != 0 && fa.Tlb == fb.Tlb)
        {
            return true;
        }

        if ((a & tableParts) == 0 || (b & tableParts) == 0)
        {
            return false;
        }

        if (((a | b) & Resources.Tables) != 0)
        {
            return true;
        }

        // Only single entries and single pages are left.
        return fa.Table == fb.Table && ((a & Resources.TablePage) != 0 || (b & Resources.TablePage) != 0 || fa.Index == fb.Index);
    }
}

public sealed partial class Stage
{
    /// <summary>
    /// What the owner's part of this stage (<see cref="Machine.Execute"/>) may touch for
    /// <paramref name="cpu"/>'s step <paramref name="e"/>, with what it was handed; <paramref name="target"/>
    /// as in <see cref="Target"/>.
    /// </summary>
    public StageFootprint Footprint(in Effect e, StageData? input, int cpu, int target)
    {
        switch (Op)
        {
            case StageOp.MemoryStep:
                return e.Kind switch
                {
                    EffectKind.ReadEntry => new(Resources.Entry, Resources.None, e.Table, e.Index),

                    // The overwrite monitor looks below the old entry and at what is in use.
                    EffectKind.SetEntry or EffectKind.Populate => new(Resources.Entry | Resources.Tables | Resources.Ranges, Resources.Entry, e.Table, e.Index),
                    EffectKind.PteInitLoop or EffectKind.ZeroPage => new(Resources.TablePage, Resources.TablePage, e.Table),
                    EffectKind.FreePage => new(Resources.TablePage, Resources.TablePage | Resources.Ranges, e.Table),
                    EffectKind.ReachTable => new(Resources.Tables, Resources.None),
                    EffectKind.UpdatePageCount => new(Resources.Counters, Resources.Counters),
                    EffectKind.AddMemoryRange or EffectKind.RemoveMemoryRange => new(Resources.Ranges, Resources.Ranges),
                    _ => throw new InvalidOperationException($"{e.Kind} is not a PhysicalMemory step"),
                };
            case StageOp.ClearRw:
                var ro = input?.ReadOnly ?? throw new InvalidOperationException("update_va_mapping's write without the PTE the alloc hook found");
                return new(Resources.Entry, Resources.Entry, ro.Table, ro.Index);
            case StageOp.Walk:
                return new(Resources.Tables | Resources.Ranges, Resources.None);
            case StageOp.AllocatorStep:
                return new(Resources.Allocator, Resources.Allocator);
            case StageOp.LockStep:
                return new(Resources.Lock, Resources.Lock, LockId: e.Value);
            case StageOp.Translate:
                // A hit is checked against the entries it was built from.
                return new(Resources.Tlb | Resources.Tables, Resources.None, Tlb: target);
            case StageOp.FlushTlb:
                return new(Resources.Tlb, Resources.Tlb, Tlb: target);
            case StageOp.EmptyPmdEntries or StageOp.BootPages or StageOp.XenFoldedHypercalls or StageOp.EmptyPudEntries or StageOp.BootTables or StageOp.PmdLeaves:
                throw new InvalidOperationException($"{Op}: iterations are folded only where no footprint is recorded");
            case StageOp.XenDropAlias or StageOp.XenFlushLocal or StageOp.XenFlushAll:
                return new(Resources.Xen, Resources.Xen);
            default:
                // Xen's checks read what is reachable and typed, and count the hypercall.
                return new(Resources.Xen | Resources.Tables, Resources.Xen);
        }
    }

    /// <summary>What the owner's end of this stage (<see cref="Machine.Complete"/>) may touch when its forwarded part answers: a TLB caches the walk.</summary>
    public StageFootprint CompletionFootprint(int target) =>
        Op == StageOp.Translate ? new(Resources.None, Resources.Tlb, Tlb: target) : StageFootprint.None;
}
