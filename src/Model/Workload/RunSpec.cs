using System.Globalization;
using System.Text.Json.Nodes;
using BootActors.Model.Files;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Model.Workload;

/// <summary>
/// Everything that decides a run, resolved (the e820 entries, not a file name): written into trace
/// and replay files so a tool can rebuild exactly the same run without the scenario file.
/// </summary>
public sealed record RunSpec(string Name, MachineConfig Machine, WorkloadPlan Workload)
{
    public JsonObject ToJson()
    {
        var m = Machine;

        // The map the kernel booted with (under Xen, xen_memory_setup's for a --memory size): read
        // back as given, it rebuilds the same machine.
        var e820 = m.BootE820;
        return new JsonObject
        {
            ["name"] = Name,
            ["e820"] = new JsonArray(e820.Entries.Select(e => (JsonNode)new JsonArray(Hex(e.Start), Hex(e.End), e.Type)).ToArray()),
            ["e820_label"] = e820.Label,
            ["cpus"] = m.Cpus,
            ["pse"] = m.Pse,
            ["gbpages"] = m.Gbpages,
            ["xen"] = m.Xen,
            ["kernel_size"] = Hex(m.KernelSize),
            ["hunks"] = new JsonArray(m.Variant.HunkNames.Select(h => (JsonNode)h).ToArray()),
            ["fixes"] = new JsonArray(m.Variant.FixNames.Select(f => (JsonNode)f).ToArray()),
            ["hotplug_mutex"] = m.HotplugMutex,
            ["flush"] = m.RemoveFlush == FlushScope.Local ? "local" : "global",
            ["alloc_order"] = m.AllocOrder == AllocOrder.TopDown ? "top-down" : "bottom-up",
            ["pte_grain"] = m.Grain == PteGrain.Entry ? "entry" : "page",
            ["workload"] = new JsonArray(Workload.Steps.Select(StepJson).ToArray()),
        };
    }

    /// <summary>Rebuilds a spec; throws <see cref="FormatException"/> naming the JSON path of the field that is wrong.</summary>
    /// <param name="path">Where <paramref name="o"/> sits in its file, for messages ("spec").</param>
    public static RunSpec FromJson(JsonObject o, string path = "spec")
    {
        ArgumentNullException.ThrowIfNull(o);
        var e820Path = JsonFields.Join(path, "e820");
        var e820 = new List<E820Entry>();
        var entries = JsonFields.Array(JsonFields.Required(o, "e820", path), e820Path);
        for (var i = 0; i < entries.Count; i++)
        {
            var at = JsonFields.Index(e820Path, i);
            var a = JsonFields.Array(entries[i] ?? throw new FormatException($"{at}: expected a list [start, end, type], found null"), at);
            if (a.Count != 3 || a.Any(x => x is null))
            {
                throw new FormatException($"{at}: expected [\"0xSTART\", \"0xEND\", type], found {a.Count} value(s)");
            }

            var start = ParseHex(a[0]!, JsonFields.Index(at, 0));
            var end = ParseHex(a[1]!, JsonFields.Index(at, 1));
            if (end < start)
            {
                throw new FormatException($"{at}: the entry ends ({Hex(end)}) below its start ({Hex(start)})");
            }

            e820.Add(new E820Entry(start, end, (uint)JsonFields.Integer(a[2]!, JsonFields.Index(at, 2), 0, uint.MaxValue)));
        }

        var labelNode = JsonFields.Optional(o, "e820_label");
        var label = labelNode is null ? "BIOS-e820" : JsonFields.String(labelNode, JsonFields.Join(path, "e820_label"));
        if (label.Length == 0)
        {
            throw new FormatException($"{JsonFields.Join(path, "e820_label")}: empty");
        }

        var machine = new MachineConfig
        {
            E820 = E820Map.FromEntries(e820, label),
            E820Origin = "trace",
            Cpus = (int)JsonFields.Integer(JsonFields.Required(o, "cpus", path), JsonFields.Join(path, "cpus"), int.MinValue, int.MaxValue),
            Pse = Bool(o, "pse", path),
            Gbpages = Bool(o, "gbpages", path),
            Xen = Bool(o, "xen", path),
            KernelSize = ParseHex(JsonFields.Required(o, "kernel_size", path), JsonFields.Join(path, "kernel_size")),
            Variant = new KernelVariant(
                Switches(o, "hunks", path, KernelSwitches.ParseHunks),
                Switches(o, "fixes", path, KernelSwitches.ParseFixes)),
            HotplugMutex = Bool(o, "hotplug_mutex", path),
            RemoveFlush = Choice(o, "flush", path, ("local", FlushScope.Local), ("global", FlushScope.Global)),
            AllocOrder = Choice(o, "alloc_order", path, ("bottom-up", AllocOrder.BottomUp), ("top-down", AllocOrder.TopDown)),
            Grain = Choice(o, "pte_grain", path, ("page", PteGrain.Page), ("entry", PteGrain.Entry)),
        };

        var stepsPath = JsonFields.Join(path, "workload");
        var steps = new List<WorkloadStep>();
        var stepNodes = JsonFields.Array(JsonFields.Required(o, "workload", path), stepsPath);
        for (var i = 0; i < stepNodes.Count; i++)
        {
            var at = JsonFields.Index(stepsPath, i);
            var so = JsonFields.Object(stepNodes[i] ?? throw new FormatException($"{at}: expected an object, found null"), at);
            var eventsPath = JsonFields.Join(at, "events");
            var eventNodes = JsonFields.Array(JsonFields.Required(so, "events", at), eventsPath);
            var events = new List<WorkloadEvent>();
            for (var j = 0; j < eventNodes.Count; j++)
            {
                var ev = JsonFields.Index(eventsPath, j);
                events.Add(EventFromJson(JsonFields.Object(eventNodes[j] ?? throw new FormatException($"{ev}: expected an object, found null"), ev), ev));
            }

            steps.Add(new WorkloadStep(events, JsonFields.Boolean(JsonFields.Required(so, "concurrent", at), JsonFields.Join(at, "concurrent"))));
        }

        var nameNode = JsonFields.Optional(o, "name");
        var name = nameNode is null ? "" : JsonFields.String(nameNode, JsonFields.Join(path, "name"));
        return new RunSpec(name, machine, new WorkloadPlan(steps));
    }

