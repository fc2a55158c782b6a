using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Components;

/// <summary>
/// init_mm.page_table_lock (or the hotplug mutex knob): SpinLock is answered LockGranted at once when
/// free, else when the owner's SpinUnlock hands it over (FIFO). Unlock by a non-owner and a CPU
/// locking what it holds are answered with the error (Model.Machine.LockStep).
/// </summary>
internal sealed class InitMmLockActor : ModelActor
{
    private readonly ulong lockId;
    private readonly Dictionary<int, (int From, StepMessage Request)> waiting = new();

    public InitMmLockActor(RunContext run, ulong lockId)
        : base(run, run.Topology.Lock(lockId))
    {
        this.lockId = lockId;
    }

    public static Props Props(RunContext run, ulong lockId) => Akka.Actor.Props.Create(() => new InitMmLockActor(run, lockId));

    protected override void OnReset()
    {
        waiting.Clear();
    }

    protected override void Handle(int from, ModelMessage message)
    {
        if (message is not StepMessage m || m.Step.Value != lockId)
        {
            throw new InvalidOperationException($"{Topo.Names[Self]} got {message.TypeName} from {Topo.Names[from]}");
        }

        var cpu = Topo.CpuIndex(from);
        var r = Machine.LockStep(cpu, m.Step);
        if (r.Blocked)
        {
            waiting[cpu] = (from, m);
            return;
        }

        Send(from, new StepDone(m.Step, r) { Tag = m.Tag });
        if (m.Step.Kind == EffectKind.SpinUnlock && !r.IsFatal && Machine.LockFor(lockId).Owner is { } next &&
            waiting.Remove(next, out var w))
        {
            Send(w.From, new StepDone(w.Request.Step, StepResult.Ok()) { Tag = w.Request.Tag });
        }
    }
}
