namespace BootActors.Model.E820;

/// <summary>Where an e820 map came from, for messages.</summary>
public enum E820Source
{
    Memory,
    File,
    Scenario,
}
