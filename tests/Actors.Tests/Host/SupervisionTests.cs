using System.Diagnostics;
using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Model.Kernel;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Model.Interpreter;

namespace BootActors.Actors.Tests.Host;

/// <summary>
/// An actor that throws ends the run as "failed" with error actor_failed, naming the actor and the
/// exception, through the whole host (ActorHost.Run), and promptly — not by the run's timeout.
/// </summary>
public sealed class SupervisionTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Fact]
    public void AModelActorThatThrowsWhileHandlingADeliveryEndsTheRunFailedWithActorFailedNamingTheActorAndTheException()
    {
        var scenario = Shipped.Load("default");
        var sink = new ThrowingTraceSink(new Topology(4, false).Cpu(1), "the trace disk is full");
        var sw = Stopwatch.StartNew();

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with { Trace = sink, Timeout = TimeSpan.FromSeconds(20) });

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}: the failure was not reported by supervision");
        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        var stop = Assert.IsType<RunStop>(run.Result.Stop);
        Assert.Equal(ErrorKind.ActorFailed, stop.Fatal.Kind);
        Assert.Equal("cpu1", stop.CallChain);
        Assert.Equal("actor cpu1 failed: IOException: the trace disk is full", stop.Fatal.Message);
        var summary = run.Result.Summary();
        Assert.Equal("failed", summary.Outcome);
        Assert.Equal("actor_failed", Assert.Single(summary.Errors).Kind);
    }

    [Fact]
    public void ASessionWhoseActorFailedRefusesItsNextRunNamingTheFirstFailure()
    {
        var scenario = Shipped.Load("default");
        using var session = fixture.Host.OpenSession(4, false);
        var failed = session.Run(scenario.Machine, scenario.Workload, Shipped.Options() with { Trace = new ThrowingTraceSink(new Topology(4, false).Memory, "disk full") });
        Assert.Equal(ErrorKind.ActorFailed, failed.Result.Stop?.Fatal.Kind);

        var next = session.Run(scenario.Machine, scenario.Workload, Shipped.Options());

        Assert.Equal(Outcome.Failed, next.Result.Outcome);
        Assert.Equal("this host cannot run again: actor memory failed: IOException: disk full", next.Result.Stop?.Fatal.Message);
    }

    [Fact]
    public void AConductorWhoseStrategyThrowsEndsTheRunFailedWithActorFailedNamingTheConductor()
    {
        var scenario = Shipped.Load("default");
        var wrongTrace = new FollowTraceStrategy([new RecordedDelivery("host", "cpu3", "RunProgram")], new Topology(4, false).Names);

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with { Strategy = wrongTrace });

        var stop = Assert.IsType<RunStop>(run.Result.Stop);
        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        Assert.Equal(ErrorKind.ActorFailed, stop.Fatal.Kind);
        Assert.Equal("conductor", stop.CallChain);
        Assert.StartsWith("actor conductor failed: ScheduleDivergedException: delivery 1 of the trace is RunProgram host → cpu3", stop.Fatal.Message);
    }

    [Fact]
    public void AFreeModeActorThatThrowsEndsTheRunFailedToo()
    {
        var scenario = Shipped.Load("xen-boot-after");
        var sink = new ThrowingTraceSink(new Topology(1, true).Hypervisor, "the trace disk is full");

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(HostMode.Free) with { Trace = sink });

        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        Assert.Equal(ErrorKind.ActorFailed, run.Result.Stop!.Fatal.Kind);
        Assert.Equal("actor hypervisor failed: IOException: the trace disk is full", run.Result.Stop.Fatal.Message);
    }

    [Fact]
    public void AStrategyThatPicksNoPendingMessageEndsTheRunFailedNamingTheConductor()
    {
        var scenario = Shipped.Load("default");

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with { Strategy = new OutOfRange() });

        Assert.Equal(ErrorKind.ActorFailed, run.Result.Stop?.Fatal.Kind);
        Assert.StartsWith("actor conductor failed: ArgumentOutOfRangeException", run.Result.Stop!.Fatal.Message);
    }

    /// <summary>
    /// The run host itself is not supervised by the host: an OnLog callback that throws (on the run
    /// host's thread, from its Printk handler or setup_arch's lines) makes /user restart the
    /// RunHostActor, which forgets the caller, so ActorHost.Run waits out Timeout + 10 s and reports
    /// "the run host did not answer within 12 s" (timeout) — the exception is lost.
    /// </summary>
    [Fact]
    public void ALogCallbackThatThrowsEndsTheRunFailedWithItsCause()
    {
        var scenario = Shipped.Load("xen-boot-after");
        var sw = Stopwatch.StartNew();

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options() with
        {
            Timeout = TimeSpan.FromSeconds(2),
            OnLog = line => throw new InvalidOperationException("log sink broke on: " + line.Text),
        });

        Assert.Equal(Outcome.Failed, run.Result.Outcome);
        Assert.Contains("log sink broke on", run.Result.Stop!.Fatal.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
    }

    /// <summary>A trace sink that fails when a delivery to one actor is recorded (which the receiving actor does).</summary>
    private sealed class ThrowingTraceSink(int actor, string message) : ITraceSink
    {
        public void Record(long seq, int from, int to, ModelMessage delivered, long[] senderClock, long[] receiverClock)
        {
            if (to == actor)
            {
                throw new IOException(message);
            }
        }
    }

    /// <summary>Picks past the end of the pending list.</summary>
    private sealed class OutOfRange : IScheduleStrategy
    {
        public string Name => "out-of-range";

        public int Choose(IReadOnlyList<PendingMessage> pending) => pending.Count;
    }
}
