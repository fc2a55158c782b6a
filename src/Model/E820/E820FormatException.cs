namespace BootActors.Model.E820;

/// <summary>
/// An e820 input that cannot be used (conventions item 7): a malformed e820 line, a file with
/// no e820 line, or a file that cannot be read. The command fails with exit code 2 before
/// anything is simulated, and the message names the file and, where there is one, the line.
/// </summary>
public sealed class E820FormatException : Exception
{
    public E820FormatException(string fileName, int lineNumber, string reason, Exception? inner = null)
        : base(Format(fileName, lineNumber, reason), inner)
    {
        FileName = fileName;
        LineNumber = lineNumber;
        Reason = reason;
    }

    public string FileName { get; }

    /// <summary>The 1-based line number, or 0 when the problem is the file as a whole.</summary>
    public int LineNumber { get; }

    public string Reason { get; }

    private static string Format(string fileName, int lineNumber, string reason) =>
        lineNumber > 0 ? $"{fileName}:{lineNumber}: {reason}" : $"{fileName}: {reason}";
}
