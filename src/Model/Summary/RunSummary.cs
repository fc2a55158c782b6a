using System.Globalization;
using System.Text.Json.Serialization;
using BootActors.Model.Kernel;
using BootActors.Model.Paging;

namespace BootActors.Model.Summary;

/// <summary>
/// The <c>--json</c> result of a run, with the keys other tools read (issue #3). Addresses and
/// pfns are hex strings; field order is fixed so output is byte-stable.
/// </summary>
public sealed record RunSummary
{
    [JsonPropertyName("variant")] public required string Variant { get; init; }

    [JsonPropertyName("hunks")] public required IReadOnlyList<string> Hunks { get; init; }

    [JsonPropertyName("fixes")] public required IReadOnlyList<string> Fixes { get; init; }

    [JsonPropertyName("pse")] public required bool Pse { get; init; }

    [JsonPropertyName("gbpages")] public required bool Gbpages { get; init; }

    [JsonPropertyName("xen")] public required bool Xen { get; init; }

    [JsonPropertyName("cpus")] public required int Cpus { get; init; }

    [JsonPropertyName("end")] public required string End { get; init; }

    [JsonPropertyName("last_map_addr")] public required string LastMapAddr { get; init; }

    [JsonPropertyName("table_start")] public required string TableStart { get; init; }

    [JsonPropertyName("table_end")] public required string TableEnd { get; init; }

    [JsonPropertyName("table_top")] public required string TableTop { get; init; }

    [JsonPropertyName("table_pages")] public required TablePages TablePages { get; init; }

    [JsonPropertyName("direct_pages")] public required DirectPages DirectPages { get; init; }

    [JsonPropertyName("mapped")] public required IReadOnlyList<IReadOnlyList<string>> Mapped { get; init; }

    /// <summary>Table pages that still have a writable early_ioremap alias when the run ended (oldest first).</summary>
    [JsonPropertyName("early_ioremap_aliases")] public required IReadOnlyList<string> EarlyIoremapAliases { get; init; }

    [JsonPropertyName("outcome")] public required string Outcome { get; init; }

    [JsonPropertyName("errors")] public required IReadOnlyList<ErrorEntry> Errors { get; init; }

    public static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    public static string SizeName(Level level) => level switch
    {
        Level.Pte => "4k",
        Level.Pmd => "2m",
        _ => "1g",
    };
}

public sealed record TablePages(
    [property: JsonPropertyName("pud")] int Pud,
    [property: JsonPropertyName("pmd")] int Pmd,
    [property: JsonPropertyName("pte")] int Pte);

public sealed record DirectPages(
    [property: JsonPropertyName("4k")] ulong K4,
    [property: JsonPropertyName("2m")] ulong M2,
    [property: JsonPropertyName("1g")] ulong G1);

public sealed record ErrorEntry(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("cpu")] int Cpu,
    [property: JsonPropertyName("function")] string Function)
{
    /// <summary>Positions in the host's step numbering (sequential: step count; actor host: trace seq); absent when none.</summary>
    [JsonPropertyName("trace_positions")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, long>? TracePositions { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(RunSummary))]
public sealed partial class SummaryJsonContext : JsonSerializerContext
{
}
