using System.Globalization;
using System.Text;
using BootActors.Actors.TraceTools;
using BootActors.Model.Paging;

namespace BootActors.Cli.Trace;

/// <summary>
/// A Mermaid <c>sequenceDiagram</c>: a participant per actor, one arrow per message (solid for
/// requests, dashed for replies), labelled with its seq, type and the entry it concerns; the
/// violation gets a note. Mermaid refuses a diagram longer than its <c>maxTextSize</c> (50,000
/// characters by default: "Maximum text size in diagram exceeded"), so without --from/--to the
/// export is a window that fits — the messages up to and just after the violation, or the first
/// ones — and says so in a note at the top of the diagram.
/// </summary>
internal static class MermaidExporter
{
    /// <summary>Mermaid's default maxTextSize (mermaid's config defaults): longer diagrams are not rendered.</summary>
    public const int MaxTextSize = 50_000;

    /// <summary>The default window: a diagram of about this many arrows stays readable.</summary>
    public const int WindowBefore = 150;

    public const int WindowAfter = 50;

    public static ExportResult Write(TraceReader reader, EventFilter range, TextWriter output)
    {
        var header = reader.Header;
        var cut = range.From is not null || range.To is not null;
        var window = cut ? Cut(reader, range) : DefaultWindow(reader);

        var arrows = window.Arrows.ToList();
        var (text, note) = Build(header, range, cut, window, arrows);

        // The window's budget is an estimate of the lines around the arrows; drop arrows (far end
        // first) while the whole still does not fit.
        while (!cut && window.Partial && text.Length >= MaxTextSize && arrows.Count > 1)
        {
            var v = arrows.FindIndex(a => a.Violation);
            arrows.RemoveAt(v > 0 && v >= arrows.Count - 1 - v ? 0 : arrows.Count - 1);
            (text, note) = Build(header, range, cut, window, arrows);
        }

        if (cut && text.Length > MaxTextSize)
        {
            note = $"the diagram is {text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters, more than Mermaid's default maxTextSize ({MaxTextSize.ToString("N0", CultureInfo.InvariantCulture)}): narrow --from/--to for it to render";
        }

        output.Write(text);
        output.Flush();
        return new ExportResult(arrows.Count, note);
    }

    private static (string Text, string? Note) Build(TraceFileHeader header, EventFilter range, bool cut, Window window, List<Arrow> arrows)
    {
        var seed = header.Seed is { } s ? $" seed {s}" : "";
        var used = new bool[header.Actors.Count];
        foreach (var a in arrows)
        {
            used[a.From] = used[a.To] = true;
        }

        var participants = cut || window.Partial
            ? header.Actors.Where((_, i) => used[i]).ToList()
            : header.Actors.ToList();
        if (participants.Count == 0)
        {
            participants = [header.Actors[0]];
        }

        var text = new StringBuilder();
        text.Append("sequenceDiagram\n");
        var shown = arrows.Count == 0 ? "none" : $"#{arrows[0].Seq.ToString(CultureInfo.InvariantCulture)} to #{arrows[^1].Seq.ToString(CultureInfo.InvariantCulture)}";
        text.Append(CultureInfo.InvariantCulture, $"    %% bootactors trace {header.Scenario}: {header.Mode}{seed}, events {(cut ? Range(range) : window.Partial ? shown : "all")}\n");
        foreach (var p in participants)
        {
            text.Append("    participant ").Append(p).Append('\n');
        }

        string? note = null;
        if (window.Partial)
        {
            note = $"{arrows.Count} of the trace's {window.Total} messages ({shown}), {window.Why}, so that Mermaid (maxTextSize {MaxTextSize.ToString("N0", CultureInfo.InvariantCulture)} characters) renders it; --from/--to choose others";
            text.Append("    Note over ").Append(participants[0]);
            if (participants.Count > 1)
            {
                text.Append(',').Append(participants[^1]);
            }

            text.Append(": ").Append(Escape(note)).Append('\n');
        }

        foreach (var a in arrows)
        {
            text.Append(a.Text);
        }

        return (text.ToString(), note);
    }

    private sealed record Arrow(long Seq, int From, int To, string Text, bool Violation);

    private sealed record Window(IReadOnlyList<Arrow> Arrows, long Total, bool Partial, string Why);

    private static Window Cut(TraceReader reader, EventFilter range)
    {
        var arrows = new List<Arrow>();
        var decoder = new EntryDecoder();
        foreach (var e in reader.Events())
        {
            var entry = decoder.Decode(e);
            if (range.PastRange(e))
            {
                break;
            }

            if (range.InRange(e))
            {
                arrows.Add(Render(e, entry, reader.Header));
            }
        }

        return new Window(arrows, arrows.Count, false, "");
    }

