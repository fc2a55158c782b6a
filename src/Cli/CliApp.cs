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
public static class CliApp
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
            var parse = BuildRoot(scenarios, stdout, stderr).Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line, not System.CommandLine's error list plus full help: the mistake is named and
                // the way to the help is given.
                stderr.WriteLine($"bootactors: {OneLine.Of(ParseErrors.Describe(parse))}");
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

    /// <summary>The whole command tree; the tests walk it to hold every option and hint to the same rules.</summary>
    internal static RootCommand BuildRoot(IScenarioLoader scenarios, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "bootactors: how the 2.6.27-era x86-64 Linux kernel builds its direct mapping, natively or as a Xen PV guest.\n\n" + ExitCodes.HelpText);
        root.Subcommands.Add(new RunCommand(scenarios, stdout, stderr).Command);
        root.Subcommands.Add(new Trace.TraceCommand(stdout, stderr).Command);
        root.Subcommands.Add(new Explore.ExploreCommand(scenarios, stdout, stderr).Command);
        root.Subcommands.Add(new Explore.ReplayCommand(stdout, stderr).Command);
        root.Subcommands.Add(new Ablate.AblateCommand(scenarios, stdout).Command);
        root.Subcommands.Add(new ScenariosCommand(stdout).Command);
        root.Subcommands.Add(new Cluster.WorkerCommand(stderr).Command);
        ParseErrors.RefuseOptionsAsArguments(root);
        return root;
    }

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
        Actors.Settings.AkkaConfigException => ex.Message,
        ArgumentException a when ex.Source == "BootActors.Model" => a.ParamName is { } name ? a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : a.Message,
        _ => null,
    };
}
