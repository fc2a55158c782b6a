namespace BootActors.Cluster.Work;

/// <summary>What the coordinator asks of either book: random/pct's <see cref="IndexPlan"/> or dfs/dpor's <see cref="PrefixPlan"/>.</summary>
internal interface IWorkBook
{
    /// <summary>Schedules counted so far (each once).</summary>
    int Counted { get; }

    /// <summary>Distinct violations counted so far.</summary>
    int Violations { get; }

    /// <summary>Nothing is left to hand out and nothing is out.</summary>
    bool Finished { get; }

    /// <summary>Hand out nothing more (the time limit): what is counted is the answer.</summary>
    void Stop();

    /// <summary>A node is gone: its units go back; the number of units (or schedules) given back.</summary>
    int Lost(string node);
}