    /// <summary>
    /// Up to <see cref="WindowBefore"/> messages before the violation, the violation and up to
    /// <see cref="WindowAfter"/> after it; without a violation the first ones. Then trimmed, far
    /// end first, until the diagram fits <see cref="MaxTextSize"/>.
    /// </summary>
    private static Window DefaultWindow(TraceReader reader)
    {
        var header = reader.Header;
        var head = new List<Arrow>();
        var ring = new Queue<Arrow>();
        var after = new List<Arrow>();
        Arrow? violation = null;
        long total = 0;
        var decoder = new EntryDecoder();
        foreach (var e in reader.Events())
        {
            var entry = decoder.Decode(e);
            total++;
            if (violation is not null)
            {
                if (after.Count < WindowAfter)
                {
                    after.Add(Render(e, entry, header));
                }

                continue;
            }

            var arrow = Render(e, entry, header);
            if (arrow.Violation)
            {
                violation = arrow;
                continue;
            }

            if (head.Count < WindowBefore + WindowAfter + 1)
            {
                head.Add(arrow);
            }

            ring.Enqueue(arrow);
            if (ring.Count > WindowBefore)
            {
                ring.Dequeue();
            }
        }

        // What the rest of the diagram costs: the header lines, a participant per actor, the note.
        var budget = MaxTextSize - 400 - header.Actors.Sum(a => a.Length + 18) - header.Scenario.Length;
        if (violation is not null)
        {
            var before = ring.ToList();
            var size = before.Sum(a => a.Text.Length) + violation.Text.Length + after.Sum(a => a.Text.Length);
            while (size > budget && (before.Count > 0 || after.Count > 0))
            {
                if (after.Count > 0 && (after.Count * 3 >= before.Count || before.Count == 0))
                {
                    size -= after[^1].Text.Length;
                    after.RemoveAt(after.Count - 1);
                }
                else
                {
                    size -= before[0].Text.Length;
                    before.RemoveAt(0);
                }
            }

            var arrows = before.Append(violation).Concat(after).ToList();
            var partial = arrows.Count < total;
            return new Window(arrows, total, partial, "around the violation");
        }

        var first = new List<Arrow>();
        var used = 0;
        foreach (var a in head)
        {
            if (used + a.Text.Length > budget)
            {
                break;
            }

            used += a.Text.Length;
            first.Add(a);
        }

        return new Window(first, total, first.Count < total, "the first ones (the trace has no violation)");
    }

    private static Arrow Render(TraceEvent e, DecodedEntry? entry, TraceFileHeader header)
    {
        var arrow = e.IsReply ? "-->>" : "->>";
        var sb = new StringBuilder(96);
        sb.Append("    ").Append(header.Actors[e.From]).Append(arrow).Append(header.Actors[e.To]).Append(": ").Append(Escape(Label(e, entry))).Append('\n');
        if (e.IsViolation)
        {
            sb.Append("    Note over ").Append(header.Actors[e.From]).Append(',').Append(header.Actors[e.To]).Append(": ")
                .Append(Escape($"violation: {e.Field("error")}")).Append('\n');
        }

        return new Arrow(e.Seq, e.From, e.To, sb.ToString(), e.IsViolation);
    }

    private static string Range(EventFilter range) =>
        $"#{range.From?.ToString(CultureInfo.InvariantCulture) ?? "1"} to #{range.To?.ToString(CultureInfo.InvariantCulture) ?? "end"}";

    /// <summary>"4 ReadEntry pgd[272] of 0x201", "5 EntryRead = 0x202063": short, since the diagram shows many.</summary>
    private static string Label(TraceEvent e, DecodedEntry? entry)
    {
        var sb = new StringBuilder();
        sb.Append(e.Seq.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Type);
        if (entry is { Level: { } level, Index: { } index, Table: { } table } && entry.Kind is "read" or "write" or "fill" or "error")
        {
            sb.Append(' ').Append(level.Name()).Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append("] of ").Append(Hex.Of(table));
            if (entry.Value is { } value && (entry.Kind == "write" || e.IsReply))
            {
                sb.Append(" = ").Append(Hex.Of(value));
            }

            if (e.Field("error") is { } failed)
            {
                sb.Append(": ").Append(failed);
            }
        }
        else if (e.Field("error") is { } error)
        {
            sb.Append(' ').Append(error);
        }
        else if (e.Field("value") is { } v)
        {
            sb.Append(" = ").Append(v);
        }
        else if (entry is not null)
        {
            sb.Append(' ').Append(entry.Text);
        }
        else if (e.Fields.Count > 0)
        {
            sb.Append(' ').Append(TraceText.Fields(e));
        }

        return sb.ToString();
    }

    /// <summary>Mermaid ends a message at ";" and a line at a newline, and reads "#…;" as an entity.</summary>
    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c switch
            {
                '#' => sb.Append("#35;"),
                ';' => sb.Append("#59;"),
                '\n' or '\r' => sb.Append(' '),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }
}
