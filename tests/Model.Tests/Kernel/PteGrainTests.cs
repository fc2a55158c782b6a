using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Kernel;

/// <summary>
/// phys_pte_init as one step per PTE page (PteGrain.Page) or one read and one write step per
/// entry (PteGrain.Entry) is the same code: every summary, error messages included, must be
/// byte-identical. The cases cover every outcome the PTE level can take part in.
/// </summary>
public class PteGrainTests
{
    private const ulong Size = (3 * GiB) / 2;

    public static TheoryData<string> Cases => new()
    {
        "native pse before", "native pse after", "native pse fixed",
        "native nopse before", "native nopse after", "native nopse fixed",
        "native gbpages nopse fixed",
        "xen before", "xen after", "xen fixed",
        "xen without preserve_existing",
        "native nonpse_fallback alone",
        "xen after top-down 16G",
        "native nopse fixed hot-add",
        "xen fixed hot-add",
        "xen fixed unaligned hot-add",
        "xen after hot-add 512G",
        "xen after+8ae3a5a8dff hot-add 512G",
        "xen after+both hot-add 512G",
    };

    private static (MachineConfig Config, WorkloadEvent[] Events) Case(string name, PteGrain grain)
    {
        var addAt = 2 * GiB;
        return name switch
        {
            "native pse before" => (Flat(Size, KernelVariant.Before, grain: grain), []),
            "native pse after" => (Flat(Size, KernelVariant.After, grain: grain), []),
            "native pse fixed" => (Flat(Size, KernelVariant.Fixed, grain: grain), []),
            "native nopse before" => (Flat(Size, KernelVariant.Before, pse: false, grain: grain), []),
            "native nopse after" => (Flat(Size, KernelVariant.After, pse: false, grain: grain), []),
            "native nopse fixed" => (Flat(Size, KernelVariant.Fixed, pse: false, grain: grain), []),
            "native gbpages nopse fixed" => (Flat(Size, KernelVariant.Fixed, pse: false, gbpages: true, grain: grain), []),
            "xen before" => (Flat(Size, KernelVariant.Before, xen: true, grain: grain), []),
            "xen after" => (Flat(Size, KernelVariant.After, xen: true, grain: grain), []),
            "xen fixed" => (Flat(Size, KernelVariant.Fixed, xen: true, grain: grain), []),
            "xen without preserve_existing" => (Flat(Size, Variant(Hunks.All & ~Hunks.PreserveExisting), xen: true, grain: grain), []),
            "native nonpse_fallback alone" => (Flat(Size, Variant(Hunks.NonpseFallback), pse: false, grain: grain), []),
            "xen after top-down 16G" => (Flat(16 * GiB, KernelVariant.After, xen: true, order: AllocOrder.TopDown, grain: grain), []),
            "native nopse fixed hot-add" => (Flat(Size, KernelVariant.Fixed, pse: false, cpus: 2, grain: grain), [new HotAdd(1, addAt, 64 * MiB)]),
            "xen fixed hot-add" => (Flat(Size, KernelVariant.Fixed, xen: true, cpus: 2, grain: grain), [new HotAdd(1, addAt, 64 * MiB)]),
            "xen fixed unaligned hot-add" => (Flat(Size, KernelVariant.Fixed, xen: true, cpus: 2, grain: grain), [new HotAdd(1, Size + 0x2000, (4 * MiB) + 0x3000)]),
            "xen after hot-add 512G" => (Flat(Size, KernelVariant.After, xen: true, cpus: 2, grain: grain), [new HotAdd(1, 512 * GiB, 64 * MiB)]),
            "xen after+8ae3a5a8dff hot-add 512G" => (Flat(Size, Variant(Hunks.All, Fixes.HotplugLocking), xen: true, cpus: 2, grain: grain), [new HotAdd(1, 512 * GiB, 64 * MiB)]),
            "xen after+both hot-add 512G" => (Flat(Size, Variant(Hunks.All, Fixes.HotplugLocking | Fixes.PopulatePgdAlways), xen: true, cpus: 2, grain: grain), [new HotAdd(1, 512 * GiB, 64 * MiB)]),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EntryAndPageGrainGiveIdenticalSummaries(string name)
    {
        var (page, pageEvents) = Case(name, PteGrain.Page);
        var (entry, entryEvents) = Case(name, PteGrain.Entry);
        var a = Run(page, pageEvents);
        var b = Run(entry, entryEvents);
        Assert.Equal(Json(a.Summary()), Json(b.Summary()));

        // The per-entry host really takes more steps: the grains differ in how, not in what.
        if (a.Machine.Allocator.HandedOut(BootActors.Model.Paging.Level.Pte) > 0)
        {
            Assert.True(b.Steps > a.Steps, $"{b.Steps} entry steps vs {a.Steps} page steps");
        }
    }

    [Fact]
    public void EntryAndPageGrainLeaveTheSameTablesBehind()
    {
        var a = Run(Flat(Size, KernelVariant.Fixed, xen: true, cpus: 2, grain: PteGrain.Page), new HotAdd(1, Size + 0x2000, 4 * MiB));
        var b = Run(Flat(Size, KernelVariant.Fixed, xen: true, cpus: 2, grain: PteGrain.Entry), new HotAdd(1, Size + 0x2000, 4 * MiB));
        var pa = Support.MachineState.Of(a.Machine);
        var pb = Support.MachineState.Of(b.Machine);
        Assert.Null(pa.FirstTableDifference(pb));
    }
}
