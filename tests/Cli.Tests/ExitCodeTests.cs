using System.Text.Json;
using System.Text.Json.Nodes;

namespace BootActors.Cli.Tests;

/// <summary>
/// Exit statuses a script can rely on: an unmet expectation (4) is not an outcome (0/1), a bound of
/// the host (5) is not a failure of bootactors (3), and each limit names the option that raises it.
/// </summary>
public sealed class ExitCodeTests(FoundRace race) : IClassFixture<FoundRace>
{
    /// <summary>One CPU touches three million pages while CPU0 touches one: a schedule that takes seconds.</summary>
    private const string SlowScenario = """
        cpus = 2
        memory = 8G
        variant = fixed
        workload = [
          { concurrent = [ { cpu = 1, touch { addr = 0, count = 3000000, stride = 4K } }, { cpu = 0, touch { addr = 0 } } ] }
        ]
        """;

    [Fact]
    public void TheExitCodesAreDistinct()
    {
        Assert.Equal(ExitCodes.Table.Count, ExitCodes.Table.Select(r => r.Code).Distinct().Count());
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 130], ExitCodes.Table.Select(r => r.Code).Order());
    }

    [Fact]
    public void TheReadmesTableIsExitCodesTable()
    {
        var readme = File.ReadAllLines(Path.Combine(Cli.RepoRoot(), "README.md"));
        var start = Array.IndexOf(readme, "| code | meaning |");
        Assert.True(start >= 0, "README.md has no exit-code table");
        var rows = readme.Skip(start + 2).TakeWhile(l => l.StartsWith('|')).ToList();

        Assert.Equal(ExitCodes.Table.Select(r => $"| {r.Code} | {r.Meaning} |"), rows);
    }

    [Fact]
    public void AnUnmetScenarioExpectationHasItsOwnExitCode()
    {
        // The sequential interpreter runs the hot-adds one after the other: no lost update, outcome ok.
        var run = Cli.Run("run", "hotadd-concurrent", "--host", "sequential");

        Assert.Equal(ExitCodes.ExpectationNotMet, run.ExitCode);
        Assert.Contains("outcome: ok", run.StdoutLines);
        Assert.StartsWith("expected: violation (overwrote_present_entry)", run.StdoutLines[^1], StringComparison.Ordinal);
        Assert.EndsWith("NOT met (got ok)", run.StdoutLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void AMetExpectationKeepsTheOutcomesExitCode()
    {
        Assert.Equal(ExitCodes.BadOutcome, Cli.Run("run", "xen-boot-before").ExitCode);
        Assert.Equal(ExitCodes.Ok, Cli.Run("run", "xen-boot-fixed").ExitCode);
    }

    [Fact]
    public void TheDeliveryBoundIsALimitNamingItsOptionNotAFailureOnCpuMinusOne()
    {
        var run = Cli.Run("run", "hotadd-concurrent", "--max-deliveries", "1000");

        Assert.Equal(ExitCodes.LimitReached, run.ExitCode);
        Assert.Contains("outcome: limit (the run did not finish)", run.StdoutLines);
        Assert.Contains("  limit          the run reached --max-deliveries 1000 before it finished; raise it with --max-deliveries N", run.StdoutLines);
        Assert.Equal("bootactors: the run reached --max-deliveries 1000 before it finished; raise it with --max-deliveries N", run.StderrLines[^1]);
        Assert.DoesNotContain("CPU-1", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("actors")]
    [InlineData("sequential")]
    public void TheTimeoutIsALimitNamingItsOptionOnEitherHost(string host)
    {
        // 48 TiB without PSE with each PTE its own steps (pte_grain=entry: 12.9 billion entries, nothing
        // folded). A boot at page grain folds its whole GiBs and takes well under 200 ms even at 48 TiB.
        var run = Cli.Run("run", "default", "--set", "pte_grain=entry", "--memory", "48T", "--pse", "off", "--host", host, "--timeout", "200ms", "--json");

        Assert.Equal(ExitCodes.LimitReached, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("limit", doc.RootElement.GetProperty("outcome").GetString());
        Assert.Equal("--timeout 200ms", doc.RootElement.GetProperty("limit").GetProperty("option").GetString());
        Assert.StartsWith("bootactors: the run did not finish within --timeout 200ms (", run.StderrLines[^1], StringComparison.Ordinal);
        Assert.EndsWith("; raise it with --timeout T", run.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void MaxDeliveriesNeedsTheControlledActorHost()
    {
        var sequential = Cli.Run("run", "--host", "sequential", "--max-deliveries", "10");
        var free = Cli.Run("run", "--mode", "free", "--max-deliveries", "10");

        Assert.Equal(2, sequential.ExitCode);
        Assert.Contains("--max-deliveries 10 needs --host actors", Assert.Single(sequential.StderrLines), StringComparison.Ordinal);
        Assert.Equal(2, free.ExitCode);
        Assert.Contains("--max-deliveries 10 needs --mode controlled", Assert.Single(free.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void AnExplorationWhoseEverySchedulesIsCutSaysSoAndHasNoVerdict()
    {
        var run = Cli.Run("explore", "hotadd-concurrent", "--set", "hotplug_mutex=on", "--max-steps", "1", "--max-schedules", "5");

        Assert.Equal(ExitCodes.LimitReached, run.ExitCode);
        Assert.DoesNotContain("no violation found", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("  incomplete     5 schedule(s) reached --max-deliveries and were cut", run.StdoutLines);
        Assert.Contains("no verdict: every schedule (5) reached --max-deliveries 1 before it finished, so they say nothing about a violation; raise it with --max-deliveries N",
            run.StdoutLines);
    }

    [Fact]
    public void AnExplorationWhoseEveryScheduleTimesOutNamesTimeout()
    {
        using var scratch = new Scratch();
        var scenario = scratch.Write("slow.hocon", SlowScenario);

        var run = Cli.Run("explore", scenario, "--timeout", "200ms", "--max-deliveries", "100000000", "--max-schedules", "2", "--json");

        Assert.Equal(ExitCodes.LimitReached, run.ExitCode);
        var o = JsonNode.Parse(run.Stdout)!;
        Assert.Equal(2, (int)o["timed_out"]!);
        Assert.Null(o["error"]);
        Assert.Equal("every schedule (2) did not finish within --timeout 200ms before it finished, so they say nothing about a violation; raise it with --timeout T",
            (string)o["limit"]!);
    }

    [Fact]
    public void AnExplorationEndedByItsTimeLimitIsNotAnErrorOfTheScheduleRunningThen()
    {
        using var scratch = new Scratch();
        var scenario = scratch.Write("slow.hocon", SlowScenario);

        // Each schedule runs longer than the whole time limit: the first one is cut by it.
        var run = Cli.Run("explore", scenario, "--time-limit", "500ms", "--max-deliveries", "100000000", "--json");

        var o = JsonNode.Parse(run.Stdout)!;
        Assert.Null(o["error"]);
        Assert.True((bool)o["time_limit_reached"]!);
        Assert.Equal(0, (int)o["schedules"]!);
        Assert.Equal(ExitCodes.LimitReached, run.ExitCode);
        Assert.Equal("bootactors: no schedule finished within --time-limit; raise it with --time-limit T", run.StderrLines[^1]);
    }

    [Fact]
    public void AnExplorationThatRunsToItsTimeLimitEndsNormally()
    {
        var run = Cli.Run("explore", "hotadd-concurrent", "--set", "hotplug_mutex=on", "--max-schedules", "100000000", "--time-limit", "1s", "--json");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        var o = JsonNode.Parse(run.Stdout)!;
        Assert.True((bool)o["time_limit_reached"]!);
        Assert.Null(o["error"]);
        Assert.False((bool)o["found"]!);
        Assert.True((int)o["schedules"]! > 0);
    }

    [Fact]
    public void AReplayThatReproducesItsViolationExitsOne()
    {
        var run = Cli.Run("replay", race.ReplayPath);

        Assert.Equal(ExitCodes.BadOutcome, run.ExitCode);
        Assert.StartsWith("reproduced: overwrote_present_entry on CPU", run.StdoutLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void AReplayWhoseVerdictDoesNotReproduceExitsFour()
    {
        using var scratch = new Scratch();
        var replay = race.Replay();
        replay["violation"]!["kind"] = "stale_tlb_use";
        var path = scratch.Write("other.replay.json", replay.ToJsonString());

        var run = Cli.Run("replay", path);

        Assert.Equal(ExitCodes.ExpectationNotMet, run.ExitCode);
        Assert.Equal("NOT reproduced: expected stale_tlb_use, got overwrote_present_entry", run.StdoutLines[1]);
        Assert.Equal($"bootactors: {path}: not reproduced: the file's violation is stale_tlb_use, the replay gave overwrote_present_entry", run.StderrLines[^1]);
    }

    [Fact]
    public void AReplayCutByItsDeliveryBoundIsALimit()
    {
        var run = Cli.Run("replay", race.ReplayPath, "--max-deliveries", "3", "--json");

        Assert.Equal(ExitCodes.LimitReached, run.ExitCode);
        Assert.Equal("the run reached --max-deliveries 3 before it finished; raise it with --max-deliveries N", (string)JsonNode.Parse(run.Stdout)!["limit"]!);
    }
}
