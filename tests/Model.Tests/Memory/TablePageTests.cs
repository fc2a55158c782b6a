using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using CsCheck;
using Xunit;
using static BootActors.Model.Paging.X86;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Memory;

/// <summary>
/// A table page held as a run reads exactly like 512 stored entries, whatever is written to it:
/// checked op by op against a plain array, and for the shapes a boot leaves.
/// </summary>
public class TablePageTests
{
    private const ulong Leaf = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX;

    /// <summary>One operation on a page: a store, phys_pte_init's loop, a memset, or a copy that continues in place of the page.</summary>
    public abstract record Op;

    public sealed record StoreOp(int Index, ulong Value) : Op;

    public sealed record FillOp(int First, int Count, ulong FirstLeaf, bool Clear) : Op;

    public sealed record ClearOp : Op;

    public sealed record CopyOp : Op;

    [Fact]
    public void AFreshPageIsTheEmptyRun()
    {
        var page = new TablePage(new Pfn(0xa00), Level.Pte, TablePageOrigin.Boot);

        Assert.Same(UniformRun.Empty, page.Run);
        Assert.All(Enumerable.Range(0, PTRS_PER_PTE), i => Assert.Equal(0UL, page[i]));
    }

    [Fact]
    public void FillingAFreshPteFromItsFirstIndexKeepsItOneRun()
    {
        var page = new TablePage(new Pfn(0xa00), Level.Pte, TablePageOrigin.Boot);

        var written = page.TryFillRun(0, PTRS_PER_PTE, 0x40000000 | Leaf, PAGE_SIZE, -1);

        Assert.Equal(PTRS_PER_PTE, written);
        Assert.NotNull(page.Run);
        Assert.Equal((0, 512), (page.Run!.Lo, page.Run.Hi));
        Assert.Equal(0x40000000 | Leaf, page[0]);
        Assert.Equal(0x401ff000 | Leaf, page[511]);
    }

    [Fact]
    public void AWriteThatBreaksTheRunMaterialisesThePageWithTheSameEntries()
    {
        var page = new TablePage(new Pfn(0xa00), Level.Pte, TablePageOrigin.Boot);
        page.TryFillRun(0, PTRS_PER_PTE, 0x40000000 | Leaf, PAGE_SIZE, -1);

        // make_lowmem_page_readonly's update_va_mapping clears RW on one entry.
        page.Store(7, (0x40007000 | Leaf) & ~_PAGE_RW);

        Assert.Null(page.Run);
        Assert.Equal((0x40007000 | Leaf) & ~_PAGE_RW, page[7]);
        Assert.Equal(0x40006000 | Leaf, page[6]);
        Assert.Equal(0x40008000 | Leaf, page[8]);
    }

    [Fact]
    public void StoresThatContinueOrShortenTheRunAtEitherEndKeepItARun()
    {
        var page = new TablePage(new Pfn(0xa00), Level.Pmd, TablePageOrigin.Boot);
        var large = _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE | _PAGE_NX;

        // set_pmd of 2 MiB leaves in order, as phys_pmd_init writes them.
        for (var i = 3; i < 10; i++)
        {
            page.Store(i, ((ulong)i << PMD_SHIFT) | large);
        }

        page.Store(2, (2UL << PMD_SHIFT) | large);
        page.Store(9, 0);
        page.Store(2, 0);

        Assert.NotNull(page.Run);
        Assert.Equal((3, 9, PMD_SIZE), (page.Run!.Lo, page.Run.Hi, page.Run.Stride));
        Assert.Equal((8UL << PMD_SHIFT) | large, page[8]);
        Assert.Equal(0UL, page[9]);
    }

