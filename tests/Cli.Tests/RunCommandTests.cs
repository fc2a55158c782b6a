using System.Text.Json;

namespace BootActors.Cli.Tests;

public sealed class RunCommandTests
{
    [Fact]
    public void TheDefaultRunBootsEightGibibytesAndExitsZero()
    {
        var run = Cli.Run("run");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("outcome: ok", run.Stdout);
        Assert.Contains("end            0x200000000 (last_pfn 0x200000)", run.Stdout);
        Assert.Contains("    0000000000 - 0200000000 page 2M", run.Stdout);
        Assert.Contains("variant        fixed", run.Stdout);
    }

    [Fact]
    public void KernelLogLinesGoToStderrAsTheKernelWordedThem()
    {
        var run = Cli.Run("run", "--memory", "4G");

        Assert.Contains(" BIOS-e820: 0000000000000000 - 0000000100000000 (usable)", run.StderrLines);
        Assert.Contains("init_memory_mapping", run.StderrLines);
        Assert.DoesNotContain("BIOS-e820", run.Stdout);
    }

    [Fact]
    public void JsonPrintsExactlyOneObjectWithTheSpecKeys()
    {
        var run = Cli.Run("run", "--memory", "4G", "--pse", "off", "--xen", "--variant", "after", "--json");

        Assert.Equal(0, run.ExitCode);

        // JsonDocument.Parse rejects anything but whitespace after the first value.
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        string[] keys =
        [
            "variant", "hunks", "fixes", "pse", "gbpages", "xen", "end", "last_map_addr", "table_start", "table_end",
            "table_top", "table_pages", "direct_pages", "mapped", "outcome", "errors",
        ];
        foreach (var key in keys)
        {
            Assert.True(root.TryGetProperty(key, out _), $"missing key '{key}'");
        }

        Assert.Equal("after", root.GetProperty("variant").GetString());
        Assert.True(root.GetProperty("xen").GetBoolean());
        Assert.False(root.GetProperty("pse").GetBoolean());
        Assert.Equal("0x100000000", root.GetProperty("end").GetString());
        Assert.Equal("ok", root.GetProperty("outcome").GetString());
        Assert.Equal(["pud", "pmd", "pte"], root.GetProperty("table_pages").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["4k", "2m", "1g"], root.GetProperty("direct_pages").EnumerateObject().Select(p => p.Name));
        Assert.Empty(root.GetProperty("errors").EnumerateArray());
        Assert.Contains("init_memory_mapping", run.StderrLines);
    }

