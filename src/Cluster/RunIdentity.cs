using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using BootActors.Model.Workload;

namespace BootActors.Cluster;

/// <summary>What two nodes must agree on before they explore together: the build, and the resolved run.</summary>
public static class RunIdentity
{
    /// <summary>This build of BootActors: the version with the commit it was built from (e.g. 0.1.0+b304a67…).</summary>
    public static string Version { get; } = Of(typeof(RunSpec).Assembly) is var model && Of(typeof(Actors.Host.ActorHost).Assembly) is var actors && model == actors
        ? model
        : $"model {Of(typeof(RunSpec).Assembly)}, actors {Of(typeof(Actors.Host.ActorHost).Assembly)}";

    /// <summary>SHA-256 of the resolved run spec as replay files write it (the e820 entries, the variant, every knob, the workload).</summary>
    public static string SpecHash(RunSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(spec.ToJson().ToJsonString())));

    /// <summary>A version for a message: the commit cut to 12 hex digits.</summary>
    public static string Short(string version) =>
        version.IndexOf('+') is var plus and >= 0 && version.Length > plus + 13 ? version[..(plus + 13)] : version;

    private static string Of(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "unknown";
}
