using System.Globalization;
using System.Text.RegularExpressions;

namespace BootActors.Actors.Scenarios;

/// <summary>
/// Byte sizes and addresses as users type them, on the command line and in scenario files alike:
/// "16G", "512M", "4096K", "1T", "0x100000000" or plain bytes; suffixes are binary (K = 1024),
/// case-insensitive, optionally followed by "B" or "iB" ("16GiB").
/// </summary>
public static partial class ByteSize
{
    public const string Expected = "expected a number of bytes with an optional K, M, G or T suffix (e.g. 16G, 512MiB, 0x100000000)";

    /// <summary>Parses a size (<paramref name="allowZero"/> false) or an address (true: physical 0 is an address).</summary>
    public static bool TryParse(string text, bool allowZero, out ulong bytes, out string problem)
    {
        bytes = 0;
        var s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            // Hex takes no suffix: "0x1B" would be ambiguous with the B suffix.
            if (s.Length == 2 || !ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes))
            {
                problem = s.Length == 2 ? Expected : "not a hexadecimal number of at most 16 digits";
                return false;
            }
        }
        else
        {
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
        }

        problem = !allowZero && bytes == 0 ? "the size must be positive" : "";
        return problem.Length == 0;
    }

    // Digits, an optional binary unit, an optional "B" or "iB" ("iB" only after a unit).
    [GeneratedRegex(@"^(?<number>[0-9]+)\s*(?:(?<unit>[KMGT])(?:i?B)?|B)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Decimal();
}
