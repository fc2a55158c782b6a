using System.Text.Json.Nodes;
using BootActors.Actors.Exploration;
using BootActors.Cluster;
using BootActors.Model.Workload;

namespace BootActors.Cli.Cluster;

/// <summary>The coordinator's side of <c>explore … --cluster HOST:PORT [--min-workers N]</c>, for <see cref="Explore.ExploreCommand"/>.</summary>
internal static class ClusterExplore
{
    /// <summary>Explores over the cluster; a user mistake becomes <see cref="UsageException"/>, a cluster that fails a <see cref="ClusterFailed"/>.</summary>
    public static ClusterExplorationResult Run(RunSpec spec, string scenario, IReadOnlyList<string> sets, ExploreOptions options, string cluster,
        string? minWorkers, TextWriter errors)
    {
        try
        {
            var (host, port) = ClusterNode.ParseEndpoint(cluster, "--cluster");
            var min = Explore.ExploreCommand.Int(minWorkers, "--min-workers", 1, 0);
            var gate = new object();
            return ClusterExplorer.Explore(spec, scenario, sets, options, host, port, min, line =>
            {
                lock (gate)
                {
                    errors.WriteLine(line);
                }
            });
        }
        catch (ClusterException ex) when (ex.Usage)
        {
            throw new UsageException(ex.Message);
        }
        catch (ClusterException ex)
        {
            throw new ClusterFailed(ex.Message);
        }
    }

    /// <summary>The JSON of the nodes' shares: each node's address, its schedules, and their numbers as [start, end) ranges.</summary>
    public static JsonArray Workers(IReadOnlyList<NodeShare> shares) =>
        new(shares.Select(s => (JsonNode)new JsonObject
        {
            ["node"] = s.Node,
            ["schedules"] = s.Schedules,
            ["ranges"] = new JsonArray(s.Ranges.Select(r => (JsonNode)new JsonArray(r.Start, r.End)).ToArray()),
        }).ToArray());

    /// <summary>The coordinator's load: units merged, work messages handled, and the seconds spent handling them (its own measurement).</summary>
    public static JsonObject Load(CoordinatorLoad load) => new()
    {
        ["units"] = load.Units,
        ["messages"] = load.Messages,
        ["busy_seconds"] = Math.Round(load.BusySeconds, 6),
    };
}

/// <summary>The cluster failed under the exploration (workers did not come, or all went): one line, exit <see cref="ExitCodes.ClusterLost"/>.</summary>
internal sealed class ClusterFailed(string message) : Exception(message);
