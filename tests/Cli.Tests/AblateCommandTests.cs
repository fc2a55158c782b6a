using System.Text.Json;

namespace BootActors.Cli.Tests;

/// <summary>
/// <c>bootactors ablate</c> on the flat 4 GiB machine (<c>--memory 4G</c>), over the seed's four hunks
/// with the seed's fixes (none), natively and under Xen. Every row below was derived from the model
/// conventions (model-conventions items 5, 6, 9–16, 24, 26–31; the buffers and the Xen layout are the
/// worked example's, tests/Model.Tests/Kernel/WorkedExample4GiBTests.cs) before the command was run.
/// Hunks: N = nonpse_fallback, U = unmap_before_populate, P = preserve_existing, T = table_space_ptes.
///
/// Common: end = 4 GiB. Without T the early table buffer is 5 pages [0x8, 0xd) (1 pud + 4 pmd);
/// with T and no PSE it is 2053 pages, natively [0xa00, 0x1205), under Xen [0x1210, 0x1a15) (past
/// the p2m list and the XEN PAGETABLES segment).
///
/// NATIVE (PSE on, so N and T change nothing, item 24; U only reorders steps, no native check
/// depends on an alias, item 26):
///   P off: a fresh pud 0x8, pud[0..3] each get a pmd page of 512 2 MiB leaves, pgd_populate over
///     head_64.S's link keeps every translation to RAM (item 31): ok.
///   P on: pgd[272] is present → phys_pud_update → pud[0] links level2_ident_pgt → phys_pmd_update
///     → phys_pmd_init finds pmd[0] a 2 MiB leaf and, without 22b45144f67, calls phys_pte_update
///     → data_frame_written_as_table [violation] (item 29) in
///     init_memory_mapping → phys_pud_update → phys_pud_init → phys_pmd_update → phys_pmd_init → phys_pte_update.
///
/// XEN (cpu_has_pse = 0, item 5). Initial map: level2_ident_pgt[0..13] link Xen's L1s 0x1206..0x120f
/// and level1_ident_pgt 0x204..0x207, so [0, 28 MiB) is mapped in 4 KiB pages; entries 14.. are empty.
///   P off, U off: alloc pud, alloc pmd, pud_populate before the fill while the pmd page still has
///     its early_ioremap alias → hypervisor_refused (item 26 step 2) in init_memory_mapping → phys_pud_init.
///     N and T do not get a say: the refusal comes before any leaf is written. (4 rows)
///   P off, U on, N off: phys_pmd_init writes 2 MiB leaves into the pmd page through its alias: the
///     page is not attached yet, so Xen takes the writes (item 26: "a PSE leaf included: it is refused
///     later"); the pud_populates go into the fresh pud, not yet linked (accepted); the final
///     pgd_populate makes them reachable and Xen refuses the PSE leaves below it (item 26 step 3,
///     item 28) → hypervisor_refused in init_memory_mapping. (2 rows, T either way)
///   P off, U on, N on, T off: PTE pages 0xa, 0xb, 0xc for pmd[0..2] of pmd page 0x9; the fourth
///     alloc_low_page finds pfn 0xd ≥ table_top → panic in
///     init_memory_mapping → phys_pud_init → phys_pmd_init → alloc_low_page.
///   P off, U on, N on, T on: all 2053 pages are used, every populate below the fresh pud is into a
///     table not yet linked; at pgd_populate Xen validates the new PTE pages, and the one for
///     [2 MiB, 4 MiB) maps init_level4_pgt (pfn 0x201) → hypervisor_refused in init_memory_mapping (item 28).
///   P on, N off: phys_pud_update → phys_pmd_init over level2_ident_pgt: entries 0..13 link full
///     pinned L1s (phys_pte_update writes nothing); entry 14 is empty and gets a 2 MiB leaf in a
///     table Xen has typed → hypervisor_refused in
///     init_memory_mapping → phys_pud_update → phys_pud_init → phys_pmd_update → phys_pmd_init. (4 rows, U and T either way)
///   P on, N on, T off: PTE pages for entries 14..18 take the 5-page buffer; entry 19's alloc_low_page
///     panics in … → phys_pmd_init → alloc_low_page. (2 rows, U either way)
///   P on, N on, T on, U off: level2_ident_pgt[14..511] get 498 PTE pages (mapping frames above
///     28 MiB, where no table page lies: accepted); pud[1] of level3_ident_pgt is empty: alloc pmd,
///     pud_populate into the reachable level3_ident_pgt while the pmd page has its alias →
///     hypervisor_refused in init_memory_mapping → phys_pud_update → phys_pud_init.
///   All four: the seed's boot (WorkedExample4GiBTests): ok.
/// </summary>
public class AblateCommandTests
{
    private const string PudInit = "init_memory_mapping → phys_pud_init";
    private const string PmdAlloc = "init_memory_mapping → phys_pud_init → phys_pmd_init → alloc_low_page";
    private const string UpdatePmdInit = "init_memory_mapping → phys_pud_update → phys_pud_init → phys_pmd_update → phys_pmd_init";
    private const string UpdatePteUpdate = UpdatePmdInit + " → phys_pte_update";
    private const string UpdatePmdAlloc = UpdatePmdInit + " → alloc_low_page";
    private const string UpdatePudInit = "init_memory_mapping → phys_pud_update → phys_pud_init";

