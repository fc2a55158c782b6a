using System.Globalization;

namespace BootActors.Actors.Scenarios;

/// <summary>
/// The value syntaxes of scenario files. Sizes and addresses are written as on the command line
/// ("16G", "512M", "4K", "0xfff00000", bytes; binary units, an optional B or iB) so that a
/// scenario key and its CLI option take the same text.
/// </summary>
internal static class ScenarioValues
{
    /// <summary>A byte count or address; <paramref name="allowZero"/> for addresses (physical 0 is an address, not a size).</summary>
    public static bool TryParseBytes(string text, bool allowZero, out ulong bytes, out string problem) =>
        ByteSize.TryParse(text, allowZero, out bytes, out problem);

    public static bool TryParseInt(string text, int min, int max, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    /// <summary>on/off, and HOCON's other boolean spellings (true/false, yes/no).</summary>
    public static bool? ParseSwitch(string text) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => null,
    };
}
