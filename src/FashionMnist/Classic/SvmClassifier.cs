using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Classic;

/// <summary>
/// A C-SVC support vector machine trained by LIBSVM 3.24 (the engine inside scikit-learn's SVC), one-vs-one over the classes.
/// <list type="bullet">
/// <item>Raw pixels (byte features) are fed scaled to [0, 1], as scikit-learn users do with X/255; float features
/// (HOG, PCA, a scaling step) are fed as they are. gamma='scale' is computed on the values LIBSVM sees.</item>
/// <item>Training solves LIBSVM's k(k-1)/2 one-vs-one problems on <see cref="ComputeThreads.Count"/> threads
/// (<see cref="LibSvmOneVsOne"/>): each pair is LIBSVM's own svm_train on that pair's rows, and the pairs are assembled
/// into the model svm_train would have built, identical to the last bit; with probability=true each pair's Platt scaling
/// too, its cross-validation shuffled by a generator of its own that draws what libc's rand() would after srand(seed)
/// (<see cref="LibSvmProbability"/>). With one thread, LIBSVM's sequential svm_train runs (probability fits: the same
/// pairs, one after another). Prediction computes LIBSVM's decision values itself from the
/// model's support vectors and coefficients: kernel values for a batch of rows from one matrix multiply with all
/// support vectors (<see cref="SvmKernelPredictor"/>), instead of LIBSVM's scalar per-pair loop; probability models
/// go through svm_predict_probability, rows split over <see cref="ComputeThreads.Count"/> threads.</item>
/// <item>Probabilities: with probability=true, LIBSVM's Platt-scaled estimates. Otherwise each row is the share of the
/// k(k-1)/2 pairwise votes each class won, with a small confidence term (|term| &lt; 1/3 vote, as scikit-learn's
/// decision_function_shape='ovr') that breaks ties, normalised to sum 1. Its argmax is LIBSVM's voted class except
/// on vote ties, which it resolves by confidence instead of by lowest class.</item>
/// </list>
/// </summary>
internal sealed class SvmClassifier : NativeEstimator<SvmOptions>
{
    private const int StateVersion = 1;

    public SvmClassifier(SvmOptions options) : base(options, "SVM") { }

    /// <summary>The gamma the model was trained with ('scale'/'auto' resolved).</summary>
    public double EffectiveGamma { get; private set; }

    /// <summary>Number of support vectors over all pairwise machines.</summary>
    public int SupportVectorCount => (Native as LibSvmModel)?.SupportVectorCount ?? 0;

    /// <summary>The LIBSVM model (for tests and diagnostics).</summary>
    internal LibSvmModel NativeModel => (LibSvmModel)Fitted;

    /// <summary>Wall seconds of LIBSVM training in the last fit, all pairs (the rest of Fit is marshalling).</summary>
    public double TrainSeconds { get; private set; }

    /// <summary>
    /// Threads that solved the one-vs-one pairs in the last fit (at most one per pair); 1 means the pairs one after
    /// another (one thread, or two classes).
    /// </summary>
    public int TrainingThreads { get; private set; }

    /// <summary>Overrides <see cref="ComputeThreads.Count"/> for training (tests compare thread counts without touching the global).</summary>
    internal int? TrainingThreadsOverride { get; init; }

    /// <summary>Seconds spent building LIBSVM's node arrays in the last fit.</summary>
    public double MarshalSeconds { get; private set; }

    /// <summary>
    /// True when LIBSVM gets every feature, zeros included. LIBSVM's kernels walk two sparse rows with a merge
    /// whose branches mispredict on mixed rows; on raw pixels (about half non-zero) the all-features layout
    /// trained 1.8x faster (15-17 s vs 27-28 s on 6,000 images) with identical results, because every step takes the
    /// same branch. Sparse rows win only when most values are zero, so the layout is chosen from the training data:
    /// all features when at least <see cref="DenseLayoutMinimumShare"/> of the values are non-zero.
    /// </summary>
    public bool DenseLayout { get; private set; }

