using System.Collections.Concurrent;

namespace BootActors.Model.Files;

/// <summary>A file that cannot be written: "cannot write FILE: reason". Every command prints it as one line and exits 2.</summary>
public sealed class OutputFileException(string path, string reason, Exception? inner = null)
    : Exception($"cannot write {path}: {reason}", inner)
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}

/// <summary>
/// The one way every command writes a file (traces, replay files, exports): into a temporary file
/// beside the target, renamed over it only once the whole content is written, so a full disk, an
/// error or Ctrl-C never leaves half a file where a good one was. A target that is not a regular
/// file (/dev/null, /dev/stdout, a FIFO) is written in place: there is nothing to replace. An
/// output that is one of the command's inputs is refused before anything is written.
/// </summary>
public sealed class OutputFile : IDisposable
{
    // Temporary files still open, removed if the process exits before they are committed.
    private static readonly ConcurrentDictionary<string, byte> Pending = new(StringComparer.Ordinal);

    private readonly string? temporary;
    private readonly string target;
    private bool committed;

    static OutputFile() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var path in Pending.Keys)
        {
            TryDelete(path);
        }
    };

    private OutputFile(string path, string? temporary, FileStream stream, string? renameTo = null)
    {
        Path = path;
        target = renameTo ?? path;
        this.temporary = temporary;
        Stream = stream;
    }

    /// <summary>The target as the user named it.</summary>
    public string Path { get; }

    /// <summary>Where to write; committed by <see cref="Commit"/>.</summary>
    public FileStream Stream { get; }

    /// <summary>Opens <paramref name="path"/> for writing, refusing it when it is one of <paramref name="inputs"/> (the same file, by any name).</summary>
    /// <exception cref="OutputFileException">The target cannot be written, or it is an input.</exception>
    public static OutputFile Create(string path, IEnumerable<string>? inputs = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var status = FileStatus.Of(path);
        if (path.Length == 0 || status.Kind == FileKind.Unknown && status.Error == "not a usable file name")
        {
            throw new OutputFileException(path, "not a usable file name");
        }

        if (status.Kind == FileKind.Directory)
        {
            throw new OutputFileException(path, "it is a directory");
        }

        foreach (var input in inputs ?? [])
        {
            if (IsSameFile(path, status, input))
            {
                throw new OutputFileException(path, $"it is {(input == path ? "" : $"the same file as {input}, ")}an input of this command; writing it would destroy what is being read");
            }
        }

        var full = System.IO.Path.GetFullPath(path);
        if (status.Kind == FileKind.Regular && new FileInfo(full).LinkTarget is not null)
        {
            // A symbolic link: its file is replaced, not the link. A link that does not resolve to
            // a path naming the same file (/dev/stdout → /proc/self/fd/1 → pipe:[…]) is written through.
            var final = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (final is null || !FileStatus.Of(final).IsSameFileAs(status))
            {
                return new OutputFile(path, null, Open(path, path, FileMode.Open, FileShare.ReadWrite));
            }

            full = final;
        }

        if (status.Kind is not (FileKind.Regular or FileKind.Missing or FileKind.Unknown))
        {
            return new OutputFile(path, null, Open(path, path, FileMode.Open, FileShare.ReadWrite));
        }

        var directory = System.IO.Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(directory))
        {
            throw new OutputFileException(path, $"no such directory {directory}");
        }

        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        var stream = Open(path, temporary, FileMode.CreateNew, FileShare.None);
        Pending[temporary] = 0;
        return new OutputFile(path, temporary, stream, full);
    }

    /// <summary>Writes the file in one go with <paramref name="write"/>; nothing replaces the target unless it all succeeds.</summary>
    public static void Write(string path, Action<Stream> write, IEnumerable<string>? inputs = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var file = Create(path, inputs);
        try
        {
            write(file.Stream);
        }
        catch (IOException ex)
        {
            throw file.Failed(ex);
        }

        file.Commit();
    }

    /// <summary>As <see cref="Write(string, Action{Stream}, IEnumerable{string}?)"/>, for text (UTF-8, no byte-order mark).</summary>
    public static void WriteAllText(string path, string text, IEnumerable<string>? inputs = null) =>
        Write(path, s =>
        {
            var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
            s.Write(bytes, 0, bytes.Length);
        }, inputs);

    /// <summary>Whether <paramref name="output"/> names the same file as <paramref name="input"/>.</summary>
    public static bool IsSameFile(string output, string input) => IsSameFile(output, FileStatus.Of(output), input);

    /// <summary>The exception that reports <paramref name="ex"/> as this file's write failure.</summary>
    public OutputFileException Failed(Exception ex) => new(Path, InputFile.Reason(ex, Path), ex);

    /// <summary>Flushes everything and puts the file in place; a failure leaves the old target as it was.</summary>
    /// <exception cref="OutputFileException">The content could not be written or the file not renamed.</exception>
    public void Commit()
    {
        try
        {
            Stream.Flush();
            Stream.Dispose();
            if (temporary is not null)
            {
                CopyModeOfTarget();
                File.Move(temporary, target, overwrite: true);
                Pending.TryRemove(temporary, out _);
            }

            committed = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failed(ex);
        }
    }

    /// <summary>Without <see cref="Commit"/>, removes the temporary file: the target stays as it was.</summary>
    public void Dispose()
    {
        if (committed)
        {
            return;
        }

        try
        {
            Stream.Dispose();
        }
        catch (IOException)
        {
            // Unflushed bytes of a write that failed already: the failure was reported.
        }

        if (temporary is not null)
        {
            TryDelete(temporary);
            Pending.TryRemove(temporary, out _);
        }
    }

    private static bool IsSameFile(string output, FileStatus status, string input)
    {
        var other = FileStatus.Of(input);
        if (status.IsSameFileAs(other))
        {
            return true;
        }

        return !status.HasIdentity && status.Kind != FileKind.Missing &&
               string.Equals(System.IO.Path.GetFullPath(output), System.IO.Path.GetFullPath(input), StringComparison.Ordinal);
    }

    private static FileStream Open(string target, string path, FileMode mode, FileShare share)
    {
        try
        {
            return new FileStream(path, mode, FileAccess.Write, share, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new OutputFileException(target, ex is UnauthorizedAccessException && path != target
                ? $"permission denied (creating a temporary file in {System.IO.Path.GetDirectoryName(path)})"
                : InputFile.Reason(ex, path), ex);
        }
    }

    /// <summary>A replaced file keeps its permissions, as it would if it had been overwritten in place.</summary>
    private void CopyModeOfTarget()
    {
        if (OperatingSystem.IsWindows() || !File.Exists(target))
        {
            return;
        }

        File.SetUnixFileMode(temporary!, File.GetUnixFileMode(target));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind as a hidden .tmp file; nothing else can be done about it.
        }
    }
}
