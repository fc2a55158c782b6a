using System.Text;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using BootActors.Model.Tests.Support;
using BootActors.Model.Workload;
using CsCheck;
using Xunit;
using static BootActors.Model.Paging.X86;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Properties;

/// <summary>
/// For random e820 maps, the `fixed` variant (a) boots with outcome ok, (b) leaves every
/// page-table page mapped in the linear map, (c) never replaces a present entry by a different
/// present one, and (d) maps every usable page below end and nothing it should not: nothing in
/// a 1 GiB region with no e820 entry, nothing past end rounded up to the page size the code
/// writes there (conventions item 23: a 2 MiB leaf whenever its start &lt; end, a 1 GiB leaf
/// likewise with gbpages, 4 KiB without PSE), beyond what head_64.S/Xen mapped and the boot kept.
/// </summary>
public class FixedBootPropertyTests
{
    /// <summary>A native case: the map and the paging switches.</summary>
    public sealed record NativeCase(E820Entry[] Entries, bool Pse, bool Gbpages)
    {
        public override string ToString() => Describe(Entries, $"pse={Pse} gbpages={Gbpages}");
    }

    /// <summary>A Xen case: one RAM range from 0 and non-RAM entries above it.</summary>
    public sealed record XenCase(E820Entry[] Entries)
    {
        public override string ToString() => Describe(Entries, "xen");
    }

    private const ulong Page = 0x1000;
    private const ulong Limit = 16 * GiB;

    // A gap before an entry: none, a few pages, or more than 1 GiB (so whole GiB regions have no entry).
    private static readonly Gen<ulong> GenGap = Gen.Frequency(
        (3, Gen.Const(0UL)),
        (2, Gen.ULong[1, 4096].Select(p => p * Page)),
        (2, Gen.ULong[GiB / Page, (5 * GiB / 2) / Page].Select(p => p * Page)));

    private static readonly Gen<ulong> GenSize = Gen.Frequency(
        (2, Gen.ULong[1, 256].Select(p => p * Page)),
        (3, Gen.ULong[MiB / Page, GiB / Page].Select(p => p * Page)),
        (1, Gen.ULong[GiB / Page, 4 * GiB / Page].Select(p => p * Page)),
        (1, Gen.ULong[1, 4].Select(g => g * GiB)));

    // Types 1–5, RAM more often; some entries start 1 KiB into a page (the kernel rounds RAM inward).
    private static readonly Gen<(ulong Gap, ulong Size, uint Type, bool Skew)> GenSegment =
        Gen.Select(GenGap, GenSize, Gen.Frequency((3, Gen.Const(1u)), (1, Gen.UInt[2, 5])), Gen.Int[0, 7].Select(i => i == 0),
            (gap, size, type, skew) => (gap, size, type, skew));

