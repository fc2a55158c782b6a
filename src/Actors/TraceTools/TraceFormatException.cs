namespace BootActors.Actors.TraceTools;

/// <summary>
/// A trace file that cannot be read. The message is the whole one-line report, "file:line: reason"
/// (or "file: reason" for the file as a whole), because a user fixes a file by going to that line.
/// </summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string file, long line, string reason)
        : base(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public string File { get; }

    /// <summary>1-based line number; 0 when the reason concerns the file as a whole.</summary>
    public long Line { get; }

    public string Reason { get; }
}