    /// <summary>
    /// The spec checked by <see cref="RunSpecLimits"/>: "spec.cpus: reason" (JSON paths under
    /// <paramref name="path"/>), or null when it can run.
    /// </summary>
    public string? Problem(ulong? hostMemory, string path = "spec", bool bootFolds = false)
    {
        if (RunSpecLimits.Check(Machine, Workload, hostMemory, bootFolds) is not { } p)
        {
            return null;
        }

        var key = p.Key switch
        {
            "memory" => "e820",
            "workload" when p.Event < 0 => JsonFields.Index("workload", p.Step),
            "workload" when p.Field == "cpu" => $"{JsonFields.Index(JsonFields.Index("workload", p.Step) + ".events", p.Event)}.cpu",
            "workload" => $"{JsonFields.Index(JsonFields.Index("workload", p.Step) + ".events", p.Event)}.{p.EventKind}.{p.Field}",
            var k => k,
        };
        return $"{JsonFields.Join(path, key)}: {p.Reason}";
    }

    private static bool Bool(JsonObject o, string key, string path) => JsonFields.Boolean(JsonFields.Required(o, key, path), JsonFields.Join(path, key));

    private static T Switches<T>(JsonObject o, string key, string path, Func<string, T> parse)
    {
        var at = JsonFields.Join(path, key);
        var list = JsonFields.Array(JsonFields.Required(o, key, path), at);
        var names = list.Select((n, i) => JsonFields.String(n ?? throw new FormatException($"{JsonFields.Index(at, i)}: expected a string, found null"), JsonFields.Index(at, i)));
        try
        {
            // [] is the empty set the writer wrote; the parser wants it said.
            var joined = string.Join(",", names);
            return parse(list.Count == 0 ? "none" : joined);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{at}: {ex.Message}", ex);
        }
    }

    private static T Choice<T>(JsonObject o, string key, string path, params (string Name, T Value)[] choices)
    {
        var at = JsonFields.Join(path, key);
        var text = JsonFields.String(JsonFields.Required(o, key, path), at);
        foreach (var (name, value) in choices)
        {
            if (name == text)
            {
                return value;
            }
        }

        throw new FormatException($"{at}: \"{text}\" is not {string.Join(" or ", choices.Select(c => c.Name))}");
    }

    private static JsonNode StepJson(WorkloadStep step) => new JsonObject
    {
        ["concurrent"] = step.Concurrent,
        ["events"] = new JsonArray(step.Events.Select(e => (JsonNode)(e switch
        {
            HotAdd h => new JsonObject { ["cpu"] = h.Cpu, ["hotadd"] = new JsonObject { ["start"] = Hex(h.Start), ["size"] = Hex(h.Size) } },
            HotRemove r => new JsonObject { ["cpu"] = r.Cpu, ["hotremove"] = new JsonObject { ["start"] = Hex(r.Start), ["size"] = Hex(r.Size) } },
            Touch t => new JsonObject { ["cpu"] = t.Cpu, ["touch"] = new JsonObject { ["addr"] = Hex(t.PhysAddr), ["count"] = t.Count, ["stride"] = Hex(t.Stride) } },
            _ => throw new ArgumentException($"unknown workload event {e}"),
        })).ToArray()),
    };

    private static WorkloadEvent EventFromJson(JsonObject o, string path)
    {
        var cpu = (int)JsonFields.Integer(JsonFields.Required(o, "cpu", path), JsonFields.Join(path, "cpu"), int.MinValue, int.MaxValue);
        var kinds = new[] { "hotadd", "hotremove", "touch" }.Where(o.ContainsKey).ToList();
        if (kinds.Count != 1)
        {
            throw new FormatException($"{path}: expected exactly one of hotadd, hotremove, touch, found {(kinds.Count == 0 ? "none" : string.Join(" and ", kinds))}");
        }

        var at = JsonFields.Join(path, kinds[0]);
        var body = JsonFields.Object(JsonFields.Required(o, kinds[0], path), at);
        ulong HexField(string key) => ParseHex(JsonFields.Required(body, key, at), JsonFields.Join(at, key));
        return kinds[0] switch
        {
            "hotadd" => new HotAdd(cpu, HexField("start"), HexField("size")),
            "hotremove" => new HotRemove(cpu, HexField("start"), HexField("size")),
            _ => new Touch(cpu, HexField("addr"), (int)JsonFields.Integer(JsonFields.Required(body, "count", at), JsonFields.Join(at, "count"), int.MinValue, int.MaxValue), HexField("stride")),
        };
    }

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static ulong ParseHex(JsonNode n, string path)
    {
        var s = JsonFields.String(n, path);
        return s.Length is > 2 and <= 18 && s.StartsWith("0x", StringComparison.Ordinal) &&
               ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"{path}: \"{(s.Length > 40 ? s[..37] + "…" : s)}\" is not a 0x-prefixed hex number of at most 16 digits");
    }
}
