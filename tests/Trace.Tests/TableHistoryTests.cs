using BootActors.Actors.TraceTools;

namespace BootActors.Trace.Tests;

/// <summary>The viewer's page-table history against the tables <c>trace pt</c> rebuilds by re-running up to an event.</summary>
[Collection(TraceCollection.Name)]
public sealed class TableHistoryTests(TraceFiles traces)
{
    [Theory]
    [InlineData("hotadd", 29000)]
    [InlineData("hotadd", 30023)]
    [InlineData("xen", 20000)]
    [InlineData("xen", 0)]
    [InlineData("hotremove", 0)]
    public void TheInitialTablesWithEveryWriteUpToAnEventAreTheTablesTracePtRebuilds(string which, long at)
    {
        var path = which switch
        {
            "hotadd" => traces.HotaddSeed0,
            "xen" => traces.XenBootAfter,
            _ => traces.HotremoveLocalFlush,
        };
        var last = RawEvent.ReadAll(path).Max(e => e.Seq);
        var seq = at == 0 ? last : at;

        var history = TableHistory.Record(path);
        var pages = history.Initial.ToDictionary(p => p.Pfn, p =>
        {
            var entries = new ulong[512];
            foreach (var (i, v) in p.Entries)
            {
                entries[i] = v;
            }

            return entries;
        });
        foreach (var w in history.Writes.Where(w => w.Seq <= seq))
        {
            if (!pages.TryGetValue(w.Table, out var entries))
            {
                entries = new ulong[512];
                pages[w.Table] = entries;
            }

            for (var k = 0; k < w.Count; k++)
            {
                var before = k == 0 ? w.Before : 0;
                Assert.True(entries[w.Index + k] == before, $"#{w.Seq}: {w.Level} entry {w.Index + k} of {w.Table:x} held {entries[w.Index + k]:x}, the history says {before:x}");
                entries[w.Index + k] = w.Value + (ulong)k * w.Stride;
            }
        }

        var machine = TraceReplay.At(path, seq).Machine;
        var expected = machine.Memory.TablePages.ToDictionary(p => p.Pfn.Value, p => p.Entries);
        foreach (var (pfn, entries) in expected)
        {
            Assert.True(pages.TryGetValue(pfn, out var got), $"table page {pfn:x} is missing from the history at #{seq}");
            Assert.Equal(entries, got);
        }

        // Pages the history still holds but the machine freed read as zeros, as in memory.
        Assert.All(pages.Where(p => !expected.ContainsKey(p.Key)), p => Assert.All(p.Value, v => Assert.Equal(0UL, v)));
    }

    [Fact]
    public void TheStoryOfTheLostUpdateNamesTheTwoReadsAndTheTwoPopulatesOfPud8()
    {
        var history = TableHistory.Record(traces.HotaddSeed0);
        var story = Assert.IsAssignableFrom<IReadOnlyList<Actors.Exploration.NarrativeLine>>(history.Narrative);
        var trace = RawEvent.ReadAll(traces.HotaddSeed0).ToDictionary(e => e.Seq);

        Assert.Equal(new[] { "read", "read", "populate", "populate", "error" }, story.Select(l => l.Role));
        foreach (var line in story.Where(l => l.Role is "read" or "populate"))
        {
            var e = trace[line.Seq!.Value];
            Assert.Equal(line.Role == "read" ? "ReadEntry" : "PudPopulate", e.Type);
            Assert.Equal("8", e.Field("index"));
            Assert.Equal("pud", e.Field("level"));
            Assert.Contains($"(step {e.Seq})", line.Text);
        }

        Assert.Equal(new[] { 1, 2 }, story.Where(l => l.Role == "read").Select(l => trace[l.Seq!.Value].Cpu!.Value).Order());
        Assert.Contains("overwrote_present_entry", story[^1].Text);
    }
}
