using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Scenarios;
using BootActors.Actors.Settings;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>The machines and hosts every benchmark (and the memory report) runs, in one place.</summary>
public static class Machines
{
    /// <summary>Issue 4's "model steps/s" machine: a 4 GiB native boot (PSE, variant fixed), one CPU.</summary>
    public static readonly MachineConfig Native4GiB = new() { E820 = E820Map.FromMemorySize(4UL << 30), E820Origin = "--memory 4G" };

    /// <summary>Issue 4's big one: a 64 GiB Xen PV boot, variant fixed (no PSE under Xen: 16.8 million PTEs).</summary>
    public static readonly MachineConfig Xen64GiB = new()
    {
        E820 = E820Map.FromMemorySize(64UL << 30),
        E820Origin = "--memory 64G",
        Xen = true,
        Variant = KernelVariant.Fixed,
    };

    /// <summary>Issue 11, goal 1's reference: a 64 GiB native boot without PSE (16.5 million 4 KiB PTEs in 32,256 PTE pages).</summary>
    public static readonly MachineConfig NoPse64GiB = new()
    {
        E820 = E820Map.FromMemorySize(64UL << 30),
        E820Origin = "--memory 64G",
        Pse = false,
        Variant = KernelVariant.Fixed,
    };

    /// <summary>Issue 11, goal 1: the same boot with 64× the memory, 4 TiB (2.1 million PTE pages).</summary>
    public static readonly MachineConfig NoPse4TiB = NoPse64GiB with { E820 = E820Map.FromMemorySize(4UL << 40), E820Origin = "--memory 4T" };

    /// <summary>A small native no-PSE boot to warm the JIT up before the memory report measures.</summary>
    public static readonly MachineConfig NoPse1GiB = NoPse64GiB with { E820 = E820Map.FromMemorySize(1UL << 30), E820Origin = "--memory 1G" };

    /// <summary>A small Xen boot to warm the JIT up before the memory report measures.</summary>
    public static readonly MachineConfig Xen1GiB = Xen64GiB with { E820 = E820Map.FromMemorySize(1UL << 30), E820Origin = "--memory 1G" };

    /// <summary>
    /// The actor host as the CLI builds it: config/akka.hocon (Serilog logging, the one-thread model
    /// dispatcher) over <see cref="ActorHost.Defaults"/>; the defaults alone when no config/ is found.
    /// </summary>
    public static ActorHost CreateHost() => ActorHost.FromConfigDirectory();

    /// <summary>
    /// The host's default options in <paramref name="mode"/>, with a run timeout of at least 10 minutes:
    /// a benchmark measures how long a run takes, so a slow machine must not turn it into a timeout.
    /// </summary>
    public static ActorRunOptions Options(ActorHost host, HostMode mode = HostMode.Controlled)
    {
        var options = host.DefaultOptions() with { Mode = mode };
        return options.Timeout < TimeSpan.FromMinutes(10) ? options with { Timeout = TimeSpan.FromMinutes(10) } : options;
    }

    /// <summary>Throws when a run that must boot cleanly did not (a timeout or a violation would make its time meaningless).</summary>
    public static RunResult ExpectOk(RunResult result, string what)
    {
        if (result.Outcome != Outcome.Ok)
        {
            throw new InvalidOperationException($"{what}: expected outcome ok, got {result.Outcome}: {result.Stop?.Fatal.Message}");
        }

        return result;
    }

    /// <summary>config/scenarios/NAME.hocon of the checkout (found upward from the current and the program's directory).</summary>
    public static Scenario LoadScenario(string name, params string[] sets)
    {
        var dir = ConfigDirectory.Find()
            ?? throw new DirectoryNotFoundException($"no config/ folder above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}: run from the checkout");
        return ScenarioLoader.Load(Path.Combine(dir, "scenarios", name + ScenarioLoader.Extension), sets);
    }

    /// <summary>What an exploration of scenario <paramref name="name"/> (with <paramref name="sets"/> applied) runs: its machine and workload.</summary>
    public static RunSpec LoadSpec(string name, params string[] sets)
    {
        var scenario = LoadScenario(name, sets);
        return new RunSpec(scenario.Name, scenario.Machine, scenario.Workload);
    }
}
