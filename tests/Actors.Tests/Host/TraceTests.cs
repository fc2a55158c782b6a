using System.Text.Json;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Scenarios;

namespace BootActors.Actors.Tests.Host;

/// <summary>What a controlled run's JSON Lines trace says: one event per delivery, in order, with consistent vector clocks.</summary>
public sealed class TraceTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData("hotadd-concurrent", HostMode.Controlled)]
    [InlineData("xen-boot-before", HostMode.Controlled)]
    [InlineData("hotremove-local-flush", HostMode.Free)]
    public void ThereIsOneEventPerDeliveryAndEachReceiversClockCoversItsSendersAndAdvancesItsOwn(string name, HostMode mode)
    {
        var scenario = Shipped.Load(name);
        var (events, delivered) = Run(scenario, mode);

        Assert.Equal(delivered, events.Count);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.GetProperty("seq").GetInt64()).Order());
        foreach (var e in events)
        {
            var to = e.GetProperty("to").GetString()!;
            var from = Clock(e.GetProperty("from_clock"));
            var received = Clock(e.GetProperty("to_clock"));
            Assert.All(from, c => Assert.True(received.GetValueOrDefault(c.Key) >= c.Value, $"seq {e.GetProperty("seq")}: {c.Key} went back"));
            Assert.True(received[to] > from.GetValueOrDefault(to), $"seq {e.GetProperty("seq")}: {to}'s own clock did not advance");
        }
    }

    [Fact]
    public void InControlledModeTheEventsAreInDeliveryOrderAndEachActorsOwnClockOnlyGrows()
    {
        var (events, _) = Run(Shipped.Load("hotadd-concurrent"), HostMode.Controlled);

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.GetProperty("seq").GetInt64()));
        var last = new Dictionary<string, long>();
        foreach (var e in events)
        {
            var to = e.GetProperty("to").GetString()!;
            var own = Clock(e.GetProperty("to_clock"))[to];
            Assert.True(own > last.GetValueOrDefault(to), $"seq {e.GetProperty("seq")}: {to} at {own} after {last.GetValueOrDefault(to)}");
            last[to] = own;
        }
    }

    [Fact]
    public void TheHotplugMutexsLockStepsAreDescribedAsTakingTheHotplugMutex()
    {
        var (events, _) = Run(Shipped.Load("hotadd-concurrent", "hotplug_mutex=on"), HostMode.Controlled);

        var mutex = events.Where(e => e.GetProperty("to").GetString() == "hotplug_mutex").ToList();
        Assert.NotEmpty(mutex);
        Assert.All(mutex, e => Assert.Equal("the hotplug mutex", e.GetProperty("fields").GetProperty("lock").GetString()));
        Assert.All(mutex, e => Assert.DoesNotContain("page_table_lock", e.GetProperty("effect").GetString()));
    }

    private static Dictionary<string, long> Clock(JsonElement clock) =>
        clock.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    private (List<JsonElement> Events, long Delivered) Run(Scenario scenario, HostMode mode)
    {
        var sink = Shipped.Trace(scenario, mode, 0);
        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(mode) with { Trace = sink });
        var lines = sink.Text().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("bootactors_trace", JsonDocument.Parse(lines[0]).RootElement.EnumerateObject().First().Name);
        return (lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement).ToList(), run.Delivered);
    }
}
