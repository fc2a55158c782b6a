using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Scenarios;

/// <summary>A scenario file, read and checked: the machine, what runs after the boot, and what should come of it.</summary>
public sealed record Scenario
{
    /// <summary>The file name without ".hocon" ("hotadd-concurrent").</summary>
    public required string Name { get; init; }

    /// <summary>The file's leading comment block: what a user should see and why, in kernel terms.</summary>
    public string Description { get; init; } = "";

    public required MachineConfig Machine { get; init; }

    /// <summary>The steps after the boot on CPU0 (empty: boot only).</summary>
    public required WorkloadPlan Workload { get; init; }

    /// <summary>The outcome the file promises; null when it has no expect block.</summary>
    public Expectation? Expect { get; init; }

    /// <summary>The file as it was named to the loader (the name in messages).</summary>
    public required string SourcePath { get; init; }
}

/// <summary>The expect block: the run's outcome, and optionally its error kind and a piece of its message.</summary>
public sealed record Expectation(string Outcome, string? Error = null, string? Message = null)
{
    /// <summary>The outcomes a scenario may expect (failed is the host's trouble, never a kernel's).</summary>
    public static readonly IReadOnlyList<string> Outcomes = ["ok", "panic", "rejected", "violation"];

    /// <summary>"violation (overwrote_present_entry)", with the message piece when there is one.</summary>
    public string Describe() =>
        Outcome + (Error is null || Error == Outcome ? "" : $" ({Error})") + (Message is null ? "" : $", message containing \"{Message}\"");

    /// <summary>Whether <paramref name="result"/> is what this expects, and what the run gave.</summary>
    public ExpectationCheck Check(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var outcome = result.Outcome.JsonName();
        var error = result.Stop?.Fatal.Kind.JsonName();
        var message = result.Stop?.Fatal.Message ?? "";
        var met = outcome == Outcome
                  && (Error is null || Error == error)
                  && (Message is null || message.Contains(Message, StringComparison.Ordinal));
        return new ExpectationCheck(met, outcome + (error is null || error == outcome ? "" : $" ({error})"));
    }
}

/// <summary>The verdict of <see cref="Expectation.Check"/>: met or not, and the run's outcome as "kind (error)".</summary>
public sealed record ExpectationCheck(bool Met, string Got);

/// <summary>
/// A scenario that cannot be used: the message is "file:line: key: reason" (the line when known;
/// "file: --set key: reason" for a bad <c>--set</c>), and the CLI exits 2 with it.
/// </summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string fileName, int? line, string? key, string reason, Exception? inner = null)
        : base(Format(fileName, line, key, reason), inner)
    {
        FileName = fileName;
        Line = line;
        Key = key;
        Reason = reason;
    }

    public string FileName { get; }

    /// <summary>The 1-based line the problem is on, when the file has one for it.</summary>
    public int? Line { get; }

    /// <summary>The key path ("workload[0].hotadd.size"), or null for the file as a whole.</summary>
    public string? Key { get; }

    public string Reason { get; }

    private static string Format(string fileName, int? line, string? key, string reason) =>
        (line is { } l ? $"{fileName}:{l}: " : $"{fileName}: ") + (key is null ? "" : $"{Shorten(key)}: ") + reason;

    // A key path is as long as the text made it; one line of report needs only its ends.
    private static string Shorten(string key) => key.Length <= 120 ? key : $"{key[..60]}…{key[^40..]}";
}
