using BootActors.Actors.TraceTools;

namespace BootActors.Trace.Tests;

[Collection(TraceCollection.Name)]
public sealed class QueryTests(TraceFiles traces)
{
    /// <summary>The reads of pud[8] of level3_ident_pgt (table 0x202) by each hot-adding CPU: the race's two reads.</summary>
    private static RawEvent RaceRead(IReadOnlyList<RawEvent> trace, int cpu) =>
        trace.First(e => e.Type == "ReadEntry" && e.Cpu == cpu && e.Field("table") == "0x202" && e.Field("level") == "pud" && e.Field("index") == "8");

    [Fact]
    public void ARequestHappensBeforeItsReplyWithTheTwoAsTheChain()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var read = RaceRead(trace, 1);
        var reply = trace.First(e => e.Seq > read.Seq && e.Type == "EntryRead" && e.From == "memory" && e.To == "cpu1");

        var run = Cli.Run("trace", "hb", traces.HotaddSeed0, reply.Seq.ToString(), read.Seq.ToString());

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith($"#{read.Seq} ReadEntry cpu1 → memory happens before #{reply.Seq} EntryRead memory → cpu1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("chain of 2 message(s)", run.Stdout);
    }

    [Fact]
    public void TheTwoCpusReadsOfTheRacedEntryAreConcurrentThoughMemoryHandledOneFirst()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var a = RaceRead(trace, 1);
        var b = RaceRead(trace, 2);

