using System.Globalization;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;
using Serilog.Sinks.SystemConsole.Themes;

namespace BootActors.Cli.Logging;

/// <summary>
/// The kernel's log lines go through Serilog to standard error, worded as the kernel printed them,
/// so stdout stays free for the summary or the one JSON object of <c>--json</c>.
/// </summary>
internal static class CliLogging
{
    /// <summary>The bare message: a dmesg line carries no level or timestamp of ours.</summary>
    public const string OutputTemplate = "{Message:lj}{NewLine}";

    private static readonly object Gate = new();
    private static bool configured;

    /// <summary>Configures <see cref="Log.Logger"/> once per process: every level to the console's stderr.</summary>
    public static void ConfigureOnce()
    {
        lock (Gate)
        {
            if (configured)
            {
                return;
            }

            Log.Logger = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .WriteTo.Console(
                    outputTemplate: OutputTemplate,
                    formatProvider: CultureInfo.InvariantCulture,
                    standardErrorFromLevel: LogEventLevel.Verbose,
                    theme: ConsoleTheme.None)
                .CreateLogger();
            configured = true;
        }
    }

    /// <summary>
    /// The logger for one command. Writing to the process's stderr it is the shared
    /// <see cref="Log.Logger"/>; an in-process caller (a test) that passes its own stderr writer
    /// gets a logger of the same format on that writer, so its runs do not mix with others'.
    /// </summary>
    public static ILogger For(TextWriter stderr)
    {
        ConfigureOnce();
        if (ReferenceEquals(stderr, Console.Error))
        {
            return Log.Logger;
        }

        return new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.Sink(new TextWriterSink(stderr))
            .CreateLogger();
    }

    /// <summary>A sink onto a given writer with <see cref="OutputTemplate"/> (Serilog core has none).</summary>
    private sealed class TextWriterSink(TextWriter writer) : ILogEventSink
    {
        private readonly MessageTemplateTextFormatter formatter = new(OutputTemplate, CultureInfo.InvariantCulture);

        public void Emit(LogEvent logEvent)
        {
            lock (writer)
            {
                formatter.Format(logEvent, writer);
            }
        }
    }
}
