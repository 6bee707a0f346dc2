using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>One intermediate picture of a pipeline run, for `--debug-dir` and for people tuning the pipeline.</summary>
public sealed record PipelineStage(string Name, RgbaImage Image);

/// <summary>The 28x28 model input made from a photo, and (when asked for) the stages that led to it.</summary>
public sealed record PreparedPhoto(byte[] Pixels, IReadOnlyList<PipelineStage> Stages, string Notes)
{
    /// <summary>The 28x28 input as a gray image.</summary>
    internal GrayImage ToGray()
    {
        var gray = new GrayImage(ImageSet.Width, ImageSet.Height);
        for (int i = 0; i < Pixels.Length; i++) gray.Pixels[i] = Pixels[i] / 255f;
        return gray;
    }
}

/// <summary>Turns a decoded photo into a Fashion-MNIST-like 28x28 image (light garment on black, 0-255).</summary>
public interface IPhotoPipeline
{
    /// <summary>"garment" or "seed".</summary>
    string Name { get; }

    /// <summary>The 28x28 model input made from <paramref name="photo"/>; <paramref name="keepStages"/> also keeps each intermediate picture.</summary>
    PreparedPhoto Prepare(RgbaImage photo, bool keepStages = false);

    /// <summary>
    /// The longest side this pipeline reduces a photo to before working on it (0: it uses every pixel). Decoders may
    /// hand it a photo reduced to no less than this (<see cref="ImageCodec.Decode"/>'s neededSide).
    /// </summary>
    int WorkingSide => 0;
}

/// <summary>The pipelines by name, for the CLI's and the web app's `--pipeline`.</summary>
public static class PhotoPipelines
{
    /// <summary>The pipeline used when none is named: "garment".</summary>
    public const string Default = "garment";

    /// <summary>The names <see cref="Create"/> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["garment", "seed"];

    /// <summary>The pipeline called <paramref name="name"/>; an unknown name is a <see cref="FashionMnistException"/>.</summary>
    public static IPhotoPipeline Create(string name) => name.ToLowerInvariant() switch
    {
        "garment" => new GarmentPipeline(),
        "seed" => new SeedPipeline(),
        _ => throw new FashionMnistException($"Unknown photo pipeline '{name}'", $"Choose one of: {string.Join(", ", Names)}."),
    };

    /// <summary>Converts a 28x28 float image in [0, 1] to the bytes models take.</summary>
    internal static byte[] ToBytes(GrayImage image)
    {
        var bytes = new byte[image.Pixels.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = GrayImage.ToByte(image.Pixels[i]);
        return bytes;
    }
}

/// <summary>
/// The seed script's naive preprocessing, kept for comparison: squash the whole photo to 28x28 (ignoring its
/// aspect ratio), take luminance, invert. Fine for a dark garment filling a white frame; poor on real photos.
/// </summary>
internal sealed class SeedPipeline : IPhotoPipeline
{
    public string Name => "seed";

    /// <summary>The photo is reduced to a longest side of 112 (4 x 28) first.</summary>
    public int WorkingSide => 4 * ImageSet.Width;

    public PreparedPhoto Prepare(RgbaImage photo, bool keepStages = false)
    {
        // Area averaging composes: reducing to 4x the target first gives the same 28x28 as reducing in one go.
        GrayImage gray = PhotoPlanes.From(photo, 4 * ImageSet.Width).Luminance();
        GrayImage small = gray.Resize(ImageSet.Width, ImageSet.Height);
        for (int i = 0; i < small.Pixels.Length; i++) small.Pixels[i] = 1f - small.Pixels[i];
        var stages = keepStages
            ? new List<PipelineStage> { new("1-gray", gray.ToRgba()), new("2-final-28x28", small.ToRgba(10)) }
            : [];
        return new PreparedPhoto(PhotoPipelines.ToBytes(small), stages, "squashed to 28x28 and inverted");
    }
}
