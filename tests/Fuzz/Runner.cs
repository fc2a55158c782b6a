using System.Text.Json;
using System.Text.RegularExpressions;
using BootActors.Cli;

namespace BootActors.Fuzz;

/// <summary>How one input went: answered cleanly, crashed (and why), or hung.</summary>
public enum Verdict
{
    Clean,
    Crash,
    Hang,
}

public sealed record FuzzResult(Verdict Verdict, int ExitCode, string Why, string Stdout, string Stderr);

/// <summary>
/// Runs one input in this process, as the CLI's Program would (CliApp.Run with its own writers),
/// and judges the answer. A crash is exit 3 (or any status bootactors does not define), a stack
/// trace or "internal error" anywhere, anything on the process's real stdout (Akka, a library), or a
/// --json command whose stdout is not exactly one JSON object; a hang is no answer by the deadline.
/// </summary>
public static partial class Runner
{
    private static readonly int[] Defined = [ExitCodes.Ok, ExitCodes.BadOutcome, ExitCodes.UsageError, ExitCodes.ExpectationNotMet, ExitCodes.LimitReached];

    private static readonly object ConsoleGate = new();
    private static StringWriter? stray;

    /// <summary>
    /// Points the process's Console.Out at a buffer: bootactors writes its output only to the writer
    /// it is given, so whatever lands here came from somewhere else and is a finding.
    /// </summary>
    public static void CaptureStrayOutput()
    {
        lock (ConsoleGate)
        {
            if (stray is null)
            {
                stray = new StringWriter();
                Console.SetOut(TextWriter.Synchronized(stray));
            }
        }
    }

    /// <summary>Writes the input's files into <paramref name="dir"/> (emptied first) and runs it there.</summary>
    public static FuzzResult Run(FuzzCase input, string dir, TimeSpan deadline)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        foreach (var file in input.Files)
        {
            var path = Path.Combine(dir, file.Name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Data);
        }

        var args = input.Args.Select(a => a.Replace("{dir}", dir, StringComparison.Ordinal)).ToArray();
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var work = Task.Factory.StartNew(() => CliApp.Run(args, stdout, stderr), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!work.Wait(deadline))
        {
            return new FuzzResult(Verdict.Hang, -1, $"no answer within {deadline.TotalSeconds:0} s", Snapshot(stdout), Snapshot(stderr));
        }

        string strayText;
        lock (ConsoleGate)
        {
            strayText = stray?.ToString() ?? "";
            stray?.GetStringBuilder().Clear();
        }

        return Judge(args, work.Result, stdout.ToString(), stderr.ToString(), strayText);
    }

    public static FuzzResult Judge(IReadOnlyList<string> args, int code, string stdout, string stderr, string strayStdout)
    {
        FuzzResult Crash(string why) => new(Verdict.Crash, code, why, stdout, stderr);

        if (!Defined.Contains(code))
        {
            return Crash($"exit {code}");
        }

        if (stderr.Contains("internal error", StringComparison.Ordinal))
        {
            return Crash("internal error on stderr");
        }

        if (StackFrame().IsMatch(stdout) || StackFrame().IsMatch(stderr))
        {
            return Crash("a stack trace");
        }

        if (strayStdout.Length > 0)
        {
            return Crash($"something other than bootactors wrote to stdout: {strayStdout[..Math.Min(200, strayStdout.Length)]}");
        }

        if (code == ExitCodes.UsageError)
        {
            var last = stderr.TrimEnd('\n').Split('\n')[^1];
            if (!last.StartsWith("bootactors: ", StringComparison.Ordinal))
            {
                return Crash("exit 2 without a one-line 'bootactors: …' report last on stderr");
            }
        }

        if (args.Contains("--json") && code != ExitCodes.UsageError)
        {
            var lines = stdout.TrimEnd('\n').Split('\n');
            if (lines.Length != 1)
            {
                return Crash($"--json printed {lines.Length} lines");
            }

            try
            {
                using var doc = JsonDocument.Parse(lines[0]);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return Crash("--json printed something other than an object");
                }
            }
            catch (JsonException ex)
            {
                return Crash($"--json printed text that is not JSON: {ex.Message}");
            }
        }

        if (args.Contains("--json") && code == ExitCodes.UsageError && stdout.Length > 0)
        {
            return Crash("a refused --json command printed on stdout");
        }

        return new FuzzResult(Verdict.Clean, code, "", stdout, stderr);
    }

    private static string Snapshot(StringWriter w)
    {
        lock (w)
        {
            return w.ToString();
        }
    }

    // "   at Namespace.Type.Method(...) in file:line" — .NET's stack frames.
    [GeneratedRegex(@"^\s+at [\w.`<>\[\],]+\(.*\)", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}
