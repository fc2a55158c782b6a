using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BootActors.Model.Kernel;

namespace BootActors.Cli.Ablate;

/// <summary>The ablation's table (plain text, Markdown, JSON) and its one-line conclusion.</summary>
internal sealed class AblationReport(IReadOnlyList<Switch> switches, IReadOnlyList<AblationRow> rows, AblationAxis axis, string subject, string verb)
{
    private static readonly string[] Numbers = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// What the table says in one line, e.g. "Xen boots only with all four hunks": the switches every
    /// clean combination has on (and off), when exactly the combinations with those boot cleanly;
    /// otherwise the smallest clean combinations.
    /// </summary>
    public string Conclusion()
    {
        var ok = rows.Where(r => r.Outcome == Outcome.Ok).ToList();
        var noun = axis switch
        {
            AblationAxis.Hunks => "hunks",
            AblationAxis.Fixes => "fixes",
            _ => "switches (hunks and fixes)",
        };
        if (ok.Count == rows.Count)
        {
            return $"{subject} {verb} with every combination of the {noun}: none of them matters here";
        }

        if (ok.Count == 0)
        {
            var kinds = rows.Select(r => r.Result.Kind).Distinct().ToList();
            return $"{subject} {verb} with no combination of the {noun} ({string.Join(" or ", kinds)} in every one)";
        }

        var always = Enumerable.Range(0, switches.Count).Where(i => ok.All(r => r.On[i])).ToList();
        var never = Enumerable.Range(0, switches.Count).Where(i => ok.All(r => !r.On[i])).ToList();
        var exact = rows.All(r => (r.Outcome == Outcome.Ok) == (always.All(i => r.On[i]) && never.All(i => !r.On[i])));
        if (exact)
        {
            var free = switches.Count - always.Count - never.Count;
            var others = free == 0 ? "" : $"; the other {Count(free)} do not matter";
            if (never.Count == 0 && always.Count == switches.Count)
            {
                return $"{subject} {verb} only with all {Count(switches.Count)} {noun}";
            }

            if (never.Count == 0)
            {
                return $"{subject} {verb} only with {Names(always)}{others}";
            }

            if (always.Count == 0)
            {
                return $"{subject} {verb} only without {Names(never)}{others}";
            }

            return $"{subject} {verb} only with {Names(always)} and without {Names(never)}{others}";
        }

        // The failing combinations may be the simple set instead: those with some switches on and others off.
        var bad = rows.Where(r => r.Outcome != Outcome.Ok).ToList();
        var badOn = Enumerable.Range(0, switches.Count).Where(i => bad.All(r => r.On[i])).ToList();
        var badOff = Enumerable.Range(0, switches.Count).Where(i => bad.All(r => !r.On[i])).ToList();
        if (rows.All(r => (r.Outcome != Outcome.Ok) == (badOn.All(i => r.On[i]) && badOff.All(i => !r.On[i]))))
        {
            var free = switches.Count - badOn.Count - badOff.Count;
            var others = free == 0 ? "" : $"; the other {Count(free)} do not matter";
            var with = badOn.Count > 0 ? $"with {Names(badOn)}" : "";
            var without = badOff.Count > 0 ? $"without {Names(badOff)}" : "";
            var kinds = string.Join(" or ", bad.Select(r => r.Result.Kind).Distinct());
            return $"{subject} {verb} except {string.Join(" and ", new[] { with, without }.Where(x => x.Length > 0))} ({kinds}){others}";
        }

        // The smallest clean combinations: none of them contains another.
        var minimal = ok.Where(r => !ok.Any(o => o != r && Enumerable.Range(0, switches.Count).All(i => !o.On[i] || r.On[i]))).ToList();
        var list = string.Join("; ", minimal.Select(r => r.On.Any(b => b) ? Names(Enumerable.Range(0, switches.Count).Where(i => r.On[i]).ToList()) : "none"));
        return $"{subject} {verb} with {ok.Count} of the {rows.Count} combinations; the smallest: {list}";
    }

    public IEnumerable<string> Text()
    {
        var headers = switches.Select(s => s.Name).Concat(["outcome", "error", "call chain"]).ToList();
        var cells = Ablation.Groups(rows).Select(g => g.Select(Cells).ToList()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.SelectMany(g => g).Select(c => c[i].Length).DefaultIfEmpty(0).Max())).ToList();
        string Line(IReadOnlyList<string> c) => string.Join("  ", c.Select((x, i) => i == c.Count - 1 ? x : x.PadRight(widths[i]))).TrimEnd();

        yield return Line(headers);
        yield return Line(widths.Select(w => new string('-', w)).ToList());
        for (var g = 0; g < cells.Count; g++)
        {
            if (g > 0)
            {
                yield return "";
            }

            foreach (var c in cells[g])
            {
                yield return Line(c);
            }
        }
    }

    public IEnumerable<string> Markdown()
    {
        yield return "| " + string.Join(" | ", switches.Select(s => $"`{s.Name}`").Concat(["outcome", "error", "call chain"])) + " |";
        yield return "|" + string.Concat(switches.Select(_ => ":-:|")) + "---|---|---|";
        foreach (var group in Ablation.Groups(rows))
        {
            foreach (var r in group)
            {
                var on = r.On.Select(b => b ? "✓" : " ");
                var (outcome, kind, chain) = r.Result;
                yield return "| " + string.Join(" | ", on.Concat([outcome.JsonName(), kind.Length > 0 ? $"`{kind}`" : "", chain.Replace("|", "\\|", StringComparison.Ordinal)])) + " |";
            }
        }

        yield return "";
        yield return Conclusion() + ".";
    }

    public string Json(JsonObject about)
    {
        var array = new JsonArray();
        foreach (var group in Ablation.Groups(rows))
        {
            foreach (var r in group)
            {
                array.Add(new JsonObject
                {
                    ["hunks"] = new JsonArray(r.Variant.HunkNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                    ["fixes"] = new JsonArray(r.Variant.FixNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                    ["outcome"] = r.Outcome.JsonName(),
                    ["errors"] = new JsonArray(r.Errors.Select(e => (JsonNode?)new JsonObject
                    {
                        ["kind"] = e.Kind,
                        ["message"] = e.Message,
                        ["cpu"] = e.Cpu,
                        ["function"] = e.Function,
                    }).ToArray()),
                });
            }
        }

        var root = new JsonObject();
        foreach (var (k, v) in about)
        {
            root[k] = v?.DeepClone();
        }

        root["rows"] = array;
        root["conclusion"] = Conclusion();
        return root.ToJsonString(JsonOptions);
    }

    private List<string> Cells(AblationRow r)
    {
        var (outcome, kind, chain) = r.Result;
        return r.On.Select(b => b ? "x" : ".").Concat([outcome.JsonName(), kind, chain]).ToList();
    }

    private string Names(IReadOnlyList<int> indices)
    {
        var names = indices.Select(i => switches[i].Name).ToList();
        return names.Count switch
        {
            1 => names[0],
            2 => $"{names[0]} and {names[1]}",
            _ => string.Join(", ", names.Take(names.Count - 1)) + ", and " + names[^1],
        };
    }

    private static string Count(int n) => n < Numbers.Length ? Numbers[n] : n.ToString(CultureInfo.InvariantCulture);
}
