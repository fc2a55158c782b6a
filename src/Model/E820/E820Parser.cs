using System.Globalization;
using System.Text.RegularExpressions;
using BootActors.Model.Files;

namespace BootActors.Model.E820;

/// <summary>
/// Reads an e820 map out of a kernel log (conventions item 7). Two line shapes are understood:
/// the e820_print_map format of 2.6.x (arch/x86/kernel/e820.c, <c>" %s: %016Lx - %016Lx "</c>
/// plus <c>(usable)</c> … or <c>type %u</c>, exclusive end) and the modern e820__print_table
/// format (<c>"%s: [mem %#018Lx-%#018Lx] "</c> plus a bare type name, inclusive end). Lines are
/// recognised by the "BIOS-e820:" prefix, or by "Xen:" (xen_memory_setup's label) when an
/// address follows it; whatever precedes the prefix (timestamps, syslog or journal prefixes) is
/// ignored, and so is every other line.
/// </summary>
public static partial class E820Parser
{
    public const string BiosPrefix = "BIOS-e820:";
    public const string XenPrefix = "Xen:";

    private const string Expected = "expected 'START - END (name)', 'START - END type N' or '[mem 0xSTART-0xEND] name'";

    /// <summary>Parses a whole log. <paramref name="fileName"/> is only used in error messages.</summary>
    public static E820Map ParseDmesg(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);

