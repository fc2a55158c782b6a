using BootActors.Model.Kernel;

namespace BootActors.Actors.Testing;

/// <summary>A kind of violation, as a type: <c>AssertViolation&lt;LostUpdate&gt;(result)</c>.</summary>
public interface IViolationKind
{
    static abstract ErrorKind Kind { get; }
}

/// <summary>overwrote_present_entry: a present entry replaced so that in-use translations are lost.</summary>
public sealed class LostUpdate : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.OverwrotePresentEntry;
}

public sealed class StaleTlbUse : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.StaleTlbUse;
}

public sealed class WildWrite : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.WildWrite;
}

public sealed class DataFrameWrittenAsTable : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.DataFrameWrittenAsTable;
}

public sealed class TablePageUnmapped : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.TablePageUnmapped;
}

public sealed class HypervisorRefused : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.HypervisorRefused;
}

public sealed class KernelPanic : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.Panic;
}

public sealed class UnmappedRam : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.UnmappedRam;
}

public sealed class LostTablePage : IViolationKind
{
    public static ErrorKind Kind => ErrorKind.LostTablePage;
}
