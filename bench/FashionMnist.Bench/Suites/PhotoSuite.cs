using System.Security.Cryptography;
using System.Text;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Onnx;

namespace FashionMnist.Bench.Suites;

/// <summary>
/// What one web request costs in CPU, stage by stage (issue 14's web goal: 200 req/s on 2 cores needs at most 10 ms of
/// CPU per request): each labelled photo goes through what <c>POST /api/classify</c> does, on this one thread, and the
/// thread's CPU time (not wall time: the machine may be shared) is summed per stage. Also a SHA-256 of everything the
/// pipeline and the model produce (every TTA view, note, debug stage, probability), so a speed change can be shown to
/// change no output at all.
/// <para>FMNIST_PHOTO_LABELS = a labels.csv (e.g. the development photos'), FMNIST_PHOTO_MODEL = the model file
/// (default models/cnn-photo.fmm), FMNIST_PHOTO_PASSES = timed passes over the photos (default 3, quick 1).
/// Run it on one thread: <c>bench/run.sh photo --threads 1</c>.</para>
/// </summary>
public sealed class PhotoSuite : IBenchSuite
{
    public string Name => "photo";

    public string Description => "CPU ms per web request by stage (decode, analysis, TTA variants, model, PNG) on labelled photos, and a SHA-256 of every output.";

    /// <summary>Mean thread-CPU ms per photo of each stage, in one pass over the photos, and the KB the request path allocated
    /// per photo (managed heap, this thread: what the garbage collector has to clear and collect); also the gen-2
    /// collections per 100 photos during the pass (the stages and the request: each photo runs twice). Arrays of 85,000
    /// bytes or more go to the large-object heap, whose allocations bring the next full, blocking collection nearer:
    /// in `serve` every request's threads stop for it.</summary>
    public sealed record StageCpu(double DecodeMs, double AnalyseMs, double VariantsMs, double ViewsMs, double ModelMs, double PngMs, double StagesSumMs, double RequestMs,
        double RequestAllocatedKb = 0, double Gen2CollectionsPer100 = 0);

    public sealed record PhotoResult(string Labels, string Model, string Runtime, int Photos, int ImagesPerPhoto, int Passes, StageCpu MedianPerPhoto,
        IReadOnlyList<StageCpu> PerPass, string PipelineSha256, string ProbabilitiesSha256);

