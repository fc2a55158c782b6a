using System.Text;

namespace BootActors.Model.Files;

/// <summary>
/// A refusal is one line: a message that quotes the user's input (a JSON token, a value, a key) can
/// hold that input's line breaks and length, so both are taken out — breaks and other control
/// characters shown escaped, the middle of an overlong message cut.
/// </summary>
public static class OneLine
{
    public static string Of(string text, int max = 600)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(Math.Min(text.Length, max + 16));
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => " ",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        var line = sb.ToString();
        return line.Length <= max ? line : $"{line[..(max * 2 / 3)]} … {line[^(max / 3)..]}";
    }
}
