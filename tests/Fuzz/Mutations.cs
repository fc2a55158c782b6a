using System.Globalization;
using System.Text;
using CsCheck;

namespace BootActors.Fuzz;

/// <summary>
/// Byte-level damage of a real file, as a disk, an editor or a hostile user does it: flipped and
/// inserted bytes (invalid UTF-8 among them), cut and repeated ranges, a truncated end, deep
/// nesting, numbers swapped for extreme ones, lines spliced in from another file.
/// </summary>
public static class Mutations
{
    /// <summary>Bytes that break parsers: structure, quotes, escapes, NUL, lone UTF-8 lead and continuation bytes.</summary>
    private static readonly byte[] Nasty = "{}[]\",:=\\\n\r\t\0#$.-+ 0x"u8.ToArray().Concat(new byte[] { 0xff, 0xfe, 0xc3, 0x80, 0xe2, 0x82, 0xed, 0xa0, 0xf4, 0x90 }).ToArray();

    /// <summary>Numbers at and past every limit the readers check.</summary>
    public static readonly string[] ExtremeNumbers =
    [
        "0", "-1", "1", "4096", "4097", "100000", "2147483647", "2147483648", "-2147483648", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "18446744073709551616", "1e300", "1.5", "-0", "NaN", "Infinity",
        "0xffffffffffffffff", "0x10000000000000000", "0x3f0000000000", "64T", "16E", "1000000000000000000000000",
    ];

    /// <summary>One to six mutations of <paramref name="seed"/>, each placed by a fraction of the current length.</summary>
    public static Gen<byte[]> Of(byte[] seed, IReadOnlyList<byte[]> others) =>
        One(others).Array[1, 6].Select(ms => ms.Aggregate(seed, (data, m) => m(data)));

    private static Gen<Func<byte[], byte[]>> One(IReadOnlyList<byte[]> others) => Gen.Frequency(
        (4, Gen.Select(Gen.Double.Unit, Gen.Byte, (at, b) => (Func<byte[], byte[]>)(d => Replace(d, at, [b])))),
        (4, Gen.Select(Gen.Double.Unit, Gen.Int[0, Nasty.Length - 1].Array[1, 4], (at, bytes) => (Func<byte[], byte[]>)(d => Insert(d, at, bytes.Select(i => Nasty[i]).ToArray())))),
        (3, Gen.Select(Gen.Double.Unit, Gen.Double.Unit, (a, b) => (Func<byte[], byte[]>)(d => Cut(d, a, b)))),
        (2, Gen.Select(Gen.Double.Unit, Gen.Double.Unit, Gen.Int[1, 50], (a, b, n) => (Func<byte[], byte[]>)(d => Repeat(d, a, b, n)))),
        (2, Gen.Double.Unit.Select(at => (Func<byte[], byte[]>)(d => d[..(int)(at * d.Length)]))),
        (2, Gen.Select(Gen.Double.Unit, Gen.Int[0, 3], Gen.Int[1, 20_000], (at, kind, depth) => (Func<byte[], byte[]>)(d => Insert(d, at, Nesting(kind, depth))))),
        (4, Gen.Select(Gen.Double.Unit, Gen.Int[0, ExtremeNumbers.Length - 1], (at, n) => (Func<byte[], byte[]>)(d => ReplaceNumber(d, at, ExtremeNumbers[n])))),
        (2, Gen.Select(Gen.Double.Unit, Gen.Int[0, Math.Max(0, others.Count - 1)], Gen.Double.Unit, (at, which, from) =>
            (Func<byte[], byte[]>)(d => others.Count == 0 ? d : Insert(d, at, LineOf(others[which], from))))),
        (1, Gen.Select(Gen.Double.Unit, Gen.Int[1, 3_000], (at, n) => (Func<byte[], byte[]>)(d => RepeatLine(d, at, n)))));

    /// <summary>"[[[[…", "{{{{…", "a.a.a.…" or "{"a":{"a":…" — what blows a recursive parser's stack.</summary>
    public static byte[] Nesting(int kind, int depth) => Encoding.ASCII.GetBytes(kind switch
    {
        0 => new string('[', depth) + new string(']', depth),
        1 => "x = " + string.Concat(Enumerable.Repeat("{a = ", depth)) + "1" + new string('}', depth),
        2 => string.Join('.', Enumerable.Repeat("a", depth)) + " = 1\n",
        _ => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth),
    });

    private static int At(byte[] d, double at) => Math.Clamp((int)(at * d.Length), 0, d.Length);

    private static byte[] Replace(byte[] d, double at, byte[] with)
    {
        if (d.Length == 0)
        {
            return with;
        }

        var copy = (byte[])d.Clone();
        copy[Math.Min(At(d, at), d.Length - 1)] = with[0];
        return copy;
    }

    private static byte[] Insert(byte[] d, double at, byte[] what)
    {
        var i = At(d, at);
        return [.. d.AsSpan(0, i), .. what, .. d.AsSpan(i)];
    }

    private static byte[] Cut(byte[] d, double a, double b)
    {
        int i = At(d, Math.Min(a, b)), j = At(d, Math.Max(a, b));
        j = Math.Min(j, i + 4096);
        return [.. d.AsSpan(0, i), .. d.AsSpan(j)];
    }

    private static byte[] Repeat(byte[] d, double a, double b, int n)
    {
        int i = At(d, Math.Min(a, b)), j = Math.Min(At(d, Math.Max(a, b)), i + 256);
        var piece = d[i..j];
        return [.. d.AsSpan(0, j), .. Enumerable.Repeat(piece, n).SelectMany(p => p), .. d.AsSpan(j)];
    }

    /// <summary>Puts <paramref name="number"/> where the first digit at or after the position starts.</summary>
    private static byte[] ReplaceNumber(byte[] d, double at, string number)
    {
        var i = At(d, at);
        while (i < d.Length && !char.IsAsciiDigit((char)d[i]))
        {
            i++;
        }

        if (i == d.Length)
        {
            return Insert(d, at, Encoding.ASCII.GetBytes(number));
        }

        var j = i;
        while (j < d.Length && (char.IsAsciiHexDigit((char)d[j]) || d[j] is (byte)'x' or (byte)'.'))
        {
            j++;
        }

        return [.. d.AsSpan(0, i), .. Encoding.ASCII.GetBytes(number), .. d.AsSpan(j)];
    }

    private static byte[] LineOf(byte[] d, double at)
    {
        var lines = Encoding.UTF8.GetString(d).Split('\n');
        return Encoding.UTF8.GetBytes(lines[Math.Clamp((int)(at * lines.Length), 0, lines.Length - 1)] + "\n");
    }

    private static byte[] RepeatLine(byte[] d, double at, int n)
    {
        var line = LineOf(d, at);
        return [.. d, .. Enumerable.Repeat(line, n).SelectMany(l => l)];
    }

    public static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
