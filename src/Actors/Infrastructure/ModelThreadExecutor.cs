using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace BootActors.Actors.Infrastructure;

/// <summary>
/// The executor of the model dispatcher (config/akka.hocon's bootactors.model-dispatcher): one
/// dedicated thread per dispatcher that sleeps when it has nothing to run.
/// </summary>
/// <remarks>
/// Akka's ForkJoinDispatcher (Helios' DedicatedThreadPool) spins up to 100 <c>Thread.Sleep(0)</c>s in
/// its UnfairSemaphore every time its queue runs dry. A controlled run's thread runs dry once per run —
/// thousands of times a second in an exploration — and each spin takes a core from the thread that
/// prepares the next schedule, or from another engine. Here the thread drains the queue, then waits
/// on a semaphore that an enqueue releases only when the thread said it was going to sleep. (A
/// spin of a few hundred microseconds before sleeping was tried: no faster in the CLI, 22% fewer
/// schedules/s in SteadyExplorationBenchmarks.)
/// </remarks>
public sealed class ModelThreadExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new ModelThreadExecutor(id);
}

internal sealed class ModelThreadExecutor : ExecutorService
{
    private readonly ConcurrentQueue<IRunnable> queue = new();
    private readonly SemaphoreSlim wake = new(0);
    private int sleeping;
    private volatile bool shutdown;

    public ModelThreadExecutor(string id)
        : base(id)
    {
        new Thread(Loop) { IsBackground = true, Name = id }.Start();
    }

    public override void Execute(IRunnable run)
    {
        if (shutdown)
        {
            throw new RejectedExecutionException($"{Id} is shut down");
        }

        queue.Enqueue(run);
        Wake();
    }

    public override void Shutdown()
    {
        shutdown = true;
        Wake();
    }

    /// <summary>Releases the thread if it said it was going to sleep (and only then, so a busy thread costs no release).</summary>
    private void Wake()
    {
        if (Interlocked.Exchange(ref sleeping, 0) == 1)
        {
            wake.Release();
        }
    }

    private void Loop()
    {
        while (true)
        {
            while (queue.TryDequeue(out var run))
            {
                run.Run();
            }

            if (shutdown)
            {
                return;
            }

            Interlocked.Exchange(ref sleeping, 1);
            if (!queue.IsEmpty && Interlocked.CompareExchange(ref sleeping, 0, 1) == 1)
            {
                continue;
            }

            // Woken by the release of an Execute (or Shutdown) that saw the flag; the timeout only re-checks shutdown.
            wake.Wait(TimeSpan.FromSeconds(1));
        }
    }
}
