using BootActors.Actors.Scenarios;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Scenarios;

public sealed class ScenarioLoaderTests
{
    private const ulong G = 1UL << 30;
    private const ulong M = 1UL << 20;

    // The schema's example, with every optional key set away from its default.
    private const string Full = """
        # What a user should see and why.
        #   Indented second line.
        #
        # After an empty comment line.

        # Not part of the description: a blank line ended it.
        cpus = 3
        memory = 8G            # a trailing comment
        pse = off
        gbpages = on
        xen = off
        kernel_size = 16M
        variant = after
        hunks = "nonpse_fallback,preserve_existing"
        fixes = "22b45144f67"
        hotplug_mutex = on
        flush = local
        alloc_order = top-down
        pte_grain = entry
        workload = [
          { cpu = 1, hotadd { start = 8G, size = 1G } }
          { concurrent = [ { cpu = 1, hotadd { start = 8G, size = 512M } }, { cpu = 2, hotadd { start = 8704M, size = 512M } } ] }
          { cpu = 1, touch { addr = 0xfff00000, count = 4, stride = 4K } }
          { cpu = 0, hotremove { start = 4G, size = 1G } }
        ]
        expect { outcome = violation, error = overwrote_present_entry, message = "pud[8]" }
        """;

    [Fact]
    public void EveryKeyOfTheSchemaReachesTheMachineConfig()
    {
        var s = ScenarioLoader.LoadText(Full, "dir/full.hocon");

        Assert.Equal("full", s.Name);
        Assert.Equal("dir/full.hocon", s.SourcePath);
        var m = s.Machine;
        Assert.Equal(3, m.Cpus);
        Assert.Equal(E820Map.FromMemorySize(8 * G).Entries, m.E820.Entries);
        Assert.Equal("memory = 8G", m.E820Origin);
        Assert.False(m.Pse);
        Assert.True(m.Gbpages);
        Assert.False(m.Xen);
        Assert.Equal(16 * M, m.KernelSize);
        Assert.Equal(new KernelVariant(Hunks.NonpseFallback | Hunks.PreserveExisting, Fixes.LargePmdCheck), m.Variant);
        Assert.True(m.HotplugMutex);
        Assert.Equal(FlushScope.Local, m.RemoveFlush);
        Assert.Equal(AllocOrder.TopDown, m.AllocOrder);
        Assert.Equal(PteGrain.Entry, m.Grain);
        Assert.Equal(new Expectation("violation", "overwrote_present_entry", "pud[8]"), s.Expect);
    }

    [Fact]
    public void WorkloadItemsBecomeStepsAndAConcurrentItemIsOneConcurrentStep()
    {
        var steps = ScenarioLoader.LoadText(Full, "full.hocon").Workload.Steps;

        Assert.Equal(4, steps.Count);
        Assert.False(steps[0].Concurrent);
        Assert.Equal([new HotAdd(1, 8 * G, G)], steps[0].Events);
        Assert.True(steps[1].Concurrent);
        Assert.Equal([new HotAdd(1, 8 * G, 512 * M), new HotAdd(2, 8704 * M, 512 * M)], steps[1].Events);
        Assert.Equal([new Touch(1, 0xfff00000, 4, 4096)], steps[2].Events);
        Assert.Equal([new HotRemove(0, 4 * G, G)], steps[3].Events);
    }

    [Fact]
    public void TheDescriptionIsTheLeadingCommentBlock()
    {
        var s = ScenarioLoader.LoadText(Full, "full.hocon");

        Assert.Equal("What a user should see and why.\n  Indented second line.\n\nAfter an empty comment line.", s.Description);
    }

    [Fact]
    public void OptionalKeysTakeTheCommandLinesDefaults()
    {
        var s = ScenarioText.Load(ScenarioText.Minimal);

        var m = s.Machine;
        Assert.True(m.Pse);
        Assert.False(m.Gbpages);
        Assert.False(m.Xen);
        Assert.Equal(8 * M, m.KernelSize);
        Assert.Equal(KernelVariant.Fixed, m.Variant);
        Assert.False(m.HotplugMutex);
        Assert.Equal(FlushScope.Global, m.RemoveFlush);
        Assert.Equal(AllocOrder.BottomUp, m.AllocOrder);
        Assert.Equal(PteGrain.Page, m.Grain);
        Assert.Empty(s.Workload.Steps);
        Assert.Null(s.Expect);
        Assert.Equal("", s.Description);
    }

    [Theory]
    [InlineData("hunks = none", Hunks.None)]
    [InlineData("hunks = \"none\"", Hunks.None)]
    [InlineData("hunks = [nonpse_fallback, table_space_ptes]", Hunks.NonpseFallback | Hunks.TableSpacePtes)]
    [InlineData("hunks = []", Hunks.None)]
    [InlineData("hunks = all", Hunks.All)]
    public void HunksAreAQuotedCommaListOrAHoconList(string line, Hunks expected)
    {
        var s = ScenarioText.Load(ScenarioText.Minimal + "\n" + line);

        Assert.Equal(expected, s.Machine.Variant.Hunks);
        Assert.Equal(Fixes.All, s.Machine.Variant.Fixes);
    }

