using System.Globalization;
using System.Text.RegularExpressions;

namespace BootActors.Actors.Scenarios;

/// <summary>
/// The value syntaxes of scenario files. Sizes and addresses are written as on the command line
/// ("16G", "512M", "4K", "0xfff00000", bytes; binary units, an optional B or iB) so that a
/// scenario key and its CLI option take the same text.
/// </summary>
internal static partial class ScenarioValues
{
    private const string SizeForms = "expected bytes with an optional K, M, G or T suffix, or hex (e.g. 8G, 512M, 4K, 0xfff00000)";

    /// <summary>A byte count or address; <paramref name="allowZero"/> for addresses (physical 0 is an address, not a size).</summary>
    public static bool TryParseBytes(string text, bool allowZero, out ulong bytes, out string problem)
    {
        bytes = 0;
        var s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            // Hex takes no suffix: "0x1B" would be ambiguous with the B suffix.
            if (s.Length == 2 || !ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes))
            {
                problem = s.Length == 2 ? SizeForms : "not a hexadecimal number of at most 16 digits";
                return false;
            }
        }
        else
        {
            var match = Decimal().Match(s);
            if (!match.Success)
            {
                problem = SizeForms;
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

        problem = !allowZero && bytes == 0 ? "a size must be positive" : "";
        return problem.Length == 0;
    }

    public static bool TryParseInt(string text, int min, int max, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    /// <summary>on/off, and HOCON's other boolean spellings (true/false, yes/no).</summary>
    public static bool? ParseSwitch(string text) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => null,
    };

    // Digits, an optional binary unit, an optional "B" or "iB" ("iB" only after a unit).
    [GeneratedRegex(@"^(?<number>[0-9]+)\s*(?:(?<unit>[KMGT])(?:i?B)?|B)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Decimal();
}
