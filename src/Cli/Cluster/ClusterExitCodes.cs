namespace BootActors.Cli.Cluster;

/// <summary>The exit codes of the cluster commands beyond <see cref="ExitCodes"/>'s.</summary>
internal static class ClusterExitCodes
{
    /// <summary>The cluster failed under the exploration: the coordinator was lost (a worker), or the workers did not come or all went (the coordinator).</summary>
    public const int ClusterLost = 6;

    /// <summary>Ctrl-C: the worker withdrew and left (128 + SIGINT, as shells count).</summary>
    public const int Interrupted = 130;

    public const string HelpText =
        "  0  the exploration is over and this worker left\n" +
        "  2  bad option, or the coordinator refused this worker (another BootActors build, other scenario files)\n" +
        "  3  internal failure of bootactors\n" +
        "  6  the coordinator was lost (killed, unreachable, or it gave up) or never answered\n" +
        "  130  interrupted (Ctrl-C): the worker withdrew; the coordinator hands its work to others";
}
