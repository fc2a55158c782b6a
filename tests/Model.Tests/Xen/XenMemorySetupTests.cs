using System.Text.Json.Nodes;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using BootActors.Model.Xen;
using Xunit;
using static BootActors.Model.E820.E820Type;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Xen;

/// <summary>
/// model-conventions item 10: under Xen a --memory size only sizes the domain; the guest boots with
/// the map 2.6.27's xen_memory_setup (arch/x86/xen/setup.c) builds: RAM [0, nr_pages × 4K), the ISA
/// range and [mfn_list, pt_base) reserved, sanitised. A map from a log or from entries is used as given.
/// </summary>
public class XenMemorySetupTests
{
    [Fact]
    public void AOneGiBGuestGetsTheIsaRangeAndItsPhysToMachineListReserved()
    {
        // nr_pages 0x40000: p2m [0xa00000, 0xc00000), start info/xenstore/console up to pt_base
        // 0xc03000 (items 13-14). Raw: RAM [0, 1G), reserved [0xa0000, 0x100000), reserved
        // [0xa00000, 0xc03000); sanitised, the reserved ranges cut RAM into three entries.
        var map = Layout(GiB).MemorySetupMap();
        Assert.Equal(
            [
                new E820Entry(0, 0xa0000, Ram),
                new E820Entry(0xa0000, 0x100000, Reserved),
                new E820Entry(0x100000, 0xa00000, Ram),
                new E820Entry(0xa00000, 0xc03000, Reserved),
                new E820Entry(0xc03000, 0x40000000, Ram),
            ],
            map.Entries);
        Assert.Equal("Xen", map.Label);
        Assert.Equal(0x40000UL, map.EndOfRamPfn());
    }

    [Fact]
    public void AFourGiBGuestReservesItsEightMiBListAndTheThreeStartOfDayPages()
    {
        // p2m 0x100000 × 8 = 8 MiB [0xa00000, 0x1200000), then 3 pages: pt_base 0x1203000.
        Assert.Equal(
            [(0xa0000UL, 0x100000UL), (0xa00000UL, 0x1203000UL)],
            Layout(4 * GiB).MemorySetupMap().Entries.Where(e => e.Type == Reserved).Select(e => (e.Start, e.End)));
    }

    [Fact]
    public void AMemorySizeUnderXenBootsWithXenMemorySetupsMapAndNativelyWithTheFlatOne()
    {
        var xen = new Machine.Machine(Flat(GiB, KernelVariant.Fixed, xen: true));
        var native = new Machine.Machine(Flat(GiB, KernelVariant.Fixed));

        Assert.Equal(Layout(GiB).MemorySetupMap().Entries, xen.Globals.E820.Entries);
        Assert.Equal([new E820Entry(0, GiB, Ram)], native.Globals.E820.Entries);
        Assert.Equal((GiB, GiB), (xen.End, native.End));
    }

    [Fact]
    public void AnUnalignedMemorySizeGivesRamUpToNrPagesAsXenMemorySetupDoes()
    {
        // PFN_PHYS(nr_pages): the partial last page is not RAM, in either map.
        var config = Flat(GiB + 0x800, KernelVariant.Fixed, xen: true);
        Assert.Equal(GiB, config.BootE820.Entries[^1].End);
        Assert.Equal(GiB, new Machine.Machine(config).End);
    }

    [Fact]
    public void AXenLogsMapIsUsedAsGiven()
    {
        var log = E820Parser.ParseFile(Path.Combine(RepositoryRoot(), "config", "e820", "xen-pv-4g.dmesg"));
        var config = new MachineConfig { E820 = log, Xen = true };

        Assert.Same(log, config.BootE820);
        Assert.Contains(new E820Entry(0x1a3c000, 0x223f000, Reserved), new Machine.Machine(config).Globals.E820.Entries);
    }

    [Fact]
    public void AOneEntryMapFromEntriesIsUsedAsGivenSoTheTablesLandOnThePhysToMachineList()
    {
        // The contrast that shows the map is what moves the buffer: the same single usable entry,
        // given as entries (as a log or a trace gives it), keeps the old placement
        // [0xa00000, 0xc02000) of MoreDerivedTests' 1 GiB guest, over its own p2m list.
        var flat = E820Map.FromEntries([new E820Entry(0, GiB, Ram)]);
        var config = Flat(GiB, KernelVariant.Fixed, xen: true) with { E820 = flat };

        Assert.Same(flat, config.BootE820);
        var s = Boot(config).Summary();
        Assert.Equal(("ok", "0xa00", "0xc02"), (s.Outcome, s.TableStart, s.TableTop));
    }

    [Fact]
    public void SetupArchPrintsTheReservedRangesWithTheXenLabel()
    {
        var lines = Simulation.SetupArchLines(new Machine.Machine(Flat(GiB, KernelVariant.Fixed, xen: true))).ToList();
        Assert.Equal(
            [
                "BIOS-provided physical RAM map:",
                " Xen: 0000000000000000 - 00000000000a0000 (usable)",
                " Xen: 00000000000a0000 - 0000000000100000 (reserved)",
                " Xen: 0000000000100000 - 0000000000a00000 (usable)",
                " Xen: 0000000000a00000 - 0000000000c03000 (reserved)",
                " Xen: 0000000000c03000 - 0000000040000000 (usable)",
                "last_pfn = 0x40000 max_arch_pfn = 0x3ffffffff",
            ],
            lines);
    }

    [Fact]
    public void ARunSpecRecordsTheMapTheGuestBootedWithSoItsReplayIsTheSameRun()
    {
        // A trace or replay file rebuilds the machine from the recorded entries, used as given.
        var config = Flat(GiB, KernelVariant.Fixed, xen: true);
        var json = new RunSpec("xen-1g", config, WorkloadPlan.BootOnly).ToJson();
        var back = RunSpec.FromJson(JsonNode.Parse(json.ToJsonString())!.AsObject());

        Assert.Equal(5, json["e820"]!.AsArray().Count);
        Assert.Equal("Xen", json["e820_label"]!.GetValue<string>());
        Assert.Null(back.Machine.E820.MemorySize);
        Assert.Equal(Json(Boot(config).Summary()), Json(Boot(back.Machine).Summary()));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BootActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("BootActors.sln not found above " + AppContext.BaseDirectory);
    }

    private static XenLayout Layout(ulong bytes) =>
        XenLayout.Compute(bytes, 8 * MiB, out _) ?? throw new InvalidOperationException("no layout");
}
