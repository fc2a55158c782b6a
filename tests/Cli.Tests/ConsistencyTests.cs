using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using BootActors.Cli.Scenarios;

namespace BootActors.Cli.Tests;

/// <summary>
/// One consistent command line (issue 13, part 4): help that says what the command does, hints that
/// name commands that exist, no .NET names in what a user reads, one vocabulary of option names, and
/// no option silently accepted where it does nothing. The command tree is walked, so an option or
/// command added later is held to the same rules.
/// </summary>
public sealed partial class ConsistencyTests
{
    private static RootCommand Root() => CliApp.BuildRoot(HoconScenarioLoader.Default, TextWriter.Null, TextWriter.Null);

    /// <summary>Every command with the words that reach it: "run", "trace show", …</summary>
    private static IEnumerable<(string Path, Command Command)> Commands()
    {
        var stack = new Stack<(string, Command)>(Root().Subcommands.Select(c => (c.Name, c)));
        while (stack.Count > 0)
        {
            var (path, command) = stack.Pop();
            yield return (path, command);
            foreach (var sub in command.Subcommands)
            {
                stack.Push(($"{path} {sub.Name}", sub));
            }
        }
    }

    public static TheoryData<string> CommandPaths => [.. Commands().Select(c => c.Path)];

    /// <summary>What a user must never read: .NET's type names and exception texts.</summary>
    private static void AssertNoDotNet(string text)
    {
        foreach (var leak in new[] { "System.", "`1", "(Parameter '", "Object reference not set", "Exception", "   at " })
        {
            Assert.DoesNotContain(leak, text, StringComparison.Ordinal);
        }
    }

