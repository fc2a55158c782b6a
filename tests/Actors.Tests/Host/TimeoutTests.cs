using System.Diagnostics;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Tests.Host;

/// <summary>
/// A run that cannot finish in time is reported as a timeout by the run host's own timer (not by
/// the facade giving up on it), in either mode, and the step bound ends a run as such.
/// </summary>
public sealed class TimeoutTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    /// <summary>A 64 GiB Xen boot: thousands of deliveries.</summary>
    private static MachineConfig LongBoot() => Shipped.Load("xen-boot-after", "memory=64G").Machine;

    /// <summary>
    /// Holds the first recorded delivery for 2 s, so the run cannot finish before its 300 ms timeout
    /// however fast the machine is (a 64 GiB boot alone can finish in well under 300 ms); the session
    /// is stopped after the run, which waits for this delivery, so the hold is short.
    /// </summary>
    private sealed class HoldingSink : ITraceSink
    {
        private int held;

        public void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock)
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(2));
            }
        }
    }

    [Theory]
    [InlineData(HostMode.Controlled)]
    [InlineData(HostMode.Free)]
    public void ARunLongerThanItsTimeoutIsReportedAsATimeoutByTheRunHostPromptly(HostMode mode)
    {
        var sw = Stopwatch.StartNew();

        var run = fixture.Host.Run(LongBoot(), Model.Workload.WorkloadPlan.BootOnly,
            Shipped.Options(mode) with { Timeout = TimeSpan.FromMilliseconds(300), Trace = new HoldingSink() });

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), $"took {sw.Elapsed}");
        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        var stop = run.Result.Stop!;
        Assert.Equal(ErrorKind.Timeout, stop.Fatal.Kind);
        Assert.Equal("host", stop.CallChain);
        Assert.StartsWith("the run did not finish within 0.3 s (", stop.Fatal.Message);
        Assert.Contains("still running: CPU0 (boot: init_memory_mapping(0, end))", stop.Fatal.Message);
        Assert.Equal("timeout", run.Result.Summary().Errors.Single().Kind);
    }

    [Fact]
    public void TheStepBoundEndsAControlledRunAsATimeoutNamingTheBound()
    {
        var scenario = Shipped.Load("default");

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with { MaxSteps = 1000 });

        Assert.Equal(ErrorKind.Timeout, run.Result.Stop?.Fatal.Kind);
        Assert.Equal("conductor", run.Result.Stop!.CallChain);
        Assert.Equal("the run reached its step bound after 1000 deliveries without finishing", run.Result.Stop.Fatal.Message);
        Assert.Equal(1000, run.Delivered);
    }

    [Fact]
    public void StopAfterEndsAControlledRunEarlyWithoutAnErrorAfterExactlyThatManyDeliveries()
    {
        var scenario = Shipped.Load("default");

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with { StopAfter = 250 });

        Assert.True(run.StoppedEarly);
        Assert.Null(run.Result.Stop);
        Assert.Equal(250, run.Delivered);
        Assert.Equal(250, run.Interleaving.Count);
    }
}
