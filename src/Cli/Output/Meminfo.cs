using System.Globalization;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Cli.Output;

/// <summary>The DirectMap lines of /proc/meminfo (arch_report_meminfo, arch/x86/mm/pageattr.c).</summary>
internal static class Meminfo
{
    /// <summary>
    /// With a06de63000b (2.6.27-rc4) the counts are converted to kB with shifts (4K: &lt;&lt; 2,
    /// 2M: &lt;&lt; 11, 1G: &lt;&lt; 20) and DirectMap1G is printed only when direct_gbpages. Before it,
    /// from ce0c0e50f94e (2.6.27-rc1..rc3), the lines are the raw page counts with no unit and
    /// DirectMap1G is always printed on x86-64 (kernel-notes §2.8). The field format is
    /// "DirectMap4k:  %8lu" in both.
    /// </summary>
    public static IReadOnlyList<string> Lines(Machine m)
    {
        var count = m.DirectPagesCount;
        ulong k4 = count[Machine.CountIndex(Level.Pte)];
        ulong m2 = count[Machine.CountIndex(Level.Pmd)];
        ulong g1 = count[Machine.CountIndex(Level.Pud)];
        if (m.Config.Variant.Has(Fixes.DirectMapCount))
        {
            var lines = new List<string>
            {
                Line("DirectMap4k:", k4 << 2, " kB"),
                Line("DirectMap2M:", m2 << 11, " kB"),
            };
            if (m.Globals.direct_gbpages)
            {
                lines.Add(Line("DirectMap1G:", g1 << 20, " kB"));
            }

            return lines;
        }

        return [Line("DirectMap4k:", k4, ""), Line("DirectMap2M:", m2, ""), Line("DirectMap1G:", g1, "")];
    }

    // seq_printf's "%8lu": right-aligned in eight columns, wider when the number needs it.
    private static string Line(string name, ulong value, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}  {value,8}{unit}");
}
