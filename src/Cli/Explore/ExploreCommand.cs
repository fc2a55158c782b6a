using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Settings;
using BootActors.Cli.Options;
using BootActors.Cli.Output;
using BootActors.Cli.Scenarios;
using BootActors.Cluster;
using BootActors.Model.Kernel;
using BootActors.Model.Files;
using BootActors.Model.Workload;
using Spectre.Console;

namespace BootActors.Cli.Explore;

/// <summary><c>bootactors explore</c>: search a scenario's interleavings for a violation, shrink it, write a replay file.</summary>
internal sealed class ExploreCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Argument<string> scenario = new Argument<string>("SCENARIO") { Description = "A scenario name from config/scenarios (e.g. hotadd-concurrent) or a .hocon file." }.Named("a scenario");
    private readonly Option<string?> strategy = new("--strategy")
    {
        Description = "random | pct | dfs | dpor [default: random]. random: a uniform choice at every step. pct: PCT's priorities over the CPUs, " +
                      "random priorities among one CPU's concurrent deliveries. dfs: every schedule within the bounds (a state explored before is skipped). " +
                      "dpor: source-set DPOR over deliveries whose dependence is what they read and write; complete (every violation reachable within " +
                      "--max-deliveries is found) without a preemption bound, not complete with one (a reversal that needs more preemptions is dropped).",
        HelpName = "NAME",
    };
    private readonly Option<string?> choice = new("--choice")
    {
        Description = "What each step chooses among: delivery (every message that may be delivered now, the oldest of each sender→receiver pair: " +
                      "several IPIs or replies of one CPU are separate choices) or cpu (which CPU goes next; its oldest message is delivered) " +
                      "[default: delivery, for every strategy].",
        HelpName = "MODE",
    };
    private readonly Option<string?> stateCache = new("--state-cache")
    {
        Description = "dfs/dpor: on (skip a state explored before; dpor still makes the reversals the skipped subtree would have caused, from its summary) or off [default: on; " +
                      "off with --cluster, whose nodes would each cut different schedules: a cluster explores exactly what one process does with --state-cache off].",
        HelpName = "on|off",
    };
    private readonly Option<string?> pctLength = new("--pct-length") { Description = "pct's k: change points are drawn from [1, k] [default: the length of the non-preemptive schedule].", HelpName = "K" };
    private readonly Option<string?> iterations = new("--max-schedules", "--iterations") { Description = "Schedules to try at most (alias --iterations) [default: 1000; dfs/dpor also stop when the space within the bounds is covered].", HelpName = "N" };
    private readonly Option<string?> seed = new("--seed") { Description = "Seed of random and pct [default: 0].", HelpName = "N" };
    private readonly LimitOptions limits = new("Deliveries per schedule (alias --max-steps); a schedule that reaches it is cut and counted as incomplete; dfs/dpor make choices only within them [default: 200000].", "--max-steps");
    private readonly Option<string?> timeLimit = new("--time-limit") { Description = "Stop exploring after this long, e.g. 30s, 2m, 500ms (the schedule running then is cut and not counted).", HelpName = "T" };
    private readonly Option<bool> all = new("--all") { Description = "Do not stop at the first violation: collect the distinct ones." };
    private readonly Option<string?> replayOut = new Option<string?>("--output-dir", "--replay-out") { Description = "Write each violation's replay file (and its trace) into this directory (alias --replay-out) [default: ./replays].", HelpName = "DIR" }.Named("a directory");
    private readonly Option<string?> depth = new("--depth") { Description = "pct's bug depth d [default: 3].", HelpName = "D" };
    private readonly Option<string?> preemptions = new("--max-preemptions") { Description = "dfs/dpor: at most this many preemptions per schedule [default: dfs 2, dpor unbounded].", HelpName = "N" };
    private readonly Option<bool> noShrink = new("--no-shrink") { Description = "Report the schedule as found, without shrinking it." };
    private readonly Option<string[]> set = new("--set") { Description = "Override a key of the scenario (repeatable), e.g. --set hotplug_mutex=on.", HelpName = "KEY=VALUE", Arity = ArgumentArity.OneOrMore };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object: found, violation, schedules, seconds, replay, steps, shrunk_steps (and more)." };
    private readonly Option<string?> cluster = new("--cluster") { Description = "Explore over a cluster: this process is the coordinator, the seed node at HOST:PORT; workers join it with `bootactors worker --join HOST:PORT`. random/pct: schedule i is the same on every node; dfs/dpor: split by schedule prefixes with work stealing, without the state cache (the same schedules as one process with --state-cache off). Settings in config/cluster.hocon.", HelpName = "HOST:PORT" };
    private readonly Option<string?> workers = new("--workers") { Description = "random/pct: run schedules on N engines at once, each with its own boot, actors and thread (one process); the result is the same as with one [default: 1].", HelpName = "N" };
    private readonly Option<string?> minWorkers = new("--min-workers") { Description = "With --cluster: wait for this many workers before exploring [default: 1].", HelpName = "N" };

    private readonly IScenarioLoader loader;
    private readonly TextWriter output;
    private readonly TextWriter errors;

    public ExploreCommand(IScenarioLoader scenarios, TextWriter stdout, TextWriter stderr)
    {
        loader = scenarios;
        output = stdout;
        errors = stderr;
        Command = new Command("explore",
            "Explore a scenario's interleavings on the actor host (controlled mode, one ActorSystem, every schedule from a copy of the " +
            "booted machine): stop at the first violation (or collect them with --all), shrink it, write a replay file, and explain it in " +
            "kernel terms. The report says what was covered: distinct states at decision points, decision points, whether the space within " +
            "the bounds was exhausted, and what each bound cut. A scenario whose boot fails is reported as a failed boot (no schedule runs, exit 1). " +
            "Ctrl-C stops between schedules and reports what was found so far (exit 130). Exit codes: see 'bootactors --help'.");
        Command.Arguments.Add(scenario);
        foreach (var o in new Option[] { strategy, choice, iterations, seed, timeLimit, all, replayOut, depth, pctLength, preemptions, stateCache, noShrink, set, json, workers, cluster, minWorkers })
        {
            Command.Options.Add(o);
        }

        limits.AddTo(Command);

        Command.SetAction(Execute);
    }

    public Command Command { get; }

    private int Execute(ParseResult parse)
    {
        var name = parse.GetValue(scenario)!;
        var s = loader.Load(name, parse.GetValue(set) ?? []);
        var strategyName = (parse.GetValue(strategy) ?? "random").Trim().ToLowerInvariant();
        if (strategyName is not ("random" or "pct" or "dfs" or "dpor"))
        {
            throw new UsageException($"--strategy {strategyName}: expected random, pct, dfs or dpor");
        }

        // An option of another strategy would be ignored without a word: refuse it instead.
        foreach (var (option, only, strategies) in new (Option<string?>, string, string[])[]
        {
            (depth, "pct", ["pct"]),
            (pctLength, "pct", ["pct"]),
            (preemptions, "dfs and dpor", ["dfs", "dpor"]),
            (stateCache, "dfs and dpor", ["dfs", "dpor"]),
            (workers, "random and pct", ["random", "pct"]),
        })
        {
            if (parse.GetResult(option) is { Implicit: false } && !strategies.Contains(strategyName))
            {
                throw new UsageException($"{option.Name}: only {only} {(strategies.Length == 1 ? "uses" : "use")} it, not --strategy {strategyName}; leave it out");
            }
        }

        var settings = BootActorsSettings.FromConfigDirectory(ActorHost.Defaults);
        var bounds = limits.Parse(parse, settings, DefaultMaxDeliveries);
        if (bounds.MaxDeliveries > int.MaxValue)
        {
            throw new UsageException($"--max-deliveries {bounds.MaxDeliveries}: at most {int.MaxValue} per schedule");
        }

        var options = new ExploreOptions
        {
            Strategy = strategyName,
            Iterations = Int(parse.GetValue(iterations), "--max-schedules", 1000, 1),
            Seed = Long(parse.GetValue(seed), "--seed", 0),
            MaxSteps = (int)bounds.MaxDeliveries,
            Timeout = bounds.Timeout,
            TimeLimit = parse.GetValue(timeLimit) is { } t ? Durations.Parse(t, "--time-limit", Durations.MaxTimeLimit) : null,
            All = parse.GetValue(all),
            PctDepth = Int(parse.GetValue(depth), "--depth", 3, 1),
            MaxPreemptions = parse.GetValue(preemptions) is { } p ? Int(p, "--max-preemptions", 0, 0) : strategyName == "dfs" ? 2 : null,
            PctLength = parse.GetValue(pctLength) is { } k ? Int(k, "--pct-length", 0, 1) : null,
            Choice = (parse.GetValue(choice) ?? "delivery").Trim().ToLowerInvariant() switch
            {
                "delivery" => ChoiceMode.Delivery,
                "cpu" => ChoiceMode.Cpu,
                var c => throw new UsageException($"--choice {c}: expected delivery or cpu"),
            },
            StateCache = (parse.GetValue(stateCache) ?? (parse.GetValue(cluster) is null ? "on" : "off")).Trim().ToLowerInvariant() switch
            {
                "on" => true,
                "off" => false,
                var c => throw new UsageException($"--state-cache {c}: expected on or off"),
            },
            Shrink = !parse.GetValue(noShrink),
            ReplayOut = parse.GetValue(replayOut) ?? "replays",
            Workers = Int(parse.GetValue(workers), "--workers", 1, 1),
        };

        if (options.Workers > MaxWorkers)
        {
            throw new UsageException($"--workers {options.Workers}: at most {MaxWorkers} (each boots its own copy of the machine and starts its own actor system)");
        }

        if (parse.GetValue(workers) is not null && parse.GetValue(cluster) is not null)
        {
            throw new UsageException("--workers with --cluster: each node of a cluster runs one engine; start more workers instead");
        }

        if (options.StateCache && parse.GetValue(cluster) is not null && strategyName is "dfs" or "dpor")
        {
            throw new UsageException("--state-cache on with --cluster: a cluster explores dfs/dpor without the state cache (which schedules it cuts depends on their order); leave it out or say off");
        }

        MachineBuilder.Check(s.Machine, s.Workload, null, new Scenario(s.Name, s.Machine) { SourcePath = s.SourcePath, Workload = s.Workload }, bootFolds: true);
        if (options.ReplayOut is { } dir && FileStatus.Of(dir).Kind is not (FileKind.Directory or FileKind.Missing))
        {
            throw new UsageException($"--output-dir {dir}: cannot write replay files there: it is not a directory");
        }

        var spec = new RunSpec(s.Name, s.Machine, s.Workload);
        var asJson = parse.GetValue(json);
        ExplorationResult result;
        ClusterExplorationResult? shared = null;
        using var interrupt = new Interrupt(errors);
        if (parse.GetValue(cluster) is { } endpoint)
        {
            try
            {
                shared = WithProgress(options with { Cancellation = interrupt.Token },
                    o => Cluster.ClusterExplore.Run(spec, name, parse.GetValue(set) ?? [], o, endpoint, parse.GetValue(minWorkers), errors), asJson);
            }
            catch (Cluster.ClusterFailed ex)
            {
                errors.WriteLine($"bootactors: {ex.Message}");
                return ExitCodes.ClusterLost;
            }

            result = shared.Result;
        }
        else
        {
            if (parse.GetValue(minWorkers) is not null)
            {
                throw new UsageException("--min-workers: only with --cluster HOST:PORT");
            }

            using var host = ActorHost.FromConfigDirectory();
            var explorer = new Explorer(host);
            result = WithProgress(options with { Cancellation = interrupt.Token }, o => explorer.Explore(spec, o), asJson);
        }

        var limitLine = LimitLine(result, bounds);
        if (asJson)
        {
            var node = JsonResult(result, limitLine);
            if (shared is not null)
            {
                node["workers"] = Cluster.ClusterExplore.Workers(shared.Workers);
                node["coordinator"] = Cluster.ClusterExplore.Load(shared.Coordinator);
                if (shared.Prefixes is { } units)
                {
                    node["prefixes"] = new JsonObject { ["units"] = units.Units, ["splits"] = units.Splits, ["from_backtrack"] = units.FromBacktrack, ["requeued"] = units.Requeued };
                }
            }

            output.WriteLine(node.ToJsonString(Json));
        }
        else
        {
            new TextOutput(output).Write(Human(spec, result, limitLine));
        }

        output.Flush();
        if (result.Error is not null)
        {
            return ExitCodes.InternalError;
        }

        if (result.Interrupted)
        {
            return ExitCodes.Interrupted;
        }

        if (result.Found || result.Boot is not null)
        {
            return ExitCodes.BadOutcome;
        }

        if (limitLine is not null)
        {
            errors.WriteLine($"bootactors: {limitLine}");
            return ExitCodes.LimitReached;
        }

        return ExitCodes.Ok;
    }

    /// <summary>A hot-add schedule needs a few thousand deliveries; a 16 MiB PSE-off hot-add at entry grain about 33,000.</summary>
    private const long DefaultMaxDeliveries = 200_000;

    /// <summary>When no schedule finished (or the boot did not), there is no verdict: say which bound and how to raise it.</summary>
    private static string? LimitLine(ExplorationResult r, RunBounds bounds)
    {
        if (r.BootCut is { } boot)
        {
            return $"the boot did not finish ({boot.Fatal.Message}), so no schedule ran; raise --timeout or --time-limit";
        }

        if (r.Schedules == 0 && r.TimeLimitReached)
        {
            return "no schedule finished within --time-limit; raise it with --time-limit T";
        }

        if (!r.AllCut)
        {
            return null;
        }

        var which = r.TimedOut == 0 ? $"reached {bounds.MaxDeliveriesOption}" : r.Incomplete == 0 ? $"did not finish within {bounds.TimeoutOption}" : $"reached {bounds.MaxDeliveriesOption} or {bounds.TimeoutOption}";
        var raise = r.TimedOut == 0 ? "--max-deliveries N" : r.Incomplete == 0 ? "--timeout T" : "--max-deliveries N and --timeout T";
        return $"every schedule ({r.Schedules}) {which} before it finished, so they say nothing about a violation; raise it with {raise}";
    }

    /// <summary>A progress bar on a terminal; a plain line every few seconds when stderr is redirected.</summary>
    private T WithProgress<T>(ExploreOptions options, Func<ExploreOptions, T> explore, bool asJson)
    {
        if (ProcessStreams.IsTerminalStderr(errors))
        {
            T? result = default;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask($"exploring ({options.Strategy})", maxValue: options.Iterations);
                result = explore(options with
                {
                    OnProgress = p =>
                    {
                        task.Value = p.Schedules;
                        task.Description = $"exploring ({options.Strategy}): {p.Schedules} schedules, {p.Violations} violation(s)";
                    },
                });
            });
            return result!;
        }

        var lastReport = TimeSpan.Zero;
        return explore(options with
        {
            OnProgress = p =>
            {
                if (p.Elapsed - lastReport >= TimeSpan.FromSeconds(2))
                {
                    lastReport = p.Elapsed;
                    errors.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"explore: {p.Schedules} schedules, {p.Violations} violation(s), {p.Elapsed.TotalSeconds:0.0} s"));
                }
            },
        });
    }

    private static IEnumerable<StyledLine> Human(RunSpec spec, ExplorationResult r, string? limitLine)
    {
        yield return new StyledLine($"explore {spec.Name} with {r.Strategy} (choices among {(r.Choice == ChoiceMode.Cpu ? "CPUs" : "deliveries")})", LineStyle.Heading);
        if (r.Boot is { } boot)
        {
            yield return new StyledLine($"boot failed: {boot.Outcome}, {boot.Stop.Fatal.Kind.JsonName()} on CPU{boot.Stop.Cpu} in {boot.Stop.CallChain}", LineStyle.Bad);
            yield return new StyledLine($"  {boot.Stop.Fatal.Message}");
            yield return new StyledLine("  no schedule ran: the workload starts after the boot");
            yield break;
        }

        var rate = r.SchedulesPerSecond.ToString("0", CultureInfo.InvariantCulture);
        yield return new StyledLine(string.Create(CultureInfo.InvariantCulture,
            $"  schedules      {r.Schedules} in {r.Seconds:0.000} s ({rate}/s); distinct traces {r.DistinctTraces}, distinct end states {r.DistinctEndStates}"));
        yield return new StyledLine($"  coverage       {r.DistinctStates} distinct states at {r.ChoicePoints} decision points");
        if (r.Strategy is "dfs" or "dpor")
        {
            yield return new StyledLine($"  search         {(r.Exhausted ? "exhausted within the bounds" : "stopped before the space was covered")}; " +
                                        $"pruned by DPOR {r.Pruned}; state cache {(r.StateCache ? $"on, {r.CutByCache} schedule(s) ended at a state explored before" : "off")}");
            yield return new StyledLine($"  cut by bounds  preemption bound: {r.CutByBound} alternative(s); step bound: {r.Incomplete} schedule(s) unfinished, " +
                                        $"{r.BeyondStepBound} choice(s) past it not explored");
        }
        else if (r.Incomplete > 0)
        {
            yield return new StyledLine($"  incomplete     {r.Incomplete} schedule(s) reached --max-deliveries and were cut");
        }

        if (r.TimedOut > 0)
        {
            yield return new StyledLine($"  timed out      {r.TimedOut} schedule(s) reached --timeout and were cut");
        }

        if (r.TimeLimitReached)
        {
            yield return new StyledLine("  stopped        at --time-limit (a schedule still running then was cut and is not counted)");
        }

        if (r.Interrupted)
        {
            yield return new StyledLine("  interrupted    by Ctrl-C: these are the schedules run before it", LineStyle.Bad);
        }

        if (r.Error is { } error)
        {
            yield return new StyledLine($"  error          {error}", LineStyle.Bad);
        }

        if (limitLine is not null)
        {
            yield return new StyledLine($"no verdict: {limitLine}", LineStyle.Bad);
            yield break;
        }

        if (!r.Found)
        {
            yield return new StyledLine(r.Interrupted ? "no violation found so far" : "no violation found", r.Interrupted ? LineStyle.Plain : LineStyle.Good);
            yield break;
        }

        foreach (var v in r.Violations)
        {
            yield return new StyledLine("");
            yield return new StyledLine($"violation: {v.Kind} on CPU{v.Cpu} (schedule {v.Schedule})", LineStyle.Bad);
            yield return new StyledLine($"  call chain     {v.CallChain}");
            yield return new StyledLine($"  shrunk         {v.Steps} → {v.ShrunkSteps} steps, {v.ContextSwitches} → {v.ShrunkContextSwitches} context switches");
            yield return new StyledLine("  what happened");
            foreach (var line in v.Narrative)
            {
                yield return new StyledLine($"    {line}");
            }

            if (v.ReplayPath is { } path)
            {
                yield return new StyledLine($"  replay         bootactors replay {path}");
                yield return new StyledLine($"  trace          {v.TracePath}");
            }
        }
    }

    private static JsonObject JsonResult(ExplorationResult r, string? limitLine)
    {
        var first = r.Violations.FirstOrDefault();
        return new JsonObject
        {
            ["found"] = r.Found,
            ["boot"] = r.Boot is not { } boot ? null : new JsonObject
            {
                ["outcome"] = boot.Outcome,
                ["error"] = new JsonObject
                {
                    ["kind"] = boot.Stop.Fatal.Kind.JsonName(),
                    ["message"] = boot.Stop.Fatal.Message,
                    ["cpu"] = boot.Stop.Cpu,
                    ["function"] = boot.Stop.CallChain,
                },
            },
            ["violation"] = first is null ? null : new JsonObject { ["kind"] = first.Kind, ["message"] = first.Message, ["cpu"] = first.Cpu, ["function"] = first.CallChain },
            ["schedules"] = r.Schedules,
            ["seconds"] = Math.Round(r.Seconds, 4),
            ["replay"] = first?.ReplayPath,
            ["steps"] = first?.Steps,
            ["shrunk_steps"] = first?.ShrunkSteps,
            ["context_switches"] = first?.ContextSwitches,
            ["shrunk_context_switches"] = first?.ShrunkContextSwitches,
            ["trace"] = first?.TracePath,
            ["narrative"] = first is null ? null : new JsonArray(first.Narrative.Select(n => (JsonNode)n).ToArray()),
            ["strategy"] = r.Strategy,
            ["choice"] = r.Choice == ChoiceMode.Cpu ? "cpu" : "delivery",
            ["schedules_per_second"] = Math.Round(r.SchedulesPerSecond, 1),
            ["distinct_traces"] = r.DistinctTraces,
            ["distinct_states"] = r.DistinctStates,
            ["distinct_end_states"] = r.DistinctEndStates,
            ["choice_points"] = r.ChoicePoints,
            ["incomplete"] = r.Incomplete,
            ["exhausted"] = r.Exhausted,
            ["pruned"] = r.Pruned,
            ["cut_by_bound"] = new JsonObject
            {
                ["preemptions"] = r.CutByBound,
                ["steps"] = r.Incomplete,
                ["choices_past_max_steps"] = r.BeyondStepBound,
            },
            ["state_cache"] = r.StateCache,
            ["cut_by_state_cache"] = r.CutByCache,
            ["violations"] = new JsonArray(r.Violations.Select(v => (JsonNode)new JsonObject
            {
                ["kind"] = v.Kind,
                ["message"] = v.Message,
                ["replay"] = v.ReplayPath,
                ["cpu"] = v.Cpu,
                ["function"] = v.CallChain,
                ["schedule"] = v.Schedule,
                ["steps"] = v.Steps,
                ["shrunk_steps"] = v.ShrunkSteps,
                ["context_switches"] = v.ContextSwitches,
                ["shrunk_context_switches"] = v.ShrunkContextSwitches,
            }).ToArray()),
            ["error"] = r.Error,
            ["timed_out"] = r.TimedOut,
            ["time_limit_reached"] = r.TimeLimitReached,
            ["limit"] = limitLine,
            ["interrupted"] = r.Interrupted,
        };
    }

    private const int MaxWorkers = 64;

    internal static int Int(string? text, string option, int fallback, int min)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
        {
            throw new UsageException($"{option} {text}: expected an integer ≥ {min}");
        }

        return v;
    }

    internal static long Long(string? text, string option, long fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new UsageException($"{option} {text}: expected an integer");
    }
}
