namespace FashionMnist.Tests.Support;

/// <summary>
/// Tests that measure the whole process (managed heap, wall time under load) or change process-wide settings
/// (ComputeThreads.Count) run in this collection: xunit runs it alone, after the parallel collections, so other tests'
/// allocations don't count against them and no other test fits with a thread count it did not choose (which would
/// change its float sums and break bit-for-bit determinism checks).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Isolated
{
    public const string Name = "Isolated (runs alone)";
}
