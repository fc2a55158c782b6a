using System.Globalization;
using System.Text.RegularExpressions;

namespace BootActors.Cli.Options;

/// <summary>
/// Byte sizes as users type them: "16G", "512M", "4096K", "1T", "0x100000000" or plain bytes;
/// suffixes are binary (K = 1024), case-insensitive, optionally followed by "B" or "iB" ("16GiB").
/// </summary>
internal static partial class SizeParser
{
    private const string Expected = "expected a number of bytes with an optional K, M, G or T suffix (e.g. 16G, 512MiB, 0x100000000)";

    /// <summary>Parses <paramref name="text"/>; the message of the <see cref="UsageException"/> names <paramref name="option"/>.</summary>
    public static ulong Parse(string text, string option)
    {
        if (!TryParse(text, out var bytes, out var problem))
        {
            throw new UsageException($"{option}: '{text}' is not a usable size: {problem}");
        }

        return bytes;
    }

    public static bool TryParse(string text, out ulong bytes, out string problem)
    {
        bytes = 0;
        var s = text.Trim();
        if (s.Length == 0)
        {
            problem = Expected;
            return false;
        }

        // Hex is taken without a suffix: "0x1B" would otherwise be ambiguous with the B suffix.
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (!ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes))
            {
                problem = s.Length == 2 ? Expected : "not a hexadecimal number of at most 16 digits";
                return false;
            }

            return CheckPositive(bytes, out problem);
        }

        var match = Decimal().Match(s);
        if (!match.Success)
        {
            problem = Expected;
            return false;
        }

        var shift = match.Groups["unit"].Success
            ? char.ToUpperInvariant(match.Groups["unit"].Value[0]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => 40,
            }
            : 0;
        if (!ulong.TryParse(match.Groups["number"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || (shift > 0 && n > ulong.MaxValue >> shift))
        {
            problem = "too large";
            return false;
        }

        bytes = n << shift;
        return CheckPositive(bytes, out problem);
    }

    /// <summary>"8 GiB", "512 MiB", "4 KiB" or a byte count, for summaries.</summary>
    public static string Format(ulong bytes)
    {
        (int Shift, string Unit)[] units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
        foreach (var (shift, unit) in units)
        {
            var size = 1UL << shift;
            if (bytes >= size && bytes % size == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{bytes >> shift} {unit}");
            }
        }

        foreach (var (shift, unit) in units)
        {
            if (bytes >= 1UL << shift)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{(double)bytes / (1UL << shift):0.##} {unit}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
    }

    private static bool CheckPositive(ulong bytes, out string problem)
    {
        problem = bytes == 0 ? "the size must be positive" : "";
        return bytes != 0;
    }

    // Digits, an optional binary unit, an optional "B" or "iB" ("iB" only after a unit).
    [GeneratedRegex(@"^(?<number>[0-9]+)\s*(?:(?<unit>[KMGT])(?:i?B)?|B)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Decimal();
}
