using System.Text.RegularExpressions;
using BootActors.Cli.Scenarios;

namespace BootActors.Cli.Tests;

/// <summary>
/// The README's commands are the CLI's: every <c>bootactors …</c> (or <c>dotnet run --project src/Cli -- …</c>)
/// in a fenced block is parsed against the command tree, so an unknown command or option fails here;
/// the quick ones are run as the README runs them, in order, from a fresh directory, and each shown
/// output's lines must appear in the real output (numbers aside).
/// </summary>
public sealed partial class ReadmeTests
{
    /// <summary>A command of the README, with the output lines it shows (for a "$ " example).</summary>
    private sealed record Example(int Line, string[] Args, string[] Shown);

    private static List<Example> Examples()
    {
        var lines = File.ReadAllLines(Path.Combine(Cli.RepoRoot(), "README.md"));
        var examples = new List<Example>();
        string? fence = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fence = fence is null ? line[3..].Trim() : null;
                continue;
            }

            if (fence is null)
            {
                continue;
            }

            // "$ bootactors …" in an output block, or a command line of a sh block.
            var command = fence == "" && line.StartsWith("$ ", StringComparison.Ordinal) ? line[2..]
                : fence == "sh" ? line : null;
            if (command is null || Command().Match(command) is not { Success: true } m)
            {
                continue;
            }

            var shown = new List<string>();
            for (var j = i + 1; fence == "" && j < lines.Length && !lines[j].StartsWith("```", StringComparison.Ordinal) && !lines[j].StartsWith("$ ", StringComparison.Ordinal); j++)
            {
                shown.Add(lines[j]);
            }

            examples.Add(new Example(i + 1, Words(m.Groups["args"].Value), [.. shown]));
        }

        return examples;
    }

    /// <summary>The words a shell would pass (the README's commands quote nothing).</summary>
    private static string[] Words(string args) => args.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void TheReadmeHasCommandsToCheck()
    {
        var examples = Examples();

        Assert.True(examples.Count >= 15, $"{examples.Count} commands found");
        Assert.Contains(examples, e => e.Args[0] == "trace" && e.Args[1] == "diff");
        Assert.Contains(examples, e => e.Args[0] == "explore");
    }

    [Fact]
    public void EveryReadmeCommandParses()
    {
        foreach (var e in Examples())
        {
            var parse = CliApp.BuildRoot(HoconScenarioLoader.Default, TextWriter.Null, TextWriter.Null).Parse(e.Args);
            Assert.True(parse.Errors.Count == 0,
                $"README.md:{e.Line}: bootactors {string.Join(' ', e.Args)}: {(parse.Errors.Count > 0 ? ParseErrors.Describe(parse) : "")}");
        }
    }

    [Fact]
    public async Task TheReadmesQuickCommandsRunAndShowWhatItShows()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"bootactors-readme-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // The README runs from the checkout: config/ is where it says.
            File.CreateSymbolicLink(Path.Combine(dir, "config"), Path.Combine(Cli.RepoRoot(), "config"));
            foreach (var e in Examples().Where(e => !Slow(e.Args) && !Clustered(e.Args)))
            {
                var (code, stdout, stderr) = await Cli.RunProcessAsync(dir, TimeSpan.FromSeconds(120), null, e.Args);
                var what = $"README.md:{e.Line}: bootactors {string.Join(' ', e.Args)}";
                Assert.True(code is 0 or 1 or 4, $"{what}: exit {code}\n{stderr}");
                Assert.DoesNotContain("internal error", stderr, StringComparison.Ordinal);
                foreach (var shown in e.Shown.Where(s => s.Trim().Length > 0 && s.Trim() != "…" && !s.Contains('…', StringComparison.Ordinal)))
                {
                    var pattern = "^" + Regex.Escape(shown.TrimEnd()).Replace(@"\ ", @"\s+", StringComparison.Ordinal) + @"\s*$";
                    pattern = Number().Replace(pattern, @"[0-9a-fx.,]+");
                    Assert.True(Regex.IsMatch(stdout, pattern, RegexOptions.Multiline),
                        $"{what}: the README shows\n  {shown}\nbut the output has no such line:\n{stdout}");
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheReadmeAndDocsStandAlone()
    {
        var root = Cli.RepoRoot();
        var pages = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md")).ToList();
        foreach (var page in pages)
        {
            var text = File.ReadAllText(page);
            Assert.DoesNotContain("../shared", text, StringComparison.Ordinal);
            Assert.DoesNotContain("/work/shared", text, StringComparison.Ordinal);
            foreach (Match link in Link().Matches(text))
            {
                var target = link.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith('#'))
                {
                    continue;
                }

                var file = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, target.Split('#')[0]));
                Assert.True(file.StartsWith(root, StringComparison.Ordinal) && (File.Exists(file) || Directory.Exists(file)),
                    $"{Path.GetRelativePath(root, page)} links to {target}, which is not in the repository");
            }
        }
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    /// <summary>Boots of terabytes take seconds and gigabytes of memory: they are only parsed.</summary>
    private static bool Slow(string[] args) =>
        args.Zip(args.Skip(1)).Any(p => p.First == "--memory" && p.Second.EndsWith('T'));

    /// <summary>
    /// A cluster's coordinator and workers wait for each other (the README runs them in separate
    /// terminals): they are only parsed here; tests/Cluster.Tests runs them together.
    /// </summary>
    private static bool Clustered(string[] args) => args[0] == "worker" || args.Contains("--cluster");

    [GeneratedRegex(@"^(?:bootactors|dotnet run --project src/Cli --)\s+(?<args>[^#]*?)\s*(?:#.*)?$")]
    private static partial Regex Command();

    /// <summary>Numbers in an escaped pattern: counts, timings, rates, hex — what differs between runs and machines.</summary>
    [GeneratedRegex(@"(?<![A-Za-z_\\])(?:0x)?[0-9][0-9a-f.,]*(?![A-Za-z_])")]
    private static partial Regex Number();
}
