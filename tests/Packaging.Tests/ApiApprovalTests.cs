using BootActors.TestKit;
using PublicApiGenerator;

namespace BootActors.Packaging.Tests;

/// <summary>
/// The public API of the BootActors.TestKit package, frozen as Serilog freezes its own
/// (test/Serilog.ApprovalTests): a change to it fails here until BootActors.TestKit.approved.txt is
/// updated in the same commit, so every API change is deliberate and shows up in review. On a
/// mismatch the generated API is written beside it as .received.txt, to diff and copy over.
/// </summary>
public sealed class ApiApprovalTests
{
    [Fact]
    public void TheTestKitsPublicApiIsTheApprovedOne()
    {
        var api = typeof(BootRaceTest).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // Attributes the SDK stamps on every assembly, and the kit's opening to these tests, are not API.
            ExcludeAttributes =
            [
                "System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute",
                "System.Runtime.CompilerServices.InternalsVisibleToAttribute",
            ],
        }).ReplaceLineEndings("\n");
        var approved = Path.Combine(Repo.Root, "tests", "Packaging.Tests", "BootActors.TestKit.approved.txt");
        var received = Path.ChangeExtension(approved, null).Replace(".approved", "") + ".received.txt";

        var expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : "";
        if (api != expected)
        {
            File.WriteAllText(received, api);
        }
        else if (File.Exists(received))
        {
            File.Delete(received);
        }

        Assert.True(api == expected,
            $"the public API of BootActors.TestKit changed: compare {received} with {approved}, and if the change is meant, copy it over");
    }
}
