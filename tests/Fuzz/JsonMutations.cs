using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace BootActors.Fuzz;

/// <summary>
/// Damage that keeps a file JSON: one field of a replay file or a trace line swapped for a value
/// of another type, an extreme number, a huge or deeply nested value, or removed — what a hand edit
/// or another tool's output does, and what byte flips rarely reach.
/// </summary>
public static class JsonMutations
{
    /// <summary>Values a field can wrongly hold.</summary>
    public static readonly Gen<JsonNode?> Value = Gen.Frequency<JsonNode?>(
        (3, Gen.Int[0, Mutations.ExtremeNumbers.Length - 1].Select(i => Number(Mutations.ExtremeNumbers[i]))),
        (3, Gen.Int[0, Mutations.ExtremeNumbers.Length - 1].Select(i => (JsonNode?)JsonValue.Create(Mutations.ExtremeNumbers[i]))),
        (1, Gen.Const<JsonNode?>(() => null)),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (1, Gen.Const<JsonNode?>(() => new JsonArray())),
        (1, Gen.Const<JsonNode?>(() => new JsonObject())),
        (1, Gen.Int[1, 200_000].Select(n => (JsonNode?)JsonValue.Create(new string('x', n)))),
        (1, Gen.Int[1, 5_000].Select(n => (JsonNode?)new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode?)JsonValue.Create($"cpu{i}")).ToArray()))),
        (1, Gen.Int[1, 40].Select(Nested)),
        (2, Gen.String.Select(s => (JsonNode?)JsonValue.Create(s))),
        (1, Gen.Const<JsonNode?>(() => JsonValue.Create("0x"))),
        (1, Gen.Const<JsonNode?>(() => JsonValue.Create("\udc00 lone surrogate"))));

    /// <summary>One to three field edits of a JSON document; text that is not JSON is returned as it was.</summary>
    public static Gen<byte[]> Of(byte[] json) =>
        Gen.Select(Gen.Double.Unit, Gen.Int[0, 3], Value).Array[1, 3].Select(edits =>
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(json);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
            {
                return json;
            }

            if (root is null)
            {
                return json;
            }

            foreach (var (at, op, value) in edits)
            {
                Edit(root, at, op, value);
            }

            return Encoding.UTF8.GetBytes(root.ToJsonString());
        });

    /// <summary>Edits one line of a JSON Lines file (a trace): the header or an event.</summary>
    public static Gen<byte[]> OfLine(byte[] jsonl) =>
        Gen.Select(Gen.Double.Unit, Gen.Double.Unit.Select(x => x * x), Gen.Int[0, 3], Value).Array[1, 3].Select(edits =>
        {
            var lines = Encoding.UTF8.GetString(jsonl).Split('\n');
            foreach (var (field, lineAt, op, value) in edits)
            {
                // Early lines more often: the header decides most of what the readers check.
                var i = Math.Clamp((int)(lineAt * lines.Length), 0, lines.Length - 1);
                try
                {
                    if (JsonNode.Parse(lines[i]) is { } node)
                    {
                        Edit(node, field, op, value);
                        lines[i] = node.ToJsonString();
                    }
                }
                catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
                {
                    // A line an earlier edit left unparsable stays as it is.
                }
            }

            return Encoding.UTF8.GetBytes(string.Join('\n', lines));
        });

    private static JsonNode? Number(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static JsonNode? Nested(int depth)
    {
        JsonNode node = JsonValue.Create(1);
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["a"] = node };
        }

        return node;
    }

    /// <summary>0 replace, 1 remove, 2 add a member, 3 duplicate an array element; at picks the node in document order.</summary>
    private static void Edit(JsonNode root, double at, int op, JsonNode? value)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[Math.Clamp((int)(at * nodes.Count), 0, nodes.Count - 1)];
        var parent = target.Parent;
        switch (op)
        {
            case 0 when parent is JsonObject o:
                o[target.GetPropertyName()] = value;
                break;
            case 0 when parent is JsonArray a:
                a[target.GetElementIndex()] = value;
                break;
            case 1 when parent is JsonObject o:
                o.Remove(target.GetPropertyName());
                break;
            case 1 when parent is JsonArray a:
                a.RemoveAt(target.GetElementIndex());
                break;
            case 2 when target is JsonObject o:
                o[$"extra{o.Count}"] = value;
                break;
            case 3 when target is JsonArray { Count: > 0 } a:
                for (var i = 0; i < 50; i++)
                {
                    a.Add(a[0]?.DeepClone());
                }

                break;
            default:
                if (parent is JsonObject po)
                {
                    po[target.GetPropertyName()] = value;
                }

                break;
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode> into)
    {
        if (node is null)
        {
            return;
        }

        into.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o)
                {
                    Collect(v, into);
                }

                break;
            case JsonArray a:
                foreach (var v in a)
                {
                    Collect(v, into);
                }

                break;
        }
    }
}
