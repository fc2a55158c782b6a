using BootActors.Model.Memory;
using CsCheck;
using BootActors.Model.Paging;
using Xunit;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Tests.Memory;

/// <summary>
/// The page index with runs of pages in it: a run that fills a chunk is held by the chunk itself,
/// and removing, making or copying one page of it leaves the others to the run.
/// </summary>
public class TablePageIndexTests
{
    private const ulong Leaf = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL;

    // 200 pages from 0x1030: whole chunks [0x1040, 0x1080) and [0x1080, 0x10c0), the rest in page slots.
    private static readonly PtePageRun Run = new(new Pfn(0x1030), 1, 200, new Pfn(0x900), 3, (0x4000_0000UL) | Leaf);

    private static TablePageIndex WithRun()
    {
        var index = new TablePageIndex();
        index.Add(Run);
        return index;
    }

    [Fact]
    public void ARunIsHeldByTheChunksItFillsAndReadsAsItsPages()
    {
        var index = WithRun();

        Assert.Equal(200, index.Count);
        Assert.Equal(2, index.WholeChunks);
        Assert.Equal(Enumerable.Range(0, 200).Select(j => 0x1030UL + (ulong)j), index.Headers.Select(h => h.Pfn.Value));
        Assert.All(index.Headers, h => Assert.Equal((Level.Pte, TablePageOrigin.Boot, new EntryRef(new Pfn(0x900), 3 + (int)(h.Pfn.Value - 0x1030))), (h.Level, h.Origin, h.Parent!.Value)));
        Assert.True(index.TryGetEntry(0x1081, 5, out var v));
        Assert.Equal(0x4000_0000UL + (((0x51UL * 512) + 5) * PAGE_SIZE) | Leaf, v);
        Assert.False(index.ContainsKey(0x102f));
        Assert.False(index.ContainsKey(0x10f8));
    }

    [Fact]
    public void MakingOrRemovingOnePageOfAWholeChunkLeavesTheRestToTheRun()
    {
        var index = WithRun();

        Assert.True(index.TryGetValue(0x1090, out var made));
        Assert.True(index.Remove(0x1050));

        Assert.Equal(199, index.Count);
        Assert.Equal(0, index.WholeChunks);
        Assert.False(index.ContainsKey(0x1050));
        Assert.Null(index.RunOf(0x1090));
        Assert.True(index.TryGetValue(0x1090, out var again));
        Assert.Same(made, again);
        Assert.Equal(Run.Entry(0x1090, 511), made[511]);
        Assert.All(new ulong[] { 0x104f, 0x1051, 0x108f, 0x1091, 0x10f7 }, pfn => Assert.Same(Run, index.RunOf(pfn)));
    }

    [Fact]
    public void ACopySharesTheRunAndMakesItsOwnPages()
    {
        var index = WithRun();
        var copy = new TablePageIndex();
        copy.CopyFrom(index);

        Assert.Equal(200, copy.Count);
        Assert.Equal(2, copy.WholeChunks);
        Assert.True(copy.TryGetValue(0x1045, out var page));
        page.Store(0, 0);

        Assert.Same(Run, index.RunOf(0x1045));
        Assert.Equal(2, index.WholeChunks);
        Assert.Equal(Run.Entry(0x1045, 0), index.TryGetEntry(0x1045, 0, out var v) ? v : 0);
        Assert.True(copy.TryGetEntry(0x1045, 0, out var w));
        Assert.Equal(0UL, w);
    }

    [Fact]
    public void SpansAreTheSlotsWithEachStretchOfAChunkTheRunHoldsAsOne()
    {
        var index = WithRun();
        Assert.True(index.TryGetValue(0x1090, out _));

        var spans = index.Spans.ToList();

        // [0x1030, 0x1040) in a chunk of its own, [0x1040, 0x1080) whole, the chunk [0x1080, 0x10c0)
        // split by the page made at 0x1090, and the run's last 56 frames in the next chunk.
        Assert.Equal(
            [(0x1030UL, 16, true), (0x1040UL, 64, true), (0x1080UL, 16, true), (0x1090UL, 1, false), (0x1091UL, 47, true), (0x10c0UL, 56, true)],
            spans.Select(s => (s.First, s.Count, ReferenceEquals(s.Slot, Run))));
        Assert.Equal(index.Slots.Select(s => s.Pfn), spans.SelectMany(s => Enumerable.Range(0, s.Count).Select(i => s.First + (ulong)i)));
        Assert.IsType<TablePage>(spans.Single(s => s.First == 0x1090).Slot);
    }

