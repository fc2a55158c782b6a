using CsCheck;

namespace BootActors.Fuzz;

/// <summary>
/// The fuzz inputs of every reader — e820 text, scenario HOCON, --set, replay JSON, trace JSON Lines,
/// and option values — each half mutated from the corpus's real files, half generated, run through
/// the command a user would use on such a file. Every run is bounded (--timeout, few iterations; explore
/// also --time-limit, as its boot gets at least the host's run timeout, 60 s, whatever --timeout says)
/// so a valid input costs at most seconds; only an input the program cannot answer is a hang.
/// </summary>
public sealed class Inputs(Corpus corpus)
{
    /// <summary>The readers, by the name the report uses.</summary>
    public static readonly string[] Readers = ["e820", "scenario", "set", "replay", "trace", "values"];

    private static readonly string[] Bounded = ["--timeout", "2s"];

    /// <summary>Any reader's input, the readers in turn.</summary>
    public Gen<FuzzCase> Any => Gen.OneOf(E820, Scenario, Set, Replay, Trace, Values);

    public Gen<FuzzCase> For(string reader) => reader switch
    {
        "e820" => E820,
        "scenario" => Scenario,
        "set" => Set,
        "replay" => Replay,
        "trace" => Trace,
        "values" => Values,
        _ => throw new ArgumentException($"unknown reader '{reader}' (expected {string.Join(", ", Readers)})"),
    };

    public Gen<FuzzCase> E820 => Gen.Select(
        Gen.Frequency(
            (3, Gen.Int[0, corpus.E820.Count - 1].SelectMany(i => Mutations.Of(corpus.E820[i], corpus.E820)).Select(d => ("mutated", d))),
            (2, Generated.E820Log.Select(d => ("generated", d)))),
        Gen.Bool,
        (file, xen) => new FuzzCase("e820", file.Item1, [new FuzzFile("in.dmesg", file.Item2)],
            ["run", "--e820", "{dir}/in.dmesg", "--host", "sequential", "--json", .. (xen ? new[] { "--xen" } : []), .. Bounded]));

    public Gen<FuzzCase> Scenario => Gen.Select(
        Gen.Frequency(
            (3, Gen.Int[0, corpus.Scenarios.Count - 1].SelectMany(i => Mutations.Of(corpus.Scenarios[i].Data, corpus.Scenarios.Select(s => s.Data).ToList())).Select(d => ("mutated", d))),
            (2, Generated.Scenario.Select(d => ("generated", d)))),
        Gen.Int[0, 19],
        (file, how) => new FuzzCase("scenario", file.Item1, [new FuzzFile("scenarios/in.hocon", file.Item2)], how == 0
            ? ["explore", "{dir}/scenarios/in.hocon", "--max-schedules", "2", "--no-shrink", "--json", "--output-dir", "{dir}/replays", "--time-limit", "20s", .. Bounded]
            : ["run", "{dir}/scenarios/in.hocon", "--host", "sequential", "--json", .. Bounded]));

    public Gen<FuzzCase> Set => Gen.Select(
        Gen.Int[0, Corpus.ScenarioNames.Length - 1], Generated.Set.Array[1, 3],
        (scenario, sets) => new FuzzCase("set", "generated", [],
            ["run", Corpus.ScenarioNames[scenario], .. sets.SelectMany(s => new[] { "--set", s }), "--host", "sequential", "--json", .. Bounded]));

    public Gen<FuzzCase> Replay => Gen.Select(
        Gen.Frequency(
            (2, Mutations.Of(corpus.Replay, [corpus.Replay]).Select(d => ("mutated", d))),
            (3, JsonMutations.Of(corpus.Replay).Select(d => ("edited", d))),
            (2, Generated.Replay.Select(d => ("generated", d)))),
        Gen.Int[0, 3],
        (file, how) => new FuzzCase("replay", file.Item1, [new FuzzFile("in.replay.json", file.Item2)],
            ["replay", "{dir}/in.replay.json", "--json", .. (how == 0 ? new[] { "--trace", "{dir}/out.trace.jsonl" } : []), .. Bounded]));

    public Gen<FuzzCase> Trace => Gen.Select(
        Gen.Frequency(
            (2, Gen.Int[0, corpus.Traces.Count - 1].SelectMany(i => Mutations.Of(corpus.Traces[i], corpus.Traces)).Select(d => ("mutated", d))),
            (3, Gen.Int[0, corpus.Traces.Count - 1].SelectMany(i => JsonMutations.OfLine(corpus.Traces[i])).Select(d => ("edited", d))),
            (2, Generated.Trace.Select(d => ("generated", d)))),
        Gen.Frequency((6, Gen.Const("show")), (2, Gen.Const("hb")), (2, Gen.Const("diff")), (3, Gen.Const("export")), (1, Gen.Const("pt"))),
        Gen.OneOf("chrome", "shiviz", "mermaid", "html"),
        Gen.Int[1, 60],
        (file, command, format, seq) =>
        {
            var n = seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string[] args = command switch
            {
                "show" => ["trace", "show", "{dir}/in.jsonl"],
                "hb" => ["trace", "hb", "{dir}/in.jsonl", "1", n],
                "diff" => ["trace", "diff", "{dir}/in.jsonl", corpus.SeedTracePath],
                "export" => ["trace", "export", "{dir}/in.jsonl", "--format", format, "-o", "{dir}/out." + format],
                _ => ["trace", "pt", "{dir}/in.jsonl", "--at", n],
            };
            return new FuzzCase("trace", file.Item1, [new FuzzFile("in.jsonl", file.Item2)], args);
        });

    /// <summary>Option values: sizes, counts and durations in and far out of range.</summary>
    public Gen<FuzzCase> Values => Gen.Select(
        Gen.OneOf("--memory", "--kernel-size", "--cpus", "--timeout", "--seed", "--pse", "--variant", "--hunks", "--fixes"),
        Gen.Frequency(
            (3, Gen.Int[0, Mutations.ExtremeNumbers.Length - 1].Select(i => Mutations.ExtremeNumbers[i])),
            (2, Gen.OneOf("infinity", "1e20s", "NaN", "-5s", "0s", "500ms", "2h", "31d", "4M", "1G", "16T", "63T", "0x", "", " ", "all", "none")),
            (1, Gen.String)),
        Gen.Bool,
        (option, value, explore) => new FuzzCase("values", "generated", [], explore && option is "--timeout" or "--seed"
            ? ["explore", "hotadd-concurrent", option, value, "--max-schedules", "1", "--no-shrink", "--json", "--output-dir", "{dir}/replays"]
            : ["run", option, value, "--host", "sequential", "--json", .. (option == "--timeout" ? Array.Empty<string>() : Bounded)]));
}
