using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Akka.Configuration;
using BootActors.Actors.Host;
using BootActors.Actors.Settings;

namespace BootActors.Cluster;

/// <summary>
/// The configuration of a cluster node: its address and role from the command line over
/// config/cluster.hocon over config/akka.hocon over the actor host's defaults.
/// </summary>
public static class ClusterNode
{
    /// <summary>Every node's actor system has this name; a seed address names it too.</summary>
    public const string SystemName = "bootactors";

    public const string ClusterConfigFileName = "cluster.hocon";

    /// <summary>The coordinator: the seed node, bound to the address workers join.</summary>
    public static Config Coordinator(string host, int port) => Node(host, port, Protocol.Coordinator.Role, host, port);

    /// <summary>A worker at <paramref name="host"/>:<paramref name="port"/> (0: any free port) joining the seed at <paramref name="joinHost"/>:<paramref name="joinPort"/>.</summary>
    public static Config Worker(string host, int port, string joinHost, int joinPort) => Node(host, port, Protocol.Worker.Role, joinHost, joinPort);

    /// <summary>config/cluster.hocon found as akka.hocon is (nearest config/ first), else the copy built into this assembly.</summary>
    public static Config ClusterHocon()
    {
        if (ConfigDirectory.Candidates().Select(d => Path.Combine(d, ClusterConfigFileName)).FirstOrDefault(File.Exists) is { } file)
        {
            return ConfigurationFactory.ParseString(File.ReadAllText(file));
        }

        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("BootActors.Cluster.cluster.hocon")
            ?? throw new InvalidOperationException("the built-in cluster.hocon is missing from BootActors.Cluster");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The settings of the bootactors.cluster section in force.</summary>
    public static ClusterSettings Settings() => ClusterSettings.From(ClusterHocon());

    /// <summary>Parses HOST:PORT (IPv6 in brackets: [::1]:4053); a bad one is a <see cref="ClusterException"/> naming the option.</summary>
    public static (string Host, int Port) ParseEndpoint(string text, string option, bool anyPort = false)
    {
        var t = text.Trim();
        var colon = t.LastIndexOf(':');
        if (colon <= 0 || colon == t.Length - 1)
        {
            throw new ClusterException($"{option} {text}: expected HOST:PORT, e.g. 127.0.0.1:4053", usage: true);
        }

        var host = t[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        CheckHost(host, option, text);
        return (host, ParsePort(t[(colon + 1)..], option, text, anyPort));
    }

    /// <summary>A port 1–65535 (0 too when <paramref name="anyPort"/>: the system picks a free one).</summary>
    public static int ParsePort(string port, string option, string text, bool anyPort)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p > 65535 || p < (anyPort ? 0 : 1))
        {
            throw new ClusterException($"{option} {text}: the port must be a number from {(anyPort ? 0 : 1)} to 65535", usage: true);
        }

        return p;
    }

    /// <summary>A host name or IP address (letters, digits, '.', '-', ':'): what goes into the node's address.</summary>
    public static void CheckHost(string host, string option, string text)
    {
        if (host.Length == 0 || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '_')))
        {
            throw new ClusterException($"{option} {text}: '{host}' is not a host name or IP address", usage: true);
        }

        if (host is "0.0.0.0" or "::")
        {
            throw new ClusterException($"{option} {text}: give the address the other nodes reach this one at, not {host} (a node's address is how the others name it)", usage: true);
        }
    }

    /// <summary>
    /// The local address this machine reaches <paramref name="host"/> from (a worker's default
    /// --hostname): the coordinator connects back to it, so it must be an address of the interface that
    /// faces the coordinator, 127.0.0.1 when the coordinator is on this machine.
    /// </summary>
    public static string LocalAddressToward(string host, int port)
    {
        try
        {
            var target = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
            if (IPAddress.IsLoopback(target))
            {
                return target.ToString();
            }

            // Connecting a UDP socket sends nothing; it only picks the route, and so the local address.
            using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(target, port));
            return ((IPEndPoint)socket.LocalEndPoint!).Address.ToString();
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException or ArgumentException)
        {
            throw new ClusterException($"--join {host}:{port}: cannot find a route to {host} ({ex.Message}); give this worker's address with --hostname", usage: true);
        }
    }

    private static Config Node(string host, int port, string role, string seedHost, int seedPort)
    {
        var own = ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            akka.remote.dot-netty.tcp.hostname = "{{host}}"
            akka.remote.dot-netty.tcp.port = {{port}}
            akka.cluster.roles = ["{{role}}"]
            akka.cluster.seed-nodes = ["akka.tcp://{{SystemName}}@{{Bracket(seedHost)}}:{{seedPort}}"]
            """));
        return own.WithFallback(ClusterHocon()).WithFallback(BootActorsSettings.FindAkkaConfig()).WithFallback(ActorHost.Defaults);
    }

    private static string Bracket(string host) => host.Contains(':') ? $"[{host}]" : host;
}
