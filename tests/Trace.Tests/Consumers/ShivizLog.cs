using System.Text.Json;
using System.Text.RegularExpressions;

namespace BootActors.Trace.Tests.Consumers;

/// <summary>One event as ShiViz parses it: its host, vector clock, text and line in the log.</summary>
internal sealed record ShivizEvent(string Host, IReadOnlyDictionary<string, long> Clock, string Text, int Line)
{
    public long Own => Clock[Host];
}

/// <summary>
/// ShiViz's rules for an uploaded log, written from its source (DistributedClocks/shiviz: js/shiviz.js
/// for the file upload, js/model/parser.js, js/util/regexp.js, js/model/vectorTimestamp.js,
/// js/model/modelGraph.js), so the tests can hold an export to them without a browser:
/// <list type="bullet">
/// <item>line 1 becomes the parser "^" + line + "$", which needs named groups host, clock and event;
/// line 2, trimmed, when not blank, the delimiter "^" + line + "$" (both multiline); the log is the text
/// after line 2, trimmed;</item>
/// <item>the delimiter splits the log into executions, labelled by its "trace" group; every non-blank
/// part must hold at least one event, labels must be unique;</item>
/// <item>events are the parser's matches (text between them is skipped); a clock is a JSON object that
/// names its own host;</item>
/// <item>per host the own values, sorted, are 1, 2, 3…; a clock names only known hosts, within their
/// counts; and each clock is exactly its own time joined with the host's previous clock and the clocks
/// of the events it newly learns of (stepThroughAndVerify).</item>
/// </list>
/// Every violation throws with ShiViz's reason.
/// </summary>
internal static class ShivizLog
{
    public static IReadOnlyDictionary<string, IReadOnlyList<ShivizEvent>> Parse(string file)
    {
        var first = file.IndexOf('\n', StringComparison.Ordinal);
        var second = file.IndexOf('\n', first + 1);
        Assert.True(first > 0 && second > first, "an upload needs the regular expression and the delimiter on lines 1 and 2");
        var parserText = "^" + file[..first] + "$";
        var delimiterLine = file[(first + 1)..second].Trim();
        var log = file[(second + 1)..].Trim();

        var parser = new Regex(parserText, RegexOptions.Multiline);
        var names = parser.GetGroupNames();
        Assert.True(names.Contains("host") && names.Contains("clock") && names.Contains("event"),
            "The parser RegExp you entered does not have the necessary named capture groups.");

        var executions = new Dictionary<string, IReadOnlyList<ShivizEvent>>();
        if (delimiterLine.Length == 0)
        {
            executions[""] = Execution(log, parser, "");
            return executions;
        }

        var delimiter = new Regex("^" + delimiterLine + "$", RegexOptions.Multiline);
        var labels = new List<string> { "" };
        labels.AddRange(delimiter.Matches(log).Select(m => m.Groups["trace"].Success ? m.Groups["trace"].Value : ""));
        // ShiViz splits with the named groups made non-capturing (NamedRegExp's "no" expression).
        var splitter = new Regex("^" + Regex.Replace(delimiterLine, @"\(\?<\w+?>", "(?:") + "$", RegexOptions.Multiline);
        var parts = splitter.Split(log);
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Trim().Length == 0)
            {
                continue;
            }

            Assert.False(executions.ContainsKey(labels[i]), $"Execution names must be unique. There are multiple executions called \"{labels[i]}\"");
            executions[labels[i]] = Execution(parts[i], parser, labels[i]);
        }

        return executions;
    }

    private static IReadOnlyList<ShivizEvent> Execution(string text, Regex parser, string label)
    {
        var events = new List<ShivizEvent>();
        var line = 1;
        var counted = 0;
        foreach (Match m in parser.Matches(text))
        {
            line += text.AsSpan(counted, m.Index - counted).Count('\n');
            counted = m.Index;
            var host = m.Groups["host"].Value;
            Dictionary<string, long> clock;
            try
            {
                clock = JsonSerializer.Deserialize<Dictionary<string, long>>(m.Groups["clock"].Value)!;
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"An error occured while trying to parse the vector timestamp on line {line}: {m.Groups["clock"].Value}: {ex.Message}");
            }

            Assert.True(clock.ContainsKey(host), $"Local host \"{host}\" is missing from timestamp on line {line}");
            foreach (var zero in clock.Where(c => c.Value == 0).Select(c => c.Key).ToList())
            {
                clock.Remove(zero);
            }

            events.Add(new ShivizEvent(host, clock, m.Groups["event"].Value, line));
        }

        Assert.True(events.Count > 0, $"The parser RegExp you entered does not capture any events for the execution {label}");
        CheckModelGraph(events);
        return events;
    }

    private static void CheckModelGraph(IReadOnlyList<ShivizEvent> events)
    {
        var byHost = events.GroupBy(e => e.Host).ToDictionary(g => g.Key, g => g.OrderBy(e => e.Own).ToList());
        foreach (var (host, list) in byHost)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Assert.True(list[i].Own == i + 1,
                    i == 0
                        ? $"Logical clock values for each host must start at 1. The clock value for the first event for host \"{host}\" is {list[i].Own} (line {list[i].Line})."
                        : $"Clock values for a host must increase monotonically by 1. The clock for host \"{host}\" goes from {list[i - 1].Own} to {list[i].Own} (lines {list[i - 1].Line}, {list[i].Line}).");
            }
        }

        foreach (var (host, list) in byHost)
        {
            var running = new Dictionary<string, long>();
            IReadOnlyDictionary<string, long>? previous = null;
            foreach (var e in list)
            {
                var expected = new Dictionary<string, long> { [host] = e.Own };
                Join(expected, previous);
                foreach (var (other, time) in e.Clock)
                {
                    if (other == host || (running.TryGetValue(other, out var known) && known >= time))
                    {
                        continue;
                    }

                    running[other] = time;
                    Assert.True(byHost.ContainsKey(other), $"The following event's vector clock contains an entry for an unrecognized host \"{other}\" (line {e.Line}).");
                    Assert.True(time >= 1 && time <= byHost[other].Count, $"The following event's vector clock contains an invalid clock value {time} for host \"{other}\" (line {e.Line}).");
                    Join(expected, byHost[other][(int)time - 1].Clock);
                }

                foreach (var (other, time) in e.Clock)
                {
                    running[other] = Math.Max(running.GetValueOrDefault(other), time);
                }

                Assert.True(expected.Count == e.Clock.Count && expected.All(kv => e.Clock.TryGetValue(kv.Key, out var v) && v == kv.Value),
                    $"The following event has an impermissible vector clock (line {e.Line}): {JsonSerializer.Serialize(e.Clock)}; we think it should be: {JsonSerializer.Serialize(expected)}");
                previous = e.Clock;
            }
        }
    }

    private static void Join(Dictionary<string, long> into, IReadOnlyDictionary<string, long>? other)
    {
        if (other is null)
        {
            return;
        }

        foreach (var (k, v) in other)
        {
            into[k] = Math.Max(into.GetValueOrDefault(k), v);
        }
    }
}