    /// <summary>N U P T as 0/1 → outcome, error kind, call chain.</summary>
    public static TheoryData<string, string, string, string> NativeRows() => Rows(hunks => hunks[2] == '1'
        ? ("violation", "data_frame_written_as_table", UpdatePteUpdate)
        : ("ok", "", ""));

    public static TheoryData<string, string, string, string> XenRows() => Rows(hunks => hunks switch
    {
        "1111" => ("ok", "", ""),
        [_, '0', '0', _] => ("rejected", "hypervisor_refused", PudInit),
        ['1', '1', '0', '0'] => ("panic", "panic", PmdAlloc),
        ['1', '1', '0', '1'] => ("rejected", "hypervisor_refused", "init_memory_mapping"),
        ['0', _, '1', _] => ("rejected", "hypervisor_refused", UpdatePmdInit),
        ['1', _, '1', '0'] => ("panic", "panic", UpdatePmdAlloc),
        ['1', '0', '1', '1'] => ("rejected", "hypervisor_refused", UpdatePudInit),
        _ => ("", "", ""),
    }, except: XenRowsOfThePseLeafAtThePopulate);

    /// <summary>
    /// P off, U on, N off: the rows where the PSE leaves written into a page not yet attached are
    /// refused only at the pgd_populate that makes them reachable (model-conventions items 26/28 as
    /// revised), not at the write.
    /// </summary>
    public static readonly string[] XenRowsOfThePseLeafAtThePopulate = ["0100", "0101"];

    [Theory]
    [MemberData(nameof(NativeRows))]
    public void TheNativeFourGiBHunkTableHasTheDerivedRow(string hunks, string outcome, string kind, string chain) =>
        AssertRow(Table(native: true), hunks, outcome, kind, chain);

    [Theory]
    [MemberData(nameof(XenRows))]
    public void TheXenFourGiBHunkTableHasTheDerivedRow(string hunks, string outcome, string kind, string chain) =>
        AssertRow(Table(native: false), hunks, outcome, kind, chain);

    [Theory]
    [InlineData("0100")]
    [InlineData("0101")]
    public void UnderXenAPseLeafFilledThroughTheAliasIsRefusedAtThePgdPopulateThatLinksIt(string hunks)
    {
        Assert.Contains(hunks, XenRowsOfThePseLeafAtThePopulate);
        AssertRow(Table(native: false), hunks, "rejected", "hypervisor_refused", "init_memory_mapping");
    }

