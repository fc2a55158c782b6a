using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Tests.Host;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>
/// model-conventions item 17 on both hosts: a fatal stop leaves every part of the state (Xen's
/// page types and aliases included) as it was just before the refused operation, and hypercalls
/// that completed before it stay done. The sequential interpreter and the actor host must end in
/// the same full state.
/// </summary>
public sealed class FatalStopAgreementTests() : Akka.TestKit.Xunit2.TestKit(ActorHost.Defaults, "fatal-stop")
{
    private const ulong GiB = 1UL << 30;
    private const ulong MiB = 1UL << 20;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public void AFailedEarlyIounmapKeepsXensWritableAliasOnBothHosts()
    {
        // Xen 4 GiB, after: the first page unmapped at boot is PTE page 0x1210 (level2_ident_pgt
        // entry 14, filled through its early_ioremap alias). Its early_ioremap slot is released
        // just before unmap_low_page's early_iounmap runs, so that early_iounmap fails (no alias):
        // the run stops there. The fixmap PTE is never cleared, so Xen still holds page 0x1210's
        // writable reference. The actor host's plan sends the allocator stage first and stops on
        // its failure; so does the interpreter, which runs the same stages (StepPlans) inline.
        // Every iteration stepped: folded, the first GiB's would hide that early_iounmap inside one step.
        var config = Shipped.Load("xen-boot-after").Machine with { StepEveryIteration = true };

        var sequential = new Machine(config);
        var cpu = new CpuContext(0);
        var released = new List<Pfn>();
        var seqStop = new SequentialInterpreter(sequential).Run(
            [new CpuThread(cpu, ReleaseSlotBeforeFirstUnmap(sequential, sequential.Code.InitMemoryMapping(cpu, 0, sequential.End), released), "boot")]);

        var actors = new Machine(config);
        var rig = new RunHostRig(actors);
        var strategy = new BeforeEachChoice(new RandomStrategy(0), pending =>
        {
            if (released.Count == 1 && pending.FirstOrDefault(IsUnmap(rig)) is { Message: StepRequest unmap })
            {
                Assert.Null(actors.Allocator.EarlyIounmap(unmap.Step.Table));
                released.Add(unmap.Step.Table);
            }
        });
        rig.Start(Sys, TestActor, WorkloadPlan.BootOnly, strategy, Shipped.Options());
        var actorStop = ExpectMsg<RunHost.Finished>(Wait).Stop;

        Assert.Equal([new Pfn(0x1210), new Pfn(0x1210)], released);
        foreach (var stop in new[] { seqStop, actorStop })
        {
            Assert.NotNull(stop);
            Assert.Equal(ErrorKind.WildWrite, stop.Fatal.Kind);
            Assert.Equal("early_iounmap of page 0x1210, which has no early_ioremap alias", stop.Fatal.Message);
            Assert.EndsWith("phys_pmd_update → phys_pmd_init", stop.CallChain, StringComparison.Ordinal);
        }

        Assert.Equal((seqStop!.Cpu, seqStop.CallChain), (actorStop!.Cpu, actorStop.CallChain));
        Assert.Contains(0x1210UL, sequential.Xen!.WritableAliases);
        Assert.Empty(sequential.Allocator.Aliases);
        Assert.Equal(FullState.Of(sequential), FullState.Of(actors));
    }

    [Theory]
    [InlineData(HostMode.Controlled)]
    [InlineData(HostMode.Free)]
    public void ARefusedPopulateKeepsTheAllocHooksReadOnlyPteOnBothHosts(HostMode mode)
    {
        // xen-boot-before: pud_populate(0x8[0] → pmd 0x9) is refused while 0x9 has its alias
        // (item 26 step 2). The alloc hook's update_va_mapping ran first and made 0x9's direct-map
        // PTE, entry 9 of Xen's first L1 0x1206, read-only: 0x9023 → 0x9021. It stays so on both
        // hosts, and Xen's alias of 0x9 and its counts agree.
        var config = Shipped.Load("xen-boot-before").Machine;

        var sequential = Simulation.Run(config, WorkloadPlan.BootOnly);
        var actors = new ActorHost(Sys).Run(config, WorkloadPlan.BootOnly, Shipped.Options(mode)).Result;

        foreach (var run in new[] { sequential, actors })
        {
            Assert.Equal(ErrorKind.HypervisorRefused, run.Stop?.Fatal.Kind);
            Assert.Equal(0x9021UL, run.Machine.Memory.Read(new Pfn(0x1206), 9).Value);
            Assert.Equal(0UL, run.Machine.Memory.Read(new Pfn(0x8), 0).Value);
            Assert.Contains(0x9UL, run.Machine.Xen!.WritableAliases);
        }

        Assert.Equal(HostAgreementTests.Json(sequential.Summary()), HostAgreementTests.Json(actors.Summary()));
        Assert.Equal(FullState.Of(sequential.Machine), FullState.Of(actors.Machine));
    }

