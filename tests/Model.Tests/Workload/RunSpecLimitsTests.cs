using System.Text.Json.Nodes;
using BootActors.Model.E820;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using Xunit;

namespace BootActors.Model.Tests.Workload;

/// <summary>The one check of a run spec: what it refuses, and the field it names.</summary>
public sealed class RunSpecLimitsTests
{
    private const ulong GiB = 1UL << 30;

    private static MachineConfig Machine(ulong memory = 8 * GiB, int cpus = 2) => new() { E820 = E820Map.FromMemorySize(memory), Cpus = cpus };

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(4097)]
    [InlineData(int.MaxValue)]
    public void ACpuCountOutsideNrCpusIsRefused(int cpus)
    {
        var p = RunSpecLimits.Check(Machine(cpus: cpus), WorkloadPlan.BootOnly);

        Assert.Equal("cpus", p?.Key);
        Assert.StartsWith($"{cpus} is not a CPU count: expected 1 to 4096", p!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLargestMachineThatFitsIsAccepted()
    {
        Assert.Null(RunSpecLimits.Check(Machine((63UL << 40) - 4096, 4096) with { KernelSize = RunSpecLimits.KernelImageSize }, WorkloadPlan.BootOnly));
    }

    [Theory]
    [InlineData(0UL, "the kernel image size must be positive")]
    [InlineData(ulong.MaxValue, "a kernel image of 16777216 TiB does not fit KERNEL_IMAGE_SIZE (512 MiB")]
    [InlineData((512UL << 20) + 1, "a kernel image of 512 MiB does not fit KERNEL_IMAGE_SIZE")]
    public void AKernelImageOfNoSizeOrBeyondKernelImageSizeIsRefused(ulong size, string reason)
    {
        var p = RunSpecLimits.Check(Machine() with { KernelSize = size }, WorkloadPlan.BootOnly);

        Assert.Equal("kernel_size", p?.Key);
        Assert.StartsWith(reason, p!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AKernelImageOutsideUsableRamIsRefused()
    {
        var p = RunSpecLimits.Check(Machine(4UL << 20), WorkloadPlan.BootOnly);

        Assert.Equal("the kernel image [0x200000, 0xa00000) (8 MiB at CONFIG_PHYSICAL_START) is not inside one usable e820 range: the machine could not have loaded it", p?.Reason);
    }

    [Fact]
    public void RamAtOrAboveTheModelsDynamicPagesIsRefused()
    {
        var p = RunSpecLimits.Check(Machine(63UL << 40), WorkloadPlan.BootOnly);

        Assert.Equal("memory", p?.Key);
        Assert.Contains("so RAM must end below that", p!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnE820MapWithMoreEntriesThanTheKernelHoldsIsRefused()
    {
        var entries = Enumerable.Range(0, 2000).Select(i => new E820Entry((ulong)i * 2 * 4096, (ulong)i * 2 * 4096 + 4096, E820Type.Ram));
        var p = RunSpecLimits.Check(Machine() with { E820 = E820Map.FromEntries(entries) }, WorkloadPlan.BootOnly);

        Assert.Equal("the e820 map has 2000 entries after sanitize_e820_map; the kernel's table holds at most 1664 (E820_X_MAX)", p?.Reason);
    }

    [Fact]
    public void WorkloadProblemsNameTheStepTheEventAndTheField()
    {
        var plan = new WorkloadPlan([
            new WorkloadStep([new HotAdd(1, 8 * GiB, GiB)], false),
            new WorkloadStep([new Touch(0, 0), new HotRemove(1, 0x3e0000000000, 2UL << 40)], true),
        ]);

        var p = RunSpecLimits.Check(Machine(), plan)!;

        Assert.Equal(("workload", 1, 1, "size", "hotremove"), (p.Key, p.Step, p.Event, p.Field, p.EventKind));
        Assert.Equal("[0x3e0000000000, 0x400000000000) reaches 0x3f0000000000 (63 TiB), where this model numbers get_zeroed_page's pages; keep workloads below it", p.Reason);
    }

    [Theory]
    [InlineData(5, "cpu", "CPU5 does not exist: the machine has 2 CPU(s) (CPU0-CPU1)")]
    [InlineData(-1, "cpu", "CPU-1 does not exist: the machine has 2 CPU(s) (CPU0-CPU1)")]
    public void AnEventOnACpuTheMachineLacksIsRefused(int cpu, string field, string reason)
    {
        var p = RunSpecLimits.Check(Machine(), WorkloadPlan.Sequence(new Touch(cpu, 0)))!;

        Assert.Equal((field, reason), (p.Field, p.Reason));
    }

    [Fact]
    public void ATouchOfNoPagesOrWithoutAStrideIsRefused()
    {
        Assert.Equal("count", RunSpecLimits.Check(Machine(), WorkloadPlan.Sequence(new Touch(0, 0, 0)))?.Field);
        Assert.Equal("stride", RunSpecLimits.Check(Machine(), WorkloadPlan.Sequence(new Touch(0, 0, 2, 0)))?.Field);
        Assert.Equal("count", RunSpecLimits.Check(Machine(), WorkloadPlan.Sequence(new Touch(0, 0, int.MaxValue, 1UL << 40)))?.Field);
    }

    [Fact]
    public void PageTablesThatCannotFitTheHostAreRefusedAndOnesThatCanAreNot()
    {
        var noPse = Machine(60UL << 40) with { Pse = false };

        var p = RunSpecLimits.Check(noPse, WorkloadPlan.BootOnly, hostMemory: 4 * GiB);

        Assert.Equal("memory", p?.Key);
        Assert.Equal("mapping 60 TiB of RAM with 4 KiB pages (no PSE) takes up to 31,518,840 page-table pages (7.51 GiB), more than the 3 GiB this model may use on this host", p!.Reason);
        Assert.Null(RunSpecLimits.Check(noPse, WorkloadPlan.BootOnly, hostMemory: 16 * GiB));
        Assert.Null(RunSpecLimits.Check(Machine(60UL << 40), WorkloadPlan.BootOnly, hostMemory: 4 * GiB));
        // 12 TiB under 2 GiB: 1.503 GiB of tables against 1.5 GiB, which would both read "1.5 GiB".
        Assert.Equal("mapping 12 TiB of RAM with 4 KiB pages (no PSE) takes up to 6,303,768 page-table pages (1,539 MiB), more than the 1,536 MiB this model may use on this host",
            RunSpecLimits.Check(Machine(12UL << 40) with { Pse = false }, WorkloadPlan.BootOnly, hostMemory: 2 * GiB)?.Reason);
        Assert.EndsWith("(1,613,764,608 bytes), more than the 1,613,760,513 bytes this model may use on this host",
            RunSpecLimits.Check(Machine(12UL << 40) with { Pse = false }, WorkloadPlan.BootOnly, hostMemory: 2_151_680_684)?.Reason);
        // Held as 4 KiB pages the same tables would need 120 GiB.
        Assert.Equal("memory", RunSpecLimits.Check(noPse with { FlatTablePages = true }, WorkloadPlan.BootOnly, hostMemory: 16 * GiB)?.Key);
    }

    [Fact]
    public void ABootThatFoldsCountsItsPtePagesAsRunsButOnlyNatively()
    {
        var noPse = Machine(60UL << 40) with { Pse = false };

        // Unwatched, 60 TiB's 31.5 million PTE pages are runs: about 520 MB, under 1 GiB's 768 MiB.
        Assert.Null(RunSpecLimits.Check(noPse, WorkloadPlan.BootOnly, hostMemory: GiB, bootFolds: true));
        Assert.Null(RunSpecLimits.Check(Machine(12UL << 40) with { Pse = false }, WorkloadPlan.BootOnly, hostMemory: 2 * GiB, bootFolds: true));
        Assert.Equal("mapping 60 TiB of RAM with 4 KiB pages (no PSE) takes up to 31,518,840 page-table pages (495.03 MiB), more than the 384 MiB this model may use on this host",
            RunSpecLimits.Check(noPse, WorkloadPlan.BootOnly, hostMemory: GiB / 2, bootFolds: true)?.Reason);

        // Hot-added PTE pages come from get_zeroed_page one by one: 8 TiB of them do not fit 1 GiB.
        var hotAdd = WorkloadPlan.Sequence(new HotAdd(0, 8UL << 40, 8UL << 40));
        Assert.Contains("page-table pages", RunSpecLimits.Check(Machine(8UL << 40) with { Pse = false }, hotAdd, hostMemory: GiB, bootFolds: true)?.Reason);

        // A Xen guest's PTE pages are written as they go (update_va_mapping), flat pages are 4 KiB each.
        var xen = Machine(4UL << 40) with { Xen = true };
        Assert.Null(RunSpecLimits.Check(xen, WorkloadPlan.BootOnly, hostMemory: GiB));
        Assert.Contains("page-table pages", RunSpecLimits.Check(xen, WorkloadPlan.BootOnly, hostMemory: GiB / 2, bootFolds: true)?.Reason);
        Assert.Contains("page-table pages", RunSpecLimits.Check(noPse with { FlatTablePages = true }, WorkloadPlan.BootOnly, hostMemory: 16 * GiB, bootFolds: true)?.Reason);
    }

    [Fact]
    public void ASpecFromJsonIsCheckedAndItsProblemNamedByJsonPath()
    {
        var spec = new RunSpec("x", Machine(), WorkloadPlan.Concurrently(new HotAdd(0, 8 * GiB, GiB), new HotAdd(7, 9 * GiB, GiB)));
        var json = spec.ToJson();

        var back = RunSpec.FromJson(json);

        Assert.Equal("spec.workload[0].events[1].cpu: CPU7 does not exist: the machine has 2 CPU(s) (CPU0-CPU1)", back.Problem(null));
    }

    [Theory]
    [InlineData("cpus", "\"2\"", "spec.cpus: expected an integer, found the string \"2\"")]
    [InlineData("cpus", "2.5", "spec.cpus: expected an integer, found the number 2.5")]
    [InlineData("kernel_size", "\"8M\"", "spec.kernel_size: \"8M\" is not a 0x-prefixed hex number of at most 16 digits")]
    [InlineData("e820", "[[\"0x0\", \"0x1000\"]]", "spec.e820[0]: expected [\"0xSTART\", \"0xEND\", type], found 2 value(s)")]
    [InlineData("e820", "[[\"0x2000\", \"0x1000\", 1]]", "spec.e820[0]: the entry ends (0x1000) below its start (0x2000)")]
    [InlineData("pse", "null", "spec.pse: expected a value, found null")]
    [InlineData("flush", "\"sometimes\"", "spec.flush: \"sometimes\" is not local or global")]
    [InlineData("hunks", "[\"everything\"]", "spec.hunks: unknown hunk 'everything'")]
    [InlineData("workload", "[{\"concurrent\": false, \"events\": [{\"cpu\": 0}]}]", "spec.workload[0].events[0]: expected exactly one of hotadd, hotremove, touch, found none")]
    public void AMalformedSpecFieldIsNamedByItsJsonPath(string key, string value, string message)
    {
        var json = new RunSpec("x", Machine(), WorkloadPlan.BootOnly).ToJson();
        json[key] = JsonNode.Parse(value);

        var ex = Assert.Throws<FormatException>(() => RunSpec.FromJson(json));

        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }
}
