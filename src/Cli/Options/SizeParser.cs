using System.Globalization;

namespace BootActors.Cli.Options;

/// <summary>
/// Byte sizes as users type them: "16G", "512M", "4096K", "1T", "0x100000000" or plain bytes;
/// suffixes are binary (K = 1024), case-insensitive, optionally followed by "B" or "iB" ("16GiB").
/// </summary>
internal static class SizeParser
{
    /// <summary>Parses <paramref name="text"/>; the message of the <see cref="UsageException"/> names <paramref name="option"/>.</summary>
    public static ulong Parse(string text, string option)
    {
        if (!TryParse(text, out var bytes, out var problem))
        {
            throw new UsageException($"{option}: '{text}' is not a usable size: {problem}");
        }

        return bytes;
    }

    public static bool TryParse(string text, out ulong bytes, out string problem) =>
        Actors.Scenarios.ByteSize.TryParse(text, allowZero: false, out bytes, out problem);

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
}
