using System.Runtime.CompilerServices;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.E820;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Host;

/// <summary>
/// A host that runs many boots (a test suite, a benchmark, a server) holds no machine once its run's
/// result is dropped. Akka keeps a cancelled timer (the run timeout) in its wheel until the wheel
/// comes round, and that registration reaches the run's context through the host actor's Props.
/// </summary>
public sealed class RetentionTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData(HostMode.Controlled)]
    [InlineData(HostMode.Free)]
    public void AMachineIsCollectableAsSoonAsItsRunsResultIsDropped(HostMode mode)
    {
        var machines = Enumerable.Range(0, 3).Select(_ => RunAndForget(fixture.Host, mode)).ToList();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.All(machines, m => Assert.False(m.IsAlive, "a run's machine is still reachable after its result was dropped"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunAndForget(ActorHost host, HostMode mode)
    {
        var config = new MachineConfig { E820 = E820Map.FromMemorySize(256UL << 20), E820Origin = "--memory 256M" };
        var r = host.Run(config, WorkloadPlan.BootOnly, Shipped.Options(mode));
        Assert.Equal(Outcome.Ok, r.Result.Outcome);
        return new WeakReference(r.Result.Machine);
    }
}
