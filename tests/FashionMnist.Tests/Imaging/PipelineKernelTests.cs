using FashionMnist.Imaging;

namespace FashionMnist.Tests.Imaging;

/// <summary>
/// The garment pipeline's fast kernels (issue 14's web goal) against the plain loops they replaced, which are kept here
/// as references: every result must be the same to the bit (floats compared exactly), on hand-computed cases, on
/// random data of awkward sizes, and on the fixture photos' own working images, distance maps and masks.
/// </summary>
public class PipelineKernelTests
{
    private static readonly GarmentPipeline Pipeline = new();

    private static IEnumerable<RgbaImage> FixturePhotos() => TestImages.FixturePhotos.Select(f => ImageCodec.DecodeFile(TestImages.FixturePath(f)));

    [Fact]
    public void Box_blur_of_a_hand_computed_row()
    {
        // Radius 1 on 1 x 5: windows clipped at the ends average what they hold.
        float[] values = [3, 6, 9, 12, 0];
        BoxBlur.Apply(values, 5, 1, radius: 1);
        Assert.Equal([4.5f, 6f, 9f, 7f, 6f], values);
    }

    [Fact]
    public void Box_blur_equals_the_plain_loop_to_the_bit()
    {
        var random = new Random(5);
        foreach (var (w, h, r) in new[] { (256, 192, 2), (192, 256, 2), (37, 23, 3), (5, 40, 2), (3, 3, 4), (64, 1, 1), (1, 64, 2), (100, 80, 0) })
        {
            float[] source = Enumerable.Range(0, w * h).Select(_ => (float)random.NextDouble()).ToArray();
            float[] fast = (float[])source.Clone(), reference = (float[])source.Clone();
            BoxBlur.Apply(fast, w, h, r);
            ReferenceBlur(reference, w, h, r);
            Assert.Equal(reference, fast);
        }
    }

    [Fact]
    public void Box_blur_of_real_distance_maps_equals_the_plain_loop()
    {
        foreach (RgbaImage photo in FixturePhotos())
        {
            GarmentPipeline.Analysis analysis = Pipeline.Analyse(photo);
            int w = analysis.Planes.Width, h = analysis.Planes.Height;
            float[] distance = new float[w * h];
            analysis.Background.DistanceMap(analysis.Planes.Red, analysis.Planes.Green, analysis.Planes.Blue, distance);
            float[] fast = (float[])distance.Clone();
            BoxBlur.Apply(fast, w, h, 2);
            ReferenceBlur(distance, w, h, 2);
            Assert.Equal(distance, fast);
        }
    }

    [Fact]
    public void Morphology_of_a_hand_drawn_mask()
    {
        // Dilating a pixel at the edge grows it inside the image only; eroding anything that touches the border clears it.
        var mask = new BinaryMask(6, 4);
        mask.Bits[0] = 1;
        mask.Bits[2 * 6 + 3] = 1;
        BinaryMask grown = mask.Dilate(1);
        Assert.Equal(4 + 9, grown.Count());
        Assert.True(grown[1, 1] && grown[4, 3] && !grown[5, 0]);
        var full = new BinaryMask(6, 4, Enumerable.Repeat((byte)1, 24).ToArray());
        Assert.Equal(4 * 2, full.Erode(1).Count()); // only the inner 4 x 2 keeps a whole square inside
    }

    [Fact]
    public void Morphology_equals_the_running_count_to_the_bit()
    {
        var random = new Random(7);
        foreach (var (w, h, r) in new[] { (256, 192, 5), (192, 256, 1), (70, 45, 3), (33, 9, 6), (5, 5, 4), (1, 40, 2), (40, 1, 2), (64, 64, 40) })
        {
            // Blobs rather than noise, so that both operations leave something.
            byte[] bits = Enumerable.Range(0, w * h).Select(i => (byte)(((i % w) / 7 + (i / w) / 5 + random.Next(3)) % 4 == 0 ? 1 : 0)).ToArray();
            foreach (bool dilate in new[] { true, false })
            {
                var fast = new byte[w * h];
                BinaryMask.Filter(bits, fast, new byte[w * h], w, h, r, dilate);
                Assert.Equal(ReferenceFilter(bits, w, h, r, dilate), fast);
            }
        }
    }