    [Fact]
    public void TheTablesHaveOneRowPerCombinationAndTheDerivedConclusions()
    {
        foreach (var native in new[] { true, false })
        {
            var run = Cli.Run(["ablate", "--memory", "4G", .. native ? Array.Empty<string>() : ["--xen"], "--json"]);
            Assert.Equal(0, run.ExitCode);
            using var doc = JsonDocument.Parse(run.Stdout);
            var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(16, rows.Count);
            Assert.Equal(16, rows.Select(r => Key(r)).Distinct().Count());
            Assert.All(rows, r => Assert.Empty(r.GetProperty("fixes").EnumerateArray()));
            Assert.Equal(
                native ? "The native kernel boots only without preserve_existing; the other three do not matter" : "Xen boots only with all four hunks",
                doc.RootElement.GetProperty("conclusion").GetString());
        }
    }

    [Fact]
    public void TheTextTableGroupsRowsWithTheSameResultAndEndsWithTheConclusion()
    {
        var run = Cli.Run("ablate", "--memory", "4G");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        var header = Array.FindIndex(lines, l => l.StartsWith("nonpse_fallback  unmap_before_populate  preserve_existing  table_space_ptes  outcome", StringComparison.Ordinal));
        Assert.True(header > 0, run.Stdout);

        // Two groups: the eight clean rows, a blank line, the eight rows with preserve_existing.
        var body = lines.Skip(header + 2).TakeWhile(l => !l.StartsWith("The native kernel", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, body.TakeWhile(l => l.Length > 0).Count());
        Assert.All(body.TakeWhile(l => l.Length > 0), l => Assert.Matches(@"^[x.]\s+[x.]\s+\.\s+[x.]\s+ok$", l));
        var second = body.SkipWhile(l => l.Length > 0).Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Equal(8, second.Count);
        Assert.All(second, l => Assert.Matches(@"^[x.]\s+[x.]\s+x\s+[x.]\s+violation\s+data_frame_written_as_table\s+" + UpdatePteUpdate + "$", l));
        Assert.Contains("The native kernel boots only without preserve_existing; the other three do not matter.", lines);
    }

    [Fact]
    public void OverTheFixesTheNativeSeedNeedsOnlyTheLargePmdCheck()
    {
        // The seed's hunks with P: only 22b45144f67 keeps phys_pte_update off level2_ident_pgt's
        // 2 MiB leaf; the other fixes act after bootmem or only count (items 25, 29).
        var run = Cli.Run("ablate", "--memory", "4G", "--over", "fixes", "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(32, rows.Count);
        Assert.All(rows, r => Assert.Equal(4, r.GetProperty("hunks").GetArrayLength()));
        Assert.All(rows, r => Assert.Equal(
            r.GetProperty("fixes").EnumerateArray().Any(f => f.GetString() == "22b45144f67") ? "ok" : "violation",
            r.GetProperty("outcome").GetString()));
        Assert.Equal("The native kernel boots only with 22b45144f67; the other four do not matter", doc.RootElement.GetProperty("conclusion").GetString());
    }

    [Fact]
    public void OverBothTheNativeMachineFailsOnlyWithPreserveExistingAndWithoutTheLargePmdCheck()
    {
        var run = Cli.Run("ablate", "--memory", "4G", "--over", "both", "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(512, rows.Count);
        Assert.Equal(512, rows.Select(r => Key(r)).Distinct().Count());
        Assert.Equal(128, rows.Count(r => r.GetProperty("outcome").GetString() == "violation"));
        Assert.Equal(
            "The native kernel boots except with preserve_existing and without 22b45144f67 (data_frame_written_as_table); the other seven do not matter",
            doc.RootElement.GetProperty("conclusion").GetString());
    }

    [Fact]
    public void TheMarkdownTableHasAColumnPerHunkAndTheConclusion()
    {
        var run = Cli.Run("ablate", "--memory", "4G", "--xen", "--markdown");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("| `nonpse_fallback` | `unmap_before_populate` | `preserve_existing` | `table_space_ptes` | outcome | error | call chain |", lines);
        Assert.Contains("|:-:|:-:|:-:|:-:|---|---|---|", lines);
        Assert.Equal(16, lines.Count(l => l.StartsWith("| ✓ |", StringComparison.Ordinal) || l.StartsWith("|   |", StringComparison.Ordinal)));
        Assert.Equal("| ✓ | ✓ | ✓ | ✓ | ok |  |  |", lines.First(l => l.StartsWith("| ✓ |", StringComparison.Ordinal) || l.StartsWith("|   |", StringComparison.Ordinal)));
        Assert.Equal("Xen boots only with all four hunks.", lines[^1]);
    }

    [Theory]
    [InlineData(new[] { "--over", "bits" }, "bootactors: --over bits: expected hunks, fixes or both")]
    [InlineData(new[] { "--hunks", "all" }, "bootactors: --hunks all: ablate --over hunks varies the hunks itself; give --hunks only with --over fixes")]
    [InlineData(new[] { "--over", "both", "--fixes", "none" }, "bootactors: --fixes none: ablate --over both varies the fixes itself; give --fixes only with --over hunks")]
    [InlineData(new[] { "--memory", "4Q" }, "bootactors: --memory: '4Q' is not a usable size")]
    [InlineData(new[] { "--jobs", "0" }, "bootactors: --jobs 0: expected a positive number of runs at once")]
    public void AMistakeIsOneLineAndExitCodeTwo(string[] args, string message)
    {
        var run = Cli.Run(["ablate", .. args]);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.StderrLines);
        Assert.StartsWith(message, run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }

    private static readonly Dictionary<bool, Dictionary<string, (string Outcome, string Kind, string Chain)>> Tables = new();

    private static Dictionary<string, (string Outcome, string Kind, string Chain)> Table(bool native)
    {
        lock (Tables)
        {
            if (Tables.TryGetValue(native, out var t))
            {
                return t;
            }

            var run = Cli.Run(["ablate", "--memory", "4G", .. native ? Array.Empty<string>() : ["--xen"], "--json"]);
            Assert.Equal(0, run.ExitCode);
            using var doc = JsonDocument.Parse(run.Stdout);
            t = doc.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(Key, r =>
            {
                var errors = r.GetProperty("errors").EnumerateArray().ToList();
                return (r.GetProperty("outcome").GetString()!,
                    errors.Count > 0 ? errors[0].GetProperty("kind").GetString()! : "",
                    errors.Count > 0 ? errors[0].GetProperty("function").GetString()! : "");
            });
            Tables[native] = t;
            return t;
        }
    }

    private static readonly string[] HunkOrder = ["nonpse_fallback", "unmap_before_populate", "preserve_existing", "table_space_ptes"];

    /// <summary>"NUPT" as 0/1, then the fixes on.</summary>
    private static string Key(JsonElement row)
    {
        var hunks = row.GetProperty("hunks").EnumerateArray().Select(h => h.GetString()).ToHashSet();
        var fixes = row.GetProperty("fixes").EnumerateArray().Select(f => f.GetString());
        return string.Concat(HunkOrder.Select(h => hunks.Contains(h) ? '1' : '0')) + (fixes.Any() ? "+" + string.Join(",", fixes) : "");
    }

    private static void AssertRow(Dictionary<string, (string Outcome, string Kind, string Chain)> table, string hunks, string outcome, string kind, string chain)
    {
        Assert.True(table.TryGetValue(hunks, out var row), $"no row for hunks {hunks}");
        Assert.Equal((outcome, kind, chain), row);
    }

    private static TheoryData<string, string, string, string> Rows(Func<string, (string, string, string)> derive, string[]? except = null)
    {
        var data = new TheoryData<string, string, string, string>();
        for (var k = 0; k < 16; k++)
        {
            var hunks = string.Concat(Enumerable.Range(0, 4).Select(i => (k & (1 << i)) != 0 ? '1' : '0'));
            if (except?.Contains(hunks) == true)
            {
                continue;
            }

            var (outcome, kind, chain) = derive(hunks);
            Assert.NotEqual("", outcome);
            data.Add(hunks, outcome, kind, chain);
        }

        return data;
    }
}
