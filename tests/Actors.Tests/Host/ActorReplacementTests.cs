using BootActors.Actors.Components;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Testing;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Host;

/// <summary>
/// Issue 5's "any actor can be replaced by a TestProbe", through the whole host: the test drives
/// a hypervisor probe by hand while ActorHost.Run runs, lets the first two mmu_updates through to
/// the real hypervisor and refuses the third; and a probe that never answers ends the run at its timeout.
/// </summary>
public sealed class ActorReplacementTests() : Akka.TestKit.Xunit2.TestKit(ActorHost.Defaults, "replacement")
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(HostMode.Controlled)]
    [InlineData(HostMode.Free)]
    public async Task AHypervisorProbeThatRefusesTheThirdMmuUpdateStopsTheXenBootOnCpu0WithThatRefusal(HostMode mode)
    {
        var host = new ActorHost(Sys);
        var probe = CreateTestProbe();
        var machine = Shipped.Load("xen-boot-after").Machine;
        var refusal = new FatalEvent(ErrorKind.HypervisorRefused, "(XEN) probe: the third mmu_update is refused");
        var replacement = new ActorReplacement("hypervisor", probe, m => m is StepRequest { TypeName: "MmuUpdate" });

        var running = Task.Run(() => host.Run(machine, WorkloadPlan.BootOnly, Shipped.Options(mode) with { Replacements = [replacement] }));
        for (var i = 0; i < 2; i++)
        {
            var passed = probe.ExpectMsg<ActorReplacement.Probed>(Wait);
            Assert.Equal("cpu0", passed.From);
            probe.Reply(ActorReplacement.Answer.Real);
        }

        var third = probe.ExpectMsg<ActorReplacement.Probed>(Wait);
        probe.Reply(ActorReplacement.Answer.With(("cpu0", ((StepRequest)third.Message).Reply(StepResult.Fail(refusal)))));
        var run = await running.WaitAsync(Wait);

        var stop = Assert.IsType<Model.Interpreter.RunStop>(run.Result.Stop);
        Assert.Same(refusal, stop.Fatal);
        Assert.Equal(Outcome.Rejected, run.Result.Outcome);
        Assert.Equal(0, stop.Cpu);
        Assert.EndsWith(third.Message.Tag.Step.Fn.ToString(), stop.CallChain);
        Assert.Equal(EffectKind.Populate, ((StepRequest)third.Message).Step.Kind);
        probe.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void AReplacedActorWhoseProbeNeverAnswersEndsTheRunAtItsTimeout()
    {
        var host = new ActorHost(Sys);
        var silent = CreateTestProbe();
        var scenario = Shipped.Load("default");

        var run = host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with
        {
            Timeout = TimeSpan.FromSeconds(1),
            Replacements = [new ActorReplacement("allocator", silent)],
        });

        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        Assert.Equal(ErrorKind.Timeout, run.Result.Stop?.Fatal.Kind);
        Assert.StartsWith("the run did not finish within 1 s", run.Result.Stop!.Fatal.Message);
        Assert.Equal("FindEarlyTableSpace", silent.ExpectMsg<ActorReplacement.Probed>(Wait).Message.TypeName);
    }

    [Fact]
    public async Task AProbeThatSendsAnActorAMessageItDoesNotKnowEndsTheRunFailedNamingThatActorAndItsException()
    {
        var host = new ActorHost(Sys);
        var probe = CreateTestProbe();
        var scenario = Shipped.Load("default");

        var running = Task.Run(() => host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with
        {
            Replacements = [new ActorReplacement("allocator", probe)],
        }));
        probe.ExpectMsg<ActorReplacement.Probed>(Wait);
        probe.Reply(ActorReplacement.Answer.With(("memory", new Nonsense())));
        var run = await running.WaitAsync(Wait);

        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        Assert.Equal(ErrorKind.ActorFailed, run.Result.Stop?.Fatal.Kind);
        Assert.Equal("memory", run.Result.Stop!.CallChain);
        Assert.Equal("actor memory failed: InvalidOperationException: memory got Nonsense from allocator", run.Result.Stop.Fatal.Message);
    }

    [Fact]
    public void ReplacingAnActorTheRunDoesNotHaveIsRefusedNamingTheActors()
    {
        var host = new ActorHost(Sys);
        var scenario = Shipped.Load("default");

        var refused = Assert.Throws<ArgumentException>(() => host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with
        {
            Replacements = [new ActorReplacement("hypervisor", CreateTestProbe())],
        }));

        Assert.StartsWith("cannot replace 'hypervisor': the run's actors are cpu0, cpu1, cpu2, cpu3, tlb0", refused.Message);
    }

    /// <summary>A model message no actor handles.</summary>
    private sealed record Nonsense : ModelMessage
    {
        public override void Fields(Dictionary<string, string> into)
        {
        }
    }
}