    [Fact]
    public void Cleaning_a_real_mask_in_one_go_equals_the_chained_operations()
    {
        foreach (RgbaImage photo in FixturePhotos())
        {
            GarmentPipeline.Analysis analysis = Pipeline.Analyse(photo);
            int w = analysis.Planes.Width, h = analysis.Planes.Height;
            foreach (float scale in new[] { 0.5f, 1f, 1.5f })
            {
                float threshold = scale * analysis.Otsu;
                var mask = new BinaryMask(w, h, analysis.Distance!.Take(w * h).Select(d => (byte)(d > threshold ? 1 : 0)).ToArray());
                var reference = new BinaryMask(w, h, ReferenceFilter(ReferenceFilter(mask.Bits, w, h, 1, false), w, h, 1, true));
                reference = new BinaryMask(w, h, ReferenceFilter(ReferenceFilter(reference.Bits, w, h, 5, true), w, h, 5, false)).FillHoles();
                BinaryMask fast = mask.OpenCloseFillHoles(1, 5);
                Assert.Equal(reference.Bits, fast.Bits);
                Assert.Equal(mask.Open(1).Close(5).FillHoles().Bits, fast.Bits);
                Assert.Equal(ReferenceComponents(fast.Bits, w, h, 0.35), fast.KeepLargestComponents(0.35).Bits);
            }
        }
    }

