using FashionMnist.Imaging;
using FashionMnist.Interop;
using FashionMnist.Tests.Data;

namespace FashionMnist.Tests.Imaging;

public class ImageCodecTests
{
    [Theory]
    [InlineData("png")]
    [InlineData("bmp")]
    [InlineData("tiff")]
    public void Lossless_formats_round_trip_exactly(string format)
    {
        RgbaImage original = TestImages.Gradient(37, 21); // odd width: rowstride padding is exercised
        byte[] encoded = ImageCodec.Encode(original, format);
        RgbaImage decoded = ImageCodec.Decode(encoded, $"test.{format}");
        Assert.Equal((37, 21), (decoded.Width, decoded.Height));
        Assert.Equal(original.Pixels, decoded.Pixels);
    }

    [Fact]
    public void Png_bytes_depend_only_on_the_pixels()
    {
        // Same image, same bytes (no time stamp or other varying chunk): reports and sheets can be compared by hash.
        RgbaImage first = TestImages.Noise(64, 48, seed: 2), copy = TestImages.Noise(64, 48, seed: 2);
        Assert.Equal(ImageCodec.EncodePng(first), ImageCodec.EncodePng(copy));
        Assert.NotEqual(ImageCodec.EncodePng(first), ImageCodec.EncodePng(TestImages.Noise(64, 48, seed: 3)));
    }

    [Fact]
    public void SavePng_writes_the_image_atomically_and_refuses_a_path_under_a_file()
    {
        using var folder = new TempFolder();
        RgbaImage image = TestImages.Gradient(9, 5);
        string path = folder.File("out/sheet.png");
        ImageCodec.SavePng(path, image);
        Assert.Equal(image.Pixels, ImageCodec.DecodeFile(path).Pixels);
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(folder.File("out")).Select(Path.GetFileName)); // no temporary left

        File.WriteAllText(folder.File("a-file"), "");
        var e = Assert.Throws<FashionMnistException>(() => ImageCodec.SavePng(folder.File("a-file/x.png"), image));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void Jpeg_round_trips_closely()
    {
        RgbaImage original = TestImages.Gradient(40, 30);
        RgbaImage decoded = ImageCodec.Decode(ImageCodec.Encode(original, "jpeg"), "test.jpg");
        Assert.Equal((40, 30), (decoded.Width, decoded.Height));
        double error = 0;
        for (int i = 0; i < original.Pixels.Length; i++) if (i % 4 != 2) error += Math.Abs(original.Pixels[i] - decoded.Pixels[i]);
        Assert.True(error / (original.Pixels.Length * 0.5) < 12, $"mean error {error / (original.Pixels.Length * 0.5)}");
    }

    [Fact]
    public void Png_alpha_is_kept_and_gray_conversion_composites_on_white()
    {
        var image = new RgbaImage(2, 1);
        image.SetPixel(0, 0, 0, 0, 0, 0);     // transparent black -> white
        image.SetPixel(1, 0, 0, 0, 0, 255);   // opaque black -> black
        RgbaImage decoded = ImageCodec.Decode(ImageCodec.EncodePng(image, keepAlpha: true), "alpha.png");
        Assert.True(decoded.HasTransparency);
        GrayImage gray = GrayImage.FromRgba(decoded);
        Assert.Equal(1f, gray.Pixels[0], 3);
        Assert.Equal(0f, gray.Pixels[1], 3);
    }

    [Fact]
    public void Gif_decodes_with_its_transparency()
    {
        RgbaImage decoded = ImageCodec.Decode(TestImages.TransparentGif, "pixel.gif");
        Assert.Equal((1, 1), (decoded.Width, decoded.Height));
        Assert.Equal(0, decoded.Pixels[3]);
    }