    public static TheoryData<string, HostMode> PseRefusals() => new()
    {
        { "4 GiB unmap_before_populate,table_space_ptes: pgd_populate", HostMode.Controlled },
        { "4 GiB unmap_before_populate,table_space_ptes: pgd_populate", HostMode.Free },
        { "16 MiB hot-add at 1 GiB: pud_populate", HostMode.Controlled },
        { "16 MiB hot-add at 1 GiB: pud_populate", HostMode.Free },
    };

    [Theory]
    [MemberData(nameof(PseRefusals))]
    public void APseLeafRefusedWhenItsPageIsLinkedStopsBothHostsAlike(string name, HostMode mode)
    {
        // The two runs of Model.Tests' PseLeafValidationTests (derivations there).
        var (config, plan, populate) = name switch
        {
            "4 GiB unmap_before_populate,table_space_ptes: pgd_populate" => (
                Xen(4 * GiB, Hunks.UnmapBeforePopulate | Hunks.TableSpacePtes),
                WorkloadPlan.BootOnly,
                "which pgd_populate links into pgd[272] of table 0x201"),
            _ => (
                Xen(16 * MiB, Hunks.UnmapBeforePopulate | Hunks.PreserveExisting | Hunks.TableSpacePtes) with { Cpus = 2, KernelSize = 4 * MiB },
                WorkloadPlan.Sequence(new HotAdd(1, GiB, 2 * MiB)),
                "which pud_populate links into pud[1] of table 0x202"),
        };

        var sequential = Simulation.Run(config, plan);
        var actors = new ActorHost(Sys).Run(config, plan, Shipped.Options(mode)).Result;

        Assert.Equal(ErrorKind.HypervisorRefused, sequential.Stop?.Fatal.Kind);
        Assert.Contains(populate, sequential.Stop!.Fatal.Message, StringComparison.Ordinal);
        Assert.Equal(HostAgreementTests.Json(sequential.Summary()), HostAgreementTests.Json(actors.Summary()));
        Assert.Equal(FullState.Of(sequential.Machine), FullState.Of(actors.Machine));
        Assert.Equal(sequential.Log, actors.Log);
    }

    private static MachineConfig Xen(ulong memory, Hunks hunks) => new()
    {
        E820 = E820Map.FromMemorySize(memory),
        Xen = true,
        Variant = new KernelVariant(hunks, Fixes.None),
    };

    private static Func<PendingMessage, bool> IsUnmap(RunHostRig rig) =>
        p => p.To == rig.Topology.Allocator && p.Message is StepRequest { Step.Kind: EffectKind.EarlyIounmap };

    /// <summary>The program, with the allocator's early_ioremap slot of the first page unmapped released just before that unmap.</summary>
    private static IEnumerable<Effect> ReleaseSlotBeforeFirstUnmap(Machine machine, IEnumerable<Effect> program, List<Pfn> released)
    {
        foreach (var e in Effect.Flatten(program))
        {
            if (e.Kind == EffectKind.EarlyIounmap && released.Count == 0)
            {
                Assert.Null(machine.Allocator.EarlyIounmap(e.Table));
                released.Add(e.Table);
            }

            yield return e;
        }
    }

    /// <summary>Runs <paramref name="beforeChoice"/> with the pending messages before every choice of <paramref name="inner"/>.</summary>
    private sealed class BeforeEachChoice(IScheduleStrategy inner, Action<IReadOnlyList<PendingMessage>> beforeChoice) : IScheduleStrategy
    {
        public string Name => inner.Name;

        public int Choose(IReadOnlyList<PendingMessage> pending)
        {
            beforeChoice(pending);
            return inner.Choose(pending);
        }
    }
}
