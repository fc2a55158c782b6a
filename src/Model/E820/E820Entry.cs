namespace BootActors.Model.E820;

/// <summary>One e820 entry, [Start, End) with an exclusive end, as the kernel stores addr/size.</summary>
public readonly record struct E820Entry(ulong Start, ulong End, uint Type)
{
    public ulong Size => End - Start;
}
