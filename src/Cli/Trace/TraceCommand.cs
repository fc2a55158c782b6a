using System.CommandLine;
using BootActors.Cli.Options;
using BootActors.Actors.TraceTools;
using BootActors.Model.Files;

namespace BootActors.Cli.Trace;

/// <summary>
/// <c>bootactors trace</c>: reads the JSON Lines traces that <c>bootactors run --trace</c> writes —
/// show, hb, diff, pt and export. Files are streamed, so a million-event trace is as usable as a
/// small one. A bad file is the user's problem to fix, reported as file:line: reason with exit 2.
/// </summary>
internal sealed class TraceCommand
{
    private readonly TextWriter output;
    private readonly TextWriter errors;

    public TraceCommand(TextWriter stdout, TextWriter stderr)
    {
        output = stdout;
        errors = stderr;
        Command = new Command("trace",
            "Inspect a message trace written by 'bootactors run --trace FILE': the events with the page-table entries they " +
            "read or wrote, happens-before between two events, the first divergence of two traces, the page tables at a " +
            "point, and exports to Perfetto (chrome), ShiViz, Mermaid and a self-contained HTML viewer. Exit codes: see 'bootactors --help'.");
        Command.Subcommands.Add(Show());
        Command.Subcommands.Add(Hb());
        Command.Subcommands.Add(Diff());
        Command.Subcommands.Add(Pt());
        Command.Subcommands.Add(Export());
    }

    public Command Command { get; }

    private static Argument<string> FileArgument(string name = "FILE") => new Argument<string>(name)
    {
        Description = "A trace file (JSON Lines) from 'bootactors run --trace'.",
    }.Named("a trace file");

    private static Option<string?> FromOption() => new("--from")
    {
        Description = "First event to include (its seq).",
        HelpName = "SEQ",
    };

    private static Option<string?> ToOption() => new("--to")
    {
        Description = "Last event to include (its seq).",
        HelpName = "SEQ",
    };

    private static Option<bool> JsonOption(string shape) => new("--json")
    {
        Description = $"Print one JSON object: {shape} (docs/trace-format.md, \"--json output\").",
    };

