namespace BootActors.Actors.Tests.Scenarios;

/// <summary>Every way a scenario file is refused: the message names the file, the line when there is one, the key and the reason.</summary>
public sealed class ScenarioValidationTests
{
    private const string Workload = """
        cpus = 2
        memory = 4G
        variant = fixed
        workload = [
          { cpu = 1, hotadd { start = 4G, size = 1G } }
          { concurrent = [
              { cpu = 0, touch { addr = 0, count = 2 } }
              { cpu = 1, hotremove { start = 4G, size = 1G } }
            ]
          }
        ]
        """;

    [Fact]
    public void AnUnknownTopLevelKeyIsRefusedWithItsLine()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal + "\nram = 4G\n");

        Assert.StartsWith("bad.hocon:5: ram: unknown key (a scenario has these keys: cpus, memory, e820,", ex.Message);
        Assert.Equal("bad.hocon", ex.FileName);
        Assert.Equal(5, ex.Line);
        Assert.Equal("ram", ex.Key);
    }

    [Fact]
    public void AnUnknownKeyInsideAWorkloadItemIsRefused()
    {
        var ex = ScenarioText.Refused(Workload.Replace("{ cpu = 1, hotadd", "{ cpu = 1, node = 0, hotadd"));

        Assert.Equal("bad.hocon:5: workload[0].node: unknown key (a workload step has cpu and one of hotadd, hotremove, touch; or only concurrent: cpu, hotadd, hotremove, touch)", ex.Message);
    }

    [Fact]
    public void AnUnknownKeyInsideAnEventOfAConcurrentStepIsRefused()
    {
        var ex = ScenarioText.Refused(Workload.Replace("count = 2", "count = 2, size = 4K"));

        Assert.Equal("bad.hocon:7: workload[1].concurrent[0].touch.size: unknown key (touch has addr and optionally count and stride: addr, count, stride)", ex.Message);
    }

    [Fact]
    public void AnUnknownKeyInExpectIsRefused()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal + "\nexpect { outcome = ok, kind = panic }\n");

        Assert.StartsWith("bad.hocon:5: expect.kind: unknown key", ex.Message);
    }

    [Theory]
    [InlineData("pse = maybe", "bad.hocon:5: pse: 'maybe' is not a switch value (expected on or off)")]
    [InlineData("variant = fixd", "bad.hocon:5: variant: 'fixd' is not a variant (expected before, after or fixed)")]
    [InlineData("flush = remote", "bad.hocon:5: flush: 'remote' is not a valid value (expected local or global)")]
    [InlineData("alloc_order = topdown", "bad.hocon:5: alloc_order: 'topdown' is not a valid value (expected bottom-up or top-down)")]
    [InlineData("pte_grain = pte", "bad.hocon:5: pte_grain: 'pte' is not a valid value (expected page or entry)")]
    [InlineData("kernel_size = 0", "bad.hocon:5: kernel_size: '0' is not a size: the size must be positive")]
    [InlineData("cpus = two", "bad.hocon:5: cpus: 'two' is not a CPU count (expected a whole number from 1)")]
    [InlineData("cpus = 0", "bad.hocon:5: cpus: '0' is not a CPU count (expected a whole number from 1)")]
    [InlineData("cpus = 4097", "bad.hocon:5: cpus: 4097 is not a CPU count: expected 1 to 4096 (NR_CPUS's largest value in 2.6.27, with MAXSMP)")]
    [InlineData("kernel_size = 0xffffffffffffffff", "bad.hocon:5: kernel_size: a kernel image of 16777216 TiB does not fit KERNEL_IMAGE_SIZE (512 MiB, all that level2_kernel_pgt maps; include/asm-x86/page_64.h)")]
    [InlineData("cpus = [1, 2]", "bad.hocon:5: cpus: expected a single value, found a list [ ... ]")]
    [InlineData("workload { cpu = 1 }", "bad.hocon:5: workload: expected a list of steps [ ... ], found an object { ... }")]
    [InlineData("expect { outcome = fine }", "bad.hocon:5: expect.outcome: 'fine' is not an outcome (expected ok, panic, rejected, violation)")]
    [InlineData("expect { outcome = ok, error = panic }", "bad.hocon:5: expect.error: panic ends a run with outcome panic, not ok")]
    [InlineData("expect = ok", "bad.hocon:5: expect: expected an object { ... }, found 'ok'")]
    public void ABadValueIsRefusedNamingTheKeyAndTheValidValues(string line, string message)
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal + "\n" + line + "\n");

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void AnUnknownHunkIsRefusedWithTheModelsListOfHunks()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal + "\nhunks = \"nonpse_fallback,preserve\"\n");

        Assert.StartsWith("bad.hocon:5: hunks: unknown hunk 'preserve' (expected nonpse_fallback, unmap_before_populate,", ex.Message);
    }

    [Fact]
    public void AnUnknownFixIsRefused()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal + "\nfixes = [deadbeef00]\n");

        Assert.StartsWith("bad.hocon:5: fixes: unknown fix 'deadbeef00'", ex.Message);
    }

    [Theory]
    [InlineData("start = 4G, size = 1X", "workload[0].hotadd.size: '1X' is not a size: expected a number of bytes with an optional K, M, G or T suffix")]
    [InlineData("start = 4G, size = 0", "workload[0].hotadd.size: '0' is not a size: the size must be positive")]
    [InlineData("start = -1, size = 1G", "workload[0].hotadd.start: '-1' is not an address")]
    [InlineData("start = 0xffffffffffffffff, size = 1G", "workload[0].hotadd.start: [0xffffffffffffffff, beyond 2^64) reaches 0x3f0000000000 (63 TiB)")]
    [InlineData("start = 62T, size = 2T", "workload[0].hotadd.size: [0x3e0000000000, 0x400000000000) reaches 0x3f0000000000 (63 TiB)")]
    public void ABadRangeIsRefused(string range, string message)
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal.Replace("workload = []", $"workload = [\n  {{ cpu = 1, hotadd {{ {range} }} }}\n]"));

        Assert.StartsWith("bad.hocon:5: " + message, ex.Message);
    }

    [Theory]
    [InlineData("cpus = 2\n", "cpus")]
    [InlineData("variant = fixed\n", "variant")]
    [InlineData("workload = []\n", "workload")]
    public void AMissingRequiredKeyIsRefused(string line, string key)
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal.Replace(line.TrimEnd('\n'), ""));

        Assert.StartsWith($"bad.hocon: {key}: missing (", ex.Message);
        Assert.Null(ex.Line);
    }

    [Fact]
    public void NeitherMemoryNorE820IsRefused()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal.Replace("memory = 4G", ""));

        Assert.Equal("bad.hocon: memory: missing: give memory = SIZE (one usable e820 entry [0, SIZE)) or e820 = FILE (a kernel log's e820 lines)", ex.Message);
    }

    [Fact]
    public void MemoryAndE820TogetherAreRefused()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal + "\ne820 = \"../e820/server-64g.dmesg\"\n");

        Assert.Equal("bad.hocon:5: e820: memory and e820 are mutually exclusive: give the RAM size or an e820 file, not both", ex.Message);
    }

    [Fact]
    public void AMissingE820FileIsRefusedWithTheParsersMessage()
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal.Replace("memory = 4G", "e820 = \"nowhere.dmesg\""));

        Assert.StartsWith("bad.hocon:2: e820: ", ex.Message);
        Assert.EndsWith("nowhere.dmesg: no such e820 file", ex.Message);
    }

    [Fact]
    public void ACpuNumberOutOfRangeIsRefused()
    {
        var ex = ScenarioText.Refused(Workload.Replace("{ cpu = 1, hotremove", "{ cpu = 2, hotremove"));

        Assert.Equal("bad.hocon:8: workload[1].concurrent[1].cpu: CPU2 does not exist: the machine has 2 CPU(s) (CPU0-CPU1)", ex.Message);
    }

    [Theory]
    [InlineData("{ cpu = 1 }", "workload[0]: missing the event: give one of hotadd { ... }, hotremove { ... }, touch { ... }")]
    [InlineData("{ hotadd { start = 4G, size = 1G } }", "workload[0].cpu: missing (the CPU that runs this event)")]
    [InlineData("{ cpu = 1, hotadd = { start = 4G, size = 1G }, touch { addr = 0 } }", "workload[0].touch: one event per item: found both hotadd and touch")]
    [InlineData("{ cpu = 1, touch { count = 2 } }", "workload[0].touch.addr: missing (the physical address to read)")]
    [InlineData("{ cpu = 1, concurrent = [] }", "workload[0].cpu: unknown key (a concurrent step has only the key concurrent: concurrent)")]
    [InlineData("{ concurrent = [] }", "workload[0].concurrent: empty: a concurrent step needs at least one event")]
    [InlineData("{ concurrent = [ { concurrent = [] } ] }", "workload[0].concurrent[0].concurrent: concurrent steps cannot nest")]
    [InlineData("4G", "workload[0]: expected an object { ... }, found '4G'")]
    public void AMalformedWorkloadItemIsRefused(string item, string message)
    {
        var ex = ScenarioText.Refused(ScenarioText.Minimal.Replace("workload = []", $"workload = [\n  {item}\n]"));

        Assert.StartsWith("bad.hocon:5: " + message, ex.Message);
    }

    [Theory]
    [InlineData("cpus = 2\nexpect {\n  outcome = ok\n", 2, "expect: this '{' is never closed (the file ends first)")]
    [InlineData("cpus = 2\nworkload = [\n  { cpu = 1 }\n", 2, "workload: this '[' is never closed (the file ends first)")]
    [InlineData("cpus = 2\nexpect { outcome = ok ]\n", 2, "unexpected ']': the '{' of line 2 is still open")]
    [InlineData("cpus = 2\nvariant = \"fixed\n", 2, "unterminated string: the '\"' opened on this line is never closed on it")]
    [InlineData("cpus = 2 }\n", 1, "unexpected '}': nothing is open here")]
    [InlineData("cpus =\nmemory = 4G\n", 1, "cpus: has no value")]
    [InlineData("cpus\n", 1, "cpus: has no value (expected '=', ':' or '{' after the key)")]
    [InlineData("hunks = nonpse_fallback,preserve_existing\n", 1, "preserve_existing: has no value (expected '=', ':' or '{' after the key)")]
    [InlineData("memory = 8G+512M\n", 1, "memory: '+' cannot appear in an unquoted value (quote the value)")]
    [InlineData("workload = [ { cpu = 1 } { cpu = 2 } ]\n", 1, "workload[0]: unexpected '{' after the element (put a ',' or a new line between elements)")]
    [InlineData("workload = [ 1,, 2 ]\n", 1, "workload: an empty list element (two ',' in a row, or a ',' right after '[')")]
    [InlineData("cpus = ${n}\n", 1, "cpus: substitutions (${...}) are not supported in scenario files")]
    [InlineData("include \"other.hocon\"\n", 1, "include is not supported in scenario files")]
    [InlineData("cpus = 2\n\n  = 3\n", 3, "expected a key, found '='")]
    [InlineData("cpus = 2\nexpect { outcome { x = 1 }, error = panic }\n", 2,
        "HOCON syntax (Akka's parser): Unknown token — Akka's parser takes no ',' after 'key { ... }': write 'key = { ... },' or end the entry with a new line")]
    public void AHoconSyntaxErrorIsRefusedWithItsLine(string text, int line, string reason)
    {
        var ex = ScenarioText.Refused(text);

        Assert.Equal($"bad.hocon:{line}: {reason}", ex.Message);
        Assert.Equal(line, ex.Line);
    }
}