    [Theory]
    [InlineData("fixes = none", Fixes.None)]
    [InlineData("fixes = [22b45144f67, large_pmd_check, 574977a]", Fixes.LargePmdCheck | Fixes.PopulatePgdAlways)]
    public void FixesAreNamedByCommitOrAlias(string line, Fixes expected)
    {
        var s = ScenarioText.Load(ScenarioText.Minimal + "\n" + line);

        Assert.Equal(expected, s.Machine.Variant.Fixes);
    }

    [Theory]
    [InlineData("16G", 16 * G)]
    [InlineData("512M", 512 * M)]
    [InlineData("4095M", 4095 * M)]
    [InlineData("16GiB", 16 * G)]
    [InlineData("0x100000000", 4 * G)]
    [InlineData("4294967296", 4 * G)]
    public void MemoryIsASizeAsOnTheCommandLine(string text, ulong bytes)
    {
        var s = ScenarioText.Load(ScenarioText.Minimal.Replace("memory = 4G", $"memory = {text}"));

        Assert.Equal(E820Map.FromMemorySize(bytes).Entries, s.Machine.E820.Entries);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("true", true)]
    [InlineData("no", false)]
    public void SwitchesTakeOnOffAndHoconsBooleans(string text, bool expected)
    {
        Assert.Equal(expected, ScenarioText.Load(ScenarioText.Minimal + $"\nxen = {text}").Machine.Xen);
    }

    [Fact]
    public void AnE820FileIsReadRelativeToTheScenarioFile()
    {
        using var dir = new TempDir();
        dir.Write("e820/small.dmesg", "BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)\nBIOS-e820: 0000000000100000 - 0000000080000000 (usable)\n");
        var file = dir.Write("scenarios/small.hocon", "cpus = 1\ne820 = \"../e820/small.dmesg\"\nvariant = fixed\nworkload = []\n");

        var s = ScenarioLoader.Load(file);

        Assert.Equal(2, s.Machine.E820.RamRanges().Count());
        Assert.EndsWith("small.dmesg", s.Machine.E820Origin);
        Assert.Equal(file, s.SourcePath);
    }

    [Fact]
    public void TheWholeFileMayBeOneObjectAsInJson()
    {
        var s = ScenarioText.Load("{\n  cpus: 1, memory: 2G, variant: before\n  workload: []\n}\n");

        Assert.Equal(KernelVariant.Before, s.Machine.Variant);
    }

    [Fact]
    public void AKeyGivenTwiceTakesTheLaterValueAndObjectsMerge()
    {
        var s = ScenarioText.Load(ScenarioText.Minimal + "\ncpus = 4\nexpect { outcome = violation }\nexpect.error = stale_tlb_use\n");

        Assert.Equal(4, s.Machine.Cpus);
        Assert.Equal(new Expectation("violation", "stale_tlb_use"), s.Expect);
    }

    [Fact]
    public void FindResolvesABareNameInConfigScenarios()
    {
        var path = ScenarioLoader.Find("hotadd-concurrent", ScenarioText.ConfigDir());

        Assert.Equal(Path.Combine(ScenarioText.ScenariosDir(), "hotadd-concurrent.hocon"), Path.GetFullPath(path));
    }

    [Fact]
    public void FindWithoutAConfigDirSearchesUpwardFromTheProgram()
    {
        // The test binaries sit below the checkout, whose config/ is found by walking up.
        var path = ScenarioLoader.Find("default");

        Assert.Equal("default.hocon", Path.GetFileName(path));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void FindTakesAnExistingFileAsIs()
    {
        using var dir = new TempDir();
        var file = dir.Write("mine.hocon", ScenarioText.Minimal);

        Assert.Equal(file, ScenarioLoader.Find(file, ScenarioText.ConfigDir()));
    }

    [Fact]
    public void FindOfAnUnknownNameListsTheScenariosThereAre()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Find("hotadd-concurent", ScenarioText.ConfigDir()));

        Assert.StartsWith("hotadd-concurent: no such file or scenario (scenarios in ", ex.Message);
        Assert.Contains("hotadd-concurrent, hotadd-new-pgd", ex.Message);
    }

    [Fact]
    public void FindOfAMissingPathSaysSo()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Find("nowhere/x.hocon", ScenarioText.ConfigDir()));

        Assert.Equal("nowhere/x.hocon: no such scenario file", ex.Message);
    }

    [Fact]
    public void LoadOfAMissingFileSaysSo()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load("nowhere/x.hocon"));

        Assert.Equal("nowhere/x.hocon: no such scenario file", ex.Message);
    }
}
