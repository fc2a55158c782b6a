using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Kernel;

/// <summary>
/// arch/x86/mm/init_64.c at the seed's parent (4f9c11dd49fb^) and the seed (4f9c11dd49fb),
/// as step machines. Each hunk of the seed and each later fix is a switch (model-conventions
/// items 24–25); the code shape is the seed's, flaws included (item 23). A callee leaves its
/// return value in <see cref="CpuContext.Rax"/>, as the C code returns it in %rax.
/// </summary>
public sealed partial class KernelCode
{
    private readonly KernelGlobals g;

    public KernelCode(KernelGlobals globals) => g = globals;

    public KernelGlobals Globals => g;

    // init_level4_pgt: pgd_offset_k() points into it.
    public Pfn InitLevel4Pgt { get; init; } = StaticTables.init_level4_pgt;

    /// <summary>
    /// init_memory_mapping(start, end): the pgd loop. The seed has no separate
    /// kernel_physical_mapping_init yet (b50efd2a55fc split it out later).
    /// </summary>
    public IEnumerable<Effect> InitMemoryMapping(CpuContext cpu, ulong start, ulong end)
    {
        const KernelFn fn = KernelFn.init_memory_mapping;
        yield return Enter(fn);
        yield return Printk(fn, "init_memory_mapping");

        var boot = !g.after_bootmem;
        var last_map_addr = end;
        if (boot)
        {
            cpu.BootLastMapAddr = last_map_addr;
            yield return Effect.Call(InitGbpages());

            yield return Effect.Call(FindEarlyTableSpace(cpu, end));
        }

        start = __va(start);
        end = __va(end);

        ulong next;
        for (; start < end; start = next)
        {
            var pgdIndex = pgd_index(start);
            ulong pud_phys = 0;
            var pud_phys_set = false;
            Pfn pud;

            // 4f9c11dd49fb moved the computation of next up, before the pgd_val test;
            // e22146e610b (not modelled) later aligned it to PGDIR_MASK.
            next = start + PGDIR_SIZE;
            if (next > end)
            {
                next = end;
            }

            if (g.Has(Hunks.PreserveExisting))
            {
                yield return Read(fn, InitLevel4Pgt, Level.Pgd, pgdIndex);
                if (cpu.Rax != 0)
                {
                    // Passes __pa(end), not __pa(next): still so in v2.6.27.
                    yield return Effect.Call(PhysPudUpdate(cpu, InitLevel4Pgt, pgdIndex, __pa(start), __pa(end)));

                    last_map_addr = cpu.Rax;
                    if (boot)
                    {
                        cpu.BootLastMapAddr = last_map_addr;
                    }

                    continue;
                }
            }

            if (!boot && !g.Has(Fixes.HotplugLocking))
            {
                // pud = pud_offset(pgd, start & PGDIR_MASK): reaches the pud page through __va.
                yield return Read(fn, InitLevel4Pgt, Level.Pgd, pgdIndex);
                var pgdVal = new PageTableEntry(cpu.Rax);
                if (pgdVal.IsNone)
                {
                    yield return Fatal(fn, ErrorKind.WildWrite,
                        $"init_memory_mapping after bootmem: pud_offset() on empty pgd[{pgdIndex}] of init_level4_pgt " +
                        $"(va {Hex.Of(start & PGDIR_MASK)}) points at physical page 0; phys_pud_init would write into it " +
                        "(8ae3a5a8dff later allocates a fresh pud here)");
                    yield break;
                }

                yield return Reach(fn, pgdVal.Frame, $"pud_offset(pgd[{pgdIndex}])");
                pud = pgdVal.Frame;
            }
            else
            {
                yield return Effect.Call(AllocLowPage(cpu, Level.Pud));

                pud = new Pfn(cpu.Rax);
                pud_phys = pud.PhysAddr.Value;
                pud_phys_set = true;
            }

            yield return Effect.Call(PhysPudInit(cpu, pud, __pa(start), __pa(next)));

            last_map_addr = cpu.Rax;
            if (boot)
            {
                cpu.BootLastMapAddr = last_map_addr;
            }

            var populate = boot || g.Has(Fixes.PopulatePgdAlways);
            if (g.Has(Hunks.UnmapBeforePopulate))
            {
                yield return Effect.Call(UnmapLowPage(pud));
            }

            if (populate)
            {
                if (!pud_phys_set)
                {
                    yield return Fatal(fn, ErrorKind.WildWrite,
                        $"init_memory_mapping after bootmem: pgd_populate(pgd[{pgdIndex}], __va(pud_phys)) with pud_phys never " +
                        "initialised (574977a2edd populates unconditionally, but without 8ae3a5a8dff only the boot path " +
                        "allocates a pud and sets pud_phys)");
                    yield break;
                }

                var locked = g.Has(Fixes.HotplugLocking);
                if (locked)
                {
                    yield return Lock(fn);
                }

                yield return Populate(fn, InitLevel4Pgt, Level.Pgd, pgdIndex, new Pfn(pud_phys >> PAGE_SHIFT), start);
                if (locked)
                {
                    yield return Unlock(fn);
                }
            }

            if (!g.Has(Hunks.UnmapBeforePopulate))
            {
                yield return Effect.Call(UnmapLowPage(pud));
            }
        }

        // mmu_cr4_features = read_cr4() at boot: no effect on the tables.
        yield return new Effect(EffectKind.FlushTlbAll, fn);

        // reserve_early(table_start, table_end, "PGTABLE") and early_memtest follow at boot;
        // nothing later in the model searches the e820 map, so they change nothing here.
        cpu.Rax = last_map_addr >> PAGE_SHIFT;
        yield return Leave(fn);
    }

