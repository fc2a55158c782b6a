using BootActors.Model.E820;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using Xunit;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Tests.Xen;

/// <summary>
/// Xen's validation of a PTE page that a populate makes reachable (alloc_l1_table →
/// get_page_from_l1e): the first entry that maps a page-table frame writable is refused. A page
/// held as a run of leaves is checked from the table pages in its range; the refusal must be the
/// one the entry-by-entry walk of the same page gives (the flat representation).
/// </summary>
public class WritableTableFrameValidationTests
{
    private const ulong GiB = 1UL << 30;
    private const ulong Leaf = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;

    [Theory]
    [InlineData(5UL, 0, 512, Leaf)]
    [InlineData(300UL, 7, 300, Leaf)]
    [InlineData(0UL, 3, 1, Leaf)]
    [InlineData(600UL, 0, 512, Leaf)]
    [InlineData(5UL, 0, 512, _PAGE_PRESENT | _PAGE_ACCESSED)]
    public void APteRunIsRefusedAtTheEntryTheEntryByEntryWalkRefuses(ulong before, int lo, int count, ulong flags)
    {
        // The leaves start `before` frames below the domain builder's first page-table page.
        var (compact, held) = Refusal(flat: false, before, lo, count, flags);
        var (flat, _) = Refusal(flat: true, before, lo, count, flags);

        Assert.True(held, "the compact page was not held as a run: the run's check is not tested");
        Assert.Equal(flat, compact);
        if (before < (ulong)count && (flags & _PAGE_RW) != 0)
        {
            Assert.Contains($"pte[{lo + (int)before}]", compact);
            Assert.Contains("maps page-table frame", compact);
        }
        else
        {
            Assert.Null(compact);
        }
    }

    private static (string? Refusal, bool HeldAsRun) Refusal(bool flat, ulong before, int lo, int count, ulong flags)
    {
        var m = new Machine.Machine(new MachineConfig { E820 = E820Map.FromMemorySize(4 * GiB), Xen = true, FlatTablePages = flat });
        var firstFrame = m.Memory.TablePageHeaders.First(h => h.Origin == TablePageOrigin.XenBuilder).Pfn.Value - before;
        var pte = new Pfn(0x80000);
        m.Memory.Zero(pte, Level.Pte, TablePageOrigin.AfterBootmem);
        for (var i = lo; i < lo + count; i++)
        {
            m.Memory.Write(pte, i, new PageTableEntry(((firstFrame + (ulong)(i - lo)) << PAGE_SHIFT) | flags));
        }

        var pmd = m.Memory.TablePages.First(p => p.Level == Level.Pmd && m.Memory.IsReachable(p.Pfn)).Pfn;
        var refusal = m.Xen!.CheckPopulate(pmd, Level.Pmd, 511, pte, 0xffff880000000000UL + (511 * PMD_SIZE), "pmd_populate_kernel");
        return (refusal, m.Memory.Find(pte)!.Run is { IsEmpty: false });
    }
}
