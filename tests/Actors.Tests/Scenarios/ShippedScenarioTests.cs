using BootActors.Actors.Host;
using BootActors.Actors.Scenarios;
using BootActors.Model;

namespace BootActors.Actors.Tests.Scenarios;

/// <summary>
/// The scenarios in config/scenarios: each loads, and a run on the default host (the actor host,
/// controlled, seed 0 — what `bootactors run NAME` does) meets its expect block (what its comment
/// tells the user to expect). The claims the comments make about --set variations are pinned here too.
/// </summary>
public sealed class ShippedScenarioTests(ActorHostFixture hosts) : IClassFixture<ActorHostFixture>
{
    public static TheoryData<string> Files() => new(Names());

    private static IEnumerable<string> Names() =>
        Directory.GetFiles(ScenarioText.ScenariosDir(), "*.hocon").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);

    [Fact]
    public void TheIssuesScenariosAreShipped()
    {
        string[] expected =
        [
            "default", "hotadd-concurrent", "hotadd-new-pgd", "hotremove-local-flush", "native-boot-after",
            "table-space-short", "topdown-alloc", "xen-boot-after", "xen-boot-before", "xen-boot-fixed",
        ];

        Assert.Equal(expected, Names());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheRunMeetsTheExpectBlock(string name)
    {
        var scenario = Load(name);
        var expect = Assert.IsType<Expectation>(scenario.Expect);

        var result = hosts.Host.Run(scenario.Machine, scenario.Workload).Result;

        var check = expect.Check(result);
        Assert.True(check.Met, $"{name}: expected {expect.Describe()}, got {check.Got}: {result.Stop?.Fatal.Message}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheCommentSaysWhatToSeeInKernelTerms(string name)
    {
        var scenario = Load(name);
        var text = scenario.Description.Replace('\n', ' ');

        Assert.Contains("What you should see", text);
        Assert.Contains("outcome " + scenario.Expect!.Outcome, text);
        if (scenario.Expect.Error is { } error && error != scenario.Expect.Outcome)
        {
            Assert.Contains(error, text);
        }
    }

    [Theory]
    [InlineData("hotadd-concurrent", "hotplug_mutex=on", "ok")]
    [InlineData("hotremove-local-flush", "flush=global", "ok")]
    [InlineData("hotadd-new-pgd", "fixes=8ae3a5a8dff", "violation (unmapped_ram)")]
    [InlineData("hotadd-new-pgd", "fixes=8ae3a5a8dff,574977a2edd", "ok")]
    [InlineData("native-boot-after", "fixes=22b45144f67", "ok")]
    [InlineData("topdown-alloc", "alloc_order=bottom-up", "ok")]
    [InlineData("table-space-short", "hunks=all", "ok")]
    [InlineData("xen-boot-before", "variant=after", "ok")]
    public void TheSetVariationsTheCommentsMentionGiveWhatTheySay(string name, string set, string got)
    {
        var scenario = ScenarioLoader.Load(Path.Combine(ScenarioText.ScenariosDir(), name + ".hocon"), [set]);

        var result = Simulation.Run(scenario.Machine, scenario.Workload);

        Assert.Equal(got, new Expectation("ok").Check(result).Got);
    }

    [Fact]
    public void XenBootAfterAndFixedBuildTheTablesTheCommentsCount()
    {
        var after = Simulation.Run(Load("xen-boot-after").Machine, Load("xen-boot-after").Workload);
        var fixedRun = Simulation.Run(Load("xen-boot-fixed").Machine, Load("xen-boot-fixed").Workload);

        foreach (var run in new[] { after, fixedRun })
        {
            var summary = run.Summary();
            Assert.Equal(2034, summary.TablePages.Pte);
            Assert.Equal(3, summary.TablePages.Pmd);
            Assert.Equal(1041408UL, summary.DirectPages.K4);
        }

        Assert.Equal(0UL, after.Summary().DirectPages.M2);
        Assert.Equal(14UL, fixedRun.Summary().DirectPages.M2);
    }

    private static Scenario Load(string name) => ScenarioLoader.Load(Path.Combine(ScenarioText.ScenariosDir(), name + ".hocon"));
}

/// <summary>One actor host (one ActorSystem) for a test class.</summary>
public sealed class ActorHostFixture : IDisposable
{
    public ActorHost Host { get; } = new();

    public void Dispose() => Host.Dispose();
}
