using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace BootActors.Fuzz;

/// <summary>
/// Inputs made from scratch, from each format's grammar with the keys the readers know and values
/// in and out of range: they reach the checks after parsing, which damaged files seldom do.
/// </summary>
public static class Generated
{
    private static readonly Gen<ulong> Address = Gen.Frequency(
        (3, Gen.ULong[0, 1UL << 36].Select(v => v & ~0xfffUL)),
        (2, Gen.ULong[0, 1UL << 47]),
        (1, Gen.ULong),
        (1, Gen.OneOf(0UL, 0x200000UL, 0x3f0000000000UL, ulong.MaxValue, ulong.MaxValue - 0xfff)));

    private static readonly Gen<string> Size = Gen.Frequency(
        (3, Gen.Select(Gen.Int[1, 4096], Gen.OneOf("K", "M", "G", "T", "", "KiB", "GB"), (n, unit) => n.ToString(CultureInfo.InvariantCulture) + unit)),
        (2, Address.Select(Mutations.Hex)),
        (1, Gen.Int[0, Mutations.ExtremeNumbers.Length - 1].Select(i => Mutations.ExtremeNumbers[i])),
        (1, Gen.String.AlphaNumeric));

    /// <summary>A kernel log: e820 lines of both formats and Xen's, with and without timestamps, among other lines.</summary>
    public static readonly Gen<byte[]> E820Log =
        Gen.Frequency(
            (4, Gen.Select(Address, Address, Gen.OneOf("(usable)", "(reserved)", "(ACPI data)", "(ACPI NVS)", "type 12", "(unusable)", "(bogus)"),
                (a, b, t) => $"BIOS-e820: {a:x16} - {b:x16} {t}")),
            (3, Gen.Select(Address, Address, Gen.OneOf("usable", "reserved", "ACPI NVS", "persistent (type 12)", "soft reserved", ""),
                (a, b, t) => $"[    0.000000] BIOS-e820: [mem 0x{a:x16}-0x{b:x16}] {t}")),
            (1, Gen.Select(Address, Address, (a, b) => $"Xen: {a:x16} - {b:x16} (usable)")),
            (1, Gen.String),
            (1, Gen.Const("# a comment line")))
        .Array[0, 40].Select(lines => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    private static readonly string[] TopKeys =
        ["cpus", "memory", "e820", "pse", "gbpages", "xen", "kernel_size", "variant", "hunks", "fixes", "hotplug_mutex", "flush", "alloc_order", "pte_grain", "workload", "expect", "bogus"];

    private static readonly Gen<string> Word = Gen.OneOf(
        "on", "off", "fixed", "before", "after", "local", "global", "bottom-up", "top-down", "page", "entry", "none", "all",
        "nonpse_fallback,preserve_existing", "22b45144f67", "violation", "ok", "panic", "rejected", "\"../e820/server-64g.dmesg\"", "\"/dev/zero\"", "\"\"");

    private static readonly Gen<string> Scalar = Gen.Frequency((3, Size), (3, Word), (2, Gen.Int[-5, 5000].Select(i => i.ToString(CultureInfo.InvariantCulture))));

    private static readonly Gen<string> Event = Gen.Select(Gen.Int[-1, 8], Gen.OneOf("hotadd", "hotremove", "touch"), Size, Size, Gen.Int[-1, 100_000],
        (cpu, kind, a, b, n) => kind == "touch"
            ? $"{{ cpu = {cpu}, touch {{ addr = {a}, count = {n}, stride = {b} }} }}"
            : $"{{ cpu = {cpu}, {kind} {{ start = {a}, size = {b} }} }}");

    private static readonly Gen<string> Workload = Gen.Frequency(
        (3, Event),
        (2, Event.Array[1, 4].Select(es => $"{{ concurrent = [ {string.Join(", ", es)} ] }}")))
        .Array[0, 4].Select(steps => "[\n  " + string.Join("\n  ", steps) + "\n]");

    /// <summary>A scenario file: the known keys (mostly), values of every kind, a workload and an expect block.</summary>
    public static readonly Gen<byte[]> Scenario =
        Gen.Select(
                Gen.Select(Gen.Int[0, TopKeys.Length - 1], Scalar, (k, v) => $"{TopKeys[k]} = {v}").Array[0, 10],
                Gen.Select(Gen.Int[1, 8], Size, Gen.OneOf("fixed", "after", "before")), Workload, Gen.Bool,
                (extra, basics, workload, expect) =>
                    $"cpus = {basics.Item1}\nmemory = {basics.Item2}\nvariant = {basics.Item3}\n{string.Join("\n", extra)}\nworkload = {workload}\n" +
                    (expect ? "expect { outcome = violation, error = overwrote_present_entry }\n" : ""))
            .Select(Encoding.UTF8.GetBytes);

    /// <summary>A --set argument: a known key (or not) and a value of any kind, the HOCON of objects and lists included.</summary>
    public static readonly Gen<string> Set = Gen.Frequency(
        (4, Gen.Select(Gen.Int[0, TopKeys.Length - 1], Scalar, (k, v) => $"{TopKeys[k]}={v}")),
        (2, Workload.Select(w => "workload=" + w.Replace('\n', ' '))),
        (1, Gen.Select(Gen.OneOf("expect.outcome", "expect.error", "expect.message", "expect.bogus", "a.b.c"), Scalar, (k, v) => $"{k}={v}")),
        (1, Gen.Int[1, 3000].Select(n => "cpus=" + new string('[', n) + new string(']', n))),
        (1, Gen.String.Select(s => s)));

    private static JsonNode Spec(int cpus, ulong end, ulong kernel, bool pse, JsonArray workload) => new JsonObject
    {
        ["name"] = "fuzz",
        ["e820"] = new JsonArray(new JsonArray(JsonValue.Create("0x0"), JsonValue.Create(Mutations.Hex(end)), JsonValue.Create(1))),
        ["e820_label"] = "BIOS-e820",
        ["cpus"] = cpus,
        ["pse"] = pse,
        ["gbpages"] = false,
        ["xen"] = false,
        ["kernel_size"] = Mutations.Hex(kernel),
        ["hunks"] = new JsonArray(JsonValue.Create("nonpse_fallback")),
        ["fixes"] = new JsonArray(),
        ["hotplug_mutex"] = false,
        ["flush"] = "global",
        ["alloc_order"] = "bottom-up",
        ["pte_grain"] = "page",
        ["workload"] = workload,
    };

    private static readonly Gen<JsonArray> JsonWorkload =
        Gen.Select(Gen.Int[-1, 6], Address, Address, Gen.Bool, (cpu, start, size, concurrent) => (JsonNode)new JsonObject
        {
            ["concurrent"] = concurrent,
            ["events"] = new JsonArray(new JsonObject { ["cpu"] = cpu, ["hotadd"] = new JsonObject { ["start"] = Mutations.Hex(start), ["size"] = Mutations.Hex(size) } }),
        }).Array[0, 3].Select(steps => new JsonArray(steps));

    private static readonly Gen<JsonNode> GenSpec =
        Gen.Select(Gen.Int[-2, 5000], Address, Address, Gen.Bool, JsonWorkload, (cpus, end, kernel, pse, w) => Spec(cpus, end, kernel, pse, w));

    /// <summary>A replay file: the format's keys with a spec of any size and deliveries of any shape.</summary>
    public static readonly Gen<byte[]> Replay =
        Gen.Select(GenSpec, Gen.OneOf("cpu0", "cpu1", "memory", "host", "nobody").Array[0, 4].Array[0, 30], Gen.Int[0, 3], (spec, deliveries, version) =>
            Encoding.UTF8.GetBytes(new JsonObject
            {
                ["bootactors_replay"] = version,
                ["scenario"] = "fuzz",
                ["strategy"] = "pct",
                ["seed"] = 1,
                ["schedule"] = 0,
                ["violation"] = new JsonObject { ["kind"] = "overwrote_present_entry", ["message"] = "x" },
                ["spec"] = spec,
                ["deliveries"] = new JsonArray(deliveries.Select(d => (JsonNode?)new JsonArray(d.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray())).ToArray()),
            }.ToJsonString()));

    /// <summary>A trace: a header with a spec and actors, then events naming them (or not) with clocks of any shape.</summary>
    public static readonly Gen<byte[]> Trace =
        Gen.Select(GenSpec, Gen.Int[1, 6], Gen.OneOf("boot", "after-boot", "elsewhere"),
            Gen.Select(Gen.Long[-2, 40], Gen.Int[0, 8], Gen.Int[0, 8], Gen.OneOf("ReadEntry", "SetPmd", "RunProgram", ""), Gen.Long[-1, 50],
                (seq, from, to, type, clock) => new TraceLine(seq, from, to, type, clock)).Array[0, 30],
            (spec, cpus, start, events) =>
            {
                var actors = new List<string> { "host" };
                actors.AddRange(Enumerable.Range(0, cpus).Select(i => $"cpu{i}"));
                actors.AddRange(Enumerable.Range(0, cpus).Select(i => $"tlb{i}"));
                actors.AddRange(["memory", "allocator", "page_table_lock", "hotplug_mutex"]);
                var sb = new StringBuilder();
                sb.Append(new JsonObject
                {
                    ["bootactors_trace"] = 1,
                    ["scenario"] = "fuzz",
                    ["mode"] = "controlled",
                    ["seed"] = 0,
                    ["strategy"] = "random",
                    ["start"] = start,
                    ["spec"] = spec,
                    ["actors"] = new JsonArray(actors.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                }.ToJsonString()).Append('\n');
                foreach (var (seq, from, to, type, clock) in events)
                {
                    string Name(int i) => i < actors.Count ? actors[i] : "ghost";
                    sb.Append(new JsonObject
                    {
                        ["seq"] = seq,
                        ["from"] = Name(from),
                        ["to"] = Name(to),
                        ["type"] = type,
                        ["fields"] = new JsonObject { ["table"] = "0x202", ["level"] = "pud", ["index"] = "8", ["value"] = "0x1e3" },
                        ["from_clock"] = new JsonObject { [Name(from)] = clock },
                        ["to_clock"] = new JsonObject { [Name(to)] = clock },
                        ["cpu"] = from - 1,
                        ["function"] = "phys_pud_init",
                        ["effect"] = "read",
                    }.ToJsonString()).Append('\n');
                }

                return Encoding.UTF8.GetBytes(sb.ToString());
            });

    private sealed record TraceLine(long Seq, int From, int To, string Type, long Clock);
}
