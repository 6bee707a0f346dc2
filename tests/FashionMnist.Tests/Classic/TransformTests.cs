using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic;

public class TransformTests
{
    /// <summary>A black 28x28 image with one filled rectangle (ends exclusive).</summary>
    private static byte[] Rectangle(Range rows, Range columns, byte value)
    {
        var pixels = new byte[784];
        var (top, height) = rows.GetOffsetAndLength(28);
        var (left, width) = columns.GetOffsetAndLength(28);
        for (int y = top; y < top + height; y++)
            pixels.AsSpan(y * 28 + left, width).Fill(value);
        return pixels;
    }

    [Fact]
    public void Hog_of_a_vertical_edge_puts_its_energy_in_the_horizontal_gradient_bin()
    {
        // Left half black, right half white: gradients point along +x (0°), which with 9 bins of 20° centred at
        // 10°, 30°, ... is shared equally by bin 0 (10°) and bin 8 (170°, the wrap-around neighbour).
        byte[] pixels = Rectangle(rows: 0..28, columns: 14..28, value: 255);
        var hog = new HogTransform([4], blockSize: 1, bins: 9, signed: false, normalization: HogNormalization.L2Hys);
        float[] features = hog.Transform(FeatureMatrix.FromBytes(pixels, 1, 784)).Floats!;
        Assert.Equal(7 * 7 * 9, features.Length);
        // Cell column 3 covers x = 12..15; its pixels x=13 and x=14 see the edge. Cell (row 2, col 3):
        var cell = features.AsSpan((2 * 7 + 3) * 9, 9).ToArray();
        Assert.Equal(cell[0], cell[8], 4);
        Assert.True(cell[0] > 0.5f, $"bin 0 holds {cell[0]}");
        for (int b = 1; b < 8; b++) Assert.Equal(0f, cell[b]);
        // A cell away from the edge has no gradient at all.
        Assert.All(features.AsSpan(0, 9).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Hog_of_a_horizontal_edge_uses_the_90_degree_bins_and_blocks_are_l2_hys_normalised()
    {
        byte[] pixels = Rectangle(rows: 14..28, columns: 0..28, value: 200);
        var hog = new HogTransform([4], blockSize: 2, bins: 9, signed: false, normalization: HogNormalization.L2Hys);
        float[] f = hog.Transform(FeatureMatrix.FromBytes(pixels, 1, 784)).Floats!;
        Assert.Equal(6 * 6 * 4 * 9, f.Length);
        Assert.Equal(hog.FeatureCount, f.Length);
        // Block (row 2, col 0) spans cell rows 2-3 (y 8..15) where the edge is: 90° is the centre of bin 4 (80°-100°).
        var block = f.AsSpan((2 * 6 + 0) * 36, 36).ToArray();
        double norm = Math.Sqrt(block.Sum(v => (double)v * v));
        Assert.Equal(1.0, norm, 3);
        Assert.True(block.Max() <= 0.2f / 0.2f); // after clipping and renormalising nothing exceeds 1
        for (int c = 0; c < 4; c++)
            for (int b = 0; b < 9; b++)
                if (b != 4) Assert.Equal(0f, block[c * 9 + b]);
    }

    [Fact]
    public void Hog_multi_scale_concatenates_and_rejects_bad_sizes()
    {
        var hog = new HogTransform([4, 7]);
        Assert.Equal(6 * 6 * 36 + 3 * 3 * 36, hog.FeatureCount);
        var images = TestData.Train.Take(3);
        Assert.Equal(3 * hog.FeatureCount, hog.Transform(FeatureMatrix.FromImages(images)).Floats!.Length);
        Assert.Throws<FashionMnistException>(() => new HogTransform([1]));
        Assert.Throws<FashionMnistException>(() => new HogTransform([4], blockSize: 8));
        Assert.Throws<FashionMnistException>(() => new HogTransform([4], bins: 1));
    }

    [Fact]
    public void Signed_hog_tells_a_dark_to_bright_edge_from_a_bright_to_dark_one()
    {
        // Black left / white right: gradient along +x (0°). Signed, 9 bins of 40° centred at 20°, 60°, ..., 340°:
        // 0° is shared equally by bin 0 and bin 8. The mirror image (white left) has its gradient along -x (180°),
        // the centre of bin 4. Unsigned HOG cannot tell the two apart.
        byte[] darkLeft = Rectangle(rows: 0..28, columns: 14..28, value: 255);
        byte[] brightLeft = Rectangle(rows: 0..28, columns: 0..14, value: 255);
        var signed = new HogTransform([4], blockSize: 1, bins: 9, signed: true, normalization: HogNormalization.L2Hys);
        var unsigned = new HogTransform([4], blockSize: 1, bins: 9, signed: false, normalization: HogNormalization.L2Hys);
        float[] Cell(HogTransform hog, byte[] pixels) =>
            hog.Transform(FeatureMatrix.FromBytes(pixels, 1, 784)).Floats!.AsSpan((2 * 7 + 3) * 9, 9).ToArray();

        float[] rising = Cell(signed, darkLeft), falling = Cell(signed, brightLeft);
        Assert.Equal(rising[0], rising[8], 4);
        Assert.True(rising[0] > 0.5f, $"bin 0 holds {rising[0]}");
        for (int b = 1; b < 8; b++) Assert.Equal(0f, rising[b]);
        Assert.True(falling[4] > 0.99f, $"bin 4 holds {falling[4]}");
        for (int b = 0; b < 9; b++) if (b != 4) Assert.Equal(0f, falling[b], 5); // 180° is 4.0 bins up to float rounding
        Assert.Equal(Cell(unsigned, darkLeft), Cell(unsigned, brightLeft));
        Assert.Contains("signed", signed.Describe());
    }

    [Fact]
    public void L1_sqrt_hog_blocks_are_square_roots_of_shares()
    {
        // Rows 14..27 at 200: the pixels at y = 13 and 14 have gy = 200 (90°), all in cell row 3 (y 12..15), 4 per
        // cell per row. Block (row 2, col 0) holds cells (2,0), (2,1), (3,0), (3,1): the last two carry 1,600 each in
        // the 90° bin and the others nothing, so L1 gives 1/2 and 1/2, and their square roots √½.
        byte[] pixels = Rectangle(rows: 14..28, columns: 0..28, value: 200);
        var hog = new HogTransform([4], blockSize: 2, bins: 9, signed: false, normalization: HogNormalization.L1Sqrt);
        float[] block = hog.Transform(FeatureMatrix.FromBytes(pixels, 1, 784)).Floats!.AsSpan((2 * 6 + 0) * 36, 36).ToArray();
        for (int i = 0; i < 36; i++)
            Assert.Equal(i is 2 * 9 + 4 or 3 * 9 + 4 ? MathF.Sqrt(0.5f) : 0f, block[i], 5);
        // Signed: 90° sits at 90/40 - 0.5 = 1.75 bins, so 1/4 in bin 1 (60°) and 3/4 in bin 2 (100°) of each cell.
        var signed = new HogTransform([4], blockSize: 2, bins: 9, signed: true, normalization: HogNormalization.L1Sqrt);
        float[] s = signed.Transform(FeatureMatrix.FromBytes(pixels, 1, 784)).Floats!.AsSpan((2 * 6 + 0) * 36, 36).ToArray();
        Assert.Equal(MathF.Sqrt(0.125f), s[2 * 9 + 1], 5);
        Assert.Equal(MathF.Sqrt(0.375f), s[2 * 9 + 2], 5);
        Assert.Equal(1.0, s.Sum(v => (double)v * v), 4);
    }

    [Fact]
    public void Hog_settings_survive_saving_and_the_first_file_layout_still_loads()
    {
        var images = FeatureMatrix.FromImages(TestData.Train.Take(4));
        var hog = new HogTransform([4, 7], blockSize: 2, bins: 12, signed: false, normalization: HogNormalization.L1Sqrt);
        var stream = new MemoryStream();
        hog.Save(new BinaryWriter(stream));
        stream.Position = 0;
        var loaded = Assert.IsType<HogTransform>(FeatureTransforms.Read(new BinaryReader(stream)));
        Assert.Equal(hog.Describe(), loaded.Describe());
        Assert.Equal(hog.Transform(images).Floats, loaded.Transform(images).Floats);

        // Layout 1 ("hog": cells, block, bins) from model files written before signed/l1-sqrt existed.
        var old = new MemoryStream();
        var writer = new BinaryWriter(old);
        writer.Write(HogTransform.Kind);
        writer.Write(1); writer.Write(4); writer.Write(2); writer.Write(9);
        old.Position = 0;
        var first = Assert.IsType<HogTransform>(FeatureTransforms.Read(new BinaryReader(old)));
        Assert.False(first.Signed);
        Assert.Equal(HogNormalization.L2Hys, first.Normalization);
        Assert.Equal(new HogTransform([4], signed: false, normalization: HogNormalization.L2Hys).Transform(images).Floats,
            first.Transform(images).Floats);
        Assert.NotEqual(new HogTransform([4]).Transform(images).Floats, first.Transform(images).Floats); // defaults differ

        // A damaged current-layout step (an unknown normalisation number) is reported as bad data, not an enum cast.
        var damaged = new MemoryStream();
        var bad = new BinaryWriter(damaged);
        bad.Write(HogTransform.KindV2);
        bad.Write(1); bad.Write(4); bad.Write(2); bad.Write(9); bad.Write(true); bad.Write(7);
        damaged.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => FeatureTransforms.Read(new BinaryReader(damaged)));
        Assert.Contains("bad HOG settings: unknown HOG normalisation 7", e.Message);
    }

    [Fact]
    public void Hog_signed_and_norm_settings_parse_and_bad_values_are_named()
    {
        var defaults = (ClassicOptions)ModelCatalog.Options("knn", new Dictionary<string, string> { ["features"] = "hog" });
        Assert.Equal("hog(cell=4+7,block=2,bins=9,signed,l1-sqrt)", defaults.DescribePreprocessing());
        Assert.Equal("true", OptionBinder.ToSettings(defaults)["hog-signed"]);
        Assert.Equal("l1-sqrt", OptionBinder.ToSettings(defaults)["hog-norm"]);
        // A HOG setting alone implies HOG features.
        var classic = (ClassicOptions)ModelCatalog.Options("knn", new Dictionary<string, string> { ["hog-signed"] = "false", ["hog-norm"] = "l2-hys" });
        Assert.Equal(FeatureKind.Hog, classic.Features);
        Assert.Equal("hog(cell=4+7,block=2,bins=9)", classic.DescribePreprocessing());
        Assert.Equal("false", OptionBinder.ToSettings(classic)["hog-signed"]);
        Assert.Equal("l2-hys", OptionBinder.ToSettings(classic)["hog-norm"]);
        Assert.Equal(HogNormalization.L1Sqrt, ((ClassicOptions)ModelCatalog.Options("knn", new Dictionary<string, string> { ["hog-norm"] = "hellinger" })).HogNorm);
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Options("knn", new Dictionary<string, string> { ["hog-norm"] = "l3" }));
        Assert.Contains("'hog-norm' cannot be 'l3'", e.Message);
        Assert.Throws<FashionMnistException>(() => ModelCatalog.Options("knn", new Dictionary<string, string> { ["hog-signed"] = "maybe" }));
    }

