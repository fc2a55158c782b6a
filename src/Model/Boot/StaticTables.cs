using BootActors.Model.Paging;

namespace BootActors.Model;

/// <summary>
/// The static page-table pages inside the kernel image (arch/x86/kernel/head_64.S; the Xen
/// level1_ident_pgt array of arch/x86/xen/enlighten.c), at the fixed pfns of model-conventions item 12.
/// </summary>
public static class StaticTables
{
    public static readonly Pfn init_level4_pgt = new(0x201);
    public static readonly Pfn level3_ident_pgt = new(0x202);
    public static readonly Pfn level2_ident_pgt = new(0x203);

    /// <summary>level1_ident_pgt[0..3] (Xen only).</summary>
    public static readonly Pfn level1_ident_pgt = new(0x204);

    public const int Level1IdentPages = 4;

    /// <summary>CONFIG_PHYSICAL_START (model-conventions item 1).</summary>
    public const ulong PHYSICAL_START = 0x200000;

    public const ulong DefaultKernelSize = 8UL << 20;

    /// <summary>TRAMPOLINE_BASE (include/asm-x86/trampoline.h).</summary>
    public const ulong TRAMPOLINE_BASE = 0x6000;

    public static string? NameOf(Pfn pfn)
    {
        if (pfn == init_level4_pgt)
        {
            return "init_level4_pgt";
        }

        if (pfn == level3_ident_pgt)
        {
            return "level3_ident_pgt";
        }

        if (pfn == level2_ident_pgt)
        {
            return "level2_ident_pgt";
        }

        if (pfn >= level1_ident_pgt && pfn.Value < level1_ident_pgt.Value + Level1IdentPages)
        {
            return $"level1_ident_pgt[{pfn.Value - level1_ident_pgt.Value}]";
        }

        return null;
    }
}
