using System.Globalization;
using System.Text.Json.Nodes;
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

    /// <summary>Rebuilds a spec; throws <see cref="FormatException"/> naming the field that is wrong.</summary>
    public static RunSpec FromJson(JsonObject o)
    {
        try
        {
            var e820 = o["e820"]!.AsArray().Select(e =>
            {
                var a = e!.AsArray();
                return new E820Entry(ParseHex(a[0]!), ParseHex(a[1]!), a[2]!.GetValue<uint>());
            }).ToList();
            var machine = new MachineConfig
            {
                E820 = E820Map.FromEntries(e820, o["e820_label"]?.GetValue<string>() ?? "BIOS-e820"),
                E820Origin = "trace",
                Cpus = o["cpus"]!.GetValue<int>(),
                Pse = o["pse"]!.GetValue<bool>(),
                Gbpages = o["gbpages"]!.GetValue<bool>(),
                Xen = o["xen"]!.GetValue<bool>(),
                KernelSize = ParseHex(o["kernel_size"]!),
                Variant = new KernelVariant(
                    KernelSwitches.ParseHunks(string.Join(",", o["hunks"]!.AsArray().Select(h => h!.GetValue<string>()))),
                    KernelSwitches.ParseFixes(string.Join(",", o["fixes"]!.AsArray().Select(h => h!.GetValue<string>())))),
                HotplugMutex = o["hotplug_mutex"]!.GetValue<bool>(),
                RemoveFlush = o["flush"]!.GetValue<string>() == "local" ? FlushScope.Local : FlushScope.Global,
                AllocOrder = o["alloc_order"]!.GetValue<string>() == "top-down" ? AllocOrder.TopDown : AllocOrder.BottomUp,
                Grain = o["pte_grain"]!.GetValue<string>() == "entry" ? PteGrain.Entry : PteGrain.Page,
            };
            var steps = o["workload"]!.AsArray().Select(s =>
            {
                var so = s!.AsObject();
                var events = so["events"]!.AsArray().Select(ev => EventFromJson(ev!.AsObject())).ToList();
                return new WorkloadStep(events, so["concurrent"]!.GetValue<bool>());
            }).ToList();
            return new RunSpec(o["name"]?.GetValue<string>() ?? "", machine, new WorkloadPlan(steps));
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new FormatException($"the run spec is incomplete or malformed: {ex.Message}", ex);
        }
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

    private static WorkloadEvent EventFromJson(JsonObject o)
    {
        var cpu = o["cpu"]!.GetValue<int>();
        if (o["hotadd"] is JsonObject h)
        {
            return new HotAdd(cpu, ParseHex(h["start"]!), ParseHex(h["size"]!));
        }

        if (o["hotremove"] is JsonObject r)
        {
            return new HotRemove(cpu, ParseHex(r["start"]!), ParseHex(r["size"]!));
        }

        if (o["touch"] is JsonObject t)
        {
            return new Touch(cpu, ParseHex(t["addr"]!), t["count"]!.GetValue<int>(), ParseHex(t["stride"]!));
        }

        throw new FormatException("a workload event is neither hotadd, hotremove nor touch");
    }

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static ulong ParseHex(JsonNode n)
    {
        var s = n.GetValue<string>();
        return s.StartsWith("0x", StringComparison.Ordinal)
            ? ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : throw new FormatException($"'{s}' is not a 0x-prefixed hex number");
    }
}