    [Fact]
    public void Order_statistics_equal_a_sort()
    {
        var random = new Random(11);
        float[][] sets =
        [
            [5f, 1f, 2f, 9f, 3f],
            Enumerable.Range(0, 20_000).Select(_ => (float)random.NextDouble()).ToArray(),
            // A length that leaves a scalar tail after the vectors, values straddling bucket edges.
            Enumerable.Range(0, 20_003).Select(i => (i % 1031) / 1030f).ToArray(),
            // Heavily tied and clustered: most values in one bucket, the rest far away.
            [.. Enumerable.Repeat(0.25f, 9_000), .. Enumerable.Range(0, 3_000).Select(i => 0.25f + i * 1e-7f), 1000f, -3f],
            Enumerable.Range(0, 5_000).Select(i => (float)Math.Sin(i) * 1e-30f).ToArray(),
            Enumerable.Repeat(7f, 6_000).ToArray(),
        ];
        foreach (float[] values in sets)
        {
            float[] copy = (float[])values.Clone(), sorted = (float[])values.Clone();
            Array.Sort(sorted);
            int[] ranks = [0, 1, values.Length / 100, values.Length / 2, values.Length * 95 / 100, values.Length - 1];
            foreach (int k in ranks)
                Assert.Equal(sorted[k], Thresholds.OrderStatistic(values, k));
            // All ranks at once (one counting pass), in any order, a rank repeated.
            int[] several = [.. ranks.Reverse(), ranks[3]];
            var results = new float[several.Length];
            Thresholds.OrderStatistics(values, several, results);
            Assert.Equal(several.Select(k => sorted[k]), results);
            Assert.Equal(copy, values); // left as they were
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Thresholds.OrderStatistic([1f, 2f], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Thresholds.OrderStatistics([1f, 2f], [0, -1], new float[2]));
    }

    [Fact]
    public void Band_indices_are_the_band_in_index_order()
    {
        foreach (var (w, h, band) in new[] { (256, 192, 10), (7, 5, 2), (4, 9, 2), (3, 3, 1), (1, 1, 1) })
        {
            int[] expected = Enumerable.Range(0, w * h).Where(i => BackgroundModel.InBand(i % w, i / w, w, h, band)).ToArray();
            Assert.Equal(expected, BackgroundModel.BandIndices(w, h, band));
        }
    }

    [Fact]
    public void Distance_map_equals_the_per_pixel_distance()
    {
        foreach (RgbaImage photo in FixturePhotos())
        {
            GarmentPipeline.Analysis analysis = Pipeline.Analyse(photo);
            PhotoPlanes planes = analysis.Planes;
            var map = new float[planes.Width * planes.Height];
            analysis.Background.DistanceMap(planes.Red, planes.Green, planes.Blue, map);
            for (int i = 0; i < map.Length; i++) Assert.Equal(analysis.Background.Distance(analysis.Channels, i), map[i]);
        }
    }

    [Fact]
    public void Opaque_box_reduction_equals_the_general_one()
    {
        foreach (RgbaImage photo in FixturePhotos().Append(TestImages.Noise(97, 61, 3)))
            foreach (int factor in new[] { 1, 2, 3, 5 })
            {
                PhotoPlanes fast = PhotoPlanes.BoxReduce(photo, factor), general = PhotoPlanes.BoxReduceAnyAlpha(photo, factor);
                Assert.Equal(general.Red, fast.Red);
                Assert.Equal(general.Green, fast.Green);
                Assert.Equal(general.Blue, fast.Blue);
                Assert.Equal(general.Alpha, fast.Alpha);
            }
        // One pixel not quite opaque takes the general path.
        RgbaImage translucent = TestImages.Noise(20, 20, 4);
        translucent.Pixels[3] = 254;
        Assert.NotEqual(1f, PhotoPlanes.BoxReduce(translucent, 2).Alpha[0]);
    }

    [Fact]
    public void Planes_resampled_straight_from_an_opaque_photos_bytes_equal_the_box_reduced_planes_resampled()
    {
        // Longest sides 257-511 reduce by a factor of 1 and then resample: the path that reads the bytes row by row.
        var photos = FixturePhotos().Select(p => (p, 2 * Math.Max(p.Width, p.Height) / 3)).Append((TestImages.Noise(300, 181, 5), 256)).Append((TestImages.Noise(130, 400, 6), 256));
        foreach (var (photo, side) in photos)
        {
            if (Math.Max(photo.Width, photo.Height) / side != 1) continue;
            using PhotoPlanes direct = PhotoPlanes.From(photo, side);
            PhotoPlanes boxed = PhotoPlanes.BoxReduce(photo, 1);
            Assert.True(direct.Width < boxed.Width || direct.Height < boxed.Height);
            int n = direct.Width * direct.Height;
            foreach (var (fast, plain) in new[] { (direct.Red, boxed.Red), (direct.Green, boxed.Green), (direct.Blue, boxed.Blue) })
            {
                var expected = new float[n];
                AreaResampler.Resize(plain, boxed.Width, boxed.Height, expected, direct.Width, direct.Height);
                Assert.Equal(expected, fast.Take(n));
            }
            Assert.Equal(0, direct.TransparentFraction());
            Assert.All(direct.Alpha, a => Assert.Equal(1f, a));
        }
    }

    [Fact]
    public void Components_and_holes_from_runs_equal_the_pixel_by_pixel_flood_fill()
    {
        // Random masks of every density (specks, blobs, mazes), shapes down to one row or column, and real garment masks.
        var random = new Random(23);
        var masks = new List<BinaryMask>();
        foreach (var (w, h) in new[] { (1, 1), (1, 9), (9, 1), (2, 2), (17, 13), (64, 48), (3, 40) })
            foreach (double density in new[] { 0.0, 0.2, 0.45, 0.6, 0.9, 1.0 })
                masks.Add(new BinaryMask(w, h, Enumerable.Range(0, w * h).Select(_ => (byte)(random.NextDouble() < density ? 1 : 0)).ToArray()));
        foreach (RgbaImage photo in FixturePhotos())
        {
            using GarmentPipeline.Analysis analysis = Pipeline.Analyse(photo);
            int w = analysis.Planes.Width, h = analysis.Planes.Height;
            foreach (float scale in new[] { 0.3f, 1f, 1.5f })
                masks.Add(new BinaryMask(w, h, analysis.Distance!.Take(w * h).Select(d => (byte)(d > scale * analysis.Otsu ? 1 : 0)).ToArray()));
        }
        foreach (BinaryMask mask in masks)
        {
            int w = mask.Width, h = mask.Height;
            byte[] byRuns = (byte[])mask.Bits.Clone(), byPixels = (byte[])mask.Bits.Clone();
            BinaryMask.FillHoles(byRuns, w, h);
            BinaryMask.FillHoles(byPixels, w, h, new int[w * h]);
            Assert.Equal(byPixels, byRuns);
            foreach (double share in new[] { 1.0, 0.3, 0.05 })
                foreach (double fraction in new[] { 0.35, 1.0 })
                    Assert.Equal(ReferenceComponents(mask.Bits, w, h, fraction, share), mask.KeepLargestComponents(fraction, share).Bits);
        }
    }

    /// <summary>The flood fill <see cref="BinaryMask.KeepLargestComponents(double, double)"/> used before it worked on runs.</summary>
    private static byte[] ReferenceComponents(byte[] bits, int width, int height, double minFraction, double maxBorderShare)
    {
        int n = bits.Length;
        var labels = new int[n];
        var areas = new List<int> { 0 };
        var rings = new List<int> { 0 };
        var stack = new Stack<int>();
        for (int start = 0; start < n; start++)
        {
            if (bits[start] == 0 || labels[start] != 0) continue;
            int label = areas.Count, area = 0, ring = 0;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(), y = i / width, x = i - y * width;
                area++;
                if (x == 0 || y == 0 || x == width - 1 || y == height - 1) ring++;
                foreach (int j in new[] { x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, y > 0 ? i - width : -1, y < height - 1 ? i + width : -1 })
                    if (j >= 0 && bits[j] != 0 && labels[j] == 0) { labels[j] = label; stack.Push(j); }
            }
            areas.Add(area);
            rings.Add(ring);
        }
        int ringLength = Math.Max(1, width * height - Math.Max(0, width - 2) * Math.Max(0, height - 2));
        var eligible = new bool[areas.Count];
        bool any = false;
        for (int c = 1; c < areas.Count; c++) any |= eligible[c] = rings[c] <= maxBorderShare * ringLength;
        if (!any) Array.Fill(eligible, true);
        int largest = 0;
        for (int c = 1; c < areas.Count; c++)
            if (eligible[c]) largest = Math.Max(largest, areas[c]);
        var result = new byte[n];
        for (int i = 0; i < n; i++)
            if (labels[i] != 0 && eligible[labels[i]] && areas[labels[i]] >= minFraction * largest) result[i] = 1;
        return result;
    }

