using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BootActors.Model.Files;

/// <summary>
/// Typed reads of the JSON files bootactors writes (replay files, trace headers), each naming the
/// JSON path of a wrong field and what was found there: "spec.cpus: expected an integer, found
/// the string \"4\"". A hand-edited or damaged file is refused with that, as a <see cref="FormatException"/>.
/// </summary>
public static class JsonFields
{
    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static string Index(string path, int i) => string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");

    /// <summary>The member <paramref name="key"/> of <paramref name="o"/>; missing or null is an error.</summary>
    public static JsonNode Required(JsonObject o, string key, string path)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (!o.TryGetPropertyValue(key, out var node))
        {
            throw new FormatException($"{Join(path, key)}: missing");
        }

        return node ?? throw new FormatException($"{Join(path, key)}: expected a value, found null");
    }

    /// <summary>The member <paramref name="key"/>, or null when it is absent or JSON null.</summary>
    public static JsonNode? Optional(JsonObject o, string key)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o.TryGetPropertyValue(key, out var node) ? node : null;
    }

    public static JsonObject Object(JsonNode node, string path) =>
        node as JsonObject ?? throw Expected(path, "an object { … }", node);

    public static JsonArray Array(JsonNode node, string path) =>
        node as JsonArray ?? throw Expected(path, "a list [ … ]", node);

    public static string String(JsonNode node, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.TryGetValue<string>(out var s)
            ? s
            : throw Expected(path, "a string", node);

    public static bool Boolean(JsonNode node, string path) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValueKind() == JsonValueKind.True
            : throw Expected(path, "true or false", node);

    public static long Integer(JsonNode node, string path, long min, long max)
    {
        // The JSON text decides, so a node built in memory (any integer type) reads like a parsed one.
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number ||
            !long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            throw Expected(path, "an integer", node);
        }

        return n >= min && n <= max
            ? n
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{path}: {n} is out of range (expected {min} to {max})"));
    }

    /// <summary>"the string \"4\"", "the number 1.5", "an object", "null" — what a field holds, for messages.</summary>
    public static string Describe(JsonNode? node)
    {
        if (node is null)
        {
            return "null";
        }

        var text = node.ToJsonString();
        if (text.Length > 40)
        {
            text = text[..37] + "…";
        }

        return node.GetValueKind() switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            JsonValueKind.String => $"the string {text}",
            JsonValueKind.Number => $"the number {text}",
            _ => text,
        };
    }

    private static FormatException Expected(string path, string what, JsonNode? found) => new($"{path}: expected {what}, found {Describe(found)}");
}
