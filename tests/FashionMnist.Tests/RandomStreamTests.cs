using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FashionMnist.Classic.Trees;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests;

/// <summary>
/// Pins every random stream a fit draws from, so the same seed keeps giving the same model. The reference vectors
/// are SplitMix64's published outputs (Vigna's splitmix64.c). The other values were recorded from the code before
/// Neural's Rng and Data's SplitMix were folded into <see cref="SplitMix64"/>: if one of them changes, trained models change.
/// </summary>
public class RandomStreamTests
{
    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes))[..16];

    [Fact]
    public void The_generator_gives_splitmix64s_published_outputs()
    {
        var zero = new SplitMix64(0);
        Assert.Equal([0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL], [zero.NextULong(), zero.NextULong(), zero.NextULong()]);
        var other = new SplitMix64(1234567);
        Assert.Equal([6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL], [other.NextULong(), other.NextULong(), other.NextULong()]);
        // Mix(z) is the first output of a generator seeded with z.
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.Mix(0));
    }

    [Fact]
    public void Keys_and_tree_seeds_are_unchanged()
    {
        Assert.Equal(0x985899E00877841DUL, SplitMix64.Key(7, 0x5EED_1417, 2)); // layer 2's initial weights for seed 7
        Assert.Equal(0x9C1B0B5B3E06CF11UL, SplitMix64.Key(7, 3));
        Assert.Equal(0x22118258A9D111A0UL, SplitMix64.Mix(12345));
        Assert.Equal(0xE2C2DDF07E65652EUL, SplitMix64.Derive(99, 0x9_407_0C1E)); // the photo-like stream of key 99
        Assert.Equal(1183060933, TreeSeeds.Derive(11, 4));
        Assert.Equal(1978439642, TreeSeeds.Derive(11, 4, stream: 2));
        Assert.Equal(1442919959, TreeSeeds.Derive(-3, 1000, stream: 1));
    }

    [Fact]
    public void Draws_of_every_kind_are_unchanged()
    {
        var random = new SplitMix64(5);
        Assert.Equal(3, random.Next(10));
        Assert.Equal(7, random.Next(10));
        Assert.Equal(232, random.Next(1000));
        Assert.Equal(0.099339366f, random.NextFloat());
        Assert.Equal(0.18796012170242216, random.NextDouble());
        Assert.Equal(0.9747696845387219, random.NextGaussian());
        int[] order = Enumerable.Range(0, 10).ToArray();
        new SplitMix64(3).Shuffle(order);
        Assert.Equal([5, 7, 2, 8, 3, 9, 0, 4, 6, 1], order);
        random = new SplitMix64(5);
        Assert.Equal(-0.226463908032132, random.NextSigned());
        Assert.Equal(-0.03670271f, random.NextNoise());
        Assert.Equal(0, random.Next(7));
    }

    [Fact]
    public void A_seed_gives_the_same_initial_weights_as_before()
    {
        // He (Gaussian), Glorot and Torch (uniform) initialisers, each layer from its own stream.
        var network = new Sequential().Input(new Shape(1, 8, 8)).Conv2D(4, 3).ReLU().Flatten().Dense(10, Initializer.Glorot)
            .Dense(6, Initializer.Torch).Build(3);
        float[] weights = network.Parameters.SelectMany(p => p.Value).ToArray();
        Assert.Equal("340753A0F1E9BEF9", Hash(MemoryMarshal.AsBytes(weights.AsSpan())));
    }

    [Fact]
    public void A_key_gives_the_same_augmented_images_as_before()
    {
        // Shift, flip and erasing, and for about half the images the photo-like transformation first (its own derived stream).
        ImageSet slice = TestData.BalancedTrain(3);
        var settings = new AugmentationSettings(PhotoLikeProbability: 0.5);
        var output = new byte[slice.Count * ImageSet.PixelCount];
        for (int i = 0; i < slice.Count; i++)
            Augmentation.Apply(slice.Pixels.AsSpan(i * ImageSet.PixelCount, ImageSet.PixelCount), slice.Labels[i],
                output.AsSpan(i * ImageSet.PixelCount, ImageSet.PixelCount), settings, SplitMix64.Key(12345, (ulong)i));
        Assert.Equal("DC594E874994C49E", Hash(output));
    }
}
