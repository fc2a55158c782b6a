using System.CommandLine;
using System.Globalization;
using BootActors.Actors.Settings;
using BootActors.Model.Interpreter;
using BootActors.Model.Machine;

namespace BootActors.Cli.Options;

/// <summary>The bounds of a run as the command line set them, with the option text to name when one is reached.</summary>
internal sealed record RunBounds(long MaxDeliveries, TimeSpan Timeout, bool MaxDeliveriesGiven, bool TimeoutGiven)
{
    /// <summary>"--timeout 60s" as the user can raise it.</summary>
    public string TimeoutOption => $"--timeout {Durations.Format(Timeout)}";

    public string MaxDeliveriesOption => string.Create(CultureInfo.InvariantCulture, $"--max-deliveries {MaxDeliveries}");

    /// <summary>The option that raises <paramref name="limit"/>, with its value.</summary>
    public string Option(RunLimit limit) => limit == RunLimit.Deliveries ? MaxDeliveriesOption : TimeoutOption;

    /// <summary>
    /// A boot's work grows with the memory it maps (about 20 deliveries per PTE page on the actor host
    /// without PSE: 42 million at 4 TiB, 126 million for a 12 TiB map), so a bound the user did not give
    /// grows with the machine: at least 64 deliveries per 2 MiB and 1 s per 16 GiB of RAM below the end of RAM.
    /// The configured values stay the floor; a bound given on the command line is kept as given.
    /// </summary>
    public RunBounds ScaledTo(MachineConfig machine)
    {
        var chunks = (long)Math.Min(machine.E820.EndOfRamPfn() >> 9, long.MaxValue / 64);
        var deliveries = MaxDeliveriesGiven ? MaxDeliveries : Math.Max(MaxDeliveries, 64 * chunks);
        var timeout = TimeoutGiven ? Timeout : TimeSpan.FromSeconds(Math.Min(Math.Max(Timeout.TotalSeconds, chunks / 8192.0), Durations.MaxTimeout.TotalSeconds));
        return this with { MaxDeliveries = deliveries, Timeout = timeout };
    }

    /// <summary>One line: which bound ended the run and how to raise it.</summary>
    public string Describe(RunLimit limit, long delivered) => limit == RunLimit.Deliveries
        ? string.Create(CultureInfo.InvariantCulture, $"the run reached {MaxDeliveriesOption} before it finished; raise it with --max-deliveries N")
        : string.Create(CultureInfo.InvariantCulture, $"the run did not finish within {TimeoutOption} ({delivered} steps done); raise it with --timeout T");
}

/// <summary>
/// <c>--max-deliveries</c> and <c>--timeout</c>, shared by run, explore and replay: reaching either
/// is a limit (exit 5, the message names the option), not a failure of bootactors.
/// </summary>
internal sealed class LimitOptions
{
    public LimitOptions(string deliveriesHelp, params string[] deliveryAliases)
    {
        MaxDeliveries = new Option<string?>("--max-deliveries", deliveryAliases)
        {
            Description = deliveriesHelp,
            HelpName = "N",
        };
    }

    public Option<string?> MaxDeliveries { get; }

    public Option<string?> Timeout { get; } = new("--timeout")
    {
        Description = "Wall-clock limit of one run (explore: of each schedule), e.g. 30s, 5m [default: bootactors.run-timeout in config/akka.hocon, 60s; run: or 1 s per 16 GiB of RAM if longer].",
        HelpName = "T",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(MaxDeliveries);
        command.Options.Add(Timeout);
    }

    /// <summary>The bounds, defaults from <paramref name="settings"/> (or <paramref name="defaultDeliveries"/>).</summary>
    public RunBounds Parse(ParseResult parse, BootActorsSettings settings, long? defaultDeliveries = null)
    {
        var deliveriesText = parse.GetValue(MaxDeliveries);
        var timeoutText = parse.GetValue(Timeout);
        var deliveries = defaultDeliveries ?? settings.ConductorMaxSteps;
        if (deliveriesText is not null)
        {
            if (!long.TryParse(deliveriesText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out deliveries) || deliveries < 1)
            {
                throw new UsageException($"--max-deliveries {deliveriesText}: expected a whole number ≥ 1");
            }
        }

        var timeout = timeoutText is null ? settings.RunTimeout : Durations.Parse(timeoutText, "--timeout", Durations.MaxTimeout);
        return new RunBounds(deliveries, timeout, deliveriesText is not null, timeoutText is not null);
    }
}

/// <summary>Durations as users type them: "30s", "2m", "500ms", "1h" or plain seconds.</summary>
internal static class Durations
{
    /// <summary>The longest --timeout: Akka's scheduler takes delays up to about 24 days; a day is plenty for one run.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>The longest --time-limit of an exploration.</summary>
    public static readonly TimeSpan MaxTimeLimit = TimeSpan.FromDays(30);

    public static TimeSpan Parse(string text, string option, TimeSpan max)
    {
        var t = text.Trim().ToLowerInvariant();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("", 1)];
        foreach (var (suffix, seconds) in units)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal) && t.Length > suffix.Length &&
                double.TryParse(t[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            {
                var total = n * seconds;
                if (!double.IsFinite(total) || !(total > 0))
                {
                    break;
                }

                if (total > max.TotalSeconds)
                {
                    throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} {text}: at most {max.TotalDays:0} day(s)"));
                }

                return TimeSpan.FromSeconds(Math.Max(total, 0.001));
            }
        }

        throw new UsageException($"{option} {text}: expected a positive duration like 30s, 2m, 500ms or 1h");
    }

    /// <summary>"60s", "1.5s", "500ms", "2m", "24h" — the shortest exact form.</summary>
    public static string Format(TimeSpan t)
    {
        if (t.TotalSeconds < 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0.###}ms");
        }

        if (t.TotalSeconds % 3600 == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{t.TotalHours:0}h");
        }

        if (t.TotalSeconds % 60 == 0 && t.TotalSeconds >= 120)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:0}m");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###}s");
    }
}
