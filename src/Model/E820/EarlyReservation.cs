namespace BootActors.Model.E820;

/// <summary>An early reservation as find_e820_area sees it (arch/x86/kernel/e820.c, early_res[]).</summary>
public readonly record struct EarlyReservation(ulong Start, ulong End, string Name);
