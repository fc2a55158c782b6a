namespace BootActors.Model.Machine;

/// <summary>
/// init_mm.page_table_lock, a spinlock: one owner, waiters served first come first served
/// (a ticket lock's order). Unlock by a non-owner and a CPU spinning on a lock it holds are
/// errors the kernel would not survive, so they are reported.
/// </summary>
public sealed class InitMmLock
{
    private readonly Queue<int> waiters = new();

    public int? Owner { get; private set; }

    /// <summary>Which lock this is (KernelCode.PageTableLock or HotplugMutexLock), for recording.</summary>
    public ulong Id { get; init; }

    /// <summary>Where uses of this lock are reported; null: not recorded.</summary>
    public AccessRecorder? Recorder { get; set; }

    public IReadOnlyCollection<int> Waiters => waiters;

    /// <summary>Acquired: the CPU holds the lock now. Queued: it spins until <see cref="Unlock"/> hands it over.</summary>
    public LockResult Lock(int cpu)
    {
        Recorder?.Write(Resource.Lock(Id));
        if (Owner == cpu)
        {
            return LockResult.SelfDeadlock;
        }

        if (Owner is null)
        {
            Owner = cpu;
            return LockResult.Acquired;
        }

        if (!waiters.Contains(cpu))
        {
            waiters.Enqueue(cpu);
        }

        return LockResult.Queued;
    }

    /// <summary>Releases the lock; the next waiter, if any, becomes the owner and is returned in <paramref name="next"/>.</summary>
    /// <remarks>
    /// A release by the owner with nobody waiting commutes with any other CPU's spin_lock: in either
    /// order that CPU ends up owning the lock, answered the same. So such a release is recorded as an
    /// add to a resource of its own (the lock changed, nothing conflicts), not as a use of the lock. A
    /// release that hands the lock to a waiter is a use (it answers that waiter, so it comes after the
    /// spin_lock that queued it), and so is a failed one.
    /// </remarks>
    public LockResult Unlock(int cpu, out int? next)
    {
        next = null;
        if (Owner != cpu || waiters.Count > 0)
        {
            Recorder?.Write(Resource.Lock(Id));
        }
        else
        {
            Recorder?.AddTo(Resource.LockRelease(Id));
        }

        if (Owner != cpu)
        {
            return LockResult.NotOwner;
        }

        Owner = waiters.Count > 0 ? waiters.Dequeue() : null;
        next = Owner;
        return LockResult.Released;
    }

    public void CopyFrom(InitMmLock other)
    {
        Owner = other.Owner;
        waiters.Clear();
        foreach (var w in other.waiters)
        {
            waiters.Enqueue(w);
        }
    }

    public void Reset()
    {
        Owner = null;
        waiters.Clear();
    }
}

public enum LockResult
{
    Acquired,
    Queued,
    Released,
    SelfDeadlock,
    NotOwner,
}
