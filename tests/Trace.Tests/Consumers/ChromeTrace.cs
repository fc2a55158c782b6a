using System.Text.Json;

namespace BootActors.Trace.Tests.Consumers;

/// <summary>One event of a Trace Event JSON file, in file order.</summary>
internal sealed record ChromeEvent(int Index, string Ph, string? Cat, string? Name, int Pid, int Tid, double Ts, double Dur, long? Id, string? Bp, long? Seq, long? Sends);

/// <summary>A flow bound to two slices (indices into the file's events).</summary>
internal sealed record BoundFlow(long Id, int Out, int In);

/// <summary>Reads a chrome export and binds its flows as Perfetto does.</summary>
internal static class ChromeTrace
{
    public static IReadOnlyList<ChromeEvent> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var list = new List<ChromeEvent>();
        var i = 0;
        foreach (var e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string? Str(string k) => e.TryGetProperty(k, out var v) ? v.GetString() : null;
            double Num(string k) => e.TryGetProperty(k, out var v) ? v.GetDouble() : 0;
            long? Arg(string k) => e.TryGetProperty("args", out var a) && a.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
            list.Add(new ChromeEvent(i++, Str("ph")!, Str("cat"), Str("name"), (int)Num("pid"), (int)Num("tid"), Num("ts"), Num("dur"),
                e.TryGetProperty("id", out var id) ? id.GetInt64() : null, Str("bp"), Arg("seq"), Arg("sends")));
        }

        return list;
    }

    /// <summary>
    /// Perfetto's import of v1 flow events (google/perfetto, src/trace_processor: json_trace_parser.cc,
    /// flow_tracker.cc, slice_tracker.cc, sorter/trace_sorter.h), restated: events are processed in
    /// (ts in ns, then a complete slice before other phases — longer slices first — then file order);
    /// a complete slice first pops the track's slices that ended at or before its start (a partial
    /// overlap is spilled off the track); "s", and "f" with bp "e", bind to the topmost slice on the
    /// track as it stands then (none: flow_no_enclosing_slice); an "f" without bp "e" waits for the
    /// next slice to begin. A flow is identified by (id, cat, name).
    /// </summary>
    public static IReadOnlyList<BoundFlow> BindLikePerfetto(IReadOnlyList<ChromeEvent> events, List<string> problems)
    {
        static long Ns(double us) => (long)(us * 1000);
        var order = events.Where(e => e.Ph is "X" or "s" or "f")
            .OrderBy(e => Ns(e.Ts))
            .ThenBy(e => e.Ph == "X" ? long.MaxValue - Ns(e.Dur) : long.MaxValue)
            .ThenBy(e => e.Index)
            .ToList();
        var stacks = new Dictionary<(int, int), List<ChromeEvent>>();
        var starts = new Dictionary<(long, string?, string?), int>();
        var flows = new List<BoundFlow>();
        foreach (var e in order)
        {
            if (!stacks.TryGetValue((e.Pid, e.Tid), out var stack))
            {
                stack = new List<ChromeEvent>();
                stacks[(e.Pid, e.Tid)] = stack;
            }

            switch (e.Ph)
            {
                case "X":
                    while (stack.Count > 0 && Ns(stack[^1].Ts) + Ns(stack[^1].Dur) <= Ns(e.Ts))
                    {
                        stack.RemoveAt(stack.Count - 1);
                    }

                    if (stack.Count > 0 && Ns(stack[^1].Ts) + Ns(stack[^1].Dur) < Ns(e.Ts) + Ns(e.Dur))
                    {
                        problems.Add($"slice {e.Name} at ts {e.Ts} on tid {e.Tid} partially overlaps {stack[^1].Name} at {stack[^1].Ts}: spilled off its thread's track");
                        break;
                    }

                    stack.Add(e);
                    break;
                case "s":
                    if (stack.Count == 0)
                    {
                        problems.Add($"flow {e.Id} start at ts {e.Ts} on tid {e.Tid}: flow_no_enclosing_slice");
                        break;
                    }

                    starts[(e.Id!.Value, e.Cat, e.Name)] = stack[^1].Index;
                    break;
                case "f":
                    if (e.Bp != "e")
                    {
                        problems.Add($"flow {e.Id} end at ts {e.Ts} has no bp \"e\": Perfetto binds it to the next slice, not the enclosing one");
                        break;
                    }

                    if (stack.Count == 0)
                    {
                        problems.Add($"flow {e.Id} end at ts {e.Ts} on tid {e.Tid}: flow_no_enclosing_slice");
                        break;
                    }

                    if (!starts.TryGetValue((e.Id!.Value, e.Cat, e.Name), out var from))
                    {
                        problems.Add($"flow {e.Id} end at ts {e.Ts}: flow_end_without_start");
                        break;
                    }

                    flows.Add(new BoundFlow(e.Id.Value, from, stack[^1].Index));
                    break;
            }
        }

        return flows;
    }
}
