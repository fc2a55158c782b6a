using System.Runtime.InteropServices;

namespace BootActors.Cli.Explore;

/// <summary>
/// Ctrl-C during an exploration: the first SIGINT asks the explorer to stop after the schedule it
/// is running, so the command can still print what it found and keep the replays it wrote; a
/// second one ends the process at once, showing the terminal's cursor again first (a progress bar
/// hides it).
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private const string ShowCursor = "\u001b[?25h";

    private readonly CancellationTokenSource source = new();
    private readonly TextWriter errors;
    private readonly PosixSignalRegistration registration;
    private int count;

    public Interrupt(TextWriter errors)
    {
        this.errors = errors;
        registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    }

    public CancellationToken Token => source.Token;

    public void Dispose()
    {
        registration.Dispose();
        source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref count) == 1)
        {
            context.Cancel = true;
            errors.WriteLine("bootactors: interrupted: stopping after the current schedule (Ctrl-C again to quit at once)");
            source.Cancel();
            return;
        }

        // The default action (the process ends) follows; leave the terminal usable.
        if (ProcessStreams.IsTerminalStderr(errors))
        {
            errors.Write(ShowCursor);
            errors.Flush();
        }
    }
}
