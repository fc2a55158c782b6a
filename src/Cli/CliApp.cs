using System.CommandLine;
using BootActors.Cli.Scenarios;
using BootActors.Model.E820;
using BootActors.Model.Files;
using BootActors.Model.Machine;

namespace BootActors.Cli;

/// <summary>
/// The <c>bootactors</c> command line. Callable in-process with its own writers, so tests see
/// exactly what a user would on stdout and stderr, and the exit code (<see cref="ExitCodes"/>).
/// </summary>
public static partial class CliApp
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdout, stderr, HoconScenarioLoader.Default);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>, with the loader for the SCENARIO argument.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, IScenarioLoader scenarios)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(scenarios);

        try
        {
            // Akka's log goes through Serilog; configured before any actor system starts, it goes to stderr.
            Logging.CliLogging.ConfigureOnce();
            var root = new RootCommand(
                "bootactors: how the 2.6.27-era x86-64 Linux kernel builds its direct mapping, natively or as a Xen PV guest.\n\n" + ExitCodes.HelpText);
            root.Subcommands.Add(new RunCommand(scenarios, stdout, stderr).Command);
            root.Subcommands.Add(new Trace.TraceCommand(stdout, stderr).Command);
            root.Subcommands.Add(new Explore.ExploreCommand(scenarios, stdout, stderr).Command);
            root.Subcommands.Add(new Explore.ReplayCommand(stdout, stderr).Command);
            root.Subcommands.Add(new Ablate.AblateCommand(scenarios, stdout).Command);

            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line, not System.CommandLine's error list plus full help: the mistake is named and
                // the way to the help is given.
                var names = new List<string>();
                for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
                {
                    names.Insert(0, r.Command is RootCommand ? "bootactors" : r.Command.Name);
                }

                stderr.WriteLine($"bootactors: {OneLine.Of(Reword(parse.Errors[0].Message))} (see '{string.Join(' ', names)} --help')");
                return ExitCodes.UsageError;
            }

            return parse.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (OutputFileException ex) when (ex.Path == "standard output")
        {
            // Nothing more can be said on stdout; stderr may still work.
            TryWriteLine(stderr, $"bootactors: {OneLine.Of(ex.Message)}");
            return ExitCodes.UsageError;
        }
        catch (Exception ex) when (UserMistake(ex) is { } message)
        {
            stderr.WriteLine($"bootactors: {OneLine.Of(message)}");
            return ExitCodes.UsageError;
        }
        catch (Exception ex)
        {
            // A bug of ours: the trace is what a report needs.
            stderr.WriteLine($"bootactors: internal error: {ex}");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>System.CommandLine's "Cannot parse argument '5x' for option '--cpu' as expected type 'System.Nullable`1[System.Int32]'" in a user's words.</summary>
    private static string Reword(string message) =>
        CannotParse().Match(message) is { Success: true } m
            ? $"{m.Groups["option"].Value} {m.Groups["value"].Value}: expected {(m.Groups["type"].Value.Contains("Int", StringComparison.Ordinal) ? "a whole number in range" : "a value of another kind")}"
            : message;

    [System.Text.RegularExpressions.GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|argument) '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial System.Text.RegularExpressions.Regex CannotParse();

    private static void TryWriteLine(TextWriter writer, string line)
    {
        try
        {
            writer.WriteLine(line);
            writer.Flush();
        }
        catch (IOException)
        {
            // Both streams are gone; the exit code is all that is left.
        }
    }

    /// <summary>The one-line report of an exception that is the user's mistake, or null for a bug.</summary>
    private static string? UserMistake(Exception ex) => ex switch
    {
        UsageException => ex.Message,
        InputFileException => ex.Message,
        OutputFileException => ex.Message,

        // "file:line: reason" (or "file: reason" for the file as a whole).
        E820FormatException => ex.Message,
        MachineConfigException => $"cannot build this machine: {ex.Message}",
        ScenarioException => ex.Message,
        ArgumentException when ex.Source == "BootActors.Model" => ex.Message,
        _ => null,
    };
}