    private static readonly Gen<NativeCase> GenNative =
        Gen.Select(
            Gen.OneOf(0UL, 0x9f000UL, 0x9fc00UL, 0xa0000UL),
            Gen.Frequency((4, Gen.ULong[64 * MiB / Page, 2 * GiB / Page]), (1, Gen.ULong[1, 8].Select(g => g * GiB / Page))),
            GenSegment.Array[0, 8],
            Gen.Bool,
            Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true))),
            (low, firstPages, segments, pse, gbpages) =>
            {
                var entries = new List<E820Entry>();
                var first = firstPages * Page;
                if (low == 0)
                {
                    entries.Add(new E820Entry(0, first, E820Type.Ram));
                }
                else
                {
                    // A PC's low memory: RAM below the EBDA, the legacy hole reserved, RAM from 1 MiB.
                    entries.Add(new E820Entry(0, low, E820Type.Ram));
                    entries.Add(new E820Entry(0xe0000, 0x100000, E820Type.Reserved));
                    entries.Add(new E820Entry(0x100000, first, E820Type.Ram));
                }

                var cursor = first;
                foreach (var (gap, size, type, skew) in segments)
                {
                    var start = cursor + gap + (skew ? 0x400UL : 0);
                    if (start >= Limit)
                    {
                        break;
                    }

                    var end = Math.Min(start + size, Limit);
                    entries.Add(new E820Entry(start, end, type));
                    cursor = end;
                }

                return new NativeCase(entries.ToArray(), pse, gbpages);
            });

    private static readonly Gen<XenCase> GenXen =
        Gen.Select(
            Gen.ULong[64 * MiB / Page, 16 * GiB / Page],
            Gen.Select(GenGap, GenSize, Gen.UInt[2, 5], (gap, size, type) => (gap, size, type)).Array[0, 3],
            (ramPages, above) =>
            {
                var entries = new List<E820Entry> { new(0, ramPages * Page, E820Type.Ram) };
                var cursor = ramPages * Page;
                foreach (var (gap, size, type) in above)
                {
                    entries.Add(new E820Entry(cursor + gap, cursor + gap + size, type));
                    cursor += gap + size;
                }

                return new XenCase(entries.ToArray());
            });

    [Fact]
    public void FixedBootsEveryRandomNativeMapCleanly()
    {
        GenNative.Sample(c =>
        {
            var config = new MachineConfig
            {
                E820 = E820Map.FromEntries(c.Entries),
                Variant = KernelVariant.Fixed,
                Pse = c.Pse,
                Gbpages = c.Gbpages,
            };
            var machine = CheckBoot(config);
            CheckMapped(machine, Allowed(machine, c.Pse, c.Gbpages));
        }, iter: 200, print: c => c.ToString());
    }

    [Fact]
    public void FixedBootsEveryRandomXenMapCleanly()
    {
        GenXen.Sample(c =>
        {
            var config = new MachineConfig
            {
                E820 = E820Map.FromEntries(c.Entries),
                Variant = KernelVariant.Fixed,
                Xen = true,
            };
            var machine = CheckBoot(config);

            // No PSE and no holes below end (one RAM range): exactly [0, end); the Xen and
            // level1_ident_pgt entries past end are cleared by phys_pte_init at boot.
            CheckMapped(machine, [(0, machine.End)]);
        }, iter: 40, print: c => c.ToString());
    }

    [Fact]
    public void ThePropertiesCatchAnAfterBootThatBreaks()
    {
        // The checks must be able to fail: `after` natively stops at level2_ident_pgt[0].
        var config = new MachineConfig { E820 = E820Map.FromMemorySize(2 * GiB), Variant = KernelVariant.After };
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CheckBoot(config));
    }

    [Fact]
    public void TheOverwriteWatchSeesAParentPgdPopulateReplacingHeadsLink()
    {
        // `before` replaces pgd[272] (head_64.S's link to level3_ident_pgt) by its new pud:
        // present → different present. Not a violation by item 31 (nothing in use is lost),
        // but exactly what property (c) forbids for `fixed`; the watch must see it.
        var config = new MachineConfig { E820 = E820Map.FromMemorySize(2 * GiB), Variant = KernelVariant.Before };
        var replaced = Watch(config, out var run);
        Assert.Null(run.Stop);
        var (at, _, now) = Assert.Single(replaced);
        Assert.Equal((StaticTables.init_level4_pgt, Level.Pgd, L4_PAGE_OFFSET), (at.Table, at.Level, at.Index));
        Assert.Equal(new Pfn(0x8), now.Frame);
    }

    [Fact]
    public void TheMappedCheckCatchesAMapPastTheRoundedEnd()
    {
        // With PSE a 2 MiB leaf is written for every start below end: end 64 MiB + 4 KiB maps to
        // 66 MiB. A 4 KiB rounding (the no-PSE bound) must reject that.
        var config = new MachineConfig { E820 = E820Map.FromMemorySize((64 * MiB) + Page), Variant = KernelVariant.Fixed };
        var machine = CheckBoot(config);
        CheckMapped(machine, Allowed(machine, pse: true, gbpages: false));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CheckMapped(machine, [(0, machine.End)]));
    }

    /// <summary>(a), (b), (c): runs the boot with a watch on every entry write and returns the machine.</summary>
    private static BootActors.Model.Machine.Machine CheckBoot(MachineConfig config)
    {
        var replaced = Watch(config, out var run);
        var machine = run.Machine;

        // (a) outcome ok: no fatal step and the end-of-run monitors agree.
        Assert.True(run.Stop is null, $"{run.Stop?.Fatal.Kind.JsonName()}: {run.Stop?.Fatal.Message}");
        var end = Simulation.EndOfRunChecks(machine);
        Assert.True(end is null, $"{end?.Fatal.Kind.JsonName()}: {end?.Fatal.Message}");

        // (b) every page-table page is mapped in the linear map.
        foreach (var page in machine.Memory.TablePages)
        {
            Assert.True(machine.Mmu.IsLinearMapped(page.Pfn), $"table page {page.Pfn} ({page.Origin}, {page.Level.Name()}) is not mapped: {machine.Mmu.DescribeWalk(page.Pfn)}");
        }

        // (c) no present entry replaced by a different present one.
        Assert.True(replaced.Count == 0,
            string.Join("; ", replaced.Take(3).Select(r => $"{r.At}: {r.Old} → {r.New}")));
        return machine;
    }

    /// <summary>
    /// Boots with a pre-step hook that reads the entries a step is about to write, and a
    /// post-step hook that compares them with what the step left (OnStep runs after Apply).
    /// </summary>
    private static List<(EntryLocation At, PageTableEntry Old, PageTableEntry New)> Watch(MachineConfig config, out SteppedRun run)
    {
        var replaced = new List<(EntryLocation, PageTableEntry, PageTableEntry)>();
        PageTableEntry old = default;
        ulong[]? pteBefore = null;
        run = SteppedRun.Execute(config, WorkloadPlan.BootOnly,
            before: (m, e) =>
            {
                if (e.Kind is EffectKind.SetEntry or EffectKind.Populate)
                {
                    old = m.Memory.Read(e.Table, e.Index);
                }
                else if (e.Kind == EffectKind.PteInitLoop)
                {
                    pteBefore = (ulong[]?)m.Memory.Find(e.Table)?.Entries.Clone();
                }
            },
            after: (m, e, r) =>
            {
                if (r.IsFatal)
                {
                    return;
                }

                if (e.Kind is EffectKind.SetEntry or EffectKind.Populate)
                {
                    var now = m.Memory.Read(e.Table, e.Index);
                    if (old.Present && now.Present && old != now)
                    {
                        replaced.Add((e.Entry, old, now));
                    }
                }
                else if (e.Kind == EffectKind.PteInitLoop && pteBefore is not null)
                {
                    var entries = m.Memory.Page(e.Table).Entries;
                    for (var i = 0; i < PTRS_PER_PTE; i++)
                    {
                        var was = new PageTableEntry(pteBefore[i]);
                        var now = new PageTableEntry(entries[i]);
                        if (was.Present && now.Present && was != now)
                        {
                            replaced.Add((new EntryLocation(e.Table, Level.Pte, i), was, now));
                        }
                    }
                }
            },
            endOfRunChecks: false);
        return replaced;
    }

    /// <summary>
    /// Natively what init_memory_mapping(0, end) of `fixed` may leave mapped:
    /// pud[0] keeps head_64.S's 2 MiB leaves below end and clears the rest of level2_ident_pgt,
    /// so [0, min(1 GiB, round_up(end, 2 MiB))); each further GiB below end that some e820 entry
    /// (any type, e820_any_mapped) touches, up to round_up(end, G) with G = 1 GiB (gbpages),
    /// 2 MiB (PSE) or 4 KiB.
    /// </summary>
    private static List<(ulong Start, ulong End)> Allowed(BootActors.Model.Machine.Machine m, bool pse, bool gbpages)
    {
        var end = m.End;
        var grain = gbpages ? PUD_SIZE : pse ? PMD_SIZE : PAGE_SIZE;
        var allowed = new List<(ulong, ulong)> { (0, Math.Min(PUD_SIZE, round_up(end, PMD_SIZE))) };
        for (var g = PUD_SIZE; g < end; g += PUD_SIZE)
        {
            if (m.Globals.E820.AnyMapped(g, g + PUD_SIZE, 0))
            {
                allowed.Add((g, Math.Min(g + PUD_SIZE, round_up(end, grain))));
            }
        }

        return allowed;
    }

    /// <summary>(d): every usable page below end is mapped, and every mapped byte is allowed.</summary>
    private static void CheckMapped(BootActors.Model.Machine.Machine m, List<(ulong Start, ulong End)> allowed)
    {
        var mapped = Simulation.Mapped(m.Memory).Select(r => (r.Start, r.End)).ToList();
        foreach (var (s, e) in m.Globals.E820.RamRanges())
        {
            if (s < m.End && Uncovered(mapped, s, Math.Min(e, m.End)) is { } gap)
            {
                Assert.Fail($"usable page {Hex(gap)} (entry {Hex(s)}-{Hex(e)}) below end {Hex(m.End)} is not mapped");
            }
        }

        var merged = Merge(allowed);
        foreach (var (s, e) in mapped)
        {
            if (Uncovered(merged, s, e) is { } bad)
            {
                Assert.Fail($"{Hex(bad)} is mapped (range {Hex(s)}-{Hex(e)}) but lies outside {string.Join(", ", merged.Select(a => $"{Hex(a.Start)}-{Hex(a.End)}"))} (end {Hex(m.End)})");
            }
        }
    }

    private static List<(ulong Start, ulong End)> Merge(IEnumerable<(ulong Start, ulong End)> ranges)
    {
        var merged = new List<(ulong Start, ulong End)>();
        foreach (var r in ranges.Where(r => r.End > r.Start).OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && merged[^1].End >= r.Start)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, r.End));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    /// <summary>The first address of [start, end) that no range covers, or null.</summary>
    private static ulong? Uncovered(List<(ulong Start, ulong End)> sortedRanges, ulong start, ulong end)
    {
        var cursor = start;
        foreach (var (s, e) in sortedRanges)
        {
            if (e <= cursor)
            {
                continue;
            }

            if (s > cursor)
            {
                break;
            }

            cursor = e;
            if (cursor >= end)
            {
                return null;
            }
        }

        return cursor < end ? cursor : null;
    }

    private static string Describe(E820Entry[] entries, string switches)
    {
        var sb = new StringBuilder(switches);
        foreach (var e in entries)
        {
            sb.Append($" [{Hex(e.Start)}-{Hex(e.End)} {e.Type}]");
        }

        return sb.ToString();
    }
}
