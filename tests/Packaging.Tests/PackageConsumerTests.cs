using System.Xml.Linq;
using Xunit.Abstractions;

namespace BootActors.Packaging.Tests;

/// <summary>
/// Issue 13's "a fresh project consumes BootActors.TestKit from a local feed and its race tests pass":
/// pack the kit, write an xUnit project in a temporary folder outside the checkout that references
/// only that package (and xunit with its runner and the test SDK), and run its race tests with
/// <c>dotnet test</c>. One test does it all, since each step builds.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageConsumerTests(PackedFeed feed, ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(10);

    // The consumer's whole test file: `using BootActors.TestKit;` is all it needs from BootActors.
    // The third test expects no violation where there is one, to show that the package's assertions fail.
    private const string Races = """
        using BootActors.TestKit;
        using Xunit;
        using Xunit.Abstractions;

        namespace Consumer;

        public sealed class HotAddRaces(ITestOutputHelper output) : BootRaceTest(output)
        {
            [Fact]
            public void TwoHotAddsWithoutTheMutexLoseAPmdPage()
            {
                var found = AssertViolation<LostUpdate>(Explore(Scenario("hotadd-concurrent"), new ExploreOptions { Strategy = "pct", Seed = 1 }));

                Assert.Contains("pud_populate overwrote present pud[8]", found.Message);
                AssertReplayReproduces(found);
            }

            [Fact]
            public void WithTheHotplugMutexNoScheduleLosesAnEntry()
            {
                var result = Explore(Scenario("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions { Strategy = "dpor", Iterations = 100_000 });

                AssertNoViolation(result);
                Assert.True(result.Exhausted, "DPOR covers the space within its bounds");
            }

            [Fact]
            public void ExpectingNoViolationWithoutTheMutexFails() =>
                AssertNoViolation(Explore(Scenario("hotadd-concurrent"), new ExploreOptions { Strategy = "pct", Seed = 1 }));
        }
        """;

    [Fact]
    public void AFreshXunitProjectReferencingOnlyTheKitPackageFindsTheLostUpdateAndShowsTheMutexClean()
    {
        var version = feed.TestKitVersion;
        var dir = Directory.CreateDirectory(Path.Combine(feed.Root, "consumer")).FullName;
        WriteConsumer(dir, version);

        var results = Path.Combine(feed.Root, "consumer-results");
        var run = Dotnet.Run(dir, TestTimeout, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(feed.Root, "consumer-packages") },
            "test", "--disable-build-servers", "--logger", "trx;LogFileName=consumer.trx", "--results-directory", results);
        foreach (var line in feed.Log)
        {
            output.WriteLine(line);
        }

        output.WriteLine($"{run.Command}: exit {run.ExitCode} in {run.Elapsed.TotalSeconds:0} s");

        var trx = Path.Combine(results, "consumer.trx");
        Assert.True(File.Exists(trx), $"dotnet test wrote no {trx}; its output:\n{run.Output}");
        var outcomes = Outcomes(trx);
        Assert.True(outcomes.Count == 3, $"expected the consumer's 3 tests to run, got {outcomes.Count}; output:\n{run.Output}");
        Assert.True(outcomes["TwoHotAddsWithoutTheMutexLoseAPmdPage"].Passed, outcomes["TwoHotAddsWithoutTheMutexLoseAPmdPage"].Message);
        Assert.True(outcomes["WithTheHotplugMutexNoScheduleLosesAnEntry"].Passed, outcomes["WithTheHotplugMutexNoScheduleLosesAnEntry"].Message);

        var failing = outcomes["ExpectingNoViolationWithoutTheMutexFails"];
        Assert.False(failing.Passed);
        Assert.Contains("expected no violation, but pct found overwrote_present_entry", failing.Message);
        Assert.Contains("replay it: bootactors replay ", failing.Message);
        Assert.Equal(1, run.ExitCode);

        // Restored from the feed, under this run's version, not from the checkout.
        var restored = Path.Combine(feed.Root, "consumer-packages", "bootactors.testkit", version);
        Assert.True(Directory.Exists(restored), $"BootActors.TestKit {version} was not restored into {restored}");
        Assert.True(Directory.Exists(Path.Combine(feed.Root, "consumer-packages", "bootactors.actors", version)), "BootActors.Actors came along as a dependency");
        Assert.False(Directory.Exists(Path.Combine(dir, "config")), "the consumer has no config/ folder: the scenarios came from the package");
    }

    private static void WriteConsumer(string dir, string version)
    {
        // Nothing from above the temporary folder may steer this build, as nothing steers a user's fresh project.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Consumer.Tests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BootActors.TestKit" Version="{version}" />
                <PackageReference Include="xunit" Version="{Repo.PackageVersion("xunit")}" />
                <PackageReference Include="xunit.runner.visualstudio" Version="{Repo.PackageVersion("xunit.runner.visualstudio")}" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{Repo.PackageVersion("Microsoft.NET.Test.Sdk")}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "HotAddRaces.cs"), Races);
        File.WriteAllText(Path.Combine(dir, "NuGet.config"), NuGetConfig(feedFolder: Path.Combine(dir, "..", "feed")));
    }

    /// <summary>
    /// The local feed besides the machine's own sources (nuget.org); the offline folder when the machine
    /// has one; and the packages this machine already restored, read in place (a fallback folder), so
    /// only BootActors' packages are extracted into the consumer's own packages folder.
    /// </summary>
    private static string NuGetConfig(string feedFolder)
    {
        var sources = $"""    <add key="bootactors-local" value="{Path.GetFullPath(feedFolder)}" />""";
        if (Directory.Exists("/opt/nuget/packages"))
        {
            sources += "\n" + """    <add key="offline" value="/opt/nuget/packages" />""";
        }

        var restored = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
            ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallback = Directory.Exists(restored) ? $"""    <add key="restored" value="{restored}" />""" : "";
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
            {sources}
              </packageSources>
              <fallbackPackageFolders>
            {fallback}
              </fallbackPackageFolders>
            </configuration>
            """;
    }

    private static Dictionary<string, (bool Passed, string Message)> Outcomes(string trx)
    {
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        return XDocument.Load(trx).Descendants(ns + "UnitTestResult").ToDictionary(
            r => ((string)r.Attribute("testName")!).Split('.')[^1],
            r => ((string?)r.Attribute("outcome") == "Passed",
                  string.Concat(r.Descendants(ns + "Message").Select(m => m.Value))));
    }
}
