namespace BootActors.Cli.Tests;

/// <summary>
/// `--memory N --xen` boots with xen_memory_setup's map (model-conventions item 10), and the places
/// that print the map show its reserved ranges: the summary's e820 lines and setup_arch's log.
/// </summary>
public sealed class XenMapOutputTests
{
    [Fact]
    public void TheSummaryListsTheIsaRangeAndThePhysToMachineListOfAOneGiBGuest()
    {
        // p2m [0xa00000, 0xc00000) + 3 start-of-day pages → reserved [0xa00000, 0xc03000); usable
        // RAM = 1 GiB − 0x60000 − 0x203000 = 1071239168 bytes = 1046132 KiB.
        var run = Cli.Run("run", "--memory", "1G", "--xen", "--host", "sequential");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var e820 = lines.FindIndex(l => l.StartsWith("  e820 ", StringComparison.Ordinal));
        Assert.Equal(
            [
                "  e820           --memory 1G → xen_memory_setup: 5 entries, 1046132 KiB usable RAM",
                "    reserved     00000a0000 - 0000100000",
                "    reserved     0000a00000 - 0000c03000",
                "  guest          Xen PV domU, 1 CPU",
            ],
            lines.Skip(e820).Take(4));
        Assert.Contains("  kernel direct mapping tables up to 40000000 @ c0e000-e10000", lines);
        Assert.Contains(" Xen: 00000000000a0000 - 0000000000100000 (reserved)", run.StderrLines);
        Assert.Contains(" Xen: 0000000000a00000 - 0000000000c03000 (reserved)", run.StderrLines);
    }

    [Fact]
    public void NativelyTheSameSizeIsOneUsableEntryWithNothingReserved()
    {
        var run = Cli.Run("run", "--memory", "1G", "--host", "sequential");

        Assert.Contains("  e820           --memory 1G: 1 entry, 1 GiB usable RAM", run.Stdout);
        Assert.DoesNotContain("    reserved", run.Stdout);
        Assert.Contains(" BIOS-e820: 0000000000000000 - 0000000040000000 (usable)", run.StderrLines);
    }
}