    /// <summary>Share of non-zero training values from which LIBSVM gets all features (see <see cref="DenseLayout"/>).</summary>
    public const double DenseLayoutMinimumShare = 0.25;

    /// <summary>Forces the node layout (true: all features, false: skip zeros); null chooses by density. For measuring.</summary>
    internal bool? DenseLayoutOverride { get; init; }

    private bool KeepZeros => DenseLayout;

    public override void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, FitContext context)
    {
        CheckFitInput(features, labels, "Cannot fit an SVM on 0 images");
        int[] counts = new int[FashionMnistClasses.Count];
        foreach (byte label in labels) counts[label]++;
        if (counts.Count(c => c > 0) < 2)
            throw new FashionMnistException("An SVM needs images of at least 2 classes to train",
                "Use a training set with more than one class.");
        context.Cancellation.ThrowIfCancellationRequested();

        var clock = Stopwatch.StartNew();
        double scale = ValueScale(features);
        double gamma = ResolveGamma(Options, features);
        // Sorting rows by class makes LIBSVM's class slots come out in label order 0..9 (as scikit-learn's fork
        // does), so its vote ties resolve to the lowest class, like our argmax. Training is otherwise unchanged:
        // LIBSVM groups rows by class itself.
        int[] order = RowsByClass(labels);
        bool dense = DenseLayoutOverride ?? NonZeroShare(features) >= DenseLayoutMinimumShare;
        using LibSvmProblem problem = features.IsBytes
            ? LibSvmProblem.From<byte>(features.Bytes!, features.Columns, order, labels, scale, dense)
            : LibSvmProblem.From<float>(features.Floats!, features.Columns, order, labels, scale, dense);
        MarshalSeconds = clock.Elapsed.TotalSeconds;

        var parameters = new LibSvmParameters(
            Kernel: Options.Kernel switch
            {
                SvmKernel.Linear => SvmKernelType.Linear,
                SvmKernel.Poly => SvmKernelType.Polynomial,
                SvmKernel.Rbf => SvmKernelType.Rbf,
                SvmKernel.Sigmoid => SvmKernelType.Sigmoid,
                _ => throw new ArgumentOutOfRangeException(nameof(Options.Kernel)),
            },
            C: Options.C, Gamma: gamma, Degree: Options.Degree, Coef0: Options.Coef0,
            CacheSizeMb: Options.CacheSize, Tolerance: Options.Tolerance,
            Shrinking: Options.Shrinking, Probability: Options.Probability);

        int classes = counts.Count(c => c > 0), pairs = classes * (classes - 1) / 2;
        // More threads than pairs would idle; one pair (two classes) gains nothing from the pairwise path.
        int threads = Math.Min(TrainingThreadsOverride ?? ComputeThreads.Count, pairs);
        context.Log?.Invoke($"svm: {features.Rows} rows x {features.Columns} features, {problem.NodeCount} nodes ({(dense ? "all features" : "non-zero features")}) "
            + $"({MarshalSeconds:F2} s to marshal), kernel {Options.Kernel}, C {Options.C}, gamma {gamma:G6}, "
            + (threads > 1 ? $"one-vs-one pairs on {threads} threads" : Options.Probability ? "one-vs-one pairs one after another" : "LIBSVM's sequential svm_train"));
        clock.Restart();
        LibSvmModel model = threads > 1
            ? TrainPairsInParallel(problem, parameters, threads, pairs, context)
            : TrainSequentially(problem, parameters, features, context);
        TrainSeconds = clock.Elapsed.TotalSeconds;
        TrainingThreads = threads;
        context.Log?.Invoke($"svm: trained in {TrainSeconds:F1} s, {model.SupportVectorCount} support vectors");

        Replace(model);
        _kernelPredictor = null;
        EffectiveGamma = gamma;
        DenseLayout = dense;
        FeatureCount = features.Columns;
        _trainedOnBytes = features.IsBytes;
    }

    private const string TrainingStage = "svm: LIBSVM one-vs-one training";

    /// <summary>LIBSVM's own svm_train: no progress callback, no interruption, so one indeterminate progress stage.</summary>
    private static LibSvmModel TrainSequentially(LibSvmProblem problem, LibSvmParameters parameters, FeatureMatrix features, FitContext context)
    {
        context.Progress?.Report(new FitProgress(TrainingStage, 0, 0, $"{features.Rows} rows, {features.Columns} features"));
        LibSvmModel model = LibSvmModel.Train(problem, parameters, context.Seed);
        context.Progress?.Report(new FitProgress(TrainingStage, 1, 1));
        return model;
    }

    /// <summary>The pairs on several threads: progress and cancellation per pair, CPU per thread and the costliest pair in the log.</summary>
    private static LibSvmModel TrainPairsInParallel(LibSvmProblem problem, LibSvmParameters parameters, int threads, int pairs, FitContext context)
    {
        context.Progress?.Report(new FitProgress(TrainingStage, 0, pairs, $"pairs on {threads} threads"));
        double summed = 0;
        var cpuPerThread = new double[threads];
        LibSvmPairTrained costliest = default;
        LibSvmModel model = LibSvmOneVsOne.Train(problem, parameters, threads, context.Cancellation, seed: context.Seed, pairTrained: pair =>
        {
            // Called one pair at a time (LibSvmOneVsOne serialises the calls).
            summed += pair.Seconds;
            cpuPerThread[pair.Worker] += pair.CpuSeconds;
            if (pair.CpuSeconds >= costliest.CpuSeconds) costliest = pair;
            context.Progress?.Report(new FitProgress(TrainingStage, pair.Done, pair.Total, $"pairs on {threads} threads"));
        });
        // Wall times stretch when other processes hold the cores; the busiest thread's CPU time is what the fit costs
        // on an idle machine, and the spread between threads shows how evenly the pairs were shared.
        context.Log?.Invoke($"svm: pair solves: {summed:F1} s wall summed, CPU per thread "
            + string.Join(" / ", cpuPerThread.Select(c => $"{c:F1} s"))
            + $"; costliest pair: classes {model.Labels[costliest.SlotI]} and {model.Labels[costliest.SlotJ]} ({costliest.Rows} rows) "
            + $"{costliest.CpuSeconds:F1} s CPU");
        return model;
    }

    /// <summary>Raw pixels (scaled by 1/255 for LIBSVM) or computed float features: prediction must get the same kind.</summary>
    private bool _trainedOnBytes;

    /// <summary>True when the model was trained on raw pixels, which LIBSVM saw divided by 255.</summary>
    internal bool TrainedOnBytes => _trainedOnBytes;

    public override void PredictProbabilities(FeatureMatrix features, Span<float> probabilities)
    {
        CheckPredictInput(features, probabilities);
        LibSvmModel model = NativeModel;
        if (features.IsBytes != _trainedOnBytes)
            throw new FashionMnistException(
                $"The SVM was trained on {(_trainedOnBytes ? "raw pixels" : "computed float features")} but got {(features.IsBytes ? "raw pixels" : "float features")}",
                "Use the same preprocessing steps as in training.");
        if (features.Rows == 0) return;
        const int classes = FashionMnistClasses.Count;

        double scale = ValueScale(features);
        float[] output = new float[features.Rows * classes];
        if (model.HasProbabilities || UseLibSvmPrediction) PredictWithLibSvm(model, features, scale, output);
        else PredictWithKernelMatrix(model, features, (float)scale, output);
        output.CopyTo(probabilities);
    }

    /// <summary>
    /// Predict through LIBSVM's own svm_predict_values / svm_predict_probability instead of the matrix-multiply path
    /// (probability models always do). For tests and measurements.
    /// </summary>
    internal bool UseLibSvmPrediction { get; set; }

    private SvmKernelPredictor? _kernelPredictor;

    /// <summary>Vote shares from decision values computed for many rows at once (see <see cref="SvmKernelPredictor"/>).</summary>
    private void PredictWithKernelMatrix(LibSvmModel model, FeatureMatrix features, float scale, float[] output)
    {
        SvmKernelPredictor predictor = _kernelPredictor ??= new SvmKernelPredictor(model.ExportDecisionFunction(FeatureCount));
        int columns = features.Columns;
        int[] labels = model.Labels;
        predictor.Predict(features.Rows,
            (r, destination) =>
            {
                if (features.IsBytes)
                {
                    ReadOnlySpan<byte> source = features.Bytes!.AsSpan(r * columns, columns);
                    for (int i = 0; i < columns; i++) destination[i] = source[i] * scale;
                }
                else features.Floats!.AsSpan(r * columns, columns).CopyTo(destination);
            },
            (r, decisions) => VoteShares(decisions, labels, output.AsSpan(r * FashionMnistClasses.Count, FashionMnistClasses.Count)));
    }

    /// <summary>Row by row through LIBSVM, the rows split into one contiguous chunk per thread (trap 4: big chunks).</summary>
    private void PredictWithLibSvm(LibSvmModel model, FeatureMatrix features, double scale, float[] output)
    {
        const int classes = FashionMnistClasses.Count;
        int rows = features.Rows, columns = features.Columns;
        int chunks = Math.Min(ComputeThreads.Count, rows);
        Parallel.For(0, chunks, ComputeThreads.ParallelOptions, chunk =>
        {
            int start = (int)((long)rows * chunk / chunks), end = (int)((long)rows * (chunk + 1) / chunks);
            var nodes = new SvmNode[columns + 1];
            var values = new double[Math.Max(model.DecisionValueCount, model.ClassCount)];
            for (int r = start; r < end; r++)
            {
                if (features.IsBytes) LibSvm.WriteRow(features.Bytes!.AsSpan(r * columns, columns), scale, KeepZeros, nodes);
                else LibSvm.WriteRow(features.Floats!.AsSpan(r * columns, columns), scale, KeepZeros, nodes);
                Span<float> row = output.AsSpan(r * classes, classes);
                if (model.HasProbabilities) ProbabilitiesOf(model, nodes, values, row);
                else
                {
                    model.PredictValues(nodes, values);
                    VoteShares(values.AsSpan(0, model.DecisionValueCount), model.Labels, row);
                }
            }
        });
    }

    private static void ProbabilitiesOf(LibSvmModel model, ReadOnlySpan<SvmNode> nodes, Span<double> values, Span<float> row)
    {
        model.PredictProbability(nodes, values);
        row.Clear();
        for (int slot = 0; slot < model.ClassCount; slot++) row[model.Labels[slot]] = (float)values[slot];
    }

    /// <summary>
    /// Vote share with a confidence tie-break (see the class summary) from one row's k(k-1)/2 decision values,
    /// written per class label (<paramref name="labels"/>[slot]).
    /// </summary>
    internal static void VoteShares(ReadOnlySpan<double> decisionValues, int[] labels, Span<float> row)
    {
        int k = labels.Length;
        Span<double> votes = stackalloc double[k];
        Span<double> confidence = stackalloc double[k];
        votes.Clear();
        confidence.Clear();
        int p = 0;
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++, p++)
            {
                // LIBSVM: a positive decision value is a vote for slot i, otherwise for slot j.
                if (decisionValues[p] > 0) votes[i]++; else votes[j]++;
                confidence[i] += decisionValues[p];
                confidence[j] -= decisionValues[p];
            }
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            double c = confidence[i] / (3 * (Math.Abs(confidence[i]) + 1)); // in (-1/3, 1/3): never outweighs a vote
            votes[i] += c + 1.0 / 3;                                         // shifted to stay positive
            total += votes[i];
        }
        row.Clear();
        for (int i = 0; i < k; i++) row[labels[i]] = (float)(votes[i] / total);
    }

    public override void SaveState(BinaryWriter writer)
    {
        LibSvmModel model = NativeModel;
        WriteStateHeader(writer, StateVersion);
        writer.Write(_trainedOnBytes);
        writer.Write(DenseLayout);
        writer.Write(EffectiveGamma);
        WriteModelBytes(writer, model.ToBytes());
    }

    /// <summary>Reads what <see cref="SaveState"/> wrote.</summary>
    public static SvmClassifier Load(SvmOptions options, BinaryReader reader)
    {
        int featureCount = ReadStateHeader(reader, StateVersion, "SVM");
        bool bytesScaled = reader.ReadBoolean();
        bool denseLayout = reader.ReadBoolean();
        double gamma = reader.ReadDouble();
        byte[] text = ReadModelBytes(reader, "SVM", minimumLength: 0);
        return new SvmClassifier(options)
        {
            Native = LibSvmModel.FromBytes(text),
            FeatureCount = featureCount,
            _trainedOnBytes = bytesScaled,
            DenseLayout = denseLayout,
            EffectiveGamma = gamma,
        };
    }

    /// <summary>Bytes are pixels 0-255 and go to LIBSVM as [0, 1]; floats go as they are.</summary>
    private static double ValueScale(FeatureMatrix features) => features.IsBytes ? 1.0 / 255 : 1.0;

    /// <summary>
    /// The gamma LIBSVM gets: a fixed number, 'auto' = 1/features, or 'scale' = 1/(features x Var(all values)),
    /// the variance taken over every value of the matrix as LIBSVM sees it (bytes scaled to [0, 1]), as scikit-learn does.
    /// A constant matrix (variance 0) gets 1, as in scikit-learn.
    /// </summary>
    public static double ResolveGamma(SvmOptions options, FeatureMatrix features)
    {
        if (options.FixedGamma is double fixedGamma) return fixedGamma;
        if (options.IsAutoGamma) return 1.0 / features.Columns;
        double variance = features.IsBytes ? ByteVariance(features.Bytes!) / (255.0 * 255.0) : FloatVariance(features.Floats!);
        return variance > 0 ? 1.0 / (features.Columns * variance) : 1.0;
    }

    private static double ByteVariance(ReadOnlySpan<byte> values)
    {
        // A histogram makes the mean and variance exact and costs one pass over the bytes.
        Span<long> histogram = stackalloc long[256];
        histogram.Clear();
        foreach (byte v in values) histogram[v]++;
        double n = values.Length, sum = 0;
        for (int v = 0; v < 256; v++) sum += (double)v * histogram[v];
        double mean = sum / n, squares = 0;
        for (int v = 0; v < 256; v++) squares += histogram[v] * (v - mean) * (v - mean);
        return squares / n;
    }

    private static double FloatVariance(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        double mean = sum / values.Length, squares = 0;
        foreach (float v in values) squares += (v - mean) * (v - mean);
        return squares / values.Length;
    }

    private static double NonZeroShare(FeatureMatrix features)
    {
        long values = (long)features.Rows * features.Columns, zeros = 0;
        if (features.IsBytes) zeros = features.Bytes!.AsSpan().Count((byte)0);
        else foreach (float v in features.Floats!) if (v == 0f) zeros++;
        return values == 0 ? 0 : (double)(values - zeros) / values;
    }

    private static int[] RowsByClass(ReadOnlySpan<byte> labels)
    {
        var start = new int[FashionMnistClasses.Count + 1];
        foreach (byte label in labels) start[label + 1]++;
        for (int c = 1; c < start.Length; c++) start[c] += start[c - 1];
        var order = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) order[start[labels[i]]++] = i;
        return order;
    }
}