    [Fact]
    public void ACopyAndItsOriginalChangeIndependently()
    {
        var runPage = new TablePage(new Pfn(0xa00), Level.Pte, TablePageOrigin.Boot);
        runPage.TryFillRun(0, PTRS_PER_PTE, Leaf, PAGE_SIZE, -1);
        var arrayPage = new TablePage(new Pfn(0xa01), Level.Pte, TablePageOrigin.Boot);
        arrayPage.Entries[5] = 0x5000 | Leaf;

        foreach (var original in new[] { runPage, arrayPage })
        {
            var before = Enumerable.Range(0, PTRS_PER_PTE).Select(i => original[i]).ToArray();
            var copy = original.CopyOnWrite();
            copy.Store(5, 0x1234000 | Leaf);
            original.Store(6, 0x5678000 | Leaf);

            Assert.Equal(0x1234000 | Leaf, copy[5]);
            Assert.Equal(before[6], copy[6]);
            Assert.Equal(before[5], original[5]);
            Assert.Equal(0x5678000 | Leaf, original[6]);
        }
    }

    [Fact]
    public void ARunWhoseFramesWouldPassPteMaskIsNotARun()
    {
        var page = new TablePage(new Pfn(0xa00), Level.Pte, TablePageOrigin.Boot);

        Assert.Equal(-1, page.TryFillRun(0, 2, PTE_MASK | Leaf, PAGE_SIZE, -1));
        Assert.Same(UniformRun.Empty, page.Run);
        Assert.Null(UniformRun.Of(0, 2, PTE_MASK | Leaf, PAGE_SIZE));
    }

    private static readonly Gen<ulong> GenValue = Gen.Frequency(
        (2, Gen.Const(0UL)),
        (4, Gen.ULong[0, 1100].Select(f => (f << PAGE_SHIFT) | Leaf)),
        (1, Gen.ULong[0, 1100].Select(f => (f << PAGE_SHIFT) | (Leaf & ~_PAGE_RW))),
        (1, Gen.ULong[0, 8].Select(f => (f << PMD_SHIFT) | _PAGE_PRESENT | _PAGE_PSE)));

    // Indexes and counts from a few values, so that runs and fills often meet end to end, overlap, or leave a gap of one.
    private static readonly Gen<int> GenIndex = Gen.Frequency(
        (3, Gen.OneOf(Gen.Const(0), Gen.Const(1), Gen.Const(2), Gen.Const(100), Gen.Const(101), Gen.Const(102), Gen.Const(255), Gen.Const(256), Gen.Const(510), Gen.Const(511))),
        (1, Gen.Int[0, 511]));

    private static readonly Gen<int> GenCount = Gen.Frequency(
        (3, Gen.OneOf(Gen.Const(0), Gen.Const(1), Gen.Const(99), Gen.Const(100), Gen.Const(101), Gen.Const(155), Gen.Const(256), Gen.Const(512))),
        (1, Gen.Int[0, 512]));

    // Fills mostly on the line entry i ↦ frame 512 + i (a direct map's PTE page), sometimes off it by a few frames
    // (an unaligned hot-add carries its offset into the next PTE page's first index).
    private static readonly Gen<Op> GenOp = Gen.Frequency(
        (5, Gen.Select(GenIndex, Gen.Int[0, 3], GenValue, (i, kind, v) =>
            (Op)new StoreOp(i, kind == 0 ? v : ((512UL + (ulong)i) << PAGE_SHIFT) | Leaf))),
        (4, Gen.Select(GenIndex, GenCount, Gen.Frequency((4, Gen.Const(0L)), (1, Gen.Long[-3, 3])), Gen.Bool,
            (first, count, off, clear) =>
            {
                count = Math.Min(count, PTRS_PER_PTE - first);
                return (Op)new FillOp(first, count, ((ulong)(512 + first + off) << PAGE_SHIFT) | Leaf, clear && first + count < PTRS_PER_PTE);
            })),
        (1, Gen.Const((Op)new ClearOp())),
        (1, Gen.Const((Op)new CopyOp())));

