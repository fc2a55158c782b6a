using BootActors.Cli.Options;
using BootActors.Model.E820;
using BootActors.Model.Machine;

namespace BootActors.Cli.Tests;

/// <summary>A boot's bounds grow with the RAM it maps unless the command line set them.</summary>
public sealed class RunBoundsTests
{
    private static readonly RunBounds Configured = new(50_000_000, TimeSpan.FromSeconds(60), false, false);

    private static MachineConfig Machine(ulong bytes) => new() { E820 = E820Map.FromMemorySize(bytes) };

    [Fact]
    public void ASmallMachineKeepsTheConfiguredBounds()
    {
        Assert.Equal(Configured, Configured.ScaledTo(Machine(64UL << 30)));
    }

    [Theory]
    [InlineData(4UL << 40)]
    [InlineData(5UL << 40)]
    [InlineData(12UL << 40)]
    public void ALargeMachineGets64DeliveriesPer2MiBAndASecondPer16GiB(ulong bytes)
    {
        var machine = Machine(bytes);
        var chunks = (long)(machine.E820.EndOfRamPfn() >> 9);

        var scaled = Configured.ScaledTo(machine);

        Assert.Equal(64 * chunks, scaled.MaxDeliveries);
        Assert.Equal(chunks / 8192.0, scaled.Timeout.TotalSeconds, 3);
        // A no-PSE boot needs about 20 deliveries per PTE page, and a PTE page maps 2 MiB.
        Assert.True(scaled.MaxDeliveries > 21 * chunks);
    }

    [Fact]
    public void BoundsGivenOnTheCommandLineAreKeptAsGiven()
    {
        var given = new RunBounds(1000, TimeSpan.FromSeconds(5), true, true);

        Assert.Equal(given, given.ScaledTo(Machine(12UL << 40)));
    }
}
