using System.Globalization;
using BootActors.Actors.TraceTools;
using Spectre.Console;

namespace BootActors.Cli.Trace;

/// <summary>
/// <c>trace show</c>: the events that pass the filters, each with its kernel step and the entry it
/// read or wrote decoded. On a terminal a Spectre.Console table, written a page at a time so a big
/// trace starts showing at once; redirected, one plain line per event (grep-able, diff-able).
/// </summary>
internal static class TraceShow
{
    /// <summary>Rows per table on a terminal: each page is written as soon as it is full.</summary>
    private const int PageRows = 50;

    /// <summary>On a terminal, without --max-events: enough to read, not a million rows scrolling past.</summary>
    public const int TerminalDefaultLimit = 500;

    public static int Run(string path, EventFilter filter, long? limit, TextWriter output, bool json = false)
    {
        if (json)
        {
            return RunJson(path, filter, limit, output);
        }

        var console = ProcessStreams.IsTerminalStdout(output)
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = ProcessStreams.TerminalOutput(output) })
            : null;
        limit ??= console is null ? null : TerminalDefaultLimit;

        using var reader = TraceReader.Open(path);
        var header = reader.Header;
                WriteLine(console, output, $"trace {path}: {header.Describe()}", "bold");

        long shown = 0;
        var selection = new Selection(filter, limit);
        var page = new List<(TraceEvent Event, DecodedEntry? Entry)>(PageRows);
        foreach (var (e, entry) in selection.Of(reader))
        {
            shown++;
            if (console is null)
            {
                output.WriteLine(TraceText.Line(e, header, entry));
                continue;
            }

            page.Add((e, entry));
            if (page.Count == PageRows)
            {
                WritePage(console, header, page);
                page.Clear();
            }
        }

        if (console is not null && page.Count > 0)
        {
            WritePage(console, header, page);
        }

        var more = selection.Limited ? $" (stopped at --max-events {limit}; narrow with --from/--to, --cpu, --actor, --type, --addr)" : "";
        WriteLine(console, output, $"{shown.ToString(CultureInfo.InvariantCulture)} event(s) shown{more}", null);
        if (selection.Violation is { } violation)
        {
            WriteLine(console, output, $"violation: {TraceText.Title(violation, header)}: {violation.Field("error")}: {violation.Field("message")}", "bold red");
        }

        output.Flush();
        return ExitCodes.Ok;
    }

    /// <summary>One JSON object, written as the events stream past: a million-event trace is not held in memory.</summary>
    private static int RunJson(string path, EventFilter filter, long? limit, TextWriter output)
    {
        using var reader = TraceReader.Open(path);
        var header = reader.Header;
                output.Write($"{{\"trace\":{TraceJson.Write(TraceJson.Header(path, header))},\"events\":[");
        long shown = 0;
        var selection = new Selection(filter, limit);
        foreach (var (e, entry) in selection.Of(reader))
        {
            output.Write(shown++ == 0 ? "" : ",");
            output.Write(TraceJson.Write(TraceJson.Event(e, header, entry)));
        }

        var tail = new System.Text.Json.Nodes.JsonObject
        {
            ["shown"] = shown,
            ["max_events"] = limit,
            ["stopped_at_max_events"] = selection.Limited,
            ["violation"] = selection.Violation is not { } violation ? null : new System.Text.Json.Nodes.JsonObject
            {
                ["seq"] = violation.Seq,
                ["error"] = violation.Field("error"),
                ["message"] = violation.Field("message"),
            },
        };
        output.Write("],");
        output.WriteLine(TraceJson.Write(tail)[1..]);
        output.Flush();
        return ExitCodes.Ok;
    }

    private static void WriteLine(IAnsiConsole? console, TextWriter output, string text, string? style)
    {
        if (console is null)
        {
            output.WriteLine(text);
        }
        else
        {
            console.MarkupLine(style is null ? Markup.Escape(text) : $"[{style}]{Markup.Escape(text)}[/]");
        }
    }

    private static void WritePage(IAnsiConsole console, TraceFileHeader header, List<(TraceEvent Event, DecodedEntry? Entry)> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn(new TableColumn("#").RightAligned());
        table.AddColumn("from → to");
        table.AddColumn("type");
        table.AddColumn("cpu");
        table.AddColumn("function: effect");
        table.AddColumn("entry");
        table.AddColumn("fields");
        foreach (var (e, entry) in rows)
        {
            var style = e.IsViolation ? "bold red" : e.IsReply ? "grey" : null;
            string Cell(string? text) => style is null ? Markup.Escape(text ?? "") : $"[{style}]{Markup.Escape(text ?? "")}[/]";
            table.AddRow(
                Cell(e.Seq.ToString(CultureInfo.InvariantCulture)),
                Cell($"{header.Actors[e.From]} → {header.Actors[e.To]}"),
                Cell(e.Type),
                Cell(e.Cpu >= 0 ? e.Cpu.ToString(CultureInfo.InvariantCulture) : ""),
                Cell(e.Effect),
                Cell(entry?.Text),
                Cell(TraceText.Fields(e)));
        }

        console.Write(table);
    }

    /// <summary>
    /// The events both writers show: those that pass the filter, up to --max-events; on the way it
    /// notes the trace's first violation (wherever the filter cuts) and whether the limit stopped it.
    /// </summary>
    private sealed class Selection(EventFilter filter, long? limit)
    {
        public TraceEvent? Violation { get; private set; }

        public bool Limited { get; private set; }

        public IEnumerable<(TraceEvent Event, DecodedEntry? Entry)> Of(TraceReader reader)
        {
            var decoder = new EntryDecoder();
            long shown = 0;
            foreach (var e in reader.Events())
            {
                var entry = decoder.Decode(e);
                if (e.IsViolation)
                {
                    Violation ??= e;
                }

                if (filter.PastRange(e))
                {
                    break;
                }

                if (!filter.Matches(e, entry))
                {
                    continue;
                }

                if (shown == limit)
                {
                    Limited = true;
                    break;
                }

                shown++;
                yield return (e, entry);
            }
        }
    }
}