    [Theory]
    [InlineData(0x1030UL, 500, 96)]
    [InlineData(0x1030UL, 50, 50)]
    [InlineData(0x1040UL, 64, 64)]
    [InlineData(0x1041UL, 500, 79)]
    [InlineData(0x1083UL, 500, 13)]
    [InlineData(0x1091UL, 500, 103)]
    public void CountHeldByStopsAtTheFirstFrameTheRunNoLongerHolds(ulong from, int max, int expected)
    {
        var index = WithRun();
        Assert.True(index.TryGetValue(0x1090, out _));

        Assert.Equal(expected, index.CountHeldBy(Run, from, max));
        Assert.Equal(expected, Enumerable.Range(0, max).TakeWhile(i => ReferenceEquals(index.RunOf(from + (ulong)i), Run)).Count());
    }

    [Fact]
    public void ATopDownRunCountsItsPagesFromTheHighestFrame()
    {
        var down = new PtePageRun(new Pfn(0x20ff), -1, 100, new Pfn(0x900), 0, Leaf);
        var index = new TablePageIndex();
        index.Add(down);

        Assert.Equal(0x209cUL, down.LowPfn);
        Assert.Equal(100, index.Count);
        Assert.Equal(new EntryRef(new Pfn(0x900), 0), index.RunOf(0x20ff)!.ParentOf(0x20ff));
        Assert.Equal(new EntryRef(new Pfn(0x900), 99), down.ParentOf(0x209c));
        Assert.True(index.TryGetValue(0x20fe, out var page));
        Assert.Equal(Leaf + (512 * PAGE_SIZE), page[0]);
    }

    [Fact]
    public void AFoldedGiBsBoundaryChunkHoldsTheRunsAndThePmdPageWithoutAnArray()
    {
        // The end of one GiB's run, the next GiB's pmd page, the start of its run: one chunk.
        var before = new PtePageRun(new Pfn(0x1000), 1, 0x30, new Pfn(0x900), 0, Leaf);
        var pmd = new TablePage(new Pfn(0x1030), Level.Pmd, TablePageOrigin.Boot);
        var after = new PtePageRun(new Pfn(0x1031), 1, 0x4f, new Pfn(0x1030), 0, Leaf + (0x30UL * 512 * PAGE_SIZE));
        var index = new TablePageIndex();
        index.Add(before);
        index.Add(pmd);
        index.Add(after);

        Assert.Equal(
            [(0x1000UL, 0x30, (object)before), (0x1030UL, 1, pmd), (0x1031UL, 0xf, after), (0x1040UL, 0x40, after)],
            index.Spans.Select(s => (s.First, s.Count, s.Slot)));
        Assert.Equal(0x80, index.Count);
        Assert.Equal(0x10, index.CountHeldBy(after, 0x1031, 0x10));
        Assert.Equal(0x4f, index.CountHeldBy(after, 0x1031, 0x100));
        Assert.Equal(0, index.CountHeldBy(after, 0x1030, 0x10));
        Assert.True(index.TryFirstIn(0x1020, 0x1080, out var first));
        Assert.Equal(0x1020UL, first);
        Assert.True(index.TryGetValue(0x1030, out var found));
        Assert.Same(pmd, found);

        // A page made from a run's stretch: the chunk becomes slots, the rest still the runs'.
        Assert.True(index.TryGetValue(0x1035, out var made));
        Assert.Equal(after.Entry(0x1035, 7), made[7]);
        Assert.Same(after, index.RunOf(0x1036));
        Assert.Same(before, index.RunOf(0x102f));
        Assert.Equal(0x80, index.Count);
    }