    [Fact]
    public void JsonOfAViolationKeepsTheCallChainArrowReadableAndExitsOne()
    {
        // The seed without 22b45144f67 calls phys_pte_update on head_64.S's 2 MiB entries when !PSE.
        var run = Cli.Run("run", "--memory", "4G", "--pse", "off", "--variant", "after", "--json");

        Assert.Equal(1, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("violation", doc.RootElement.GetProperty("outcome").GetString());
        var error = Assert.Single(doc.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal("data_frame_written_as_table", error.GetProperty("kind").GetString());
        Assert.Contains("init_memory_mapping → phys_pud_update", run.Stdout);
        Assert.DoesNotContain("\\u2192", run.Stdout);
    }

    [Fact]
    public void AHumanReportOfAViolationNamesTheKindCpuAndCallChain()
    {
        var run = Cli.Run("run", "--memory", "4G", "--pse", "off", "--variant", "after");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("outcome: violation", run.Stdout);
        Assert.Contains("error          data_frame_written_as_table on CPU0", run.Stdout);
        Assert.Contains("call chain     init_memory_mapping → phys_pud_update → phys_pud_init → phys_pmd_update → phys_pmd_init → phys_pte_update", run.Stdout);
    }

    [Fact]
    public void TheWorkedExampleReservesTheEstimateOf2053Pages()
    {
        // Flat 4 GiB without PSE under the seed: 1 PUD + 4 PMD + 2048 PTE pages = table_top - table_start.
        var run = Cli.Run("run", "--memory", "4G", "--xen", "--variant", "after");

        Assert.Contains("    total        2037      2053   (table_top - table_start = 2053)", run.StdoutLines);
        Assert.Contains("    pte          2034      2048", run.StdoutLines);
    }

    [Fact]
    public void AMalformedE820LineExitsTwoNamingFileAndLine()
    {
        using var file = new TempFile(
            "Linux version 2.6.27\n" +
            "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n" +
            "[    0.000000] BIOS-e820: [mem 0xzz-0x1] usable\n");

        var run = Cli.Run("run", "--e820", file.Path);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith($"bootactors: {file.Path}:3: ", line);
        Assert.Contains("malformed e820 line", line);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void AFileWithNoE820LineExitsTwo()
    {
        using var file = new TempFile("Linux version 2.6.27\nCommand line: ro root=/dev/sda1\n");

        var run = Cli.Run("run", "--e820", file.Path);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.Equal($"bootactors: {file.Path}: no e820 line (expected lines like 'BIOS-e820: [mem 0x…-0x…] usable')", line);
    }

    [Fact]
    public void AMissingE820FileExitsTwoWithoutAStackTrace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bootactors-missing-{Guid.NewGuid():N}.dmesg");

        var run = Cli.Run("run", "--e820", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {path}: no such e820 file", Assert.Single(run.StderrLines));
    }

    [Theory]
    [InlineData("0", "bootactors: --memory: '0' is not a usable size: the size must be positive")]
    [InlineData("0x0", "bootactors: --memory: '0x0' is not a usable size: the size must be positive")]
    [InlineData("banana", "bootactors: --memory: 'banana' is not a usable size: expected a number of bytes with an optional K, M, G or T suffix (e.g. 16G, 512MiB, 0x100000000)")]
    [InlineData("16X", "bootactors: --memory: '16X' is not a usable size: expected a number of bytes with an optional K, M, G or T suffix (e.g. 16G, 512MiB, 0x100000000)")]
    [InlineData("99999999999T", "bootactors: --memory: '99999999999T' is not a usable size: too large")]
    public void ABadMemorySizeExitsTwoWithAClearMessage(string size, string message)
    {
        var run = Cli.Run("run", "--memory", size);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(message, Assert.Single(run.StderrLines));
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void MemoryAndE820TogetherExitTwo()
    {
        using var file = new TempFile("BIOS-e820: 0000000000000000 - 0000000100000000 (usable)\n");

        var run = Cli.Run("run", "--memory", "4G", "--e820", file.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--memory and --e820 are mutually exclusive", Assert.Single(run.StderrLines));
    }

    [Theory]
    [InlineData(new[] { "--pse", "maybe" }, "bootactors: --pse: 'maybe' is not a switch value (expected on or off)")]
    [InlineData(new[] { "--variant", "middle" }, "bootactors: --variant: unknown variant 'middle' (expected before, after or fixed)")]
    [InlineData(new[] { "--hunks", "everything" }, "bootactors: --hunks: unknown hunk 'everything' (expected nonpse_fallback, unmap_before_populate, preserve_existing, table_space_ptes, all or none)")]
    [InlineData(new[] { "--cpus", "0" }, "bootactors: cannot build this machine: --cpus 0: 0 is not a CPU count: expected 1 to 4096 (NR_CPUS's largest value in 2.6.27, with MAXSMP)")]
    [InlineData(new[] { "--cpus", "two" }, "bootactors: --cpus: 'two' is not a CPU count (expected a whole number)")]
    [InlineData(new[] { "--kernel-size", "12Q" }, "bootactors: --kernel-size: '12Q' is not a usable size: expected a number of bytes with an optional K, M, G or T suffix (e.g. 16G, 512MiB, 0x100000000)")]
    [InlineData(new[] { "--bogus" }, "bootactors: unrecognized option '--bogus' (see 'bootactors run --help')")]
    [InlineData(new[] { "--memory", "1000" }, "bootactors: cannot build this machine: --memory 1000: the e820 map has no usable RAM (e820_end_of_ram() is 0)")]
    public void BadOptionValuesExitTwoWithOneLineNamingTheOption(string[] options, string message)
    {
        var run = Cli.Run(["run", .. options]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(message, Assert.Single(run.StderrLines));
    }

    [Fact]
    public void AnOptionWithoutItsValueExitsTwo()
    {
        var run = Cli.Run("run", "--memory");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--memory", Assert.Single(run.StderrLines));
    }

    [Fact]
    public void FixesOverrideTheVariantsSet()
    {
        var run = Cli.Run("run", "--memory", "2G", "--variant", "before", "--fixes", "8ae3a5a8dff,574977a2edd", "--json");

        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Empty(doc.RootElement.GetProperty("hunks").EnumerateArray());
        Assert.Equal(["574977a2edd", "8ae3a5a8dff"], doc.RootElement.GetProperty("fixes").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("custom", doc.RootElement.GetProperty("variant").GetString());
    }

    [Fact]
    public void HunksAllOnBeforeIsTheSeed()
    {
        var run = Cli.Run("run", "--memory", "2G", "--variant", "before", "--hunks", "all", "--json");

        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("after", doc.RootElement.GetProperty("variant").GetString());
    }

    [Fact]
    public void AServerE820MapCompletes()
    {
        var path = Path.Combine(Cli.RepoRoot(), "config", "e820", "server-256g.dmesg");
        using var own = File.Exists(path) ? null : new TempFile(
            "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009bfff] usable\n" +
            "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x0000000065a4afff] usable\n" +
            "[    0.000000] BIOS-e820: [mem 0x000000006f800000-0x000000008fffffff] reserved\n" +
            "[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000407fffffff] usable\n");

        var run = Cli.Run("run", "--e820", own?.Path ?? path, "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("0x4080000000", doc.RootElement.GetProperty("end").GetString());
        Assert.Equal("ok", doc.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public void AScenarioFileThatDoesNotExistIsAUserError()
    {
        var run = Cli.Run("run", "machines/big.scenario");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("bootactors: machines/big.scenario: no such scenario file", Assert.Single(run.StderrLines));
    }

    [Fact]
    public void TheRootHelpDocumentsEveryExitCodeAndTheCommandsPointThere()
    {
        var root = Cli.Run("--help");
        var run = Cli.Run("run", "--help");

        Assert.Equal(0, root.ExitCode);
        Assert.Contains("Exit codes:", root.Stdout);
        foreach (var (code, meaning) in ExitCodes.Table)
        {
            Assert.Contains($"{code,3}  {meaning}", root.Stdout);
        }

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Exit codes: see 'bootactors --help'", run.Stdout);
        Assert.Contains("--e820 <FILE>", run.Stdout);
        Assert.Contains("--timeout <T>", run.Stdout);
        Assert.Contains("--max-deliveries <N>", run.Stdout);
    }
}
