using System.Globalization;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Scenarios;

/// <summary>
/// Where each key came from, so that every complaint names the file and line, or the --set, and
/// the key. <paramref name="setPaths"/> holds the paths each --set wrote, in order; a key an
/// object-valued --set did not mention (HOCON merges objects) still belongs to the file.
/// </summary>
internal sealed class ScenarioSource(string fileName, IReadOnlyDictionary<string, int> lines, IReadOnlyList<IReadOnlyDictionary<string, int>> setPaths)
{
    public string FileName { get; } = fileName;

    /// <summary>Whether <paramref name="path"/> was written by a --set.</summary>
    public bool FromSet(string path) => setPaths.Any(p => p.ContainsKey(path));

    public ScenarioException Error(string path, string reason, Exception? inner = null)
    {
        // A missing key has no line of its own: the object that should hold it has. The nearest
        // path that some source wrote decides; a --set wins over the file, as its value does.
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (FromSet(p))
            {
                return new ScenarioException(FileName, null, $"--set {path}", reason, inner);
            }

            if (lines.TryGetValue(p, out var line))
            {
                return new ScenarioException(FileName, line, path, reason, inner);
            }
        }

        return new ScenarioException(FileName, null, path, reason, inner);
    }

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut < 0 ? "" : path[..cut];
    }
}

/// <summary>
/// The scenario schema: turns the parsed tree into a <see cref="Scenario"/>, refusing unknown keys
/// (at any depth), bad values, missing fields and impossible combinations.
/// </summary>
internal sealed class ScenarioReader(ScenarioSource source, string baseDirectory)
{
    public static readonly IReadOnlyList<string> TopLevelKeys =
    [
        "cpus", "memory", "e820", "pse", "gbpages", "xen", "kernel_size", "variant", "hunks", "fixes",
        "hotplug_mutex", "flush", "alloc_order", "pte_grain", "workload", "expect",
    ];

    public static readonly IReadOnlyList<string> ExpectKeys = ["outcome", "error", "message"];

    private static readonly string[] EventKinds = ["hotadd", "hotremove", "touch"];

    public Scenario Read(HoconObjectNode root, string name, string description)
    {
        CheckKeys(root, TopLevelKeys, "a scenario has these keys");
        // The range is RunSpecLimits' (checked below with everything else); here only the syntax.
        var cpus = Int(Required(root, "cpus", "the number of CPUs, e.g. cpus = 2"), 1, int.MaxValue, "a CPU count");
        var (e820, origin) = Ram(root);
        var variant = Variant(root);
        var config = new MachineConfig
        {
            E820 = e820,
            E820Origin = origin,
            Variant = variant,
            Cpus = cpus,
            Pse = Switch(root, "pse", true),
            Gbpages = Switch(root, "gbpages", false),
            Xen = Switch(root, "xen", false),
            KernelSize = root["kernel_size"] is { } ks ? Bytes(ks, allowZero: false) : StaticTables.DefaultKernelSize,
            HotplugMutex = Switch(root, "hotplug_mutex", false),
            RemoveFlush = Choice(root, "flush", FlushScope.Global, ("local", FlushScope.Local), ("global", FlushScope.Global)),
            AllocOrder = Choice(root, "alloc_order", AllocOrder.BottomUp, ("bottom-up", AllocOrder.BottomUp), ("top-down", AllocOrder.TopDown)),
            Grain = Choice(root, "pte_grain", PteGrain.Page, ("page", PteGrain.Page), ("entry", PteGrain.Entry)),
        };

        var workloadNode = Required(root, "workload", "the steps after the boot, e.g. workload = [] for a boot only");
        var workload = Workload(workloadNode);
        if (RunSpecLimits.Check(config, workload) is { } problem)
        {
            throw source.Error(PathOf(problem, root, workloadNode), problem.Reason);
        }

        return new Scenario
        {
            Name = name,
            Description = description,
            Machine = config,
            Workload = workload,
            Expect = root["expect"] is { } expect ? Expect(expect) : null,
            SourcePath = source.FileName,
        };
    }

    private (E820Map Map, string Origin) Ram(HoconObjectNode root)
    {
        var memory = root["memory"];
        var e820 = root["e820"];

        // A --set of one of them replaces the other as the RAM source, so a scenario with an e820
        // file can be re-run with "--set memory=4G" (and the other way round).
        if (memory is not null && e820 is not null && source.FromSet(memory.Path) != source.FromSet(e820.Path))
        {
            if (source.FromSet(memory.Path))
            {
                e820 = null;
            }
            else
            {
                memory = null;
            }
        }

        if (memory is not null && e820 is not null)
        {
            throw source.Error(e820.Path, "memory and e820 are mutually exclusive: give the RAM size or an e820 file, not both");
        }

        if (memory is not null)
        {
            var bytes = Bytes(memory, allowZero: false);
            return (E820Map.FromMemorySize(bytes), $"memory = {Text(memory)}");
        }

        if (e820 is null)
        {
            throw source.Error("memory", "missing: give memory = SIZE (one usable e820 entry [0, SIZE)) or e820 = FILE (a kernel log's e820 lines)");
        }

        var file = Text(e820);
        if (file.Length == 0)
        {
            throw source.Error(e820.Path, "empty file name");
        }

        // Relative to the scenario file, so a scenario works from any current directory.
        var path = Path.GetFullPath(Path.Combine(baseDirectory, file));
        try
        {
            return (E820Parser.ParseFile(path), ScenarioLoader.DisplayPath(path));
        }
        catch (E820FormatException ex)
        {
            throw source.Error(e820.Path, ex.Message, ex);
        }
    }

