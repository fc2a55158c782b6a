using System.Globalization;
using BootActors.Actors.Host;
using BootActors.Actors.Tests.Host;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using CsCheck;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>
/// Host agreement over random machines and workloads: for any machine (size, e820 holes, PSE,
/// gbpages, Xen, hunks, fixes, allocation order, CPUs, the scenario knobs) and any workload of
/// hot-adds, hot-removes and touches run one event at a time (so the result is race-free), at page
/// and at entry grain, the controlled actor host with a random seed and the sequential interpreter
/// give the same summary, page tables, dmesg and full state — whatever the outcome, since a fatal
/// stop must leave both hosts' state alike (model-conventions item 17).
/// </summary>
public sealed class HostAgreementPropertyTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    private const ulong Page = 0x1000;
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    /// <summary>
    /// The cases each test runs. A page-grain case is a few thousand deliveries; an entry-grain case
    /// with 4 KiB pages is capped at 160 MiB (about 40,000 PTEs, 6 deliveries each under Xen), so the
    /// whole test stays well under a minute on a busy 2-core machine.
    /// </summary>
    private const int Cases = 24;

    public sealed record Case(MachineConfig Machine, string MapText, WorkloadEvent[] Events, long Seed)
    {
        public WorkloadPlan Plan => WorkloadPlan.Sequence(Events);

        public override string ToString()
        {
            var m = Machine;
            var events = Events.Length == 0 ? "boot only" : string.Join("; ", Events.Select(e => e.Describe()));
            return $"{MapText}; xen={m.Xen} pse={m.Pse} gbpages={m.Gbpages} {m.Variant} alloc={m.AllocOrder} grain={m.Grain} " +
                   $"cpus={m.Cpus} mutex={m.HotplugMutex} flush={m.RemoveFlush}; {events}; actor host seed {Seed}";
        }
    }

    // Mostly variants that boot (so that the workload runs), often any set of hunks and fixes.
    private static readonly Gen<KernelVariant> GenVariant = Gen.Frequency(
        (4, Gen.Const(KernelVariant.Fixed)),
        (2, Gen.Const(KernelVariant.After)),
        (1, Gen.Const(KernelVariant.Before)),
        (3, Gen.Select(Gen.Int[0, (int)Hunks.All], Gen.Int[0, (int)Fixes.All], (h, f) => new KernelVariant((Hunks)h, (Fixes)f))));

    // A gap before an e820 entry: none, some pages, or more than a gigabyte (whole pud entries with no RAM).
    private static readonly Gen<ulong> GenGap = Gen.Frequency(
        (3, Gen.Const(0UL)),
        (2, Gen.ULong[1, 2048].Select(p => p * Page)),
        (1, Gen.ULong[GiB / Page, 2 * GiB / Page].Select(p => p * Page)));

    /// <summary>A PC's map: RAM from 0 (below the EBDA, then from 1 MiB), then up to three more entries, RAM or reserved, with gaps.</summary>
    private static Gen<(E820Map Map, string Text)> GenNativeMap(ulong firstMax, ulong moreMax) =>
        Gen.Select(
            Gen.OneOf(Gen.Const(0UL), Gen.Const(0x9f000UL)),
            Gen.ULong[16 * MiB / Page, firstMax / Page],
            Gen.Select(GenGap, Gen.ULong[1, moreMax / Page], Gen.Frequency((3, Gen.Const(E820Type.Ram)), (1, Gen.Const(E820Type.Reserved))),
                (gap, pages, type) => (gap, pages * Page, type)).Array[0, 3],
            (low, firstPages, more) =>
            {
                var entries = new List<E820Entry>();
                var first = firstPages * Page;
                if (low == 0)
                {
                    entries.Add(new E820Entry(0, first, E820Type.Ram));
                }
                else
                {
                    entries.Add(new E820Entry(0, low, E820Type.Ram));
                    entries.Add(new E820Entry(0xe0000, 0x100000, E820Type.Reserved));
                    entries.Add(new E820Entry(0x100000, first, E820Type.Ram));
                }

                var cursor = first;
                foreach (var (gap, size, type) in more)
                {
                    entries.Add(new E820Entry(cursor + gap, cursor + gap + size, type));
                    cursor += gap + size;
                }

                return (E820Map.FromEntries(entries), string.Join(" ", entries.Select(e => $"[{Hex(e.Start)},{Hex(e.End)}){(int)e.Type}")));
            });

    /// <summary>A PV guest: xen_memory_setup's map of a domain of that size, or RAM from 0 with something else above it.</summary>
    private static Gen<(E820Map Map, string Text)> GenXenMap(ulong maxBytes) =>
        Gen.Select(Gen.ULong[64 * MiB / Page, maxBytes / Page], Gen.Bool, Gen.ULong[1, 4096],
            (pages, setup, reservedPages) =>
            {
                var bytes = pages * Page;
                return setup
                    ? (E820Map.FromMemorySize(bytes), $"--memory {Hex(bytes)}")
                    : (E820Map.FromEntries([new E820Entry(0, bytes, E820Type.Ram), new E820Entry(bytes, bytes + (reservedPages * Page), E820Type.Reserved)]),
                        $"[0,{Hex(bytes)})1 [{Hex(bytes)},{Hex(bytes + (reservedPages * Page))})2");
            });

    /// <summary>
    /// A machine. Where the map is made of 4 KiB pages (no PSE, or Xen) at entry grain, its RAM is at
    /// most 160 MiB (natively 112 MiB from 0 and up to three 16 MiB entries above holes); otherwise
    /// natively up to 2 GiB from 0 and three more entries of up to 1 GiB, under Xen up to 1 GiB.
    /// </summary>
    private static Gen<MachineConfig> GenMachine(PteGrain grain) =>
        Gen.Bool.SelectMany(xen => Gen.Bool.SelectMany(pse =>
        {
            var smallPages = xen || !pse;
            var cap = grain == PteGrain.Entry && smallPages ? 160 * MiB : xen ? GiB : 4 * GiB;
            var map = xen ? GenXenMap(cap) : cap < GiB ? GenNativeMap(112 * MiB, 16 * MiB) : GenNativeMap(2 * GiB, GiB);
            return Gen.Select(map, GenVariant, Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true))), Gen.Int[1, 4],
                Gen.Frequency((3, Gen.Const(AllocOrder.BottomUp)), (1, Gen.Const(AllocOrder.TopDown))),
                Gen.Bool, Gen.Bool,
                (m, variant, gbpages, cpus, order, mutex, localFlush) => new MachineConfig
                {
                    E820 = m.Map,
                    E820Origin = m.Text,
                    Xen = xen,
                    Pse = pse,
                    Gbpages = gbpages,
                    Variant = variant,
                    Cpus = cpus,
                    AllocOrder = order,
                    Grain = grain,
                    HotplugMutex = mutex,
                    RemoveFlush = localFlush ? FlushScope.Local : FlushScope.Global,
                });
        }));

    /// <summary>
    /// Up to four events, each on a random CPU: a hot-add at or near the end of RAM (or anywhere
    /// below it), a hot-remove of what was added (or of boot RAM), touches of any RAM. Sizes stay
    /// small where every page is a PTE at entry grain.
    /// </summary>
    private static Gen<WorkloadEvent[]> GenWorkload(MachineConfig m)
    {
        var end = m.E820.EndOfRamPfn() << PAGE_SHIFT;
        var smallPages = m.Grain == PteGrain.Entry && !m.EffectivePse;
        var sizes = smallPages ? Gen.OneOf(Gen.Const(2 * MiB), Gen.Const(4 * MiB), Gen.Const(Page * 16)) :
            Gen.OneOf(Gen.Const(2 * MiB), Gen.Const(16 * MiB), Gen.Const(128 * MiB), Gen.Const(GiB));
        var start = Gen.Frequency(
            (3, Gen.ULong[0, 8].Select(k => round_up(end, PMD_SIZE) + (k * PMD_SIZE))),
            (1, Gen.ULong[0, 4].Select(k => round_up(end, PUD_SIZE) + (k * PUD_SIZE))),
            (1, Gen.ULong[0, (end / Page) - 1].Select(p => p * Page)));
        var cpu = Gen.Int[0, m.Cpus - 1];
        var add = Gen.Select(cpu, start, sizes, (c, s, n) => (WorkloadEvent)new HotAdd(c, s, n));
        var remove = Gen.Select(cpu, start, sizes, (c, s, n) => (WorkloadEvent)new HotRemove(c, s, n));
        var touch = Gen.Select(cpu, Gen.ULong[0, (end / Page) - 1], Gen.Int[1, 8], Gen.OneOf(Gen.Const(Page), Gen.Const(PMD_SIZE)),
            (c, p, count, stride) => (WorkloadEvent)new Touch(c, p * Page, count, stride));
        return Gen.Frequency((3, add), (2, touch), (2, remove)).Array[0, 4].Select(events => RemoveWhatWasAdded(events));
    }

    /// <summary>Half the hot-removes take back the range of the hot-add before them, as memory offlining would.</summary>
    private static WorkloadEvent[] RemoveWhatWasAdded(WorkloadEvent[] events)
    {
        HotAdd? last = null;
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i] is HotAdd a)
            {
                last = a;
            }
            else if (events[i] is HotRemove r && last is not null && (r.Start / Page) % 2 == 0)
            {
                events[i] = new HotRemove(r.Cpu, last.Start, last.Size);
            }
        }

        return events;
    }

    private static Gen<Case> GenCase(PteGrain grain) =>
        GenMachine(grain).SelectMany(m => Gen.Select(GenWorkload(m), Gen.Long[0, 1_000_000],
            (events, seed) => new Case(m, m.E820Origin, events, seed)));

    [Fact]
    public void AtPageGrainBothHostsAgreeOnEveryRandomMachineAndWorkload() =>
        GenCase(PteGrain.Page).Sample(Agree, iter: Cases, threads: 1, print: c => c.ToString());

    [Fact]
    public void AtEntryGrainBothHostsAgreeOnEveryRandomMachineAndWorkload() =>
        GenCase(PteGrain.Entry).Sample(Agree, iter: Cases, threads: 1, print: c => c.ToString());

    private void Agree(Case c)
    {
        var sequential = Simulation.Run(c.Machine, c.Plan);
        var actors = fixture.Host.Run(c.Machine, c.Plan, Shipped.Options(seed: c.Seed) with { Timeout = TimeSpan.FromSeconds(60) }).Result;

        Assert.NotEqual(ErrorKind.Timeout, actors.Stop?.Fatal.Kind);
        Assert.Equal(HostAgreementTests.Json(sequential.Summary()), HostAgreementTests.Json(actors.Summary()));
        Assert.Equal(HostAgreementTests.Tables(sequential), HostAgreementTests.Tables(actors));
        Assert.Equal(sequential.Log, actors.Log);
        Assert.Equal(FullState.Of(sequential.Machine), FullState.Of(actors.Machine));
    }

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
