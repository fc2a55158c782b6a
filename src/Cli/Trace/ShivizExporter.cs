using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>
/// The log ShiViz parses: one line per event — each message's send at its sender and its receive
/// at its receiver — with the host and its vector clock as a JSON object. ShiViz insists that each
/// host's own clock runs 1, 2, 3… with no gap, but a trace has gaps (a send the run never delivered
/// before it stopped, or events cut off by --from/--to), so each actor's own-clock values are
/// renumbered to their rank among the events written, and every clock component with them.
/// </summary>
internal static partial class ShivizExporter
{
    /// <summary>The regular expression to paste into ShiViz's "log parsing regular expression" box.</summary>
    public const string Pattern = @"^(?<host>[a-z][a-z0-9_]*) (?<clock>\{[^}]*\}) (?<event>.*)$";

    [GeneratedRegex(Pattern, RegexOptions.Multiline)]
    public static partial Regex LineRegex();

    public static long Write(string path, EventFilter range, TextWriter output)
    {
        TraceFileHeader header;
        var own = new List<long>[0];

        // Pass 1: the own-clock values each actor's written events have.
        using (var reader = TraceReader.Open(path))
        {
            header = reader.Header;
            reader.OrderOnly = true;
            own = Enumerable.Range(0, header.Actors.Count).Select(_ => new List<long>()).ToArray();
            foreach (var e in reader.Events())
            {
                if (range.PastRange(e))
                {
                    break;
                }

                if (range.InRange(e))
                {
                    own[e.From].Add(e.SendTime);
                    own[e.To].Add(e.ReceiveTime);
                }
            }
        }

        var ranks = own.Select(l =>
        {
            var a = l.ToArray();
            Array.Sort(a);
            return a;
        }).ToArray();

        output.WriteLine($"# bootactors trace {header.Scenario}: {header.Mode} mode, strategy {header.Strategy}{(header.Seed is { } s ? $", seed {s}" : "")}, start {header.Start}");
        output.WriteLine("# ShiViz (https://distributedclocks.github.io/shiviz/): paste this log, and this log parsing regular expression:");
        output.WriteLine("# " + Pattern);
        output.WriteLine("# Each message is two events: 'send #SEQ TYPE to ACTOR' at its sender and 'recv #SEQ TYPE from ACTOR' at its receiver.");
        output.WriteLine("# Clocks are the trace's vector clocks with each actor's own events renumbered 1, 2, 3... as ShiViz requires.");
        output.WriteLine();

        long written = 0;
        var decoder = new EntryDecoder();
        var line = new StringBuilder(256);
        using (var reader = TraceReader.Open(path))
        {
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
                var what = Describe(e, entry);
                line.Clear();
                Event(line, header.Actors[e.From], e.FromClock, header, ranks)
                    .Append("send #").Append(e.Seq.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Type)
                    .Append(" to ").Append(header.Actors[e.To]).Append(what);
                output.WriteLine(line);
                line.Clear();
                Event(line, header.Actors[e.To], e.ToClock, header, ranks)
                    .Append("recv #").Append(e.Seq.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(e.Type)
                    .Append(" from ").Append(header.Actors[e.From]).Append(what);
                output.WriteLine(line);
            }
        }

        output.Flush();
        return written;
    }

    private static string Describe(TraceEvent e, DecodedEntry? entry)
    {
        var sb = new StringBuilder();
        if (e.Effect is { } effect)
        {
            sb.Append(": cpu").Append(e.Cpu.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(effect);
        }

        if (entry is not null)
        {
            sb.Append(" | ").Append(entry.Text);
        }
        else if (e.Fields.Count > 0)
        {
            sb.Append(" | ").Append(TraceText.Fields(e));
        }

        // One event per line: nothing in the text may end it early.
        return sb.Replace('\n', ' ').Replace('\r', ' ').ToString();
    }

    private static StringBuilder Event(StringBuilder sb, string host, long[] clock, TraceFileHeader header, long[][] ranks)
    {
        sb.Append(host).Append(" {");
        var first = true;
        for (var i = 0; i < clock.Length; i++)
        {
            var rank = Rank(ranks[i], clock[i]);
            if (rank == 0)
            {
                continue;
            }

            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append('"').Append(header.Actors[i]).Append("\": ").Append(rank.ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append("} ");
    }

    /// <summary>How many written events of the actor have own clock ≤ <paramref name="value"/>.</summary>
    private static long Rank(long[] sorted, long value)
    {
        if (value == 0 || sorted.Length == 0)
        {
            return 0;
        }

        var i = Array.BinarySearch(sorted, value);
        if (i >= 0)
        {
            // Own-clock values are distinct per actor; step past equal ones all the same.
            while (i + 1 < sorted.Length && sorted[i + 1] == value)
            {
                i++;
            }

            return i + 1;
        }

        return ~i;
    }
}