    public IReadOnlyList<object> Run(BenchContext context)
    {
        string? labels = Environment.GetEnvironmentVariable("FMNIST_PHOTO_LABELS");
        if (string.IsNullOrEmpty(labels))
        {
            // Photos are not part of the repository: a run of every suite skips this one rather than fail.
            context.Log.WriteLine("  photo: skipped (set FMNIST_PHOTO_LABELS to a labels.csv of photos)");
            return [];
        }
        string modelPath = Environment.GetEnvironmentVariable("FMNIST_PHOTO_MODEL") ?? "models/cnn-photo.fmm";
        int passes = int.TryParse(Environment.GetEnvironmentVariable("FMNIST_PHOTO_PASSES"), out int p) && p > 0 ? p : context.Quick ? 1 : 3;
        string folder = Path.GetDirectoryName(Path.GetFullPath(labels))!;
        var files = LabelledPhotos.Read(labels).Select(l => l.File).ToList();
        if (context.Quick) files = files.Take(40).ToList();
        byte[][] photos = files.Select(f => File.ReadAllBytes(Path.Combine(folder, f))).ToArray();

        using IClassifier loaded = ModelFile.Load(modelPath);
        // As `fmnist serve --runtime` chooses (FMNIST_PHOTO_RUNTIME: auto, native or onnx; default auto, like serve).
        var choice = ModelRuntime.Parse(Environment.GetEnvironmentVariable("FMNIST_PHOTO_RUNTIME") ?? "auto");
        IClassifier model = ModelRuntime.Apply(loaded, choice, out RuntimeChoice runtime);
        using var owned = ReferenceEquals(model, loaded) ? null : model;
        context.Log.WriteLine($"  photo: model {model.Name} on the {runtime.ToString().ToLowerInvariant()} runtime");
        var pipeline = new GarmentPipeline();
        var augmentation = TestTimeAugmentation.Default;
        var classifier = new PhotoClassifier(model, pipeline, augmentation);
        var variants = augmentation.Variants(pipeline);
        // As the web server decodes (FMNIST_PHOTO_FULL_DECODE=1: every pixel, as before JPEGs were decoded at reduced scale).
        int neededSide = Environment.GetEnvironmentVariable("FMNIST_PHOTO_FULL_DECODE") == "1" ? 0 : pipeline.WorkingSide;
        bool modelMirrors = model is IMirrorAveraging { AveragesMirror: true }, withMirrors = augmentation.Flip || modelMirrors;

        // The digests first: they also warm up every code path (JIT tiers) before the timed passes.
        var (pipelineSha, probabilitiesSha) = Digest(photos, files, classifier, pipeline, variants, withMirrors, neededSide);
        context.Log.WriteLine($"  photo: {photos.Length} photos, pipeline sha256 {pipelineSha[..16]}, probabilities sha256 {probabilitiesSha[..16]}");

        var perPass = new List<StageCpu>();
        for (int pass = 0; pass < passes; pass++)
        {
            double decode = 0, analyse = 0, finish = 0, views = 0, predict = 0, png = 0, request = 0, allocated = 0;
            var probabilities = new float[classifier.ImagesPerPhoto * FashionMnistClasses.Count];
            int gen2AtStart = GC.CollectionCount(2);
            for (int i = 0; i < photos.Length; i++)
            {
                double t0 = CpuClock.ThreadMs();
                RgbaImage photo = ImageCodec.Decode(photos[i], files[i], neededSide: neededSide);
                double t1 = CpuClock.ThreadMs();
                using GarmentPipeline.Analysis analysis = pipeline.Analyse(photo);
                double t2 = CpuClock.ThreadMs();
                var inputs = new PreparedPhoto[variants.Count];
                for (int v = 0; v < inputs.Length; v++)
                    inputs[v] = pipeline.Finish(analysis, pipeline.Options.ThresholdScale * variants[v].Threshold, pipeline.Options.AspectScale * variants[v].Aspect, false);
                double t3 = CpuClock.ThreadMs();
                byte[] images = TestTimeAugmentation.Views(inputs, withMirrors);
                double t4 = CpuClock.ThreadMs();
                if (modelMirrors) ((IMirrorAveraging)model).PredictSingleView(ImageSet.Unlabeled(images), probabilities);
                else model.PredictProbabilities(ImageSet.Unlabeled(images), probabilities);
                double t5 = CpuClock.ThreadMs();
                _ = DataUrl(inputs[0]);
                long bytes = GC.GetAllocatedBytesForCurrentThread();
                double t6 = CpuClock.ThreadMs();
                // The request as the endpoint runs it, end to end (decode, Classify, PNG data URL).
                _ = DataUrl(classifier.Classify(ImageCodec.Decode(photos[i], files[i], neededSide: neededSide)).Input);
                double t7 = CpuClock.ThreadMs();
                allocated += GC.GetAllocatedBytesForCurrentThread() - bytes;
                decode += t1 - t0; analyse += t2 - t1; finish += t3 - t2; views += t4 - t3; predict += t5 - t4; png += t6 - t5; request += t7 - t6;
            }
            double n = photos.Length;
            var stage = new StageCpu(R(decode / n), R(analyse / n), R(finish / n), R(views / n), R(predict / n), R(png / n),
                R((decode + analyse + finish + views + predict + png) / n), R(request / n), Math.Round(allocated / n / 1024, 1),
                Math.Round((GC.CollectionCount(2) - gen2AtStart) * 100 / n, 1));
            perPass.Add(stage);
            context.Log.WriteLine($"  photo pass {pass + 1}: CPU ms per photo: decode {stage.DecodeMs:F2}, analyse {stage.AnalyseMs:F2}, " +
                $"variants {stage.VariantsMs:F2}, views {stage.ViewsMs:F3}, model {stage.ModelMs:F2}, png {stage.PngMs:F3}; sum {stage.StagesSumMs:F2}, request {stage.RequestMs:F2}; request allocated {stage.RequestAllocatedKb:F0} KB; gen-2 collections {stage.Gen2CollectionsPer100:F1} per 100 photos");
        }
        StageCpu median = new(
            Med(perPass.Select(s => s.DecodeMs)), Med(perPass.Select(s => s.AnalyseMs)), Med(perPass.Select(s => s.VariantsMs)),
            Med(perPass.Select(s => s.ViewsMs)), Med(perPass.Select(s => s.ModelMs)), Med(perPass.Select(s => s.PngMs)),
            Med(perPass.Select(s => s.StagesSumMs)), Med(perPass.Select(s => s.RequestMs)), Med(perPass.Select(s => s.RequestAllocatedKb)),
            Med(perPass.Select(s => s.Gen2CollectionsPer100)));
        return [new PhotoResult(labels, modelPath, runtime.ToString().ToLowerInvariant(), photos.Length, classifier.ImagesPerPhoto, passes, median, perPass, pipelineSha, probabilitiesSha)];
    }

    /// <summary>SHA-256 of every view, note and debug stage of every photo, and (separately) of every probability.</summary>
    private static (string Pipeline, string Probabilities) Digest(byte[][] photos, List<string> files, PhotoClassifier classifier,
        GarmentPipeline pipeline, List<(double Threshold, double Aspect)> variants, bool withMirrors, int neededSide)
    {
        using var pipelineHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var probabilityHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < photos.Length; i++)
        {
            RgbaImage photo = ImageCodec.Decode(photos[i], files[i], neededSide: neededSide);
            IReadOnlyList<PreparedPhoto> inputs = pipeline.PrepareVariants(photo, variants, keepStages: true);
            pipelineHash.AppendData(TestTimeAugmentation.Views(inputs, withMirrors));
            foreach (PreparedPhoto input in inputs)
            {
                pipelineHash.AppendData(Encoding.UTF8.GetBytes(input.Notes + "\n"));
                foreach (PipelineStage stage in input.Stages)
                {
                    pipelineHash.AppendData(Encoding.UTF8.GetBytes(stage.Name));
                    pipelineHash.AppendData(stage.Image.Pixels);
                }
            }
            PhotoPrediction prediction = classifier.Classify(photo);
            pipelineHash.AppendData(prediction.Input.Pixels);
            probabilityHash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(prediction.Probabilities.AsSpan()));
        }
        return (Convert.ToHexStringLower(pipelineHash.GetHashAndReset()), Convert.ToHexStringLower(probabilityHash.GetHashAndReset()));
    }

    private static string DataUrl(PreparedPhoto input) =>
        "data:image/png;base64," + Convert.ToBase64String(ImageCodec.EncodePng(input.ToGray().ToRgba()));

    private static double R(double value) => Measure.Round(value, 3);

    private static double Med(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return R(Measure.Median(sorted));
    }
}
