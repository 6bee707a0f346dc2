namespace FashionMnist.Tests.Support;

/// <summary>
/// Tests that measure the whole process (managed heap, wall time under load) run in this collection:
/// xunit runs it alone, after the parallel collections, so other tests' allocations don't count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Isolated
{
    public const string Name = "Isolated (runs alone)";
}
