using BootActors.Cli.Output;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Cli.Tests;

public sealed class KernelPageTablesDumpTests
{
    [Fact]
    public void TheFixedKernelOnFourGibibytesShowsHeadSixtyFoursGibibyteApartFromTheKernels()
    {
        // level2_ident_pgt's entries are head_64.S's __PAGE_KERNEL_LARGE_EXEC (0xe3: no GLB, no NX) and
        // the seed keeps them; the next three GiB are the kernel's PAGE_KERNEL_LARGE (GLB, NX). note_page
        // breaks on the protection change, then on each level change of the empty rest: the pud
        // entries of slot 272, then the empty pgd slots up to VMALLOC_START.
        var run = Cli.Run("run", "--memory", "4G", "--variant", "fixed", "--dump");

        Assert.Equal(0, run.ExitCode);
        var dump = run.StdoutLines.SkipWhile(l => l != "---[ Low Kernel Mapping ]---").ToArray();
        Assert.Equal(
            [
                "---[ Low Kernel Mapping ]---",
                "0xffff880000000000-0xffff880040000000           1G     RW         PSE     x  pmd",
                "0xffff880040000000-0xffff880100000000           3G     RW         PSE GLB NX pmd",
                "0xffff880100000000-0xffff888000000000         508G                           pud",
                "0xffff888000000000-0xffffc20000000000       58880G                           pgd",
            ],
            dump);
    }

    [Fact]
    public void AFoldedBootsPtePagesAreDumpedWithoutMakingThemAndAsATracedRunShowsThem()
    {
        // Without --trace a native boot holds its whole PTE pages as runs of pages; with it, page by page.
        var folded = BootActors.Model.Simulation.Run(
            new BootActors.Model.Machine.MachineConfig { E820 = BootActors.Model.E820.E820Map.FromMemorySize(64UL << 30), Pse = false },
            BootActors.Model.Workload.WorkloadPlan.BootOnly);
        var memory = folded.Machine.Memory;
        int HeldByRuns() => memory.TablePageHeaders.Count(h => h.Level == Level.Pte && memory.PteRunOf(h.Pfn) is not null);
        var held = HeldByRuns();

        var lines = KernelPageTablesDump.Lines(memory);

        Assert.True(held > 30_000, $"{held} PTE pages held by runs");
        Assert.Equal(held, HeldByRuns());
        using var scratch = new Scratch();
        var traced = Cli.Run("run", "--memory", "64G", "--pse", "off", "--dump", "--trace", scratch.PathOf("t.jsonl"));
        Assert.Equal(0, traced.ExitCode);
        Assert.Equal(traced.StdoutLines.SkipWhile(l => l != KernelPageTablesDump.LowKernelMarker).ToArray(), lines);
    }

    [Fact]
    public void TheSeedsParentRewritesTheFirstGibibyteSoOneLineCoversAllFour()
    {
        // Without preserve_existing the pgd entry is replaced by a fresh pud whose leaves are all PAGE_KERNEL_LARGE.
        var run = Cli.Run("run", "--memory", "4G", "--variant", "before", "--dump");

        Assert.Contains("0xffff880000000000-0xffff880100000000           4G     RW         PSE GLB NX pmd", run.StdoutLines);
    }

    [Fact]
    public void UnderJsonTheDumpIsAKeyOfTheOneObject()
    {
        var run = Cli.Run("run", "--memory", "4G", "--dump", "--json");

        using var doc = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var lines = doc.RootElement.GetProperty("kernel_page_tables").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal("---[ Low Kernel Mapping ]---", lines[0]);
        Assert.Equal(5, lines.Length);
    }

    [Fact]
    public void NotePageCoalescesEqualProtectionsAndBreaksOnLevelAndProtection()
    {
        var memory = new PhysicalMemory(new Pfn(0x1));
        memory.Zero(new Pfn(0x1), Level.Pgd, TablePageOrigin.Static);
        memory.Zero(new Pfn(0x2), Level.Pud, TablePageOrigin.Boot);
        memory.Zero(new Pfn(0x3), Level.Pmd, TablePageOrigin.Boot);
        memory.Zero(new Pfn(0x4), Level.Pte, TablePageOrigin.Boot);
        memory.Write(new Pfn(0x1), L4_PAGE_OFFSET, mk_table(new Pfn(0x2)));
        memory.Write(new Pfn(0x2), 0, mk_table(new Pfn(0x3)));
        memory.Write(new Pfn(0x3), 0, mk_table(new Pfn(0x4)));

        // Two PAGE_KERNEL ptes, then one with bit 7 (PAT at the pte level), then holes.
        memory.Write(new Pfn(0x4), 0, new PageTableEntry(0x100000 | PAGE_KERNEL));
        memory.Write(new Pfn(0x4), 1, new PageTableEntry(0x101000 | PAGE_KERNEL));
        memory.Write(new Pfn(0x4), 2, new PageTableEntry(0x102000 | PAGE_KERNEL | _PAGE_PSE));

        // A 2 MiB leaf, then one with every column on and RW and NX off.
        memory.Write(new Pfn(0x3), 1, new PageTableEntry(0x200000 | PAGE_KERNEL_LARGE));
        memory.Write(new Pfn(0x3), 2, new PageTableEntry(0x400000 | _PAGE_PRESENT | _PAGE_USER | _PAGE_PWT | _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL));

        // A non-present but non-empty pud entry is noted with its flags at the pud level.
        memory.Write(new Pfn(0x2), 1, new PageTableEntry(0x40000000 | _PAGE_RW));

        var lines = KernelPageTablesDump.Lines(memory);

        Assert.Equal(
            [
                "---[ Low Kernel Mapping ]---",
                "0xffff880000000000-0xffff880000002000           8K     RW             GLB NX pte",
                "0xffff880000002000-0xffff880000003000           4K     RW         pat GLB NX pte",
                "0xffff880000003000-0xffff880000200000        2036K                           pte",
                "0xffff880000200000-0xffff880000400000           2M     RW         PSE GLB NX pmd",
                "0xffff880000400000-0xffff880000600000           2M USR ro PWT PCD PSE GLB x  pmd",
                "0xffff880000600000-0xffff880040000000        1018M                           pmd",
                "0xffff880040000000-0xffff880080000000           1G     RW                 x  pud",
                "0xffff880080000000-0xffff888000000000         510G                           pud",
                "0xffff888000000000-0xffffc20000000000       58880G                           pgd",
            ],
            lines);
    }

    [Fact]
    public void AnEmptyPgdSlotIsOneHoleUpToVmallocInTheLargestWholeUnit()
    {
        var memory = new PhysicalMemory(new Pfn(0x1));
        memory.Zero(new Pfn(0x1), Level.Pgd, TablePageOrigin.Static);

        var lines = KernelPageTablesDump.Lines(memory);

        // 116 slots × 512 GiB = 58 TiB: the unit loop climbs while the count is a multiple of 1024.
        Assert.Equal(
            ["---[ Low Kernel Mapping ]---", "0xffff880000000000-0xffffc20000000000          58T                           pgd"],
            lines);
    }
}
