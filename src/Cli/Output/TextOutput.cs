using Spectre.Console;

namespace BootActors.Cli.Output;

/// <summary>
/// Writes human output: with Spectre.Console markup when stdout is the process's terminal, as
/// plain text otherwise, so redirected output and in-process callers get no escape codes.
/// </summary>
internal sealed class TextOutput
{
    private readonly TextWriter output;
    private readonly IAnsiConsole? console;

    public TextOutput(TextWriter writer)
    {
        output = writer;
        if (ProcessStreams.IsTerminalStdout(writer))
        {
            console = AnsiConsole.Create(new AnsiConsoleSettings { Out = ProcessStreams.TerminalOutput(writer) });
        }
    }

    public void Write(IEnumerable<StyledLine> lines)
    {
        foreach (var line in lines)
        {
            if (console is null)
            {
                output.WriteLine(line.Text);
                continue;
            }

            var text = Markup.Escape(line.Text);
            console.MarkupLine(line.Style switch
            {
                LineStyle.Heading => $"[bold]{text}[/]",
                LineStyle.Good => $"[green]{text}[/]",
                LineStyle.Bad => $"[bold red]{text}[/]",
                _ => text,
            });
        }
    }

    public void Write(IEnumerable<string> lines) => Write(lines.Select(l => new StyledLine(l)));
}