    [Fact]
    public void Exif_orientation_is_applied()
    {
        RgbaImage original = TestImages.Gradient(40, 16);
        // Orientation 6: the camera was turned 90 degrees clockwise; viewers rotate the picture to portrait.
        byte[] jpeg = TestImages.WithExifOrientation(ImageCodec.Encode(original, "jpeg"), 6);
        RgbaImage decoded = ImageCodec.Decode(jpeg, "rotated.jpg");
        Assert.Equal((16, 40), (decoded.Width, decoded.Height));
        // Rotated clockwise: the original's left column (red = 0) becomes the top row.
        Assert.True(decoded.Pixels[(0 * 16 + 8) * 4] < 40, $"top row red {decoded.Pixels[(0 * 16 + 8) * 4]}");
        Assert.True(decoded.Pixels[(39 * 16 + 8) * 4] > 215, $"bottom row red {decoded.Pixels[(39 * 16 + 8) * 4]}");
    }

    [Fact]
    public void Real_photo_fixture_decodes_from_file()
    {
        RgbaImage photo = ImageCodec.DecodeFile(TestImages.FixturePath("t-shirt.jpg"));
        Assert.InRange(photo.Width, 100, 2000);
        Assert.InRange(photo.Height, 100, 2000);
        Assert.False(photo.HasTransparency);
    }

    [Theory]
    [InlineData(533, 400, 0, 1)]     // 0: every pixel
    [InlineData(533, 400, 256, 2)]   // 267 >= 256, 134 < 256
    [InlineData(533, 400, 112, 4)]   // 134 >= 112, 67 < 112
    [InlineData(4000, 3000, 256, 8)] // 500: no smaller scale than 1/8 exists
    [InlineData(511, 300, 256, 2)]   // libjpeg rounds up: ceil(511 / 2) = 256 is still enough
    [InlineData(200, 100, 256, 1)]   // already smaller than needed
    public void A_jpeg_is_reduced_by_the_largest_power_of_two_that_keeps_the_needed_side(int width, int height, int needed, int scale)
    {
        Assert.Equal(scale, GdkPixbufCodec.ReducedScale(width, height, needed));
        Assert.Equal(scale, GdkPixbufCodec.ReducedScale(height, width, needed)); // portrait: the longest side counts
    }

    [Fact]
    public void Rgb_rows_become_rgba_with_opaque_alpha_at_every_width()
    {
        // Widths around the vector loop's edges (4 pixels a step, stopping while 6 are left), each pixel's bytes distinct.
        var random = new Random(5);
        for (int width = 1; width <= 41; width++)
        {
            var rgb = new byte[3 * width];
            random.NextBytes(rgb);
            var rgba = new byte[4 * width + 4];
            Array.Fill(rgba, (byte)7); // past the row: must stay untouched
            GdkPixbufCodec.RgbToRgba(rgb, rgba.AsSpan(0, 4 * width));
            for (int x = 0; x < width; x++)
                Assert.Equal([rgb[3 * x], rgb[3 * x + 1], rgb[3 * x + 2], 255], rgba[(4 * x)..(4 * x + 4)]);
            Assert.All(rgba[(4 * width)..], b => Assert.Equal(7, b));
        }
    }