    /// <summary>init_gbpages: keeps direct_gbpages only with the CPU feature (model-conventions item 5).</summary>
    private IEnumerable<Effect> InitGbpages()
    {
        if (g.direct_gbpages)
        {
            yield return Printk(KernelFn.init_gbpages, "Using GB pages for direct mapping");
        }
    }

    /// <summary>find_early_table_space(end): the estimate, then find_e820_area from 0x8000.</summary>
    public IEnumerable<Effect> FindEarlyTableSpace(CpuContext cpu, ulong end)
    {
        const KernelFn fn = KernelFn.find_early_table_space;
        yield return Enter(fn);

        var tables = EarlyTableEstimate(end).Bytes;

        // RED-PEN in the source: page tables only on node 0. start = 0x8000.
        yield return new Effect(EffectKind.FindTableSpace, fn, value: tables, arg: end);
        var table_start = cpu.Rax;
        if (table_start == ulong.MaxValue)
        {
            yield return Fatal(fn, ErrorKind.Panic, "Cannot find space for the kernel page tables");
            yield break;
        }

        var table_top = table_start + (tables >> PAGE_SHIFT);
        yield return Printk(fn,
            $"kernel direct mapping tables up to {end:x} @ {table_start << PAGE_SHIFT:x}-{table_top << PAGE_SHIFT:x}");
        yield return Leave(fn);
    }

    /// <summary>
    /// find_early_table_space's estimate: one term per level, each rounded up to whole pages — PUDs;
    /// PMDs unless direct_gbpages; PTEs only with the seed's table_space_ptes hunk and !cpu_has_pse.
    /// </summary>
    public TableSpaceEstimate EarlyTableEstimate(ulong end)
    {
        var puds = (end + PUD_SIZE - 1) >> PUD_SHIFT;
        var pud = round_up(puds * 8, PAGE_SIZE);
        ulong pmd = 0;
        if (!g.direct_gbpages)
        {
            var pmds = (end + PMD_SIZE - 1) >> PMD_SHIFT;
            pmd = round_up(pmds * 8, PAGE_SIZE);
        }

        ulong pte = 0;
        if (g.Has(Hunks.TableSpacePtes) && !g.cpu_has_pse)
        {
            var ptes = (end + PAGE_SIZE - 1) >> PAGE_SHIFT;
            pte = round_up(ptes * 8, PAGE_SIZE);
        }

        return new TableSpaceEstimate(pud >> PAGE_SHIFT, pmd >> PAGE_SHIFT, pte >> PAGE_SHIFT);
    }

    /// <summary>arch_add_memory(nid, start, size) for x86-64 (the hot-add entry, after bootmem).</summary>
    public IEnumerable<Effect> ArchAddMemory(CpuContext cpu, ulong start, ulong size)
    {
        const KernelFn fn = KernelFn.arch_add_memory;
        yield return Enter(fn);
        yield return new Effect(EffectKind.AddMemoryRange, fn, value: start, arg: start + size);

        // 60817c9b31e removed the -1; before it the range end is start + size - 1.
        var end = g.Has(Fixes.AddMemoryNoMinusOne) ? start + size : start + size - 1;
        yield return Effect.Call(InitMemoryMapping(cpu, start, end));

        // max_pfn_mapped update and __add_pages: no page-table effect. The WARN_ON(1) that
        // fe8b868eccb9 removed fires on every add in this era.
        yield return Printk(fn, $"WARNING: at arch/x86/mm/init_64.c: arch_add_memory() (WARN_ON(1), start {Hex.Of(start)} size {Hex.Of(size)})");
        yield return Leave(fn);
    }
}

/// <summary>find_early_table_space's estimate by level, in pages.</summary>
public readonly record struct TableSpaceEstimate(ulong Pud, ulong Pmd, ulong Pte)
{
    public ulong Total => Pud + Pmd + Pte;

    /// <summary>The "tables" variable of find_early_table_space, in bytes.</summary>
    public ulong Bytes => Total << PAGE_SHIFT;
}
