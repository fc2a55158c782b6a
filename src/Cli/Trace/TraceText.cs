using System.Globalization;
using System.Text;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>How events, clocks and entries are written for people, the same in every subcommand.</summary>
internal static class TraceText
{
    /// <summary>"#4 ReadEntry cpu0 → memory".</summary>
    public static string Title(TraceEvent e, TraceFileHeader h) =>
        $"#{e.Seq.ToString(CultureInfo.InvariantCulture)} {e.Type} {h.Actors[e.From]} → {h.Actors[e.To]}";

    /// <summary>"cpu0 init_memory_mapping: read pgd[272] of table 0x201", or "" for the host's messages.</summary>
    public static string Step(TraceEvent e)
    {
        if (e.Cpu < 0)
        {
            return "";
        }

        var cpu = "cpu" + e.Cpu.ToString(CultureInfo.InvariantCulture);
        return e.Effect is { } effect ? $"{cpu} {effect}" : cpu;
    }

    /// <summary>"table=0x201 level=pgd index=272".</summary>
    public static string Fields(TraceEvent e)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in e.Fields)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(k).Append('=').Append(v);
        }

        return sb.ToString();
    }

    /// <summary>"{host:1, cpu0:4, memory:1}": the non-zero components, in the header's actor order.</summary>
    public static string Clock(long[] clock, TraceFileHeader h)
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < clock.Length; i++)
        {
            if (clock[i] == 0)
            {
                continue;
            }

            if (sb.Length > 1)
            {
                sb.Append(", ");
            }

            sb.Append(h.Actors[i]).Append(':').Append(clock[i].ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append('}').ToString();
    }

    /// <summary>One line per event, for redirected output and diffs.</summary>
    public static string Line(TraceEvent e, TraceFileHeader h, DecodedEntry? entry)
    {
        var sb = new StringBuilder(256);
        sb.Append('#').Append(e.Seq.ToString(CultureInfo.InvariantCulture).PadRight(7))
            .Append(' ').Append($"{h.Actors[e.From]} → {h.Actors[e.To]}".PadRight(26))
            .Append(' ').Append(e.Type.PadRight(20));
        var step = Step(e);
        if (step.Length > 0)
        {
            sb.Append(' ').Append(step);
        }

        if (entry is not null)
        {
            sb.Append("  | entry ").Append(entry.Text);
        }

        if (e.Fields.Count > 0)
        {
            sb.Append("  | ").Append(Fields(e));
        }

        return sb.ToString();
    }

    /// <summary>Parses a sequence number argument.</summary>
    public static long Seq(string text, string what)
    {
        var t = text.TrimStart('#');
        return long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new UsageException($"{what} {text}: expected an event's sequence number (a positive integer, as in #42 or 42)");
    }

    /// <summary>Parses an address: 0x-prefixed hex or decimal.</summary>
    public static ulong Address(string text, string what)
    {
        var t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        var ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        return ok ? v : throw new UsageException($"{what} {text}: expected an address, e.g. 0xffff880200000000 or 0x200000000");
    }
}
