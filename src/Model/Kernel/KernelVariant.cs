namespace BootActors.Model.Kernel;

/// <summary>The four independent hunks of the seed commit 4f9c11dd49fb (model-conventions item 24).</summary>
[Flags]
public enum Hunks
{
    None = 0,

    /// <summary>phys_pmd_init maps with a PTE page when !cpu_has_pse.</summary>
    NonpseFallback = 1,

    /// <summary>fill → unmap_low_page → p?d_populate instead of populate before fill.</summary>
    UnmapBeforePopulate = 2,

    /// <summary>Descend into existing pgd/pmd entries (phys_pud_update, phys_pte_update).</summary>
    PreserveExisting = 4,

    /// <summary>find_early_table_space counts PTE pages when !cpu_has_pse.</summary>
    TableSpacePtes = 8,

    All = NonpseFallback | UnmapBeforePopulate | PreserveExisting | TableSpacePtes,
}

/// <summary>The later fixes of this code (kernel-notes §4.1, model-conventions item 25).</summary>
[Flags]
public enum Fixes
{
    None = 0,

    /// <summary>22b45144f67: do not phys_pte_update a large pmd.</summary>
    LargePmdCheck = 1,

    /// <summary>574977a2edd: pgd_populate also after bootmem.</summary>
    PopulatePgdAlways = 2,

    /// <summary>8ae3a5a8dff: fresh pud after bootmem (pud_phys) and lock only around entry writes.</summary>
    HotplugLocking = 4,

    /// <summary>a06de63000b: count pre-existing level2_ident_pgt entries as DirectMap2M.</summary>
    DirectMapCount = 8,

    /// <summary>60817c9b31e: arch_add_memory passes start + size, not start + size - 1.</summary>
    AddMemoryNoMinusOne = 16,

    All = LargePmdCheck | PopulatePgdAlways | HotplugLocking | DirectMapCount | AddMemoryNoMinusOne,
}

/// <summary>A kernel variant: a set of hunks and fixes. Named ones are before/after/fixed.</summary>
public sealed record KernelVariant(Hunks Hunks, Fixes Fixes)
{
    public static readonly KernelVariant Before = new(Hunks.None, Fixes.None);
    public static readonly KernelVariant After = new(Hunks.All, Fixes.None);
    public static readonly KernelVariant Fixed = new(Hunks.All, Fixes.All);

    public static readonly IReadOnlyList<string> Names = ["before", "after", "fixed"];

    public bool Has(Hunks h) => (Hunks & h) == h;

    public bool Has(Fixes f) => (Fixes & f) == f;

    /// <summary>"before", "after", "fixed", or "custom" when the switches match none of them.</summary>
    public string Name =>
        this == Before ? "before" : this == After ? "after" : this == Fixed ? "fixed" : "custom";

    public static KernelVariant Named(string name) => name switch
    {
        "before" => Before,
        "after" => After,
        "fixed" => Fixed,
        _ => throw new ArgumentException($"unknown variant '{name}' (expected before, after or fixed)"),
    };

    public IReadOnlyList<string> HunkNames => KernelSwitches.HunkTable.Where(h => Has(h.Flag)).Select(h => h.Name).ToList();

    public IReadOnlyList<string> FixNames => KernelSwitches.FixTable.Where(f => Has(f.Flag)).Select(f => f.Commit).ToList();

    public override string ToString() =>
        $"{Name} (hunks: {(HunkNames.Count == 0 ? "none" : string.Join(",", HunkNames))}; fixes: {(FixNames.Count == 0 ? "none" : string.Join(",", FixNames))})";
}

public static class KernelSwitches
{
    public static readonly IReadOnlyList<(string Name, Hunks Flag)> HunkTable =
    [
        ("nonpse_fallback", Hunks.NonpseFallback),
        ("unmap_before_populate", Hunks.UnmapBeforePopulate),
        ("preserve_existing", Hunks.PreserveExisting),
        ("table_space_ptes", Hunks.TableSpacePtes),
    ];

    /// <summary>Fixes are named by their commit (11 hex digits, as kernel-notes cites them); an alias is accepted too.</summary>
    public static readonly IReadOnlyList<(string Commit, string Alias, Fixes Flag)> FixTable =
    [
        ("22b45144f67", "large_pmd_check", Fixes.LargePmdCheck),
        ("574977a2edd", "populate_pgd_always", Fixes.PopulatePgdAlways),
        ("8ae3a5a8dff", "hotplug_locking", Fixes.HotplugLocking),
        ("a06de63000b", "directmap_count", Fixes.DirectMapCount),
        ("60817c9b31e", "add_memory_size", Fixes.AddMemoryNoMinusOne),
    ];

    /// <summary>Parses a comma-separated hunk list; "none" is the empty set, "all" every hunk.</summary>
    /// <exception cref="ArgumentException">An unknown hunk, an empty list or item, or all/none beside other items.</exception>
    public static Hunks ParseHunks(string list)
    {
        var result = Hunks.None;
        foreach (var item in Split(list, "hunks"))
        {
            if (item == "all")
            {
                result |= Hunks.All;
                continue;
            }

            var match = HunkTable.FirstOrDefault(h => h.Name == item);
            if (match.Name is null)
            {
                throw new ArgumentException(
                    $"unknown hunk '{item}' (expected {string.Join(", ", HunkTable.Select(h => h.Name))}, all or none)");
            }

            result |= match.Flag;
        }

        return result;
    }

    /// <summary>Parses a comma-separated fix list by commit id (7+ hex digits) or alias; "none" or "all".</summary>
    /// <exception cref="ArgumentException">An unknown fix, an empty list or item, or all/none beside other items.</exception>
    public static Fixes ParseFixes(string list)
    {
        var result = Fixes.None;
        foreach (var item in Split(list, "fixes"))
        {
            if (item == "all")
            {
                result |= Fixes.All;
                continue;
            }

            var match = FixTable.FirstOrDefault(f =>
                f.Alias == item || (item.Length >= 7 && (f.Commit.StartsWith(item, StringComparison.Ordinal) || item.StartsWith(f.Commit, StringComparison.Ordinal))));
            if (match.Commit is null)
            {
                throw new ArgumentException(
                    $"unknown fix '{item}' (expected one of {string.Join(", ", FixTable.Select(f => $"{f.Commit} ({f.Alias})"))}, all or none)");
            }

            result |= match.Flag;
        }

        return result;
    }

    /// <summary>
    /// The items of a list as typed. An empty list or item is refused rather than read as "none": "--hunks ''"
    /// from a script whose variable was unset must not silently boot a kernel without the seed's hunks.
    /// </summary>
    private static IEnumerable<string> Split(string list, string plural)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (list.Trim().Length == 0)
        {
            throw new ArgumentException($"an empty list: name the {plural}, or all or none");
        }

        var items = list.Split(',', StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToList();
        if (items.Any(i => i.Length == 0))
        {
            throw new ArgumentException($"'{list}' has an empty item: separate the names by single commas");
        }

        if (items.Count > 1 && items.FirstOrDefault(i => i is "all" or "none") is { } whole)
        {
            throw new ArgumentException($"'{list}': {whole} is a whole list by itself, not an item beside others");
        }

        return items.Where(s => s != "none");
    }
}
