using BootActors.Actors.Scenarios;

namespace BootActors.Actors.Tests.Scenarios;

/// <summary>Scenario text a parser could choke on is refused with its line, before Akka's parser sees it.</summary>
public sealed class ScenarioInputTests
{
    [Theory]
    [InlineData(32, false)]
    [InlineData(33, true)]
    [InlineData(1_000_000, true)]
    public void ObjectsNestedDeeperThanTheLimitAreRefusedAtTheirLine(int depth, bool refused)
    {
        var text = ScenarioText.Minimal + "\nexpect = " + string.Concat(Enumerable.Repeat("{ a = ", depth - 1)) + "1" + new string('}', depth - 1) + "\n";

        var ex = Record.Exception(() => ScenarioText.Load(text));

        if (refused)
        {
            var refusal = Assert.IsType<ScenarioException>(ex);
            Assert.Equal(5, refusal.Line);
            Assert.Contains("nested too deeply: more than 32 levels", refusal.Message, StringComparison.Ordinal);
        }
        else
        {
            // Deep enough to pass the checker: what refuses it is the schema (expect has no key a).
            Assert.Contains("expect.a: unknown key", Assert.IsType<ScenarioException>(ex).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ListsAndDottedKeysCountTowardTheDepthToo()
    {
        var lists = Assert.Throws<ScenarioException>(() => ScenarioText.Load(ScenarioText.Minimal + "\nhunks = " + new string('[', 200) + new string(']', 200) + "\n"));
        var dotted = Assert.Throws<ScenarioException>(() => ScenarioText.Load(ScenarioText.Minimal + "\n" + string.Join('.', Enumerable.Repeat("a", 200_000)) + " = 1\n"));

        Assert.Contains("nested too deeply", lists.Message, StringComparison.Ordinal);
        Assert.Contains("nested too deeply", dotted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADeepSetIsRefusedAsTheSet()
    {
        var ex = Assert.Throws<ScenarioException>(() => ScenarioText.Load(ScenarioText.Minimal, "workload=" + new string('[', 100) + new string(']', 100)));

        Assert.StartsWith("test.hocon: --set workload: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nested too deeply", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AVeryLongKeyIsShortenedInTheMessage()
    {
        var key = new string('k', 100_000);

        var ex = Assert.Throws<ScenarioException>(() => ScenarioText.Load(ScenarioText.Minimal + $"\n{key} = 1\n"));

        Assert.True(ex.Message.Length < 400, $"{ex.Message.Length} characters");
        Assert.Contains("unknown key", ex.Message, StringComparison.Ordinal);
    }
}
