using BootActors.Model.Kernel;
using static BootActors.Model.Paging.X86;

namespace BootActors.Cli.Output;

/// <summary>
/// find_early_table_space's estimate split by level, in pages (arch/x86/mm/init_64.c at the seed):
/// one term per level, each rounded up to whole pages; PMDs unless direct_gbpages, PTEs only with
/// the table_space_ptes hunk and !cpu_has_pse. The model reserves the sum as
/// [table_start, table_top); the summary shows the split beside the pages actually used.
/// </summary>
internal readonly record struct TableEstimate(ulong Pud, ulong Pmd, ulong Pte)
{
    public ulong Total => Pud + Pmd + Pte;

    public static TableEstimate For(ulong end, bool directGbpages, bool cpuHasPse, KernelVariant variant)
    {
        var puds = (end + PUD_SIZE - 1) >> PUD_SHIFT;
        var pud = round_up(puds * 8, PAGE_SIZE) >> PAGE_SHIFT;
        ulong pmd = 0;
        if (!directGbpages)
        {
            var pmds = (end + PMD_SIZE - 1) >> PMD_SHIFT;
            pmd = round_up(pmds * 8, PAGE_SIZE) >> PAGE_SHIFT;
        }

        ulong pte = 0;
        if (variant.Has(Hunks.TableSpacePtes) && !cpuHasPse)
        {
            var ptes = (end + PAGE_SIZE - 1) >> PAGE_SHIFT;
            pte = round_up(ptes * 8, PAGE_SIZE) >> PAGE_SHIFT;
        }

        return new TableEstimate(pud, pmd, pte);
    }
}