    private static void AssertRefused(CliRun run, params string[] expected)
    {
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Equal("", run.Stdout);
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("bootactors: ", line, StringComparison.Ordinal);
        AssertNoDotNet(line);
        foreach (var e in expected)
        {
            Assert.Contains(e, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RunHelpNamesTheHostThatReallyRunsByDefault()
    {
        var help = Cli.Run("run", "--help").Stdout;
        var run = Cli.Run("run", "--memory", "64M", "--json");

        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("actors", doc.RootElement.GetProperty("host").GetProperty("name").GetString());
        Assert.DoesNotContain("on the sequential interpreter", help, StringComparison.Ordinal);
        Assert.Contains("on the actor host", help, StringComparison.Ordinal);
        Assert.Contains("[default: actors]", help, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void HelpHasNoDotNetNamesAndEveryHintNamesACommandThatExists(string path)
    {
        var help = Cli.Run([.. path.Split(' '), "--help"]);

        Assert.Equal(0, help.ExitCode);
        AssertNoDotNet(help.Stdout);
        foreach (Match hint in Hint().Matches(help.Stdout))
        {
            Assert.Equal(0, Cli.Run([.. hint.Groups["words"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1), "--help"]).ExitCode);
        }
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void AnUnknownOptionIsOneLineWhoseHintIsTheCommandsOwnHelp(string path)
    {
        var run = Cli.Run([.. path.Split(' '), "--no-such-option"]);

        AssertRefused(run, "unrecognized option '--no-such-option'", $"(see 'bootactors {path} --help')");
    }

    [Theory]
    [InlineData("show")]
    [InlineData("trace shw")]
    [InlineData("trace")]
    public void AnUnknownOrMissingCommandListsTheCommandsThereAre(string words)
    {
        var run = Cli.Run(words.Split(' '));

        var parent = words.StartsWith("trace", StringComparison.Ordinal) ? "bootactors trace" : "bootactors";
        AssertRefused(run, $"(see '{parent} --help')");
        Assert.Matches(words == "trace" ? "give a command: show, hb, diff, pt, export" : "unknown command '(show|shw)' \\(commands: ", run.Stderr);
    }

    /// <summary>
    /// Every option that takes a value, given none: System.CommandLine's "Required argument missing for
    /// option" becomes the option and what it wants. And every option is a string, string list or flag,
    /// so no value can meet .NET's own conversion ("as expected type 'System.Nullable`1[System.Int32]'").
    /// </summary>
    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void EveryOptionIsReadByBootactorsAndAMissingValueNamesTheOption(string path)
    {
        var command = Commands().Single(c => c.Path == path).Command;
        foreach (var option in command.Options.Where(o => o.Name is not ("--help" or "-h" or "-?")))
        {
            Assert.True(option.ValueType == typeof(string) || option.ValueType == typeof(string[]) || option.ValueType == typeof(bool),
                $"{path} {option.Name} is read by System.CommandLine as {option.ValueType}; read it as a string and refuse a bad value by name");
            if (option.ValueType == typeof(bool))
            {
                continue;
            }

            var run = Cli.Run([.. path.Split(' '), .. Required(path).Where(w => w != option.Name), option.Name]);
            AssertRefused(run, $"{option.Name}: expected a value");
        }
    }

    [Fact]
    public void SystemCommandLinesTypeNamesAreReworded()
    {
        // A typed option would fail in System.CommandLine's words; the rewording is the safety net.
        var cmd = new Command("x");
        var n = new Option<int?>("--n");
        cmd.Options.Add(n);
        var parse = cmd.Parse(["--n", "5x"]);

        var line = ParseErrors.Describe(parse);

        Assert.Contains("System.Nullable`1[System.Int32]", parse.Errors[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("--n 5x: expected a whole number", line, StringComparison.Ordinal);
        AssertNoDotNet(line);
    }

    /// <summary>Every argument and option that names a file to read, with a command line that reaches it.</summary>
    public static TheoryData<string, string> FileInputs => new()
    {
        { "run SCENARIO", "run {0}" },
        { "run --e820", "run --e820 {0}" },
        { "ablate SCENARIO", "ablate {0}" },
        { "ablate --e820", "ablate --e820 {0}" },
        { "explore SCENARIO", "explore {0}" },
        { "replay FILE", "replay {0}" },
        { "trace show FILE", "trace show {0}" },
        { "trace hb FILE", "trace hb {0} 1 2" },
        { "trace diff A", "trace diff {0} {trace}" },
        { "trace diff B", "trace diff {trace} {0}" },
        { "trace pt FILE", "trace pt {0} --at 1" },
        { "trace export FILE", "trace export {0} --format chrome -o {out}" },
        { "trace export --compare", "trace export {trace} --format html --compare {0} -o {out}" },
    };

    /// <summary>Every option and argument that writes a file or directory.</summary>
    private static readonly string[] FileOutputs = ["run --trace", "replay --trace", "trace export --output", "explore --output-dir"];

    [Fact]
    public void TheFileTablesNameEveryFileTakingOptionAndArgument()
    {
        var named = FileInputs.Select(r => (string)r[0]).Concat(FileOutputs).ToHashSet();
        var fileLike = new Regex("FILE|DIR|OUT|jsonl|SCENARIO|^A$|^B$");
        foreach (var (path, command) in Commands())
        {
            foreach (var a in command.Arguments.Where(a => fileLike.IsMatch(a.Name)))
            {
                Assert.Contains($"{path} {a.Name}", named);
            }

            foreach (var o in command.Options.Where(o => o.HelpName is { } h && fileLike.IsMatch(h)))
            {
                Assert.Contains($"{path} {o.Name}", named);
            }
        }
    }

    [Theory]
    [MemberData(nameof(FileInputs))]
    public void ADirectoryGivenForAFileIsReportedAsADirectory(string where, string line)
    {
        using var scratch = new Scratch();
        var dir = scratch.PathOf("a-dir");
        Directory.CreateDirectory(dir);
        var trace = scratch.Write("t.jsonl", """{"bootactors_trace":1,"scenario":"x","mode":"controlled","seed":0,"strategy":"random","actors":["host","cpu0"]}""" + "\n");

        var run = Cli.Run(Args(line, dir, trace, scratch.PathOf("out")));

        AssertRefused(run, $"{dir}: is a directory");
        Assert.DoesNotContain("no such", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", run.Stderr, StringComparison.OrdinalIgnoreCase);
        _ = where;
    }

    [Fact]
    public void ABareNameThatIsADirectoryIsADirectoryNotAMissingSample()
    {
        // --e820 NAME also looks NAME up among the samples; a directory of that name here is still what the user meant.
        var name = $"e820-dir-{Guid.NewGuid():N}";
        Directory.CreateDirectory(name);
        try
        {
            AssertRefused(Cli.Run("run", "--e820", name), $"{name}: is a directory, not an e820 file");
        }
        finally
        {
            Directory.Delete(name);
        }
    }

    [Theory]
    [MemberData(nameof(FileInputs))]
    public void AnEmptyFileNameIsRefusedByName(string where, string line)
    {
        using var scratch = new Scratch();
        var trace = scratch.Write("t.jsonl", "{}\n");

        var run = Cli.Run(Args(line, "", trace, scratch.PathOf("out")));

        var name = where.Split(' ')[^1];
        AssertRefused(run, $"{name}: expected the name of ", "not an empty string");
    }

    [Theory]
    [InlineData("run --trace")]
    [InlineData("replay --trace")]
    [InlineData("trace export --output")]
    [InlineData("explore --output-dir")]
    public void AnEmptyOutputNameIsRefusedByName(string where)
    {
        var words = where.Split(' ');
        string[] args = words[0] switch
        {
            "run" => ["run", "--memory", "64M", "--trace", ""],
            "replay" => ["replay", "x.replay.json", "--trace", ""],
            "explore" => ["explore", "hotadd-concurrent", "--output-dir", ""],
            _ => ["trace", "export", "x.jsonl", "--format", "chrome", "--output", ""],
        };

        AssertRefused(Cli.Run(args), $"{words[^1]}: expected the name of ", "not an empty string");
    }

    private static string[] Args(string line, string file, string trace, string output) =>
        [.. line.Split(' ').Select(w => w.Replace("{0}", file, StringComparison.Ordinal).Replace("{trace}", trace, StringComparison.Ordinal).Replace("{out}", output, StringComparison.Ordinal))];

    /// <summary>The vocabulary: a count bound is --max-WHAT, a duration --timeout (one run) or --time-limit (the whole command), a written directory --output-dir, a written file --output or --trace.</summary>
    [Theory]
    [InlineData("explore", "--max-schedules", "--iterations")]
    [InlineData("explore", "--output-dir", "--replay-out")]
    [InlineData("explore", "--max-deliveries", "--max-steps")]
    [InlineData("trace show", "--max-events", "--limit")]
    [InlineData("trace export", "--output", "-o")]
    public void OptionsFollowOneVocabularyAndTheOldNamesStillWork(string path, string name, string alias)
    {
        var command = Commands().Single(c => c.Path == path).Command;

        var option = Assert.Single(command.Options, o => o.Name == name);
        Assert.Contains(alias, option.Aliases);
        var help = Cli.Run([.. path.Split(' '), "--help"]).Stdout;
        Assert.Contains(name, help, StringComparison.Ordinal);
        var parsedByName = command.Parse([.. Required(path), name, "7"]).GetValue((Option<string?>)option);
        var parsedByAlias = command.Parse([.. Required(path), alias, "7"]).GetValue((Option<string?>)option);
        Assert.Equal("7", parsedByName);
        Assert.Equal("7", parsedByAlias);
    }

    /// <summary>The arguments <paramref name="path"/> requires (an option among them is dropped where it is the one tested).</summary>
    private static string[] Required(string path) => path switch
    {
        "explore" => ["hotadd-concurrent"],
        "replay" => ["x.replay.json"],
        "trace show" => ["x.jsonl"],
        "trace hb" => ["x.jsonl", "1", "2"],
        "trace diff" => ["a.jsonl", "b.jsonl"],
        "trace pt" => ["x.jsonl"],
        "trace export" => ["x.jsonl"],
        _ => [],
    };

    [Fact]
    public void NoCommandUsesAnOldOptionNameAsItsName()
    {
        string[] old = ["--iterations", "--replay-out", "--limit", "--max-steps", "-o"];
        foreach (var (path, command) in Commands())
        {
            Assert.DoesNotContain(command.Options, o => old.Contains(o.Name));
            _ = path;
        }
    }

    [Fact]
    public void TheOldNamesRunAsTheNewOnes()
    {
        using var scratch = new Scratch();
        var run = Cli.Run("explore", "hotadd-concurrent", "--set", "hotplug_mutex=on", "--iterations", "2", "--replay-out", scratch.Dir, "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("schedules").GetInt32());
    }

    [Theory]
    [InlineData("--host sequential --seed 3", "--seed 3 needs --host actors")]
    [InlineData("--host sequential --mode controlled", "--mode controlled needs --host actors")]
    [InlineData("--host sequential --trace t.jsonl", "--trace t.jsonl needs --host actors")]
    [InlineData("--host sequential --max-deliveries 10", "--max-deliveries 10 needs --host actors")]
    [InlineData("--mode free --seed 3", "--seed 3 needs --mode controlled")]
    [InlineData("--mode free --max-deliveries 10", "--max-deliveries 10 needs --mode controlled")]
    public void AnOptionThatWouldDoNothingOnTheChosenHostIsRefused(string options, string expected)
    {
        AssertRefused(Cli.Run(["run", "--memory", "64M", .. options.Split(' ')]), expected);
    }

    [Theory]
    [InlineData("--hunks", "", "an empty list")]
    [InlineData("--hunks", " ", "an empty list")]
    [InlineData("--hunks", ",", "has an empty item")]
    [InlineData("--hunks", "nonpse_fallback,,preserve_existing", "has an empty item")]
    [InlineData("--hunks", "nonpse_fallback,", "has an empty item")]
    [InlineData("--hunks", "all,none", "all is a whole list by itself")]
    [InlineData("--hunks", "none,nonpse_fallback", "none is a whole list by itself")]
    [InlineData("--fixes", "", "an empty list")]
    [InlineData("--fixes", ",", "has an empty item")]
    [InlineData("--fixes", "all,22b45144f67", "all is a whole list by itself")]
    public void AnEmptyOrContradictoryHunkOrFixListIsRefused(string option, string value, string expected)
    {
        AssertRefused(Cli.Run("run", "--memory", "64M", "--host", "sequential", option, value), $"{option}: ", expected);
        AssertRefused(Cli.Run("ablate", "--memory", "64M", "--over", option == "--hunks" ? "fixes" : "hunks", option, value), expected);
        AssertRefused(Cli.Run("run", "default", "--host", "sequential", "--set", $"{option[2..]}={value}"), expected);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("all")]
    [InlineData("nonpse_fallback, preserve_existing")]
    public void AWellFormedHunkListStillRuns(string value)
    {
        Assert.NotEqual(2, Cli.Run("run", "--memory", "64M", "--host", "sequential", "--hunks", value).ExitCode);
    }

    [Theory]
    [InlineData("--actor", "")]
    [InlineData("--actor", ",")]
    [InlineData("--type", "ReadEntry,")]
    [InlineData("--type", " ")]
    public void AnEmptyActorOrTypeListIsRefusedRatherThanShowingNothing(string option, string value)
    {
        using var scratch = new Scratch();
        var trace = scratch.Write("t.jsonl", """{"bootactors_trace":1,"scenario":"x","mode":"controlled","seed":0,"strategy":"random","actors":["host","cpu0"]}""" + "\n");

        AssertRefused(Cli.Run("trace", "show", trace, option, value), option);
    }

    [Fact]
    public void ScenariosListsEveryShippedScenarioWithItsSummary()
    {
        var files = Directory.GetFiles(Path.Combine(Cli.RepoRoot(), "config", "scenarios"), "*.hocon").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();

        var human = Cli.Run("scenarios");
        var json = Cli.Run("scenarios", "--json");

        Assert.Equal(0, human.ExitCode);
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(Assert.Single(json.StdoutLines));
        var listed = doc.RootElement.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal(files, listed.Select(s => s.GetProperty("name").GetString()));
        foreach (var s in listed)
        {
            var name = s.GetProperty("name").GetString()!;
            var summary = s.GetProperty("summary").GetString()!;
            Assert.False(string.IsNullOrWhiteSpace(summary), name);
            Assert.DoesNotContain('\n', summary);
            Assert.EndsWith(".", summary, StringComparison.Ordinal);
            Assert.StartsWith(summary[..^1], s.GetProperty("description").GetString()!.ReplaceLineEndings(" "), StringComparison.Ordinal);
            Assert.Contains(human.StdoutLines, l => l.StartsWith($"  {name} ", StringComparison.Ordinal) && l.EndsWith(summary, StringComparison.Ordinal));

            // What the list says a scenario expects is what running it checks.
            var expect = s.GetProperty("expect").GetProperty("outcome").GetString();
            Assert.Contains(expect!, human.StdoutLines.Single(l => l.StartsWith($"  {name} ", StringComparison.Ordinal)), StringComparison.Ordinal);
        }

        Assert.Equal("violation", listed.Single(s => s.GetProperty("name").GetString() == "hotadd-concurrent").GetProperty("expect").GetProperty("outcome").GetString());
        Assert.Equal("overwrote_present_entry", listed.Single(s => s.GetProperty("name").GetString() == "hotadd-concurrent").GetProperty("expect").GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("The default machine: 4 CPUs, 8 GiB. What you should see: ok.", "The default machine: 4 CPUs, 8 GiB.")]
    [InlineData("RAM that ends at 0x7ff. e.g. lower case\nstill one sentence. Next one.", "RAM that ends at 0x7ff. e.g. lower case still one sentence.")]
    [InlineData("One line without a stop", "One line without a stop")]
    [InlineData("First paragraph.\n\nSecond paragraph.", "First paragraph.")]
    public void TheSummaryIsTheFirstSentence(string description, string summary)
    {
        Assert.Equal(summary, ScenariosCommand.Summary(description));
    }

    [GeneratedRegex(@"see '(?<words>bootactors(?: [a-z0-9-]+)*) --help'")]
    private static partial Regex Hint();
}
