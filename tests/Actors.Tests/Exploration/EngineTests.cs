using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>The engine's contract with a cluster: schedule i of random and pct is the same whatever ran before it; state hashes follow the machine.</summary>
public sealed class EngineTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void ScheduleIIsTheSameScheduleInAnyOrderAndOnAnotherEngine(string strategy)
    {
        var spec = ExplorationRig.Spec("hotadd-concurrent");
        var options = new ExploreOptions { Seed = 5 };
        Dictionary<int, (ulong, ScheduleStatus)> forward = new(), backward = new();
        string fingerprint;
        int k;
        using (var a = ExplorationRig.Open(fixture.Host, spec, strategy, options))
        {
            for (var i = 0; i < 12; i++)
            {
                var o = a.RunNumbered(i);
                forward[i] = (o.TraceHash, o.Status);
            }

            fingerprint = a.Fingerprint;
            k = a.PctLength;
        }

        using var b = ExplorationRig.Open(fixture.Host, spec, strategy, options);
        for (var i = 11; i >= 0; i--)
        {
            var o = b.RunNumbered(i);
            backward[i] = (o.TraceHash, o.Status);
        }

        Assert.Equal(forward.OrderBy(kv => kv.Key), backward.OrderBy(kv => kv.Key));
        Assert.Equal(fingerprint, b.Fingerprint);
        Assert.Equal(k, b.PctLength);
        Assert.True(forward.Values.Select(v => v.Item1).Distinct().Count() > 1, "every schedule was the same");
    }

    [Theory]
    [InlineData("random", "hotadd-concurrent")]
    [InlineData("random", "hotremove-local-flush")]
    [InlineData("dpor", "hotadd-concurrent")]
    public void SchedulesLeaveTheBootedSnapshotsPagesAsTheyAreHeld(string strategy, string name)
    {
        // The state hasher and the recorded reads walk every entry; reading must not materialise the
        // snapshot's runs, or every later schedule copies and walks 512 entries a page.
        var spec = ExplorationRig.Spec(name);
        using var engine = ExplorationRig.Open(fixture.Host, spec, strategy);
        var before = engine.Boot.Machine.Memory.TablePages.ToDictionary(p => p.Pfn, p => p.Run is not null);
        Assert.Contains(true, before.Values);

        if (strategy == "dpor")
        {
            var unit = engine.OpenUnit(WorkUnit.Root);
            for (var i = 0; i < 20 && unit.HasNext; i++)
            {
                unit.Next();
            }
        }
        else
        {
            for (var i = 0; i < 20; i++)
            {
                engine.RunNumbered(i);
            }
        }

        var after = engine.Boot.Machine.Memory.TablePages.ToDictionary(p => p.Pfn, p => p.Run is not null);
        Assert.Equal(before, after);
    }

    [Fact]
    public void PctsLengthIsTheNonPreemptiveSchedulesUnlessGiven()
    {
        var spec = ExplorationRig.Spec("hotadd-concurrent");
        using var measured = ExplorationRig.Open(fixture.Host, spec, "pct");
        using var given = ExplorationRig.Open(fixture.Host, spec, "pct", new ExploreOptions { PctLength = 77 });

        Assert.True(measured.PctLength > 100, $"k = {measured.PctLength}");
        Assert.Equal(77, given.PctLength);
        Assert.NotEqual(measured.Fingerprint, given.Fingerprint);
    }

    [Fact]
    public void AFoldedBootsPtePagesAreHashedThroughTheirRunsAndStayHeldByThem()
    {
        // Without PSE a native boot holds its whole PTE pages as runs of pages (1,536 at 4 GiB: the first GiB is not folded). The
        // state hasher hashes them at the first schedule; making them would keep them made for good.
        var spec = ExplorationRig.Spec("hotadd-concurrent", "pse=off", "memory=4G");
        using var engine = ExplorationRig.Open(fixture.Host, spec, "random");
        var memory = engine.Boot.Machine.Memory;
        int HeldByRuns() => memory.TablePageHeaders.Count(h => memory.PteRunOf(h.Pfn) is not null);
        var held = HeldByRuns();

        for (var i = 0; i < 20; i++)
        {
            engine.RunNumbered(i);
        }

        Assert.True(held >= 1500, $"{held} pages held by runs");
        Assert.Equal(held, HeldByRuns());
    }

    [Theory]
    [InlineData("hotadd-concurrent")]
    [InlineData("hotadd-concurrent", "pse=off", "memory=2G")]
    [InlineData("hotremove-local-flush")]
    [InlineData("xen-boot-after", "cpus=2", "workload=[{concurrent=[{cpu=0, hotadd={start=4G, size=2M}}, {cpu=1, hotadd={start=4100M, size=2M}}]}]")]
    public void TheIncrementalMachineHashIsTheHashFromScratchAtEveryStep(string name, params string[] sets)
    {
        var spec = ExplorationRig.Spec(name, sets);
        using var engine = ExplorationRig.Open(fixture.Host, spec, "random");
        CheckHashes(engine, seeds: 4, every: 1, atLeast: 10);
    }

    /// <summary>Schedules at random, each checking the incremental machine hash against one from scratch.</summary>
    private static void CheckHashes(ExplorationEngine engine, int seeds, int every, int atLeast)
    {
        for (var seed = 0; seed < seeds; seed++)
        {
            var s = new CheckingHashes(seed, every);
            s.BeginSchedule(0);
            engine.Run(s, m =>
            {
                s.Machine = m;
                s.Start(m, engine.Boot.Machine);
            });

            Assert.True(s.Checked > atLeast, $"only {s.Checked} steps checked");
            Assert.True(s.Mismatches.Count == 0, string.Join("\n", s.Mismatches.Take(3)));
        }
    }

    [Fact]
    public void APageTheBootsRunHeldHashesAsBeforeOnceAScheduleWritesIt()
    {
        // Without PSE the boot's second GiB is PTE pages held by runs; removing 2 MiB of it clears one
        // such page entry by entry (the schedule's copy makes it): its boot hash is taken out through the run.
        var spec = ExplorationRig.Spec("hotremove-local-flush", "pse=off", "memory=2G",
            "workload=[{cpu=0, hotremove{start=1026M, size=2M}}, {cpu=1, touch{addr=1026M, count=2, stride=4K}}]");
        using var engine = ExplorationRig.Open(fixture.Host, spec, "random");
        var boot = engine.Boot.Machine.Memory;
        const ulong va = Model.Paging.X86.PAGE_OFFSET + (1026UL << 20);
        var pmd = boot.Read(boot.Read(boot.Root, Model.Paging.X86.pgd_index(va)).Frame, Model.Paging.X86.pud_index(va)).Frame;
        Assert.NotNull(boot.PteRunOf(boot.Read(pmd, Model.Paging.X86.pmd_index(va)).Frame));

        CheckHashes(engine, seeds: 2, every: 16, atLeast: 50);
    }

    /// <summary>At random, comparing the incremental machine hash with one from scratch before every delivery (or every <paramref name="every"/>th).</summary>
    private sealed class CheckingHashes(int seed, int every = 1) : ExplorationStrategy(ChoiceMode.Delivery)
    {
        private readonly Random random = new(seed);

        public Model.Machine.Machine? Machine { get; set; }

        public int Checked { get; private set; }

        public List<string> Mismatches { get; } = new();

        public override string Name => "checking";

        public void Start(Model.Machine.Machine m, Model.Machine.Machine boot)
        {
            Probe = new StateProbe();
            Probe.Start(m, boot, Topology);
        }

        protected override int ChooseOption(ChoiceView view) => Check(random.Next(view.Count));

        protected override int ChooseForced(ChoiceView view) => Check(0);

        private int Check(int k)
        {
            if (Step % every != 0)
            {
                return k;
            }

            Checked++;
            if (Probe!.Hasher.MachineHash() != Probe.Hasher.FullMachineHash(Machine!))
            {
                Mismatches.Add($"step {Step}, after {(Recorded.Count > 0 ? Recorded[^1] : default)}");
            }

            return k;
        }
    }
}
