using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace BootActors.Packaging.Tests;

/// <summary>
/// Issue 13's "bootactors installs as a tool and runs a scenario from any directory": pack src/Cli,
/// install the package with <c>dotnet tool install --tool-path</c> from the local feed, and run it
/// from a directory with no config/ anywhere above it, so that its scenarios, sample e820 logs and
/// akka.hocon can only come from the tool's own files.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class ToolInstallTests(PackedFeed feed, ITestOutputHelper output)
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void TheInstalledToolRunsTheDefaultAndShippedScenariosFromAnUnrelatedDirectory()
    {
        var version = feed.ToolVersion;
        var tools = Path.Combine(feed.Root, "tools");
        var config = Path.Combine(feed.Root, "tool-nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="bootactors-local" value="{feed.Folder}" />
              </packageSources>
            </configuration>
            """);

        var install = Dotnet.Run(feed.Root, InstallTimeout, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(feed.Root, "tool-packages") },
            "tool", "install", "--tool-path", tools, "--configfile", config, "--version", version, "bootactors").ShouldExitWith(0);
        output.WriteLine($"{install.Command}: {install.Elapsed.TotalSeconds:0} s");
        var bootactors = Path.Combine(tools, OperatingSystem.IsWindows() ? "bootactors.exe" : "bootactors");
        Assert.True(File.Exists(bootactors), $"no {bootactors} after the install; its output:\n{install.Output}");

        var elsewhere = Directory.CreateDirectory(Path.Combine(feed.Root, "elsewhere")).FullName;
        Assert.Null(AnyConfigAbove(elsewhere));

        var boot = Dotnet.Exec(bootactors, elsewhere, RunTimeout, null, "run", "default").ShouldExitWith(0);
        Assert.Contains("outcome: ok", boot.Stdout);
        Assert.Contains("expected: ok: met", boot.Stdout);
        Assert.Contains("kernel direct mapping tables up to 200000000 @ 8000-11000", boot.Output);

        // A shipped scenario by name: the lost update of two concurrent hot-adds (exit code 1: a violation).
        var race = Dotnet.Exec(bootactors, elsewhere, RunTimeout, null, "run", "hotadd-concurrent").ShouldExitWith(1);
        Assert.Contains("outcome: violation", race.Stdout);
        Assert.Contains("overwrote_present_entry", race.Stdout);

        // A sample e820 log by name, from the tool's config/e820.
        var xen = Dotnet.Exec(bootactors, elsewhere, RunTimeout, null, "run", "--e820", "xen-pv-4g.dmesg", "--xen", "--json").ShouldExitWith(0);
        var json = JsonNode.Parse(xen.Stdout)!;
        Assert.Equal("0x100000000", (string?)json["end"]);
        Assert.Equal("ok", (string?)json["outcome"]);

        var missing = Dotnet.Exec(bootactors, elsewhere, RunTimeout, null, "run", "no-such-scenario").ShouldExitWith(2);
        Assert.Contains("hotadd-concurrent", missing.Output);
        Assert.DoesNotContain("   at ", missing.Output);
    }

    private static string? AnyConfigAbove(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "config", "scenarios")) || File.Exists(Path.Combine(dir.FullName, "config", "akka.hocon")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