        var raw = new List<E820Entry>();
        var sawBios = false;
        var lineNumber = 0;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!TryFindBody(line, out var body, out var isXen))
            {
                continue;
            }

            sawBios |= !isXen;
            raw.Add(ParseBody(body, fileName, lineNumber));
        }

        if (raw.Count == 0)
        {
            throw new E820FormatException(fileName, 0,
                "no e820 line (expected lines like 'BIOS-e820: [mem 0x…-0x…] usable')");
        }

        // A log mixing both prefixes (several boots pasted together) still gives one map, the
        // union of its lines; it is only labelled "Xen" when every line came from xen_memory_setup.
        return E820Map.FromEntries(raw, sawBios ? "BIOS-e820" : "Xen");
    }

    /// <summary>Reads and parses a file; a file that cannot be read is an <see cref="E820FormatException"/> too.</summary>
    public static E820Map ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = InputFile.ReadAllText(path, InputFile.MaxLogBytes, "e820 file", strictUtf8: false);
        }
        catch (InputFileException ex)
        {
            throw new E820FormatException(path, (int)ex.Line, ex.Reason, ex);
        }

        return ParseDmesg(text, path);
    }

    /// <summary>
    /// Whether <paramref name="line"/> is an e820 line, and if so the text after its prefix.
    /// "BIOS-e820:" anywhere makes one; "Xen:" only when "[mem" or hex digits and a dash follow,
    /// so that other Xen messages ("Xen: using vcpu_info placement") are not mistaken for entries.
    /// </summary>
    internal static bool TryFindBody(string line, out string body, out bool isXen)
    {
        body = "";
        isXen = false;
        if (line.TrimStart().StartsWith('#'))
        {
            return false;
        }

        var bios = line.IndexOf(BiosPrefix, StringComparison.Ordinal);
        if (bios >= 0)
        {
            body = line[(bios + BiosPrefix.Length)..];
            return true;
        }

        var xen = XenLineRegex().Match(line);
        if (xen.Success)
        {
            body = line[(xen.Index + XenPrefix.Length)..];
            isXen = true;
            return true;
        }

        return false;
    }

    /// <summary>One e820 line after its prefix, in either format; throws on a malformed one.</summary>
    internal static E820Entry ParseBody(string body, string fileName, int lineNumber)
    {
        E820FormatException Bad(string reason) => new(fileName, lineNumber, reason);

        var shown = body.Trim();
        bool inclusive;
        Match m;
        if ((m = NewFormatRegex().Match(body)).Success)
        {
            inclusive = true;
        }
        else if ((m = OldFormatRegex().Match(body)).Success)
        {
            inclusive = false;
        }
        else
        {
            throw Bad($"malformed e820 line '{shown}' ({Expected})");
        }

        var start = ParseHex(m.Groups["start"].Value, "START", Bad);
        var end = ParseHex(m.Groups["end"].Value, "END", Bad);
        if (inclusive)
        {
            // e820__print_table prints addr + size - 1; the exclusive end of a range ending in
            // the last byte would be 2^64, which no entry (u64 addr + u64 size) can describe.
            if (end == ulong.MaxValue)
            {
                throw Bad($"inclusive END 0x{end:x16} is the last byte of the 64-bit address space; "
                    + $"its exclusive end 2^64 cannot be represented in '{shown}'");
            }

            end++;
        }

        if (end < start)
        {
            var what = inclusive ? "END + 1" : "END";
            throw Bad($"{what} 0x{end:x} is below START 0x{start:x} in '{shown}'");
        }

        var name = m.Groups["name"].Success ? m.Groups["name"].Value : "type " + m.Groups["num"].Value;
        return new E820Entry(start, end, TypeOf(name, shown, Bad));
    }

    /// <summary>
    /// The type number of a printed name (e820_print_type / e820__print_type): the kernel's own
    /// names, "type N" and "persistent (type N)" give their numbers, and any other name is
    /// taken as reserved, as the kernel treats an unknown type. Names are matched exactly as
    /// the kernel prints them (case-sensitive).
    /// </summary>
    internal static uint TypeOf(string name, string shown, Func<string, E820FormatException> bad)
    {
        switch (name)
        {
            case "usable":
                return E820Type.Ram;
            case "reserved":
                return E820Type.Reserved;
            case "ACPI data":
                return E820Type.Acpi;
            case "ACPI NVS":
                return E820Type.Nvs;
            case "unusable":
                return E820Type.Unusable;
            case "soft reserved":
                return E820Type.SoftReserved;
        }

        var numbered = NumberedTypeRegex().Match(name);
        if (!numbered.Success)
        {
            return E820Type.Reserved;
        }

        var digits = numbered.Groups["num"].Value;
        if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var type))
        {
            throw bad($"type number {digits} does not fit in 32 bits in '{shown}'");
        }

        return type;
    }

    private static ulong ParseHex(string digits, string what, Func<string, E820FormatException> bad)
    {
        if (digits.Length > 16)
        {
            throw bad($"{what} has {digits.Length} hex digits, more than 16: {digits}");
        }

        return ulong.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    // The digit counts are checked after matching, so that an over-long number is reported as
    // such rather than as an unrecognised line.
    [GeneratedRegex(@"Xen:[ \t]*(?:\[mem|[0-9a-fA-F]+[ \t]*-)", RegexOptions.CultureInvariant)]
    private static partial Regex XenLineRegex();

    [GeneratedRegex(
        @"^[ \t]*(?<start>[0-9a-fA-F]+)[ \t]*-[ \t]*(?<end>[0-9a-fA-F]+)[ \t]*(?:\((?<name>[^()]*(?:\([^()]*\))?[^()]*)\)|type[ \t]+(?<num>[0-9]+))[ \t]*$",
        RegexOptions.CultureInvariant)]
    private static partial Regex OldFormatRegex();

    [GeneratedRegex(
        @"^[ \t]*\[mem[ \t]+0[xX](?<start>[0-9a-fA-F]+)[ \t]*-[ \t]*0[xX](?<end>[0-9a-fA-F]+)\][ \t]+(?<name>\S(?:.*\S)?)[ \t]*$",
        RegexOptions.CultureInvariant)]
    private static partial Regex NewFormatRegex();

    [GeneratedRegex(@"^(?:type[ \t]+(?<num>[0-9]+)|persistent[ \t]+\(type[ \t]+(?<num>[0-9]+)\))$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberedTypeRegex();
}
