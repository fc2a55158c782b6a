using System.CommandLine;
using BootActors.Cli.Scenarios;
using BootActors.Model.E820;
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
            var root = new RootCommand(
                "bootactors: how the 2.6.27-era x86-64 Linux kernel builds its direct mapping, natively or as a Xen PV guest.");
            root.Subcommands.Add(new RunCommand(scenarios, stdout, stderr).Command);
            root.Subcommands.Add(new Trace.TraceCommand(stdout, stderr).Command);
            root.Subcommands.Add(new Explore.ExploreCommand(scenarios, stdout, stderr).Command);
            root.Subcommands.Add(new Explore.ReplayCommand(stdout).Command);
            root.Subcommands.Add(new Ablate.AblateCommand(scenarios, stdout).Command);

            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line, not System.CommandLine's error list plus full help: the mistake is named and
                // the way to the help is given.
                var command = parse.CommandResult.Command;
                var path = command is RootCommand ? "bootactors" : $"bootactors {command.Name}";
                stderr.WriteLine($"bootactors: {parse.Errors[0].Message} (see '{path} --help')");
                return ExitCodes.UsageError;
            }

            return parse.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception ex) when (UserMistake(ex) is { } message)
        {
            stderr.WriteLine($"bootactors: {message}");
            return ExitCodes.UsageError;
        }
        catch (Exception ex)
        {
            // A bug of ours: the trace is what a report needs.
            stderr.WriteLine($"bootactors: internal error: {ex}");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>The one-line report of an exception that is the user's mistake, or null for a bug.</summary>
    private static string? UserMistake(Exception ex) => ex switch
    {
        UsageException => ex.Message,

        // "file:line: reason" (or "file: reason" for the file as a whole).
        E820FormatException => ex.Message,
        MachineConfigException => $"cannot build this machine: {ex.Message}",
        ScenarioException => ex.Message,
        ArgumentException when ex.Source == "BootActors.Model" => ex.Message,
        _ => null,
    };
}