    /// <summary>A whole number ≥ 0 typed for <paramref name="option"/>.</summary>
    private static long Count(string text, string option, string expected) =>
        long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"{option} {text}: expected {expected}");

    /// <summary>Runs a subcommand, turning an unreadable trace into the one-line user error it is.</summary>
    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (TraceFormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private Command Show()
    {
        var file = FileArgument();
        var cpu = new Option<string?>("--cpu") { Description = "Only events of this CPU's kernel steps.", HelpName = "N" };
        var actor = new Option<string?>("--actor") { Description = "Only messages from or to this actor (comma-separated for several), e.g. memory, cpu1.", HelpName = "NAME" };
        var type = new Option<string?>("--type") { Description = "Only messages of this type (comma-separated for several), e.g. ReadEntry,PudPopulate.", HelpName = "MSG" };
        var addr = new Option<string?>("--addr")
        {
            Description = "Only events about this address: entries that map it (a physical address counts through the direct map), " +
                          "tables, frames and ranges that hold it, translations of it.",
            HelpName = "0x…",
        };
        var from = FromOption();
        var to = ToOption();
        var limit = new Option<string?>("--max-events", "--limit")
        {
            Description = $"Show at most N events (alias --limit) [default: all when redirected, {TraceShow.TerminalDefaultLimit} on a terminal].",
            HelpName = "N",
        };
        var c = new Command("show",
            "The trace's events as a table (plain lines when redirected): sender → receiver, type, the CPU's kernel function " +
            "and effect, and the page-table entry read or written, decoded (level, index, frame, flags, virtual range).");
        c.Arguments.Add(file);
        var json = JsonOption("trace, events (each as in the file, with the entry decoded), shown, violation");
        foreach (var o in new Option[] { cpu, actor, type, addr, from, to, limit, json })
        {
            c.Options.Add(o);
        }

        c.SetAction(p => Guard(() =>
        {
            var path = p.GetValue(file)!;
            var header = TraceReader.ReadHeaderOf(path);
            var cpuNumber = p.GetValue(cpu) is { } c ? Count(c, "--cpu", "a CPU number (0, 1, …)") : (long?)null;
            var maxEvents = p.GetValue(limit) is { } l ? Count(l, "--max-events", "a count of events (0 or more)") : (long?)null;
            var filter = EventFilter.Build(header, cpuNumber is > int.MaxValue ? int.MaxValue : (int?)cpuNumber,
                p.GetValue(actor), p.GetValue(type), p.GetValue(addr), p.GetValue(from), p.GetValue(to));
            return TraceShow.Run(path, filter, maxEvents, output, p.GetValue(json));
        }));
        return c;
    }

    private Command Hb()
    {
        var file = FileArgument();
        var seq1 = new Argument<string>("SEQ1") { Description = "An event's seq." };
        var seq2 = new Argument<string>("SEQ2") { Description = "Another event's seq." };
        var c = new Command("hb",
            "Whether one event happens before the other by the vector clocks (its delivery precedes the other's sending), " +
            "with the shortest chain of messages that orders them, or that they are concurrent.");
        c.Arguments.Add(file);
        c.Arguments.Add(seq1);
        c.Arguments.Add(seq2);
        var json = JsonOption("trace, a, b (with their clocks), order (a_before_b, b_before_a, concurrent or same), chain");
        c.Options.Add(json);
        c.SetAction(p => Guard(() => TraceQueries.HappensBefore(p.GetValue(file)!, TraceText.Seq(p.GetValue(seq1)!, "SEQ1"), TraceText.Seq(p.GetValue(seq2)!, "SEQ2"), output,
            p.GetValue(json))));
        return c;
    }

    private Command Diff()
    {
        var a = FileArgument("A");
        var b = FileArgument("B");
        var c = new Command("diff",
            "The first point where two traces diverge (e.g. a passing and a failing schedule of one scenario): the last common " +
            "delivery and each trace's next one. Exits 1 when they differ and 0 when they deliver the same messages, as diff(1) does.");
        c.Arguments.Add(a);
        c.Arguments.Add(b);
        var json = JsonOption("a, b, identical, differ, at, last_common, next_a, next_b");
        c.Options.Add(json);
        c.SetAction(p => Guard(() => TraceQueries.Diff(p.GetValue(a)!, p.GetValue(b)!, output, p.GetValue(json))));
        return c;
    }

    private Command Pt()
    {
        var file = FileArgument();
        var at = new Option<string>("--at") { Description = "The event after which to show the tables.", HelpName = "SEQ", Required = true };
        var c = new Command("pt",
            "The page tables as they stood after event SEQ, in the kernel's /sys/kernel/debug/kernel_page_tables format, and each " +
            "TLB's contents. The run is re-run from the trace's header (its seed, or its recorded order) and checked against the trace.");
        c.Arguments.Add(file);
        c.Options.Add(at);
        c.SetAction(p => Guard(() => TraceQueries.PageTables(p.GetValue(file)!, TraceText.Seq(p.GetValue(at)!, "--at"), output)));
        return c;
    }

    private Command Export()
    {
        var file = FileArgument();
        var format = new Option<string>("--format")
        {
            Description = "chrome (Trace Event JSON for Perfetto and chrome://tracing), shiviz (ShiViz's log), mermaid (a sequenceDiagram), " +
                          "html (a self-contained viewer).",
            HelpName = "chrome|shiviz|mermaid|html",
            Required = true,
        };
        var outFile = new Option<string>("--output", "-o") { Description = "The file to write.", HelpName = "OUT", Required = true }.Named("the file to write");
        var from = FromOption();
        var to = ToOption();
        var compare = new Option<string?>("--compare")
        {
            Description = "html only: a second trace to show side by side (e.g. a passing and a failing schedule), aligned up to their first divergence, which is marked.",
            HelpName = "B.jsonl",
        }.Named("a trace file");
        var c = new Command("export", "Write the trace in a format other tools (or a browser) read.");
        c.Arguments.Add(file);
        foreach (var o in new Option[] { format, outFile, from, to, compare })
        {
            c.Options.Add(o);
        }

        c.SetAction(p => Guard(() =>
        {
            var path = p.GetValue(file)!;
            var fmt = p.GetValue(format)!.Trim().ToLowerInvariant();
            if (fmt is not ("chrome" or "shiviz" or "mermaid" or "html"))
            {
                throw new UsageException($"--format {fmt}: expected chrome, shiviz, mermaid or html");
            }

            var header = TraceReader.ReadHeaderOf(path);
            var range = EventFilter.Range(header, p.GetValue(from), p.GetValue(to));
            var target = p.GetValue(outFile)!;
            var other = p.GetValue(compare);
            if (other is not null && fmt != "html")
            {
                throw new UsageException($"--compare {other}: only the html viewer shows two traces side by side (use 'trace diff' for the others)");
            }

            if (other is not null)
            {
                TraceReader.ReadHeaderOf(other);
            }

            var result = TraceExport.Write(path, fmt, range, target, other);
            output.WriteLine($"wrote {result.Written} event(s) of {path} to {target} ({fmt})");
            if (result.Note is { } note)
            {
                errors.WriteLine($"bootactors: note: {note}");
            }

            output.Flush();
            return ExitCodes.Ok;
        }));
        return c;
    }
}

/// <summary>Writes the chosen export through <see cref="OutputFile"/>: never over its own input, never half a file.</summary>
internal static class TraceExport
{
    public static ExportResult Write(string path, string format, EventFilter range, string target, string? compare = null)
    {
        ExportResult? result = null;
        OutputFile.Write(target, stream =>
        {
            switch (format)
            {
                case "shiviz":
                {
                    using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                    result = new ExportResult(ShivizExporter.Write(path, range, text));
                    break;
                }

                case "mermaid":
                {
                    using var reader = TraceReader.Open(path);
                    using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                    result = MermaidExporter.Write(reader, range, text);
                    break;
                }

                case "chrome":
                {
                    using var reader = TraceReader.Open(path);
                    result = new ExportResult(ChromeExporter.Write(reader, range, stream));
                    break;
                }

                default:
                    result = HtmlExporter.Write(path, range, stream, compare);
                    break;
            }
        }, compare is null ? [path] : [path, compare]);
        return result ?? throw new InvalidOperationException("the export wrote nothing");
    }
}