    [Fact]
    public void EveryOperationLeavesTheSameEntriesAsAPlainArray()
    {
        Gen.Select(Gen.OneOf(Gen.Const(Level.Pte), Gen.Const(Level.Pmd)), GenOp.Array[1, 40]).Sample((level, ops) =>
        {
            var page = new TablePage(new Pfn(0xa00), level, TablePageOrigin.Boot);
            var reference = new ulong[PTRS_PER_PTE];
            foreach (var op in ops)
            {
                switch (op)
                {
                    case StoreOp s:
                        page.Store(s.Index, s.Value);
                        reference[s.Index] = s.Value;
                        break;
                    case FillOp f:
                        var clearFrom = f.Clear ? f.First + f.Count : -1;
                        var expected = Fill(reference, f.First, f.Count, f.FirstLeaf, clearFrom);
                        var written = page.TryFillRun(f.First, f.Count, f.FirstLeaf, PAGE_SIZE, clearFrom);
                        if (written < 0)
                        {
                            // What Mmu.PteInitLoop does when the result is not one run: the loop on the entries.
                            written = Fill(page.Entries, f.First, f.Count, f.FirstLeaf, clearFrom);
                        }

                        Assert.Equal(expected, written);
                        break;
                    case ClearOp:
                        page.Clear();
                        Array.Clear(reference);
                        break;
                    case CopyOp:
                        var original = page;
                        var snapshot = (ulong[])reference.Clone();
                        page = page.CopyOnWrite();

                        // The original is written after the copy; the copy must not see it.
                        original.Store(0, 0xdead000 | Leaf);
                        Assert.Equal(snapshot, Enumerable.Range(0, PTRS_PER_PTE).Select(i => page[i]).ToArray());
                        break;
                }

                Assert.Equal(reference, Enumerable.Range(0, PTRS_PER_PTE).Select(i => page[i]).ToArray());

                // NonZero reads the same entries in whichever representation holds, and changes none.
                var heldAsRun = page.Run is not null;
                var nonZero = new List<(int, ulong)>();
                foreach (var entry in page.NonZero())
                {
                    nonZero.Add(entry);
                }

                Assert.Equal(reference.Select((v, i) => (i, v)).Where(e => e.v != 0).ToList(), nonZero);
                Assert.Equal(heldAsRun, page.Run is not null);
            }
        }, iter: 2000);
    }

    [Fact]
    public void ANoPseBootHoldsEveryFullPtePageAsARun()
    {
        var run = Boot(Flat(3 * GiB, KernelVariant.Fixed, pse: false));

        var ptePages = run.Machine.Memory.TablePages.Where(p => p.Origin == TablePageOrigin.Boot && p.Level == Level.Pte).ToList();
        Assert.Equal(1024, ptePages.Count);
        Assert.All(ptePages, p => Assert.Equal((0, 512), (p.Run?.Lo, p.Run?.Hi)));
    }

    [Fact]
    public void AnEntryGrainBootBuildsTheSameRunsEntryByEntry()
    {
        var run = Boot(Flat(3 * GiB, KernelVariant.Fixed, pse: false, grain: PteGrain.Entry));

        Assert.All(run.Machine.Memory.TablePages.Where(p => p.Origin == TablePageOrigin.Boot && p.Level == Level.Pte),
            p => Assert.Equal((0, 512), (p.Run?.Lo, p.Run?.Hi)));
    }

    /// <summary>phys_pte_init's loop on an array, as Mmu.PteInitLoop runs it on a materialised page.</summary>
    private static int Fill(ulong[] entries, int first, int count, ulong firstLeaf, int clearFrom)
    {
        var written = 0;
        for (var i = first; i < first + count; i++)
        {
            if (entries[i] == 0)
            {
                entries[i] = firstLeaf + ((ulong)(i - first) * PAGE_SIZE);
                written++;
            }
        }

        if (clearFrom >= 0)
        {
            Array.Clear(entries, clearFrom, PTRS_PER_PTE - clearFrom);
        }

        return written;
    }
}