    private KernelVariant Variant(HoconObjectNode root)
    {
        var node = Required(root, "variant", "before, after or fixed");
        var variant = Text(node) switch
        {
            "before" => KernelVariant.Before,
            "after" => KernelVariant.After,
            "fixed" => KernelVariant.Fixed,
            var other => throw source.Error(node.Path, $"'{other}' is not a variant (expected before, after or fixed)"),
        };

        if (root["hunks"] is { } hunks)
        {
            variant = variant with { Hunks = Interpret(hunks, KernelSwitches.ParseHunks) };
        }

        if (root["fixes"] is { } fixes)
        {
            variant = variant with { Fixes = Interpret(fixes, KernelSwitches.ParseFixes) };
        }

        return variant;
    }

    /// <summary>A hunk or fix list: "a,b" or [a, b]; the model's parser names the valid items.</summary>
    private T Interpret<T>(HoconNode node, Func<string, T> parse)
    {
        var list = node switch
        {
            HoconListNode { Items.Count: 0 } => "none",
            HoconListNode l => string.Join(",", l.Items.Select(Text)),
            _ => Text(node),
        };
        try
        {
            return parse(list);
        }
        catch (ArgumentException ex)
        {
            throw source.Error(node.Path, ex.Message);
        }
    }

    /// <summary>Where in the file a problem RunSpecLimits found was written: the key the user can change.</summary>
    private static string PathOf(SpecProblem problem, HoconObjectNode root, HoconNode workload)
    {
        var ram = root["memory"] ?? root["e820"];
        switch (problem.Key)
        {
            case "cpus":
                return root["cpus"]!.Path;
            case "memory":
                return ram?.Path ?? "memory";
            case "kernel_size":
                // A default kernel that does not fit is the RAM's problem as the file states it.
                return (root["kernel_size"] ?? ram)?.Path ?? "kernel_size";
        }

        if (workload is not HoconListNode steps || problem.Step < 0 || problem.Step >= steps.Items.Count)
        {
            return workload.Path;
        }

        var step = steps.Items[problem.Step];
        var ev = step is HoconObjectNode o && o["concurrent"] is HoconListNode events && problem.Event >= 0 && problem.Event < events.Items.Count
            ? events.Items[problem.Event]
            : step;
        return problem.Field switch
        {
            null => ev.Path,
            "cpu" => HoconNode.Join(ev.Path, "cpu"),
            var field => HoconNode.Join(HoconNode.Join(ev.Path, problem.EventKind!), field),
        };
    }

    private WorkloadPlan Workload(HoconNode node)
    {
        if (node is not HoconListNode list)
        {
            throw source.Error(node.Path, $"expected a list of steps [ ... ], found {node.Describe()}");
        }

        var steps = new List<WorkloadStep>();
        foreach (var item in list.Items)
        {
            var obj = Object(item);
            if (obj["concurrent"] is { } concurrent)
            {
                CheckKeys(obj, ["concurrent"], "a concurrent step has only the key concurrent");
                if (concurrent is not HoconListNode events)
                {
                    throw source.Error(concurrent.Path, $"expected a list of events [ ... ], found {concurrent.Describe()}");
                }

                if (events.Items.Count == 0)
                {
                    throw source.Error(concurrent.Path, "empty: a concurrent step needs at least one event");
                }

                steps.Add(new WorkloadStep(events.Items.Select(e => Event(e, nested: true)).ToList(), Concurrent: true));
            }
            else
            {
                steps.Add(new WorkloadStep([Event(item, nested: false)], Concurrent: false));
            }
        }

        return new WorkloadPlan(steps);
    }