    [Fact]
    public void AChunkWhosePagesWereAllRemovedTakesARunWhole()
    {
        // Removing makes the chunk an array, which stays when it empties (found by the property below).
        var index = new TablePageIndex();
        index.Add(new TablePage(new Pfn(0x1041), Level.Pmd, TablePageOrigin.Boot));
        Assert.True(index.Remove(0x1041));
        var run = new PtePageRun(new Pfn(0x1040), 1, 64, new Pfn(0x900), 0, Leaf);

        index.Add(run);

        Assert.Equal(1, index.WholeChunks);
        Assert.Equal(64, index.Count);
        Assert.Same(run, index.RunOf(0x1041));
    }

    [Fact]
    public void ItAnswersAsAPlainMapOfFramesWhateverWasAddedMadeOrRemoved()
    {
        // Frames 0x1000-0x10ff (four chunks); each step adds a page, adds a run into free frames,
        // removes a frame's page, or makes a page from a run (as a reader would).
        var ops = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 255], Gen.Int[1, 150], Gen.Bool).Array[1, 40];
        ops.Sample(steps =>
        {
            var index = new TablePageIndex();
            var model = new Dictionary<ulong, object>();
            foreach (var (op, at, n, up) in steps)
            {
                var pfn = 0x1000UL + (ulong)at;
                switch (op)
                {
                    case 0 when !model.ContainsKey(pfn):
                        var page = new TablePage(new Pfn(pfn), Level.Pmd, TablePageOrigin.Boot);
                        index.Add(page);
                        model[pfn] = page;
                        break;
                    case 1:
                        var count = (int)Math.Min((ulong)n, 0x1100 - pfn);
                        var run = new PtePageRun(new Pfn(up ? pfn : pfn + (ulong)count - 1), up ? 1 : -1, count, new Pfn(0x900), 0, Leaf);
                        if (Enumerable.Range(0, count).All(i => !model.ContainsKey(pfn + (ulong)i)))
                        {
                            index.Add(run);
                            for (var i = 0; i < count; i++)
                            {
                                model[pfn + (ulong)i] = run;
                            }
                        }

                        break;
                    case 2:
                        Assert.Equal(model.Remove(pfn), index.Remove(pfn));
                        break;
                    case 3 when model.TryGetValue(pfn, out var held) && held is PtePageRun r:
                        Assert.True(index.TryGetValue(pfn, out var made));
                        Assert.Equal(r.Entry(pfn, 3), made[3]);
                        model[pfn] = made;
                        break;
                }
            }

            Assert.Equal(model.Count, index.Count);
            var expected = model.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)).ToList();
            Assert.Equal(expected, index.Slots.Select(s => (s.Pfn, s.Slot)));
            Assert.Equal(expected, index.Spans.SelectMany(s => Enumerable.Range(0, s.Count).Select(i => (s.First + (ulong)i, s.Slot))));
            for (var pfn = 0xff0UL; pfn < 0x1110; pfn++)
            {
                Assert.Equal(model.ContainsKey(pfn), index.ContainsKey(pfn));
                Assert.Same(model.GetValueOrDefault(pfn) as PtePageRun, index.RunOf(pfn));
                var next = model.Keys.Where(k => k >= pfn && k < pfn + 70).DefaultIfEmpty(ulong.MaxValue).Min();
                Assert.Equal(next != ulong.MaxValue, index.TryFirstIn(pfn, pfn + 70, out var first));
                if (next != ulong.MaxValue)
                {
                    Assert.Equal(next, first);
                }

                if (model.GetValueOrDefault(pfn) is PtePageRun held)
                {
                    var run = Enumerable.Range(0, 300).TakeWhile(i => ReferenceEquals(model.GetValueOrDefault(pfn + (ulong)i), held)).Count();
                    Assert.Equal(Math.Min(run, 100), index.CountHeldBy(held, pfn, 100));
                }
            }

            var copy = new TablePageIndex();
            copy.CopyFrom(index);
            Assert.Equal(index.Slots.Select(s => (s.Pfn, s.Slot is PtePageRun)), copy.Slots.Select(s => (s.Pfn, s.Slot is PtePageRun)));
        }, iter: 300);
    }
}
