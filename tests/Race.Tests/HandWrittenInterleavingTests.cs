using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.TestKit;
using Xunit.Abstractions;

namespace BootActors.Race.Tests;

/// <summary>Interleavings written by hand: hold a CPU at a named point, run another, release the first.</summary>
public sealed class HandWrittenInterleavingTests(ITestOutputHelper output) : BootRaceTest(output)
{
    [Fact]
    public void HoldingCpu1AfterItsPudValCheckWhileCpu2HotAddsLosesCpu2sPmdPage()
    {
        var script = Script.Run(1).Until(HoldPoint.AfterPudValCheck).Then(2).ToEnd().Then(1).ToEnd();

        var stop = AssertViolation<LostUpdate>(RunScripted(Scenario("hotadd-concurrent"), script));

        Assert.Equal(ErrorKind.OverwrotePresentEntry, stop.Fatal.Kind);
        Assert.Equal(1, stop.Cpu);
        Assert.Contains("pud_populate overwrote present pud[8]", stop.Fatal.Message);
    }

    [Fact]
    public void LettingCpu1FinishBeforeCpu2StartsLosesNothing()
    {
        var run = RunScripted(Scenario("hotadd-concurrent"), Script.Run(1).ToEnd().Then(2).ToEnd());

        AssertNoViolation(run);
        Assert.Equal(Outcome.Ok, run.Result.Outcome);
    }

    [Fact]
    public void TheMutexMakesTheHeldCpuWaitSoTheSameScriptLosesNothing()
    {
        var script = Script.Run(1).Until(HoldPoint.AfterPudValCheck).Then(2).ToEnd().Then(1).ToEnd();

        var run = RunScripted(Scenario("hotadd-concurrent", "hotplug_mutex=on"), script);

        Assert.Equal(Outcome.Ok, run.Result.Outcome);
    }
}

/// <summary>A model actor replaced by a TestProbe: the kernel side's reaction to a hypervisor that refuses.</summary>
public sealed class ProbeReplacementTests(ITestOutputHelper output) : BootRaceTest(output)
{
    [Fact]
    public async Task AHypervisorProbeThatRefusesTheThirdMmuUpdateStopsTheHotAddAsRejected()
    {
        var probe = CreateTestProbe();
        var spec = Scenario("xen-boot-after", "cpus=2", "workload=[{cpu=1, hotadd={start=4G, size=4M}}]");
        var run = RunWith(spec, new ActorReplacement("hypervisor", probe.Ref, m => m is StepRequest { Stage.Op: StageOp.XenEntryWrite or StageOp.XenPopulate }));

        for (var i = 1; i <= 3; i++)
        {
            var probed = probe.ExpectMsg<ActorReplacement.Probed>(TimeSpan.FromSeconds(20));
            Assert.Equal(StageOwner.Hypervisor, Assert.IsType<StepRequest>(probed.Message).Stage.Owner);
            if (i < 3)
            {
                probe.Reply(ActorReplacement.Answer.Real);
                continue;
            }

            var refused = StepResult.Fail(ErrorKind.HypervisorRefused, "(XEN) probe: the third mmu_update is refused");
            probe.Reply(ActorReplacement.Answer.With((probed.From, ((StepRequest)probed.Message).Reply(refused))));
        }

        var result = (await run).Result;
        Assert.Equal(Outcome.Rejected, result.Outcome);
        Assert.Equal(1, result.Stop!.Cpu);
        Assert.Contains("the third mmu_update is refused", result.Stop.Fatal.Message);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
