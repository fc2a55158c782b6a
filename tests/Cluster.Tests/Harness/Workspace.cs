using System.Net;
using System.Net.Sockets;

namespace BootActors.Cluster.Tests.Harness;

/// <summary>
/// A working directory for one test's processes: a copy of the repository's config/ (akka.hocon,
/// cluster.hocon, scenarios, e820 maps), so the nodes find it as they would in a checkout, with the
/// test's own cluster settings written over config/cluster.hocon's keys; replays go under it too.
/// Deleted at the end.
/// </summary>
internal sealed class Workspace : IDisposable
{
    /// <summary>Settings that make a dead node cost seconds, not half a minute, on loopback.</summary>
    public const string FastFailure = """
        akka.cluster.split-brain-resolver.stable-after = 4s
        bootactors.cluster.coordinator-lost-after = 12s
        bootactors.cluster.min-workers-timeout = 40s
        bootactors.cluster.join-timeout = 30s
        """;

    private readonly List<Node> nodes = new();

    public Workspace(string clusterOverrides = FastFailure)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bootactors-cluster-{Guid.NewGuid():N}");
        CopyDirectory(System.IO.Path.Combine(RepoRoot(), "config"), Config);
        var file = System.IO.Path.Combine(Config, "cluster.hocon");
        File.WriteAllText(file, File.ReadAllText(file) + "\n# The test's own settings.\n" + clusterOverrides + "\n");
    }

    public string Path { get; }

    public string Config => System.IO.Path.Combine(Path, "config");

    public string Replays(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Starts bootactors with these arguments in this workspace; the workspace kills it at the end.</summary>
    public Node Start(string name, params string[] args)
    {
        var node = new Node(name, Path, args);
        nodes.Add(node);
        return node;
    }

    /// <summary>A port nobody listens on now (the system picks one; it is closed again at once).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "BootActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BootActors.sln not found above the test binaries");
    }

    public void Dispose()
    {
        foreach (var n in nodes)
        {
            n.Dispose();
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, System.IO.Path.Combine(to, System.IO.Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from))
        {
            CopyDirectory(d, System.IO.Path.Combine(to, System.IO.Path.GetFileName(d)));
        }
    }
}
