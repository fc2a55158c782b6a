using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using Akka.Configuration.Hocon;
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

    /// <summary>The nearest config/cluster.hocon (found as akka.hocon is, nearest config/ first), or null: the copy built into this assembly is used.</summary>
    public static string? ClusterHoconFile() =>
        ConfigDirectory.Candidates().Select(d => Path.Combine(d, ClusterConfigFileName)).FirstOrDefault(File.Exists);

    /// <summary>config/cluster.hocon, else the copy built into this assembly.</summary>
    /// <exception cref="AkkaConfigException">The file is not HOCON.</exception>
    public static Config ClusterHocon() => ClusterHoconFile() is { } file ? BootActorsSettings.ReadAkkaConfig(file) : BuiltIn();

    /// <summary>The settings of the bootactors.cluster section in force.</summary>
    /// <exception cref="AkkaConfigException">A value cannot be used; the message names the file and the key.</exception>
    public static ClusterSettings Settings() => BootActorsSettings.UseConfigFile(ClusterHoconFile(), ClusterConfigFileName, BuiltIn, ClusterSettings.From);

    private static Config BuiltIn()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("BootActors.Cluster.cluster.hocon")
            ?? throw new InvalidOperationException("the built-in cluster.hocon is missing from BootActors.Cluster");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>
    /// Starts a node's actor system. Akka.NET reads its own keys (the cluster's, the remoting's) as it
    /// starts and names neither the file nor the key of a value it cannot read, only the value: that
    /// becomes an <see cref="AkkaConfigException"/> naming the files and the keys that hold it.
    /// </summary>
    public static ActorSystem Start(Config config)
    {
        try
        {
            return ActorSystem.Create(SystemName, config);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or InvalidCastException or ConfigurationException
                                       && ClusterExplorer.Bind(ex) is null)
        {
            var files = new[] { ClusterHoconFile(), BootActorsSettings.FindAkkaConfigFile() }.OfType<string>().ToList();
            var value = Regex.Match(ex.Message, "'([^']*)'") is { Success: true } m ? m.Groups[1].Value : null;
            var held = value is null
                ? []
                : files.SelectMany(f => KeysHolding(BootActorsSettings.ReadAkkaConfig(f).Root, "", value).Select(k => $"{f}{LineOf(f, k, value)}: {k} = {value}")).ToList();
            throw held.Count > 0
                ? new AkkaConfigException(string.Join("; ", held), $"Akka.NET cannot start a cluster node with it ({ex.Message})", ex)
                : new AkkaConfigException(files.Count > 0 ? string.Join(" or ", files) : ClusterConfigFileName,
                    $"Akka.NET cannot start a cluster node with this configuration ({ex.Message})", ex);
        }
    }

    /// <summary>":LINE" of the line that sets <paramref name="key"/>'s last part to <paramref name="value"/>, or nothing.</summary>
    private static string LineOf(string file, string key, string value)
    {
        var name = Regex.Escape(key[(key.LastIndexOf('.') + 1)..]);
        var pattern = new Regex($@"(^|[\s.{{""]){name}""?\s*[=:]?\s*""?{Regex.Escape(value)}");
        var lines = File.ReadAllLines(file);
        var i = Array.FindIndex(lines, l => pattern.IsMatch(l));
        return i < 0 ? "" : $":{i + 1}";
    }

    private static IEnumerable<string> KeysHolding(HoconValue node, string path, string value)
    {
        if (node.IsObject())
        {
            foreach (var (key, child) in node.GetObject().Items)
            {
                foreach (var k in KeysHolding(child, path.Length == 0 ? key : $"{path}.{key}", value))
                {
                    yield return k;
                }
            }
        }
        else if (node.IsString() && node.GetString() == value)
        {
            yield return path;
        }
    }

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
