using Akka.Configuration.Hocon;

namespace BootActors.Actors.Scenarios;

/// <summary>
/// A value of a parsed scenario, with its path (as <see cref="HoconSyntax"/> names it). Akka's
/// <see cref="HoconValue"/> keeps the whitespace between tokens as literal pieces and reads
/// "[ ]" as a list holding one empty value; this shape drops those, so the schema sees only what
/// the file says.
/// </summary>
internal abstract record HoconNode(string Path)
{
    public static HoconNode From(HoconValue value, string path)
    {
        var parts = value.Values.Where(p => !IsBlank(p)).ToList();
        if (parts.Count > 0 && parts.All(p => p is HoconObject))
        {
            // Objects on one line merge (HOCON); GetObject() does that merge.
            var items = parts.Count == 1 ? ((HoconObject)parts[0]).Items : value.GetObject().Items;
            return new HoconObjectNode(path, items.Select(kv => (kv.Key, From(kv.Value, Join(path, kv.Key)))).ToList());
        }

        if (parts.Count > 0 && parts.All(p => p is HoconArray))
        {
            var elements = parts.SelectMany(p => (HoconArray)p).Where(e => e.Values.Any(p => !IsBlank(p))).ToList();
            return new HoconListNode(path, elements.Select((e, i) => From(e, $"{path}[{i}]")).ToList());
        }

        return new HoconTextNode(path, parts.Count == 0 ? "" : value.GetString()?.Trim() ?? "");
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public abstract string Describe();

    private static bool IsBlank(IHoconElement element) => element is HoconLiteral literal && string.IsNullOrWhiteSpace(literal.Value);
}

internal sealed record HoconObjectNode(string Path, IReadOnlyList<(string Key, HoconNode Value)> Members) : HoconNode(Path)
{
    public HoconNode? this[string key] => Members.Where(m => m.Key == key).Select(m => m.Value).LastOrDefault();

    public override string Describe() => "an object { ... }";
}

internal sealed record HoconListNode(string Path, IReadOnlyList<HoconNode> Items) : HoconNode(Path)
{
    public override string Describe() => "a list [ ... ]";
}

internal sealed record HoconTextNode(string Path, string Text) : HoconNode(Path)
{
    public override string Describe() => $"'{Text}'";
}
