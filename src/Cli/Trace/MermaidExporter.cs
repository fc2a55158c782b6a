using System.Globalization;
using System.Text;
using BootActors.Actors.TraceTools;
using BootActors.Model.Paging;

namespace BootActors.Cli.Trace;

/// <summary>
/// A Mermaid <c>sequenceDiagram</c>: a participant per actor, one arrow per message (solid for
/// requests, dashed for replies), labelled with its seq, type and the entry it concerns; the
/// violation gets a note. Meant for docs and issues, so --from/--to keep it to the part that matters.
/// </summary>
internal static class MermaidExporter
{
    /// <summary>More arrows than this make a diagram nobody can read (and Mermaid slow to lay out).</summary>
    public const int ReadableArrows = 500;

    public static long Write(TraceReader reader, EventFilter range, TextWriter output)
    {
        var header = reader.Header;
        output.WriteLine("sequenceDiagram");
        var seed = header.Seed is { } s ? $" seed {s}" : "";
        output.WriteLine($"    %% bootactors trace {header.Scenario}: {header.Mode}{seed}, events {Range(range)}");
        foreach (var actor in Participants(reader.Name, header, range))
        {
            output.WriteLine($"    participant {actor}");
        }

        var decoder = new EntryDecoder();
        long written = 0;
        foreach (var e in reader.Events())
        {
            var entry = decoder.Decode(e);
            if (range.PastRange(e))
            {
                break;
            }

            if (!range.InRange(e))
            {
                continue;
            }

            written++;
            var arrow = e.IsReply ? "-->>" : "->>";
            output.WriteLine($"    {header.Actors[e.From]}{arrow}{header.Actors[e.To]}: {Escape(Label(e, entry))}");
            if (e.IsViolation)
            {
                output.WriteLine($"    Note over {header.Actors[e.From]},{header.Actors[e.To]}: {Escape($"violation: {e.Field("error")}")}");
            }
        }

        output.Flush();
        return written;
    }

    /// <summary>Every actor for the whole trace; for a cut, only those the cut's messages involve, in the header's order.</summary>
    private static IEnumerable<string> Participants(string path, TraceFileHeader header, EventFilter range)
    {
        if (range.From is null && range.To is null)
        {
            return header.Actors;
        }

        var used = new bool[header.Actors.Count];
        using (var reader = TraceReader.Open(path))
        {
            reader.OrderOnly = true;
            foreach (var e in reader.Events())
            {
                if (range.PastRange(e))
                {
                    break;
                }

                if (range.InRange(e))
                {
                    used[e.From] = used[e.To] = true;
                }
            }
        }

        return header.Actors.Where((_, i) => used[i]).ToList();
    }

    private static string Range(EventFilter range) =>
        range.From is null && range.To is null ? "all" : $"#{range.From?.ToString(CultureInfo.InvariantCulture) ?? "1"} to #{range.To?.ToString(CultureInfo.InvariantCulture) ?? "end"}";

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
