using System.Text.Json;

namespace BootActors.Cli.Tests;

/// <summary><c>bootactors run SCENARIO [--set KEY=VALUE]...</c> with the shipped scenario files and files of the test's own.</summary>
public sealed class ScenarioRunTests
{
    [Fact]
    public void ABareNameRunsTheShippedScenarioWithItsDescriptionFirstAndItsVerdictLast()
    {
        var run = Cli.Run("run", "hotadd-concurrent");

        // The actor host's default schedule interleaves the two hot-adds and loses one (exit 1, as expected).
        Assert.Equal(1, run.ExitCode);
        var lines = run.StdoutLines;
        Assert.StartsWith("scenario hotadd-concurrent (", lines[0]);
        Assert.EndsWith("hotadd-concurrent.hocon)", lines[0]);
        Assert.StartsWith("  Two CPUs hot-add into the same empty 1 GiB region at once", lines[1]);
        Assert.Contains("  1. at the same time: CPU1 hot-add [0x200000000, 0x201000000); CPU2 hot-add [0x201000000, 0x202000000)", lines);
        Assert.Contains("outcome: violation", lines);
        Assert.StartsWith("expected: violation (overwrote_present_entry)", lines[^1]);
        Assert.EndsWith(": met", lines[^1]);
    }

    [Fact]
    public void AScenarioWhoseExpectedOutcomeIsAViolationExitsOneAndSaysTheExpectationHeld()
    {
        var run = Cli.Run("run", "native-boot-after");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("outcome: violation", run.StdoutLines);
        Assert.Equal("expected: violation (data_frame_written_as_table), message containing \"pmd[0] of table 0x203\": met", run.StdoutLines[^1]);
    }

    [Fact]
    public void TheWorkloadRunsAfterTheBoot()
    {
        var run = Cli.Run("run", "default", "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("cpus").GetInt32());
        Assert.Equal("0x200000000", root.GetProperty("end").GetString());

        // Boot [0, 8G) plus the two hot-adds [8G, 10G), all 2 MiB pages.
        Assert.Equal("[[\"0x0\",\"0x280000000\",\"2m\"]]", root.GetProperty("mapped").GetRawText());
        var scenario = root.GetProperty("scenario");
        Assert.Equal("default", scenario.GetProperty("name").GetString());
        Assert.Equal("ok", scenario.GetProperty("expect").GetProperty("outcome").GetString());
        Assert.True(scenario.GetProperty("expect_met").GetBoolean());
        Assert.Contains("arch_add_memory", run.Stderr);
    }

    [Fact]
    public void SetOverridesAScenarioKeyAndTheVerdictFollowsTheRun()
    {
        // The comment of native-boot-after: with 22b45144f67 the boot gets through and the run is ok.
        var run = Cli.Run("run", "native-boot-after", "--set", "fixes=22b45144f67");

        // The run is ok, but the file's expect block is not: its own exit status.
        Assert.Equal(ExitCodes.ExpectationNotMet, run.ExitCode);
        Assert.Contains("    fixes        22b45144f67", run.StdoutLines);
        Assert.Equal(
            "expected: violation (data_frame_written_as_table), message containing \"pmd[0] of table 0x203\": NOT met (got ok)",
            run.StdoutLines[^1]);
    }

    [Fact]
    public void SetIsRepeatableAndTakesACommaListAsOneValue()
    {
        var run = Cli.Run("run", "hotadd-concurrent", "--set", "hotplug_mutex=on", "--set", "hunks=nonpse_fallback,preserve_existing", "--json");

        Assert.Equal(ExitCodes.ExpectationNotMet, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("[\"nonpse_fallback\",\"preserve_existing\"]", doc.RootElement.GetProperty("hunks").GetRawText());
    }

    [Fact]
    public void AnUnknownSetKeyIsAUserErrorNamingTheKey()
    {
        var run = Cli.Run("run", "hotadd-concurrent", "--set", "hotplug=on");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("bootactors: ", line);
        Assert.Contains("hotadd-concurrent.hocon: --set hotplug: unknown key", line);
    }

    [Fact]
    public void SetWithoutAScenarioIsAUserError()
    {
        var run = Cli.Run("run", "--set", "cpus=2");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("bootactors: --set overrides a scenario's keys: give a SCENARIO too", Assert.Single(run.StderrLines));
    }

    [Fact]
    public void CommandLineMachineOptionsStillOverrideTheScenario()
    {
        var run = Cli.Run("run", "xen-boot-before", "--variant", "after", "--json");

        Assert.Equal(ExitCodes.ExpectationNotMet, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("after", doc.RootElement.GetProperty("variant").GetString());
        Assert.True(doc.RootElement.GetProperty("xen").GetBoolean());
        Assert.False(doc.RootElement.GetProperty("scenario").GetProperty("expect_met").GetBoolean());
    }

    [Fact]
    public void APathToAScenarioFileRunsIt()
    {
        using var file = new ScenarioFile("""
            # Two hot-adds in a row on a small machine.
            cpus = 2
            memory = 2G
            variant = fixed
            workload = [
              { cpu = 1, hotadd { start = 2G, size = 1G } }
              { cpu = 1, touch { addr = 0x80001000 } }
            ]
            expect { outcome = ok }
            """);

        var run = Cli.Run("run", file.Path);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("  Two hot-adds in a row on a small machine.", run.StdoutLines[1]);
        Assert.Contains("    0000000000 - 00c0000000 page 2M", run.StdoutLines);
        Assert.Equal("expected: ok: met", run.StdoutLines[^1]);
    }

    [Fact]
    public void ABadScenarioFileIsExitTwoNamingTheFileLineAndKey()
    {
        using var file = new ScenarioFile("""
            cpus = 2
            memory = 4G
            variant = fixed
            workload = [
              { cpu = 1, hotadd { start = 4G, length = 1G } }
            ]
            """);

        var run = Cli.Run("run", file.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Equal(
            $"bootactors: {file.Path}:5: workload[0].hotadd.length: unknown key (hotadd has start and size: start, size)",
            Assert.Single(run.StderrLines));
    }

    [Fact]
    public void AScenarioWithAHoconSyntaxErrorIsExitTwoWithTheLine()
    {
        using var file = new ScenarioFile("cpus = 2\nmemory = 4G\nexpect {\n  outcome = ok\n");

        var run = Cli.Run("run", file.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {file.Path}:3: expect: this '{{' is never closed (the file ends first)", Assert.Single(run.StderrLines));
    }

    [Fact]
    public void AnUnknownScenarioNameListsTheShippedOnes()
    {
        var run = Cli.Run("run", "hotadd-concurent");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("bootactors: hotadd-concurent: no such file or scenario (scenarios in ", line);
        Assert.Contains("hotadd-concurrent", line);
    }

    /// <summary>A scenario file under the temp directory, deleted at the end of the test.</summary>
    private sealed class ScenarioFile : IDisposable
    {
        public ScenarioFile(string contents)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bootactors-{Guid.NewGuid():N}.hocon");
            File.WriteAllText(Path, contents);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
