using FashionMnist.Data;
using FashionMnist.Tests.Support;
using static FashionMnist.Tests.Data.IdxFixtures;

namespace FashionMnist.Tests.Data;

public sealed class FashionMnistDataTests
{
    [Fact]
    public void Real_data_has_the_published_counts_and_balanced_classes()
    {
        var data = TestData.Full;
        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.All(data.Train.ClassCounts(), n => Assert.Equal(6_000, n));
        Assert.All(data.Test.ClassCounts(), n => Assert.Equal(1_000, n));
        Assert.Equal(4, data.Location.Files.Count);
        Assert.False(string.IsNullOrEmpty(data.Source));
        // Known first items: both splits start with an ankle boot, then a T-shirt/top.
        Assert.Equal([9, 0], data.Train.Labels[..2]);
        Assert.Equal([9, 2], data.Test.Labels[..2]);
    }

    [Fact]
    public void Training_mean_and_std_constants_match_the_data()
    {
        var stats = PixelStatistics.Of(TestData.Train.Pixels);
        Assert.Equal(ImageSet.TrainingMean, stats.Mean, 1e-4);
        Assert.Equal(ImageSet.TrainingStd, stats.Std, 1e-4);
    }

    [Fact]
    public void Pixel_statistics_of_a_hand_computed_case()
    {
        // pixels 0 and 255 -> 0 and 1: mean 0.5, population std 0.5
        var stats = PixelStatistics.Of([0, 255, 0, 255]);
        Assert.Equal(0.5, stats.Mean, 1e-12);
        Assert.Equal(0.5, stats.Std, 1e-12);
    }

    [Fact]
    public void Loads_a_small_folder_with_its_specs()
    {
        using var folder = new TempFolder();
        var files = Small();
        files.WriteOriginals(folder.Path);
        var location = DataLocator.Locate(folder.Path, _ => null, "/nonexistent", files.Specs);
        var data = FashionMnistData.Load(location);
        Assert.Equal(20, data.Train.Count);
        Assert.Equal(10, data.Test.Count);
        Assert.Equal(files.Payloads["train-images-idx3-ubyte"].AsSpan(16).ToArray(), data.Train.Pixels);
        Assert.Equal(Labels(10), data.Test.Labels);
        Assert.Equal(DataSource.Option, data.Location.Source);
    }

    [Fact]
    public void Image_and_label_counts_that_disagree_name_both_files()
    {
        using var folder = new TempFolder();
        var files = Small();
        files.WriteOriginals(folder.Path);
        File.WriteAllBytes(folder.File("train-labels-idx1-ubyte.gz"), Gzip(Idx(false, 19, Labels(19))));
        var location = DataLocator.Locate(folder.Path, _ => null, "/nonexistent", files.Specs);
        var e = Assert.Throws<FashionMnistException>(() => FashionMnistData.Load(location));
        Assert.Contains("holds 20 images but", e.Message);
        Assert.Contains("train-labels-idx1-ubyte.gz' holds 19 labels", e.Message);
        Assert.Contains("fmnist data fetch", e.Message);
    }
}
