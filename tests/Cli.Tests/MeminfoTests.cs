namespace BootActors.Cli.Tests;

public sealed class MeminfoTests
{
    [Fact]
    public void WithTheDirectMapFixTheLinesAreInKilobytesAndDirectMap1GOnlyWithGbpages()
    {
        // 4 GiB flat, PSE: head_64.S's 512 entries of level2_ident_pgt (counted since a06de63000b)
        // plus 3 × 512 new 2 MiB leaves = 2048 pages × 2048 kB.
        var run = Cli.Run("run", "--memory", "4G", "--variant", "fixed", "--meminfo");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("DirectMap4k:         0 kB", run.StdoutLines);
        Assert.Contains("DirectMap2M:   4194304 kB", run.StdoutLines);
        Assert.DoesNotContain(run.StdoutLines, l => l.StartsWith("DirectMap1G:", StringComparison.Ordinal));
    }

    [Fact]
    public void WithGbpagesTheFixedKernelPrintsDirectMap1G()
    {
        // The first GiB stays head_64.S's 2 MiB entries; the other three are 1 GiB leaves.
        var run = Cli.Run("run", "--memory", "4G", "--variant", "fixed", "--gbpages", "on", "--meminfo");

        Assert.Contains("DirectMap2M:   1048576 kB", run.StdoutLines);
        Assert.Contains("DirectMap1G:   3145728 kB", run.StdoutLines);
    }

    [Fact]
    public void WithoutTheFixTheLinesAreRawPageCountsAndAllThreeArePrinted()
    {
        // Xen PV, the seed: 4 KiB leaves written by phys_pte_init only; the pre-existing ones are not counted.
        var run = Cli.Run("run", "--memory", "4G", "--xen", "--variant", "after", "--meminfo");

        Assert.Equal(0, run.ExitCode);
        var lines = run.StdoutLines.Where(l => l.StartsWith("DirectMap", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["DirectMap4k:   1041408", "DirectMap2M:         0", "DirectMap1G:         0"], lines);
    }

    [Fact]
    public void TheSeedsParentWithPseCountsOnlyTheLeavesItWrote()
    {
        // before: a fresh pud replaces level3_ident_pgt, so all 2048 2 MiB leaves are new and counted.
        var run = Cli.Run("run", "--memory", "4G", "--variant", "before", "--pse", "off", "--meminfo");

        Assert.Contains("DirectMap2M:      2048", run.StdoutLines);
        Assert.Contains("DirectMap1G:         0", run.StdoutLines);
    }

    [Fact]
    public void UnderJsonTheMeminfoLinesAreAKeyOfTheOneObject()
    {
        var run = Cli.Run("run", "--memory", "4G", "--meminfo", "--json");

        using var doc = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.Equal(
            ["DirectMap4k:         0 kB", "DirectMap2M:   4194304 kB"],
            doc.RootElement.GetProperty("meminfo").EnumerateArray().Select(e => e.GetString()));
    }
}
