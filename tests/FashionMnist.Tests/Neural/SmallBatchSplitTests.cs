using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Batches smaller than the thread count split one image's work: mirror averaging runs an image's two views as two rows
/// (one per thread), and without it the convolutions' filters are split across the threads
/// (<see cref="Sequential.ForwardFilterSplit"/>). Every probability must keep the bits of one call on one thread, for
/// batches of 1, 2 and 3 real test images at 1, 2 and 3 threads, on the cnn3 and cnn-deep networks (the broadcast
/// kernel, pooled and plain Winograd, cnn3's unsplit packed conv3, dense layers, folded batch norms).
/// </summary>
// Changes the process-wide ComputeThreads.Count: runs alone, so no other test fits with a thread count it did not choose.
[Collection(Isolated.Name)]
public class SmallBatchSplitTests
{
    public static TheoryData<string> Models => new() { "cnn3", "cnn-deep" };

    private static int[] Predict(Sequential network, ImageSet images, bool mirror, int batch)
    {
        var probabilities = new float[images.Count * 10];
        for (int start = 0; start < images.Count; start += batch)
        {
            int n = Math.Min(batch, images.Count - start);
            NeuralClassifier.Predict(network, images.Slice(start, n), probabilities.AsSpan(start * 10, n * 10), mirror);
        }
        return probabilities.Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Batches_of_one_to_three_give_the_bits_of_one_thread_for_any_thread_count(string name)
    {
        int saved = ComputeThreads.Count;
        try
        {
            Sequential network = ((NeuralClassifier)ModelCatalog.Create(name)).CreateArchitecture().Build(7);
            // The split must cover more than one convolution of each network (cnn3: conv1 by broadcasts, conv2 by Winograd).
            Assert.True(network.Layers.OfType<Conv2D>().Count(c => c.CanSplitFilters(pooled: true) || c.CanSplitFilters(pooled: false)) >= 2);
            ImageSet images = TestData.BalancedTest(1); // 10 real images, one per class: chunks of 3 leave a last one of 1
            foreach (bool mirror in new[] { false, true })
            {
                ComputeThreads.Count = 1;
                int[] reference = Predict(network, images, mirror, batch: images.Count);
                Assert.Contains(reference, b => b != 0);
                foreach (int threads in new[] { 1, 2, 3 })
                foreach (int batch in new[] { 1, 2, 3 })
                {
                    ComputeThreads.Count = threads;
                    Assert.True(reference.SequenceEqual(Predict(network, images, mirror, batch)), $"{threads} threads, batch {batch}, mirror {mirror}");
                }
            }
        }
        finally { ComputeThreads.Count = saved; }
    }
}
