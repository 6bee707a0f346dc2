using FashionMnist.Interop;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Interop;

/// <summary>Probability training without libc's process-wide rand(): our generator is glibc's.</summary>
public class LibSvmProbabilityTests
{
    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(42u)]
    [InlineData(2147483648u)]
    [InlineData(uint.MaxValue)]
    public void The_generator_draws_what_glibcs_random_draws(uint seed)
    {
        int[] expected = LibcRandom.Draws(seed, 2000);
        var ours = new GlibcRandom(seed);
        Assert.Equal(expected, Enumerable.Range(0, 2000).Select(_ => ours.Next()));
        var skipped = new GlibcRandom(seed);
        skipped.Skip(1234);
        Assert.Equal(expected[1234], skipped.Next());
    }
}
