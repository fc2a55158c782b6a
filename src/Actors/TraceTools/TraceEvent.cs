using System.Text.Json.Nodes;

namespace BootActors.Actors.TraceTools;

/// <summary>The header line of a trace file, as read back.</summary>
public sealed class TraceFileHeader
{
    public required int Version { get; init; }

    public required string Scenario { get; init; }

    /// <summary>"controlled" or "free".</summary>
    public required string Mode { get; init; }

    public long? Seed { get; init; }

    public required string Strategy { get; init; }

    /// <summary>"boot" or "after-boot".</summary>
    public required string Start { get; init; }

    /// <summary>The resolved run (<see cref="Model.Workload.RunSpec.FromJson"/>), when the writer recorded one.</summary>
    public JsonObject? Spec { get; init; }

    public required IReadOnlyList<string> Actors { get; init; }

    /// <summary>Whether the trace's schedule follows from its seed alone (controlled mode, random strategy).</summary>
    public bool ReproducibleFromSeed => Mode == "controlled" && Strategy == "random" && Seed is not null;

    public int ActorIndex(string name)
    {
        for (var i = 0; i < Actors.Count; i++)
        {
            if (Actors[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One line for people: what ran.</summary>
    public string Describe()
    {
        var seed = Seed is { } s ? $", seed {s}" : "";
        return $"scenario {Scenario}: {Mode} mode, strategy {Strategy}{seed}, start {Start}; actors {string.Join(", ", Actors)}";
    }
}

/// <summary>
/// One delivered message of a trace. Clocks are dense (one slot per actor of the header, 0 where
/// the file leaves a component out), so comparisons need no name look-ups.
/// </summary>
public sealed class TraceEvent
{
    public required long Seq { get; init; }

    /// <summary>The line of the file the event was read from (1-based; the header is line 1).</summary>
    public required long Line { get; init; }

    public required int From { get; init; }

    public required int To { get; init; }

    public required string Type { get; init; }

    /// <summary>The message's fields in file order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; }

    public required long[] FromClock { get; init; }

    public required long[] ToClock { get; init; }

    /// <summary>The CPU whose kernel step the message serves; -1 for the host's own messages.</summary>
    public int Cpu { get; init; } = -1;

    public string? Function { get; init; }

    public string? Effect { get; init; }

    /// <summary>The sender's own clock component at the send: its position in the sender's program order.</summary>
    public long SendTime => FromClock[From];

    /// <summary>The receiver's own clock component at the delivery.</summary>
    public long ReceiveTime => ToClock[To];

    /// <summary>A reply carries "value" or "error"; everything else is a request (or the host's program).</summary>
    public bool IsReply => Field("value") is not null || Field("error") is not null;

    /// <summary>The violation of a trace: a reply whose fields carry an error.</summary>
    public bool IsViolation => Field("error") is not null;

    public string? Field(string key)
    {
        foreach (var (k, v) in Fields)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>The effect without its "function: " prefix, which the function column already shows.</summary>
    public string? EffectText =>
        Effect is { } e && Function is { } f && e.StartsWith(f + ": ", StringComparison.Ordinal) ? e[(f.Length + 2)..] : Effect;
}
