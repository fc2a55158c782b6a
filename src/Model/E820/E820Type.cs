namespace BootActors.Model.E820;

/// <summary>e820 type numbers (include/asm-x86/e820.h; E820_UNUSABLE is 671eef85a3e's later name).</summary>
public static class E820Type
{
    public const uint Ram = 1;
    public const uint Reserved = 2;
    public const uint Acpi = 3;
    public const uint Nvs = 4;
    public const uint Unusable = 5;
    public const uint SoftReserved = 0xefffffff;

    public static string Name(uint type) => type switch
    {
        Ram => "usable",
        Reserved => "reserved",
        Acpi => "ACPI data",
        Nvs => "ACPI NVS",
        Unusable => "unusable",
        SoftReserved => "soft reserved",
        _ => $"type {type}",
    };
}