    [Fact]
    public void A_photo_decoded_for_a_working_side_is_a_libjpeg_scale_of_the_full_decode()
    {
        string path = TestImages.FixturePath("t-shirt.jpg");
        RgbaImage full = ImageCodec.DecodeFile(path);
        RgbaImage reduced = ImageCodec.DecodeFile(path, neededSide: 112);
        int scale = GdkPixbufCodec.ReducedScale(full.Width, full.Height, 112);
        Assert.True(scale > 1, $"the fixture ({full.Width}x{full.Height}) should allow a reduced decode");
        Assert.Equal(((full.Width + scale - 1) / scale, (full.Height + scale - 1) / scale), (reduced.Width, reduced.Height));
        Assert.True(Math.Max(reduced.Width, reduced.Height) >= 112);
        // The same picture: the mean of each reduced pixel's block of full pixels is close to the reduced pixel.
        double error = 0;
        int count = 0;
        for (int y = 0; y + 1 < reduced.Height; y++)
            for (int x = 0; x + 1 < reduced.Width; x++, count++)
            {
                double sum = 0;
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++)
                        sum += full.Pixels[((y * scale + dy) * full.Width + x * scale + dx) * 4 + 1];
                error += Math.Abs(sum / (scale * scale) - reduced.Pixels[(y * reduced.Width + x) * 4 + 1]);
            }
        Assert.InRange(error / count, 0, 6); // mean absolute difference of the green channel, out of 255
        // Other formats decode in full whatever the caller needs.
        byte[] png = ImageCodec.Encode(full, "png");
        RgbaImage fromPng = ImageCodec.Decode(png, "full.png", neededSide: 112);
        Assert.Equal((full.Width, full.Height), (fromPng.Width, fromPng.Height));
    }

    [Fact]
    public void Bytes_that_are_not_an_image_give_a_clear_error()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode("hello, this is text"u8, "notes.jpg"));
        Assert.StartsWith("'notes.jpg' is not an image gdk-pixbuf can read: ", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void Empty_data_gives_a_clear_error()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode([], "empty.png"));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Truncated_photo_gives_a_clear_error()
    {
        byte[] bytes = File.ReadAllBytes(TestImages.FixturePath("pants.jpg"));
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(bytes.AsSpan(0, bytes.Length / 2), "half.jpg"));
        Assert.Contains("half.jpg", e.Message);
    }

    [Fact]
    public void Truncated_png_gives_a_clear_error()
    {
        byte[] png = ImageCodec.EncodePng(TestImages.Noise(64, 64, seed: 1));
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(png.AsSpan(0, png.Length / 2), "cut.png"));
        Assert.Contains("ends early", e.Message);
    }

    [Fact]
    public void Corrupt_jpeg_header_gives_a_clear_error()
    {
        byte[] bytes = File.ReadAllBytes(TestImages.FixturePath("dress.jpg"));
        for (int i = 2; i < 400; i++) bytes[i] = 0x5A; // keep SOI, destroy the header segments
        Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(bytes, "broken.jpg"));
    }

    [Fact]
    public void Oversized_image_is_refused_from_its_header_before_decoding()
    {
        // 10000 x 5000 = 50 megapixels claimed by a 50-byte file: refused without allocating 150 MB.
        byte[] header = TestImages.PngHeaderClaiming(10_000, 5_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageTooLargeException>(() => ImageCodec.Decode(header, "huge.png"));
        Assert.Equal((10_000, 5_000), (e.Width, e.Height));
        Assert.Contains("50 megapixels", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Oversized_jpeg_is_refused_from_its_header()
    {
        byte[] jpeg = TestImages.JpegClaiming(File.ReadAllBytes(TestImages.FixturePath("shoes.jpg")), 8000, 6000);
        var e = Assert.Throws<ImageTooLargeException>(() => ImageCodec.Decode(jpeg, "big.jpg"));
        Assert.Equal((8000, 6000), (e.Width, e.Height));
        Assert.Contains("'big.jpg' is 8000x6000 = 48 megapixels, more than the 40 megapixels allowed", e.Message);
    }

    [Fact]
    public void Pixel_budget_applies_to_real_images_too()
    {
        byte[] png = ImageCodec.EncodePng(TestImages.Gradient(100, 100));
        Assert.Throws<ImageTooLargeException>(() => ImageCodec.Decode(png, "small.png", maxPixels: 9_999));
        Assert.Equal(100, ImageCodec.Decode(png, "small.png", maxPixels: 10_000).Width);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var e = Assert.Throws<FashionMnistException>(() => ImageCodec.DecodeFile("/nonexistent/photo.jpg"));
        Assert.Contains("'/nonexistent/photo.jpg' does not exist", e.Message);
    }

    [Fact]
    public void Concurrent_decoding_is_safe()
    {
        byte[] jpeg = File.ReadAllBytes(TestImages.FixturePath("shoes.jpg"));
        RgbaImage reference = ImageCodec.Decode(jpeg, "shoes.jpg");
        Parallel.For(0, 16, _ => Assert.Equal(reference.Pixels, ImageCodec.Decode(jpeg, "shoes.jpg").Pixels));
    }
}