    private static void ReferenceBlur(float[] values, int width, int height, int radius)
    {
        var temp = new float[values.Length];
        for (int y = 0; y < height; y++) Line(values.AsSpan(y * width, width), 1, temp.AsSpan(y * width, width), 1, width, radius);
        for (int x = 0; x < width; x++) Line(temp.AsSpan(x), width, values.AsSpan(x), width, height, radius);

        static void Line(ReadOnlySpan<float> source, int sourceStep, Span<float> destination, int step, int length, int radius)
        {
            for (int i = 0; i < length; i++)
            {
                float sum = 0;
                int count = 0;
                for (int k = Math.Max(0, i - radius); k <= Math.Min(length - 1, i + radius); k++) { sum += source[k * sourceStep]; count++; }
                destination[i * step] = sum / count;
            }
        }
    }

    private static byte[] ReferenceFilter(byte[] bits, int width, int height, int radius, bool dilate)
    {
        var horizontal = new byte[bits.Length];
        for (int y = 0; y < height; y++) Pass(bits.AsSpan(y * width, width), 1, horizontal.AsSpan(y * width, width), 1, width);
        var result = new byte[bits.Length];
        for (int x = 0; x < width; x++) Pass(horizontal.AsSpan(x), width, result.AsSpan(x), width, height);
        return result;

        void Pass(ReadOnlySpan<byte> source, int sourceStep, Span<byte> destination, int step, int length)
        {
            int window = 2 * radius + 1, set = 0;
            for (int i = 0; i < Math.Min(radius, length); i++) set += source[i * sourceStep];
            for (int i = 0; i < length; i++)
            {
                int enter = i + radius, leave = i - radius - 1;
                if (enter < length) set += source[enter * sourceStep];
                if (leave >= 0) set -= source[leave * sourceStep];
                destination[i * step] = (byte)(dilate ? (set > 0 ? 1 : 0) : (set == window ? 1 : 0));
            }
        }
    }

    private static byte[] ReferenceComponents(byte[] bits, int width, int height, double minFraction)
    {
        var labels = new int[bits.Length];
        var areas = new List<int> { 0 };
        var stack = new Stack<int>();
        for (int start = 0; start < bits.Length; start++)
        {
            if (bits[start] == 0 || labels[start] != 0) continue;
            int label = areas.Count, area = 0;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(), x = i % width, y = i / width;
                area++;
                foreach (int j in new[] { x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, y > 0 ? i - width : -1, y < height - 1 ? i + width : -1 })
                    if (j >= 0 && bits[j] != 0 && labels[j] == 0) { labels[j] = label; stack.Push(j); }
            }
            areas.Add(area);
        }
        int largest = areas.Count > 1 ? areas.Skip(1).Max() : 0;
        return labels.Select(l => (byte)(l != 0 && areas[l] >= minFraction * largest ? 1 : 0)).ToArray();
    }
}