        var run = Cli.Run("trace", "hb", traces.HotaddSeed0, a.Seq.ToString(), b.Seq.ToString());

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("are concurrent", run.StdoutLines[0]);
        Assert.Contains("both were delivered to memory", run.Stdout);
    }

    [Fact]
    public void TheLockOrdersTheTwoPopulatesAndTheChainGoesThroughIt()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var populates = trace.Where(e => e.Type == "PudPopulate" && e.Field("table") == "0x202" && e.Field("index") == "8").ToList();
        Assert.Equal(2, populates.Count);

        var run = Cli.Run("trace", "hb", traces.HotaddSeed0, populates[0].Seq.ToString(), populates[1].Seq.ToString());

        Assert.Contains("happens before", run.StdoutLines[0]);
        var chain = run.StdoutLines.SkipWhile(l => !l.StartsWith("chain", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.StartsWith($"  #{populates[0].Seq} ", chain[0], StringComparison.Ordinal);
        Assert.StartsWith($"  #{populates[1].Seq} ", chain[^1], StringComparison.Ordinal);
        Assert.Contains(chain, l => l.Contains("page_table_lock", StringComparison.Ordinal));

        // Each link is sent by the previous link's receiver.
        var links = chain.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => (From: p[2], To: p[4])).ToList();
        Assert.All(links.Zip(links.Skip(1)), p => Assert.Equal(p.First.To, p.Second.From));
    }

    [Fact]
    public void TheShortestChainIsFoundEvenWhenALongerOneArrivesLater()
    {
        // Actors a=0, b=1, c=2, x=3 (send and receive times are each actor's own clock).
        // Short: #1 a→b, #2 b→x, then x sends #6. Long: #1, #3 b→c, #4 c→a, #5 a→x, then #6;
        // #5 reaches x after #2, so "the latest receive before the send" would pick the long one.
        static ChainLink L(long seq, int from, int to, long send, long recv) => new(seq, from, to, "M", send, recv);
        var first = L(1, 0, 1, 1, 1);
        var between = new[] { L(2, 1, 3, 2, 1), L(3, 1, 2, 3, 1), L(4, 2, 0, 2, 2), L(5, 0, 3, 3, 2) };
        var last = L(6, 3, 0, 3, 4);

        var chain = HappensBefore.Chain(first, last, between, 4);

        Assert.NotNull(chain);
        Assert.Equal([1L, 2L, 6L], chain.Select(c => c.Seq));
    }

    [Fact]
    public void NoChainLinksAMessageToOneSentBeforeItArrived()
    {
        static ChainLink L(long seq, int from, int to, long send, long recv) => new(seq, from, to, "M", send, recv);

        // #2 reaches x (3) at x's time 1; #7 was sent by b (1), which nothing from x ever reached.
        Assert.Null(HappensBefore.Chain(L(2, 1, 3, 2, 1), L(7, 1, 0, 1, 5), [L(3, 1, 2, 3, 1)], 4));
    }

    [Fact]
    public void DiffFindsTheFirstDeliveryWhereTwoSeedsPart()
    {
        var a = RawEvent.ReadAll(traces.HotaddSeed0);
        var b = RawEvent.ReadAll(traces.HotaddSeed1);
        var first = a.Zip(b).First(p => p.First.From != p.Second.From || p.First.To != p.Second.To || p.First.Type != p.Second.Type ||
                                         !p.First.Fields.OrderBy(f => f.Key).SequenceEqual(p.Second.Fields.OrderBy(f => f.Key))).First.Seq;

        var run = Cli.Run("trace", "diff", traces.HotaddSeed0, traces.HotaddSeed1);

        // As diff(1): the traces differ, so the status is 1.
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"first divergence at #{first}, after {first - 1} identical deliveries", run.Stdout);
        Assert.Contains($"  A            #{first} ", run.Stdout);
        Assert.Contains($"  B            #{first} ", run.Stdout);
    }

    [Fact]
    public void DiffOfATraceWithItselfFindsNoDivergence()
    {
        var run = Cli.Run("trace", "diff", traces.HotaddSeed0, traces.HotaddSeed0);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"no divergence: both traces deliver the same {RawEvent.ReadAll(traces.HotaddSeed0).Count} messages", run.Stdout);
    }

    [Fact]
    public void PtShowsTheRacedPudEntryMappedOnlyFromItsFirstPopulateOn()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var populate = trace.First(e => e.Type == "PudPopulate" && e.Field("table") == "0x202" && e.Field("index") == "8");

        // CPU2 adds [8G+16M, 8G+32M): once its pmd page is linked into pud[8], the dump shows it as 2M pages.
        var range = populate.Cpu == 2 ? "0xffff880201000000-0xffff880202000000" : "0xffff880200000000-0xffff880201000000";
        var after = Cli.Run("trace", "pt", traces.HotaddSeed0, "--at", populate.Seq.ToString());
        var before = Cli.Run("trace", "pt", traces.HotaddSeed0, "--at", (populate.Seq - 1).ToString());

        Assert.Equal(0, after.ExitCode);
        Assert.Contains("---[ Low Kernel Mapping ]---", after.StdoutLines);
        Assert.Contains(after.StdoutLines, l => l.StartsWith(range, StringComparison.Ordinal) && l.Contains("16M     RW         PSE GLB NX pmd", StringComparison.Ordinal));
        Assert.DoesNotContain(before.StdoutLines, l => l.StartsWith(range, StringComparison.Ordinal) && l.Contains("PSE", StringComparison.Ordinal));

        // Before it, pud[8] is empty: the dump's hole at the pud level starts at 8 GiB.
        Assert.Contains(before.StdoutLines, l => l.StartsWith("0xffff880200000000-", StringComparison.Ordinal) && l.EndsWith(" pud", StringComparison.Ordinal));
    }

    [Fact]
    public void PtListsTheTranslationATlbCachedAndStillHoldsBeforeAnyFlush()
    {
        var trace = RawEvent.ReadAll(traces.HotremoveLocalFlush);
        var translated = trace.First(e => e.Type == "Translated" && e.To == "cpu1");

        var run = Cli.Run("trace", "pt", traces.HotremoveLocalFlush, "--at", translated.Seq.ToString());

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("  tlb1 (CPU1): 1 translation(s); 0 flush(es) so far", run.StdoutLines);
        Assert.Contains(run.StdoutLines, l => l.StartsWith("    va 0xffff880100000000 → frame 0x100000 (2M page, pmd entry)", StringComparison.Ordinal));
    }

    [Fact]
    public void PtReRunsAFreeModeTraceByFollowingItsRecordedOrder()
    {
        var trace = RawEvent.ReadAll(traces.HotaddFree);
        var last = trace[^1].Seq;

        var run = Cli.Run("trace", "pt", traces.HotaddFree, "--at", last.ToString());

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"following the trace's {trace.Count} recorded deliveries", run.Stdout);
        Assert.Contains("---[ Low Kernel Mapping ]---", run.StdoutLines);
    }

    [Fact]
    public void PtRefusesATraceWhoseRecordedOrderIsNotOfItsRun()
    {
        // Swap two CPUs' deliveries: the seed's schedule no longer produces the recorded one.
        var lines = File.ReadAllLines(traces.HotaddSeed0).ToList();
        var i = lines.FindIndex(1, l => l.Contains("\"to\":\"cpu2\",\"type\":\"RunProgram\"", StringComparison.Ordinal));
        var j = lines.FindIndex(1, l => l.Contains("\"to\":\"cpu1\",\"type\":\"RunProgram\"", StringComparison.Ordinal));
        (lines[i], lines[j]) = (lines[j].Replace($"\"seq\":{j}", $"\"seq\":{i}", StringComparison.Ordinal), lines[i].Replace($"\"seq\":{i}", $"\"seq\":{j}", StringComparison.Ordinal));
        var tampered = traces.PathFor("tampered.jsonl");
        File.WriteAllLines(tampered, lines);

        var run = Cli.Run("trace", "pt", tampered, "--at", (Math.Max(i, j) + 5).ToString());

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does not reproduce it", run.Stderr);
    }
}