    [Fact]
    public void Pca_on_a_hand_made_2d_set_finds_the_diagonal()
    {
        // Points along y = x with a little spread along y = -x: (t + s, t - s) for t in {-2..2}, s = ±0.1.
        var points = new List<float>();
        foreach (int t in new[] { -2, -1, 0, 1, 2 })
            foreach (float s in new[] { -0.1f, 0.1f }) { points.Add(t + s); points.Add(t - s); }
        int n = points.Count / 2;
        var pca = new PcaTransform(components: 2);
        float[] projected = pca.FitTransform(FeatureMatrix.FromFloats(points.ToArray(), n, 2), FitContext.Default).Floats!;
        // Covariance eigenvalues by hand: along (1,1)/√2: 2 Σt²/(n-1) = 2·(2·10)/9 = 4.444; along (1,-1)/√2: 2 Σs²/(n-1) = 2·(10·0.01)/9 = 0.0222.
        Assert.Equal(40.0 / 9, pca.ExplainedVariance[0], 3);
        Assert.Equal(0.2 / 9, pca.ExplainedVariance[1], 4);
        Assert.Equal(40.0 / 40.2, pca.ExplainedVarianceRatio[0], 4);
        float[] w = pca.ComponentMatrix; // 2 x 2, column j = component j
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(w[0]), 4);
        Assert.Equal(w[0], w[2], 4);           // first component ∝ (1, 1)
        Assert.Equal(-w[1], w[3], 4);          // second ∝ (1, -1)
        // The projection on the first component is √2·t.
        Assert.Equal(Math.Sqrt(2) * -2, projected[0] * Math.Sign(w[0]), 3);
        // Full-rank PCA reconstructs exactly.
        float[] back = pca.InverseTransform(projected, n);
        for (int i = 0; i < points.Count; i++) Assert.Equal(points[i], back[i], 4);
    }

    [Fact]
    public void Pca_on_a_3d_set_by_variance_ratio_and_whitening()
    {
        // Independent axes with variances 9, 4, 1 (values ±3, ±2, ±1 in a balanced design): components are the axes.
        var rows = new List<float>();
        foreach (int a in new[] { -3, 3 }) foreach (int b in new[] { -2, 2 }) foreach (int c in new[] { -1, 1 }) rows.AddRange([a, b, c]);
        var data = FeatureMatrix.FromFloats(rows.ToArray(), 8, 3);
        var pca = new PcaTransform(varianceRatio: 0.9);
        var projected = pca.FitTransform(data, FitContext.Default);
        // Ratios 9/14, 4/14, 1/14: 0.643 < 0.9 <= 0.929, so 2 components.
        Assert.Equal(2, pca.Components);
        Assert.Equal([9 / 14.0, 4 / 14.0, 1 / 14.0], pca.ExplainedVarianceRatio.Select(r => Math.Round(r, 6)), new ToleranceComparer(1e-5));
        var whitened = new PcaTransform(components: 3, whiten: true).FitTransform(data, FitContext.Default).Floats!;
        for (int j = 0; j < 3; j++)
        {
            double variance = Enumerable.Range(0, 8).Sum(r => (double)whitened[r * 3 + j] * whitened[r * 3 + j]) / 7;
            Assert.Equal(1.0, variance, 4);
        }
        Assert.Equal(2, projected.Columns);
    }

    [Fact]
    public void Pca_errors_are_clear()
    {
        var e = Assert.Throws<FashionMnistException>(() =>
            new PcaTransform(components: 785).FitTransform(FeatureMatrix.FromImages(TestData.Train.Take(20)), FitContext.Default));
        Assert.Contains("785 components but the features have only 784 columns", e.Message);
        Assert.Throws<FashionMnistException>(() => new PcaTransform(varianceRatio: 1.5));
        Assert.Throws<FashionMnistException>(() => new PcaTransform(components: 0));
    }

    [Fact]
    public void Pca_on_real_images_reconstructs_better_with_more_components()
    {
        var images = FeatureMatrix.FromImages(TestData.Train.Take(2000));
        float[] original = images.ToFloats();
        double Error(int k)
        {
            var pca = new PcaTransform(components: k);
            var projected = pca.FitTransform(images, FitContext.Default);
            float[] back = pca.InverseTransform(projected.Floats!, images.Rows);
            return original.Zip(back, (a, b) => (double)(a - b) * (a - b)).Sum();
        }
        double e10 = Error(10), e50 = Error(50), e784 = Error(784);
        Assert.True(e50 < e10 * 0.7, $"{e50} vs {e10}");
        Assert.True(e784 < e10 * 1e-6, $"{e784}");
    }

    [Fact]
    public void Scalers_map_training_features_to_unit_range_or_zero_mean_unit_variance()
    {
        var data = FeatureMatrix.FromFloats([1, 10, 5, 3, 20, 5, 5, 30, 5], 3, 3); // third column constant
        var unit = new FeatureScaler(ScalingKind.Unit).FitTransform(data, FitContext.Default).Floats!;
        Assert.Equal([0f, 0f, 0f, 0.5f, 0.5f, 0f, 1f, 1f, 0f], unit);
        var standard = new FeatureScaler(ScalingKind.Standard).FitTransform(data, FitContext.Default).Floats!;
        // Column 0: mean 3, population std sqrt(8/3).
        Assert.Equal(-2 / Math.Sqrt(8.0 / 3), standard[0], 5);
        Assert.Equal(0f, standard[3], 5);
        Assert.Equal(0f, standard[2]); // constant column maps to 0, not NaN
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