    private WorkloadEvent Event(HoconNode node, bool nested)
    {
        var obj = Object(node);
        if (nested && obj["concurrent"] is { } inner)
        {
            throw source.Error(inner.Path, "concurrent steps cannot nest (a concurrent list holds events: cpu and one of hotadd, hotremove, touch)");
        }

        CheckKeys(obj, ["cpu", .. EventKinds], nested
            ? "an event has cpu and one of hotadd, hotremove, touch"
            : "a workload step has cpu and one of hotadd, hotremove, touch; or only concurrent");
        var cpuNode = Required(obj, "cpu", "the CPU that runs this event");
        var cpu = Int(cpuNode, 0, int.MaxValue, "a CPU number");

        var kinds = EventKinds.Where(k => obj[k] is not null).ToList();
        if (kinds.Count != 1)
        {
            throw source.Error(kinds.Count == 0 ? obj.Path : obj[kinds[1]]!.Path,
                kinds.Count == 0 ? "missing the event: give one of hotadd { ... }, hotremove { ... }, touch { ... }" : $"one event per item: found both {kinds[0]} and {kinds[1]}");
        }

        var body = Object(obj[kinds[0]]!);
        switch (kinds[0])
        {
            case "touch":
            {
                CheckKeys(body, ["addr", "count", "stride"], "touch has addr and optionally count and stride");
                var addr = Bytes(Required(body, "addr", "the physical address to read"), allowZero: true);
                var count = body["count"] is { } c ? Int(c, 1, int.MaxValue, "a page count") : 1;
                var stride = body["stride"] is { } s ? Bytes(s, allowZero: false) : 4096UL;
                return new Touch(cpu, addr, count, stride);
            }

            default:
            {
                CheckKeys(body, ["start", "size"], $"{kinds[0]} has start and size");
                var start = Bytes(Required(body, "start", "the physical start of the range"), allowZero: true);
                var size = Bytes(Required(body, "size", "the length of the range"), allowZero: false);

                return kinds[0] == "hotadd" ? new HotAdd(cpu, start, size) : new HotRemove(cpu, start, size);
            }
        }
    }

    private Expectation Expect(HoconNode node)
    {
        var obj = Object(node);
        CheckKeys(obj, ExpectKeys, "expect has outcome and optionally error and message");
        var outcomeNode = Required(obj, "outcome", string.Join("|", Expectation.Outcomes));
        var outcome = Text(outcomeNode);
        if (!Expectation.Outcomes.Contains(outcome))
        {
            throw source.Error(outcomeNode.Path, $"'{outcome}' is not an outcome (expected {string.Join(", ", Expectation.Outcomes)})");
        }

        string? error = null;
        if (obj["error"] is { } errorNode)
        {
            error = Text(errorNode);
            var kind = Enum.GetValues<ErrorKind>().Where(k => k.JsonName() == error).Select(k => (ErrorKind?)k).FirstOrDefault();
            if (kind is null)
            {
                throw source.Error(errorNode.Path,
                    $"'{error}' is not an error kind (expected one of {string.Join(", ", Enum.GetValues<ErrorKind>().Select(k => k.JsonName()))})");
            }

            if (kind.Value.Outcome().JsonName() != outcome)
            {
                throw source.Error(errorNode.Path, $"{error} ends a run with outcome {kind.Value.Outcome().JsonName()}, not {outcome}");
            }
        }

        var message = obj["message"] is { } m ? Text(m) : null;
        return new Expectation(outcome, error, message);
    }

    private void CheckKeys(HoconObjectNode obj, IReadOnlyCollection<string> allowed, string what)
    {
        foreach (var (key, value) in obj.Members)
        {
            if (!allowed.Contains(key))
            {
                throw source.Error(value.Path, $"unknown key ({what}: {string.Join(", ", allowed)})");
            }
        }
    }

    private HoconNode Required(HoconObjectNode obj, string key, string hint) =>
        obj[key] ?? throw source.Error(HoconNode.Join(obj.Path, key), $"missing ({hint})");

    private HoconObjectNode Object(HoconNode node) =>
        node as HoconObjectNode ?? throw source.Error(node.Path, $"expected an object {{ ... }}, found {node.Describe()}");

    private string Text(HoconNode node) =>
        node is HoconTextNode t ? t.Text : throw source.Error(node.Path, $"expected a single value, found {node.Describe()}");

    private int Int(HoconNode node, int min, int max, string what)
    {
        var text = Text(node);
        return ScenarioValues.TryParseInt(text, min, max, out var value)
            ? value
            : throw source.Error(node.Path, string.Create(CultureInfo.InvariantCulture,
                $"'{text}' is not {what} (expected a whole number {(max == int.MaxValue ? $"from {min}" : $"from {min} to {max}")})"));
    }

    private ulong Bytes(HoconNode node, bool allowZero)
    {
        var text = Text(node);
        return ScenarioValues.TryParseBytes(text, allowZero, out var bytes, out var problem)
            ? bytes
            : throw source.Error(node.Path, $"'{text}' is not {(allowZero ? "an address" : "a size")}: {problem}");
    }

    private bool Switch(HoconObjectNode obj, string key, bool fallback)
    {
        if (obj[key] is not { } node)
        {
            return fallback;
        }

        var text = Text(node);
        return ScenarioValues.ParseSwitch(text) ?? throw source.Error(node.Path, $"'{text}' is not a switch value (expected on or off)");
    }

    private T Choice<T>(HoconObjectNode obj, string key, T fallback, params (string Name, T Value)[] choices)
    {
        if (obj[key] is not { } node)
        {
            return fallback;
        }

        var text = Text(node);
        foreach (var (name, value) in choices)
        {
            if (name == text)
            {
                return value;
            }
        }

        throw source.Error(node.Path, $"'{text}' is not a valid value (expected {string.Join(" or ", choices.Select(c => c.Name))})");
    }
}
