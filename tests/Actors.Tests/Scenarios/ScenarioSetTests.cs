using BootActors.Actors.Scenarios;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Scenarios;

/// <summary><c>--set KEY=VALUE</c>: overrides any key of the file, later ones winning; an unknown key or bad value is refused as --set.</summary>
public sealed class ScenarioSetTests
{
    private const string File = """
        cpus = 3
        memory = 8G
        variant = fixed
        hunks = [nonpse_fallback]
        workload = [
          { cpu = 2, hotadd { start = 8G, size = 1G } }
        ]
        expect { outcome = violation, error = overwrote_present_entry }
        """;

    [Fact]
    public void ASetOverridesTheFilesValue()
    {
        var s = ScenarioText.Load(File, "cpus=4", "hotplug_mutex=on", "flush=local");

        Assert.Equal(4, s.Machine.Cpus);
        Assert.True(s.Machine.HotplugMutex);
        Assert.Equal(FlushScope.Local, s.Machine.RemoveFlush);
    }

    [Fact]
    public void ABareCommaListIsOneValue()
    {
        var s = ScenarioText.Load(File, "hunks=nonpse_fallback,preserve_existing", "fixes=22b45144f67");

        Assert.Equal(new KernelVariant(Hunks.NonpseFallback | Hunks.PreserveExisting, Fixes.LargePmdCheck), s.Machine.Variant);
    }

    [Fact]
    public void ALaterSetWinsOverAnEarlierOne()
    {
        var s = ScenarioText.Load(File, "cpus=4", "cpus=5");

        Assert.Equal(5, s.Machine.Cpus);
    }

    [Fact]
    public void ADottedKeySetsOneFieldOfExpectAndKeepsTheOthers()
    {
        var s = ScenarioText.Load(File, "expect.error=lost_table_page");

        Assert.Equal(new Expectation("violation", "lost_table_page"), s.Expect);
    }

    [Fact]
    public void AHoconValueIsTakenAsHocon()
    {
        var s = ScenarioText.Load(File, "workload=[ { cpu = 1, touch { addr = 4G } } ]", "hunks=[table_space_ptes]", "expect={ message = \"pud[8]\" }");

        var step = Assert.Single(s.Workload.Steps);
        Assert.False(step.Concurrent);
        Assert.Equal([new Touch(1, 4UL << 30)], step.Events);
        Assert.Equal(Hunks.TableSpacePtes, s.Machine.Variant.Hunks);

        // Objects merge (HOCON): the file's outcome and error stay.
        Assert.Equal(new Expectation("violation", "overwrote_present_entry", "pud[8]"), s.Expect);
    }

    [Fact]
    public void AKeyAnObjectSetDidNotMentionIsStillTheFilesInMessages()
    {
        var ex = ScenarioText.Refused(File, "expect={ outcome = ok }");

        Assert.Equal("bad.hocon:8: expect.error: overwrote_present_entry ends a run with outcome violation, not ok", ex.Message);
    }

    [Fact]
    public void SettingMemoryReplacesTheFilesE820AndTheOtherWayRound()
    {
        using var dir = new TempDir();
        dir.Write("e820/small.dmesg", "BIOS-e820: 0000000000000000 - 0000000080000000 (usable)\n");
        var file = dir.Write("scenarios/x.hocon", "cpus = 1\ne820 = \"../e820/small.dmesg\"\nvariant = fixed\nworkload = []\n");

        var withMemory = ScenarioLoader.Load(file, ["memory=4G"]);
        var withE820 = ScenarioLoader.LoadText(System.IO.File.ReadAllText(file).Replace("e820 = \"../e820/small.dmesg\"", "memory = 16G"), file, ["e820=../e820/small.dmesg"]);

        Assert.Equal(E820Map.FromMemorySize(4UL << 30).Entries, withMemory.Machine.E820.Entries);
        Assert.Equal(0x80000000UL, withE820.Machine.E820.RamRanges().Single().End);
    }

    [Fact]
    public void AnUnknownKeyIsRefused()
    {
        var ex = ScenarioText.Refused(File, "hotplug=on");

        Assert.StartsWith("bad.hocon: --set hotplug: unknown key (--set takes cpus, memory,", ex.Message);
        Assert.Equal("--set hotplug", ex.Key);
    }

    [Fact]
    public void AnUnknownDottedKeyIsRefused()
    {
        var ex = ScenarioText.Refused(File, "expect.kind=panic");

        Assert.StartsWith("bad.hocon: --set expect.kind: unknown key", ex.Message);
    }

    [Fact]
    public void ABadValueIsRefusedAsTheSetNotTheFilesLine()
    {
        var ex = ScenarioText.Refused(File, "pse=sometimes");

        Assert.Equal("bad.hocon: --set pse: 'sometimes' is not a switch value (expected on or off)", ex.Message);
    }

    [Fact]
    public void ABadWorkloadInASetNamesTheElement()
    {
        var ex = ScenarioText.Refused(File, "workload=[ { cpu = 7, touch { addr = 0 } } ]");

        Assert.Equal("bad.hocon: --set workload[0].cpu: CPU7 does not exist: the machine has 3 CPU(s) (CPU0-CPU2)", ex.Message);
    }

    [Fact]
    public void LoweringCpusBelowTheWorkloadsCpusIsRefusedAtTheWorkload()
    {
        var ex = ScenarioText.Refused(File, "cpus=2");

        Assert.Equal("bad.hocon:6: workload[0].cpu: CPU2 does not exist: the machine has 2 CPU(s) (CPU0-CPU1)", ex.Message);
    }

    [Theory]
    [InlineData("hotplug_mutex")]
    [InlineData("=on")]
    [InlineData("a b=1")]
    public void ASetThatIsNotKeyEqualsValueIsRefused(string set)
    {
        var ex = ScenarioText.Refused(File, set);

        Assert.Equal($"bad.hocon: --set {set}: expected KEY=VALUE, e.g. --set hotplug_mutex=on", ex.Message);
    }

    [Fact]
    public void ASyntaxErrorInASetIsRefusedAsTheSet()
    {
        var ex = ScenarioText.Refused(File, "workload=[ { cpu = 1 ]");

        Assert.StartsWith("bad.hocon: --set workload: ", ex.Message);
    }
}
