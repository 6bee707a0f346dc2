using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Neural;

namespace FashionMnist.Bench.Tools;

/// <summary>
/// Writes cnn-photo's photo training set (src/FashionMnist/Neural/Recipes/cnn-photo.training-photos.bin.gz, see
/// <see cref="PhotoTrainingSet"/>): every photo of a labels file as the 6 views the photo classifier shows a model, with
/// one label per photo; where the labels allow several classes, the one <c>MODEL</c> (uncalibrated) finds likeliest.
/// Usage: photo-training-set LABELS.csv MODEL.fmm OUT.bin.gz (bench/accuracy/photo-training-set.sh calls it).
/// </summary>
internal static class PhotoTrainingSetTool
{
    public static int Run(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: photo-training-set LABELS.csv MODEL.fmm OUT.bin.gz");
            return 2;
        }
        string labelsPath = args[0], root = Path.GetDirectoryName(Path.GetFullPath(labelsPath))!;
        using IClassifier model = ModelFile.Load(args[1]);
        IPhotoPipeline pipeline = PhotoPipelines.Create("garment");
        var classifier = new PhotoClassifier(model, pipeline, TestTimeAugmentation.Default); // no calibration: the model's own view
        var labels = new List<byte>();
        var views = new List<byte>();
        int perPhoto = TestTimeAugmentation.Default.ViewCount(pipeline), chosen = 0;
        foreach (var photo in LabelledPhotos.Read(labelsPath))
        {
            // Full size, as the measured trainings had them (predict decodes JPEGs reduced to the pipeline's working side: the
            // views differ by a few grey levels, which the measurement on held-out photos already includes).
            RgbaImage image = ImageCodec.Decode(File.ReadAllBytes(Path.Combine(root, photo.File)), photo.File);
            views.AddRange(TestTimeAugmentation.Default.Views(image, pipeline, pipeline.Prepare(image)));
            int label = photo.CorrectLabels.Min();
            if (photo.CorrectLabels.Count > 1)
            {
                float[] p = classifier.Classify(image).Probabilities;
                label = photo.CorrectLabels.OrderByDescending(c => p[c]).ThenBy(c => c).First();
                chosen++;
            }
            labels.Add((byte)label);
        }
        File.WriteAllBytes(args[2], PhotoTrainingSet.Encode(labels, views.ToArray(), perPhoto));
        Console.WriteLine($"{labels.Count} photos x {perPhoto} views -> {args[2]} ({new FileInfo(args[2]).Length:N0} bytes); "
            + $"{chosen} labels chosen among several by {model.Name}; per class: "
            + string.Join(", ", labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")));
        return 0;
    }
}
