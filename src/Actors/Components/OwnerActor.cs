using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Machine;

namespace BootActors.Actors.Components;

/// <summary>
/// A component that owns part of the machine — physical memory, the page allocator, one lock, the
/// hypervisor, one CPU's TLB — as an executor of the stages the model defines (<see cref="StepPlans"/>).
/// For each <see cref="StepRequest"/> it calls <see cref="Machine.Execute"/>. When that asks to
/// forward, it sends the stage's forward part to its owner(s), and once all have answered calls
/// <see cref="Machine.Complete"/> and answers; an atomic stage (a hypercall) holds the owner
/// meanwhile, and requests that arrive are served afterwards in arrival order. A request told to
/// wait (spin_lock on a held lock) is answered when <see cref="Machine.Resume(Stage, int, in Model.Kernel.Effect)"/> lets it go on.
/// Nothing here knows which step it serves.
/// </summary>
internal sealed class OwnerActor : ModelActor
{
    private readonly StageOwner owner;
    private readonly int target;
    private readonly ulong lockId;

    // By CPU: each CPU has one step in flight, so at most one open or parked stage here.
    private readonly Open[] open;
    private readonly (int From, StepRequest Request)?[] parked;
    private readonly Queue<(int From, StepRequest Request)> held = new();
    private int parkedCount;
    private int atomicFor = -1;

    public OwnerActor(RunContext run, int self, StageOwner owner, int target = 0, ulong lockId = 0)
        : base(run, self)
    {
        this.owner = owner;
        this.target = target;
        this.lockId = lockId;
        open = new Open[run.Topology.Cpus];
        parked = new (int, StepRequest)?[run.Topology.Cpus];
    }

    /// <summary>The actor of <paramref name="owner"/>: TLB <paramref name="index"/>, or the lock with id <paramref name="index"/>.</summary>
    public static Props Props(RunContext run, StageOwner owner, int index = 0)
    {
        var t = run.Topology;
        var (self, target, lockId) = owner switch
        {
            StageOwner.PhysicalMemory => (t.Memory, 0, 0UL),
            StageOwner.PageAllocator => (t.Allocator, 0, 0UL),
            StageOwner.Lock => (t.Lock((ulong)index), 0, (ulong)index),
            StageOwner.Hypervisor => (t.Hypervisor, 0, 0UL),
            StageOwner.Tlb => (t.Tlb(index), index, 0UL),
            _ => throw new ArgumentOutOfRangeException(nameof(owner), owner, "every TLB is one actor per TLB"),
        };

        // Not Props.Create(() => new …): Akka compiles that expression's arguments on every call, a
        // few milliseconds for a run's actors, more than the rest of a small run.
        return Akka.Actor.Props.Create<OwnerActor>(run, self, owner, target, lockId);
    }

    protected override void OnReset()
    {
        Array.Clear(open);
        Array.Clear(parked);
        held.Clear();
        parkedCount = 0;
        atomicFor = -1;
    }

    protected override void Handle(int from, ModelMessage message)
    {
        switch (message)
        {
            case StepRequest r when Owns(r):
                if (atomicFor >= 0)
                {
                    held.Enqueue((from, r));
                    return;
                }

                Start(from, r);
                break;
            case StepReply a when a.Tag.Cpu >= 0 && a.Tag.Cpu < open.Length && open[a.Tag.Cpu].Request is { } req && ReferenceEquals(a.ForwardedBy, req.Stage):
                Answer(a);
                break;
            default:
                throw new InvalidOperationException($"{Topo.Names[Self]} got {message.TypeName} from {Topo.Names[from]}");
        }
    }

    private bool Owns(StepRequest r) => r.Tag.Cpu >= 0 && r.Tag.Cpu < open.Length && owner switch
    {
        StageOwner.Tlb => r.Stage.Owner == StageOwner.EveryTlb || (r.Stage.Owner == StageOwner.Tlb && r.Tag.Cpu == target),
        StageOwner.Lock => r.Stage.Owner == StageOwner.Lock && r.Step.Value == lockId,
        _ => r.Stage.Owner == owner,
    };

    private void Start(int from, StepRequest r)
    {
        var cpu = r.Tag.Cpu;
        var own = Machine.Execute(r.Stage, cpu, target, r.Step, r.Input, CurrentSeq);
        if (own.Forward)
        {
            var forward = r.Stage.Forward!;
            var n = forward.TargetCount(Topo.Cpus);
            open[cpu] = new Open(from, r, own.Data, n);
            if (r.Stage.Atomic)
            {
                atomicFor = cpu;
            }

            for (var i = 0; i < n; i++)
            {
                Send(Topo.OwnerOf(forward, cpu, i, r.Step), new StepRequest(forward, r.Tag, own.Data) { ForwardedBy = r.Stage });
            }

            return;
        }

        if (own.Result.Blocked)
        {
            parked[cpu] = (from, r);
            parkedCount++;
            return;
        }

        Send(from, r.Reply(own.Result, own.Data));
        WakeParked();
    }

    private void Answer(StepReply a)
    {
        var cpu = a.Tag.Cpu;
        ref var o = ref open[cpu];
        var answer = StageOutcome.Settled(a.Result, a.Data);
        o.Answered = o.Received == 0 ? answer : StageOutcome.Join(o.Answered, answer);
        if (++o.Received < o.Awaiting)
        {
            return;
        }

        var (from, request) = (o.From, o.Request!);
        var done = Machine.Complete(request.Stage, target, request.Step, o.Carried, o.Answered);
        o = default;
        Send(from, request.Reply(done.Result, done.Data));
        if (atomicFor == cpu)
        {
            atomicFor = -1;
        }

        WakeParked();
        while (atomicFor < 0 && held.Count > 0)
        {
            var (f, r) = held.Dequeue();
            Start(f, r);
        }
    }

    private void WakeParked()
    {
        if (parkedCount == 0)
        {
            return;
        }

        for (var cpu = 0; cpu < parked.Length; cpu++)
        {
            if (parked[cpu] is { } p && Machine.Resume(p.Request.Stage, cpu, p.Request.Step) is { } go)
            {
                parked[cpu] = null;
                parkedCount--;
                Send(p.From, p.Request.Reply(go));
            }
        }
    }

    /// <summary>A stage whose forward part is out: who asked, what the owner's part carried, how many answers are due.</summary>
    private struct Open(int from, StepRequest request, StageData? carried, int awaiting)
    {
        public readonly int From = from;
        public readonly StepRequest? Request = request;
        public readonly StageData? Carried = carried;
        public readonly int Awaiting = awaiting;
        public int Received;
        public StageOutcome Answered;
    }
}
