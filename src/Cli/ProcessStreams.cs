using BootActors.Model.Files;

namespace BootActors.Cli;

/// <summary>
/// The process's standard streams as the program uses them. The command's output goes to the real
/// stdout, through a writer that reports a failed write (a full disk, /dev/full, a closed pipe) as
/// the one-line "cannot write standard output" user error; <see cref="Console.Out"/> itself is
/// pointed at stderr, so nothing else in the process — Akka, a library, a stray Console.WriteLine —
/// can put a line into the output a script parses.
/// </summary>
internal static class ProcessStreams
{
    /// <summary>The command output writer of this process (null when the CLI runs in-process).</summary>
    public static TextWriter? Stdout { get; private set; }

    /// <summary>Sets the streams up for a process run of the CLI; returns the stdout writer for the command's output.</summary>
    public static TextWriter Claim()
    {
        if (Stdout is null)
        {
            Stdout = new GuardedWriter(Console.Out, "standard output");
            Console.SetOut(Console.Error);
        }

        return Stdout;
    }

    /// <summary>Whether <paramref name="writer"/> is this process's stdout and that is a terminal (colours, tables, paging).</summary>
    public static bool IsTerminalStdout(TextWriter writer) => Stdout is not null && ReferenceEquals(writer, Stdout) && !Console.IsOutputRedirected;

    /// <summary>Whether <paramref name="writer"/> is this process's stderr and that is a terminal (a progress bar).</summary>
    public static bool IsTerminalStderr(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>
    /// Spectre.Console's output for this process's stdout on a terminal. Spectre recognises a terminal by
    /// comparing the writer with <see cref="Console.Out"/>, which no longer is stdout, so this says it.
    /// </summary>
    public static Spectre.Console.IAnsiConsoleOutput TerminalOutput(TextWriter writer) => new Terminal(writer);

    private sealed class Terminal(TextWriter writer) : Spectre.Console.IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => true;

        public int Width => Console.WindowWidth > 0 ? Console.WindowWidth : 80;

        public int Height => Console.WindowHeight > 0 ? Console.WindowHeight : 24;

        public void SetEncoding(System.Text.Encoding encoding)
        {
            // The writer's encoding is the console's own.
        }
    }

    /// <summary>Passes everything to <paramref name="inner"/>; a failed write becomes an <see cref="OutputFileException"/> naming the stream.</summary>
    private sealed class GuardedWriter(TextWriter inner, string name) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override IFormatProvider FormatProvider => inner.FormatProvider;

        public override string NewLine
        {
            get => inner.NewLine;
#pragma warning disable CS8765 // TextWriter.NewLine's setter takes null for the default.
            set => inner.NewLine = value;
#pragma warning restore CS8765
        }

        public override void Write(char value) => Guard(() => inner.Write(value));

        public override void Write(string? value) => Guard(() => inner.Write(value));

        public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            var copy = buffer.ToArray();
            Guard(() => inner.Write(copy));
        }

        public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));

        public override void WriteLine() => Guard(inner.WriteLine);

        public override void Flush() => Guard(inner.Flush);

        private void Guard(Action write)
        {
            try
            {
                write();
            }
            catch (IOException ex)
            {
                throw new OutputFileException(name, InputFile.Reason(ex, name), ex);
            }
        }
    }
}
