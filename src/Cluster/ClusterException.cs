namespace BootActors.Cluster;

/// <summary>
/// A cluster exploration that cannot start or go on for a reason the user can act on (a bad address,
/// workers that did not come, a strategy the cluster does not split); the message is one line.
/// </summary>
public sealed class ClusterException(string message, bool usage = false) : Exception(message)
{
    /// <summary>The user's input is wrong (exit 2), as opposed to the cluster failing under it.</summary>
    public bool Usage { get; } = usage;
}
