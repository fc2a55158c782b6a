using System.Runtime.ExceptionServices;
using BootActors.Actors.Host;
using BootActors.Model.Workload;

namespace BootActors.Actors.Exploration;

/// <summary>
/// random/pct schedules on several engines at once (<see cref="ExploreOptions.Workers"/>): each worker
/// thread opens an <see cref="ExplorationEngine"/> of its own — its own boot of the machine, its own
/// ActorSystem and so its own model thread — and takes the next <see cref="Block"/> of schedule
/// numbers, queued on its actors as one engine's explorer queues them. Schedule i is a function of
/// the spec, the options, the seed and i alone, so which engine runs it does not show; the explorer
/// <see cref="Take"/>s the outcomes in number order and counts, finds and stops exactly as with one
/// engine. Workers run at most <see cref="Window"/> blocks each ahead of the explorer, and the numbers
/// they run past the point where the explorer stops are dropped uncounted.
/// </summary>
internal sealed class NumberedPool : IDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<int, (ScheduleOutcome Outcome, Coverage Coverage)> done = new();
    private readonly Dictionary<int, Exception> failed = new();
    private readonly Thread[] threads;
    private readonly int iterations;
    private readonly int window;
    private readonly Func<TimeSpan> runTimeout;
    private readonly TimeSpan joinLimit;
    private int next;
    private int taken;
    private int alive;
    private bool stopping;
    private string? lostWhy;
    private bool lostToClock;

    public NumberedPool(ActorHost host, RunSpec spec, ExploreOptions options, Func<TimeSpan> runTimeout)
    {
        iterations = options.Iterations;
        window = Window * Block * options.Workers;
        this.runTimeout = runTimeout;
        joinLimit = (options.Timeout ?? host.Settings.RunTimeout) + TimeSpan.FromSeconds(20);
        threads = new Thread[options.Workers];
        alive = threads.Length;
        for (var k = 0; k < threads.Length; k++)
        {
            var worker = k;
            threads[k] = new Thread(() => Work(host, spec, options, worker)) { IsBackground = true, Name = $"explore-worker-{worker}" };
        }

        foreach (var t in threads)
        {
            t.Start();
        }
    }

    /// <summary>How many blocks each worker may run ahead of the explorer.</summary>
    public const int Window = 2;

    /// <summary>
    /// Consecutive numbers a worker takes at once: its engine queues them on its actors, and the
    /// explorer waiting for one of them is woken when the block is done, not once per schedule.
    /// </summary>
    public const int Block = ExplorationEngine.QueueDepth;

    /// <summary>
    /// Schedule <paramref name="index"/>'s outcome, once a worker has run it, with what it covered
    /// merged into <paramref name="coverage"/>. Rethrows what the engine threw on it, as one engine's
    /// explorer would have; when no worker is left to run it, a host failure (or, when the workers'
    /// boots were cut by the clock, a timed-out schedule) saying why.
    /// </summary>
    public ScheduleOutcome Take(int index, Coverage coverage)
    {
        lock (gate)
        {
            while (true)
            {
                if (done.Remove(index, out var d))
                {
                    taken = index + 1;
                    Monitor.PulseAll(gate);
                    coverage.Merge(d.Coverage);
                    return d.Outcome;
                }

                if (failed.TryGetValue(index, out var ex))
                {
                    ExceptionDispatchInfo.Capture(ex).Throw();
                }

                if (alive == 0)
                {
                    return new ScheduleOutcome(index, lostToClock ? ScheduleStatus.TimedOut : ScheduleStatus.HostFailure, 0, 0)
                    {
                        Failure = $"schedule {index} failed in the host: no exploration worker is left to run it ({lostWhy ?? "they stopped"})",
                    };
                }

                // Every schedule a worker runs is bounded by its run timeout; this only re-checks the workers.
                Monitor.Wait(gate, TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>Stops handing out numbers and waits for the schedules still running (each within its run timeout).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }

        foreach (var t in threads)
        {
            t.Join(joinLimit);
        }
    }

    private void Work(ActorHost host, RunSpec spec, ExploreOptions options, int worker)
    {
        var index = -1;
        try
        {
            using var own = host.Sibling($"{host.Name}-explore{worker}");
            using var engine = ExplorationEngine.Open(own, spec, options);
            if ((engine.BootCut ?? engine.BootStop) is { } stop)
            {
                // The explorer's own boot went through; the same boot here cannot fail in the kernel, only be cut by the clock.
                lock (gate)
                {
                    lostToClock |= engine.BootCut is not null;
                    lostWhy ??= $"worker {worker}'s boot of the machine stopped: {stop.Fatal.Message}";
                }

                return;
            }

            while (true)
            {
                lock (gate)
                {
                    while (!stopping && next < iterations && next >= taken + window)
                    {
                        Monitor.Wait(gate);
                    }

                    if (stopping || next >= iterations)
                    {
                        return;
                    }

                    index = next;
                    next = Math.Min(iterations, next + Block);
                }

                // A failure at index ends this worker: the explorer, taking in order, stops there.
                for (var end = Math.Min(iterations, index + Block); index < end && !Volatile.Read(ref stopping); index++)
                {
                    engine.RunTimeout = runTimeout();
                    var coverage = new Coverage();
                    var outcome = engine.RunNumbered(index, coverage, thenUpTo: end);
                    lock (gate)
                    {
                        done[index] = (outcome, coverage);
                        if (index == end - 1)
                        {
                            Monitor.PulseAll(gate);
                        }
                    }
                }

                index = -1;
            }
        }
        catch (Exception ex)
        {
            lock (gate)
            {
                if (index >= 0)
                {
                    failed[index] = ex;
                }

                lostWhy ??= $"worker {worker} failed: {ex.Message}";
            }
        }
        finally
        {
            lock (gate)
            {
                alive--;
                Monitor.PulseAll(gate);
            }
        }
    }
}
