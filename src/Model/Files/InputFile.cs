using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace BootActors.Model.Files;

/// <summary>
/// A file a user handed in that cannot be used: "file: reason", or "file:line: reason" when the
/// problem has a line. Every command prints it as one line and exits 2.
/// </summary>
public sealed class InputFileException(string path, long line, string reason, Exception? inner = null)
    : Exception(line > 0 ? $"{path}:{line}: {reason}" : $"{path}: {reason}", inner)
{
    public string Path { get; } = path;

    /// <summary>1-based; 0 when the problem is the file as a whole.</summary>
    public long Line { get; } = line;

    public string Reason { get; } = reason;
}

/// <summary>
/// The one way every reader (e820 logs, scenarios, replay files, traces) opens a user's file: only
/// a regular file (a FIFO would block for ever, /dev/zero never ends), at most a size that reader
/// can use, and text only as strict UTF-8, so a bad byte is named by its line instead of turning
/// into U+FFFD somewhere downstream.
/// </summary>
public static class InputFile
{
    /// <summary>A kernel log with e820 lines: a whole journal fits, /dev/urandom renamed does not.</summary>
    public const long MaxLogBytes = 64L << 20;

    /// <summary>A scenario file: a few hundred lines are plenty.</summary>
    public const long MaxScenarioBytes = 1L << 20;

    /// <summary>A replay file: its deliveries, about 40 bytes each, are at most one schedule's (a million fit).</summary>
    public const long MaxReplayBytes = 64L << 20;

    /// <summary>One line of a trace (traces are streamed, so only a line is ever held whole).</summary>
    public const int MaxTraceLineBytes = 64 << 20;

    /// <summary>Opens <paramref name="path"/> for streaming; <paramref name="what"/> names it in messages ("trace file").</summary>
    /// <exception cref="InputFileException">Missing, not a regular file, or unreadable.</exception>
    public static FileStream OpenRead(string path, string what, int bufferSize = 1 << 16)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckKind(path, FileStatus.Of(path), what);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputFileException(path, 0, $"cannot read the {what}: {Reason(ex, path)}", ex);
        }
    }

    /// <summary>The whole file, at most <paramref name="maxBytes"/>.</summary>
    /// <exception cref="InputFileException">Missing, not a regular file, too large, or unreadable.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        var status = FileStatus.Of(path);
        CheckKind(path, status, what);
        if (status.Size > maxBytes)
        {
            throw TooLarge(path, maxBytes, what, status.Size);
        }

        using var stream = OpenRead(path, what, bufferSize: 0);
        var data = new MemoryStream();
        var chunk = new byte[1 << 16];
        try
        {
            // The size stat gave is not trusted: /proc files say 0, and a file may grow while it is read.
            int n;
            while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (data.Length + n > maxBytes)
                {
                    throw TooLarge(path, maxBytes, what, null);
                }

                data.Write(chunk, 0, n);
            }
        }
        catch (IOException ex)
        {
            throw new InputFileException(path, 0, $"cannot read the {what}: {Reason(ex, path)}", ex);
        }

        return data.ToArray();
    }

    /// <summary>The whole file as text: strict UTF-8, a leading byte-order mark dropped.</summary>
    /// <exception cref="InputFileException">As <see cref="ReadAllBytes"/>, or a byte sequence that is not UTF-8 (named by its line).</exception>
    /// <param name="strictUtf8">False for logs: a stray byte in a line nobody reads must not refuse the file; it becomes U+FFFD.</param>
    public static string ReadAllText(string path, long maxBytes, string what, bool strictUtf8 = true)
    {
        var bytes = ReadAllBytes(path, maxBytes, what);
        return strictUtf8 ? Decode(bytes, path, what) : new UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF');
    }

    /// <summary>Strict UTF-8 text of <paramref name="bytes"/>; a bad sequence is reported at its line of <paramref name="path"/>.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string path, string what)
    {
        var body = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes[3..] : bytes;
        var chars = new char[body.Length];
        var status = Utf8.ToUtf16(body, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status == OperationStatus.Done)
        {
            return new string(chars, 0, written);
        }

        var before = body[..read];
        var column = read - before.LastIndexOf((byte)'\n');
        throw new InputFileException(path, before.Count((byte)'\n') + 1L,
            $"not UTF-8 text: the byte 0x{body[read]:x2} at byte {column} of the line is not valid UTF-8 ({A(what)} is UTF-8 text)");
    }

    /// <summary>An I/O error's reason without the path .NET appends ("No space left on device : '/dev/full'").</summary>
    public static string Reason(Exception ex, string path)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is UnauthorizedAccessException)
        {
            return "permission denied";
        }

        var message = ex.Message.Trim();
        foreach (var suffix in new[] { $" : '{path}'", $" : '{Path.GetFullPath(path)}'", $" '{path}'.", $" '{Path.GetFullPath(path)}'." })
        {
            if (message.EndsWith(suffix, StringComparison.Ordinal))
            {
                message = message[..^suffix.Length];
            }
        }

        return message.TrimEnd('.');
    }

    private static void CheckKind(string path, FileStatus status, string what)
    {
        var reason = status.Kind switch
        {
            FileKind.Regular => null,
            FileKind.Missing => $"no such {what}",
            FileKind.Directory => $"is a directory, not {A(what)}",
            FileKind.Unknown => $"cannot read the {what}: {status.Error}",
            _ => $"is {status.Describe()}, not a regular file: give the {what} as a file",
        };
        if (reason is not null)
        {
            throw new InputFileException(path, 0, reason);
        }
    }

    /// <summary>"an e820 file", "a trace file".</summary>
    private static string A(string what) => ("aeiou".Contains(char.ToLowerInvariant(what[0]), StringComparison.Ordinal) ? "an " : "a ") + what;

    private static InputFileException TooLarge(string path, long maxBytes, string what, long? size) =>
        new(path, 0, size is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"too large ({s:N0} bytes; the limit for {what}s is {Workload.RunSpecLimits.Size((ulong)maxBytes)})")
            : $"too large (more than the {Workload.RunSpecLimits.Size((ulong)maxBytes)} allowed for {what}s)");
}
