using System.Text.Json.Nodes;

namespace BootActors.Cluster.Tests.Harness;

/// <summary>Helpers shared by the multi-process tests.</summary>
internal static class Runs
{
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Finish = TimeSpan.FromSeconds(150);

    /// <summary>The one JSON object a node printed on stdout.</summary>
    public static JsonObject Json(Node node) =>
        JsonNode.Parse(node.Stdout) as JsonObject ?? throw new InvalidOperationException($"{node.Name} printed no JSON object:\n{node.Stdout}\n{node.Stderr}");

    /// <summary>A coordinator at a free port on 127.0.0.1 plus <paramref name="workers"/> workers joining it.</summary>
    public static (Node Coordinator, List<Node> Workers, string Address) Cluster(Workspace ws, int workers, params string[] explore)
    {
        var address = $"127.0.0.1:{Workspace.FreePort()}";
        var coordinator = ws.Start("coordinator", ["explore", .. explore, "--json", "--cluster", address, "--min-workers", workers.ToString()]);
        var list = Enumerable.Range(1, workers).Select(i => ws.Start($"worker{i}", "worker", "--join", address)).ToList();
        return (coordinator, list, address);
    }

    /// <summary>Each node's share as (start, end) ranges of schedule numbers, from the coordinator's "workers".</summary>
    public static List<(string Node, int Schedules, List<(int Start, int End)> Ranges)> Shares(JsonObject result) =>
        result["workers"]!.AsArray().Select(w => (
            w!["node"]!.GetValue<string>(),
            w["schedules"]!.GetValue<int>(),
            w["ranges"]!.AsArray().Select(r => (r![0]!.GetValue<int>(), r[1]!.GetValue<int>())).ToList())).ToList();

    /// <summary>The ranges of every node together cover 0 … n−1, each number once.</summary>
    public static void AssertEachNumberOnce(JsonObject result, int n)
    {
        var seen = new int[n];
        foreach (var (node, schedules, ranges) in Shares(result))
        {
            Assert.Equal(schedules, ranges.Sum(r => r.End - r.Start));
            foreach (var (start, end) in ranges)
            {
                for (var i = start; i < end; i++)
                {
                    seen[i]++;
                }
            }
        }

        Assert.True(seen.All(c => c == 1), $"schedule numbers not counted exactly once: {string.Join(",", seen.Select((c, i) => (c, i)).Where(p => p.c != 1).Take(20).Select(p => $"{p.i}×{p.c}"))}");
    }
}
