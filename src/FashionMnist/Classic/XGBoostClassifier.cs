using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Classic;

/// <summary>
/// Gradient-boosted trees by the XGBoost library (1.7, C API), objective multi:softprob over 10 classes.
/// <list type="bullet">
/// <item>The training DMatrix is built once (bytes widened to floats with SIMD, then copied in by XGBoost with
/// <see cref="ComputeThreads.Count"/> threads); XGBoost runs with nthread = <see cref="ComputeThreads.Count"/>.</item>
/// <item>Every round logs train (and validation) mlogloss and merror to <see cref="FitContext.Log"/> and
/// <see cref="History"/>, reports progress, and checks for cancellation.</item>
/// <item>Early stopping (early-stopping-rounds) watches the validation mlogloss. The validation set is
/// the rows the pipeline hands over through <see cref="SetValidation"/> (<see cref="FitContext.Validation"/> passed through
/// the same preprocessing steps), otherwise a stratified validation-fraction of the training rows. The model keeps the rounds up to the best one (XGBoosterSlice), so
/// prediction and the saved file use exactly the best model.</item>
/// <item>Predictions always go through a fresh DMatrix (trap 7: a matrix XGBoost evaluated before may give cached results).</item>
/// </list>
/// </summary>
internal sealed class XGBoostClassifier : NativeEstimator<XGBoostOptions>, IEarlyStoppingEstimator, ITrainingCurves
{
    private const int StateVersion = 1;

    public XGBoostClassifier(XGBoostOptions options) : base(options, "XGBoost model") { }

    private XGBoostBooster Booster => (XGBoostBooster)Fitted;

    /// <summary>Per-round train/validation mlogloss and accuracy (1 - merror) of the last fit; BestEpoch is the round kept.</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>Rounds the model holds (the best round's count after early stopping).</summary>
    public int BoostedRounds { get; private set; }

    /// <summary>The booster as XGBoost's JSON model (trees, base score), for ONNX export.</summary>
    internal byte[] SaveJson() => Booster.Save("json");

    private readonly PendingValidation _validation = new();

    /// <summary>Held-out rows for the next fit, already through the pipeline's steps.</summary>
    public void SetValidation(FeatureMatrix features, byte[] labels) => _validation.Set(features, labels);

    public override void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, FitContext context)
    {
        var given = _validation.Take(features.Columns);
        CheckFitInput(features, labels, "Cannot fit XGBoost on 0 images");
        context.Cancellation.ThrowIfCancellationRequested();

        // Validation: the rows the pipeline handed over (transformed like the features), else a held-out share when early stopping.
        FeatureMatrix trainFeatures = features;
        byte[] trainLabels = labels.ToArray();
        FeatureMatrix? validFeatures = null;
        byte[]? validLabels = null;
        if (given is { } validation)
        {
            (validFeatures, validLabels) = validation;
        }
        else if (Options.EarlyStoppingRounds is not null)
        {
            var (trainRows, validRows) = Splits.Stratified(labels, Options.ValidationFraction, context.Seed);
            if (validRows.Length == 0 || trainRows.Length == 0)
                throw new FashionMnistException($"{features.Rows} images are too few to hold out a validation share for early stopping",
                    "Give more images, a larger validation-fraction, or turn early stopping off (early-stopping-rounds=none).");
            byte[] all = trainLabels;
            trainFeatures = features.SelectRows(trainRows);
            trainLabels = Pick(all, trainRows);
            validFeatures = features.SelectRows(validRows);
            validLabels = Pick(all, validRows);
            context.Log?.Invoke($"xgboost: holding out {validRows.Length} of {features.Rows} training images (stratified) for early stopping");
        }

        using XGBoostDMatrix train = ToDMatrix(trainFeatures);
        train.SetLabels(trainLabels);
        using XGBoostDMatrix? valid = validFeatures is null ? null : ToDMatrix(validFeatures);
        valid?.SetLabels(validLabels);

        XGBoostDMatrix[] cached = valid is null ? [train] : [train, valid];
        var sets = new List<(XGBoostDMatrix, string)> { (train, "train") };
        if (valid is not null) sets.Add((valid, "valid"));

        var history = new TrainingHistory();
        XGBoostBooster booster = XGBoostBooster.Create(cached);
        try
        {
            Configure(booster, context.Seed);
            int best = -1;
            double bestLoss = double.PositiveInfinity;
            var clock = new Stopwatch();
            for (int round = 0; round < Options.NEstimators; round++)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                clock.Restart();
                booster.UpdateOneIteration(round, train);
                var metrics = booster.EvaluateOneIteration(round, sets);
                double seconds = clock.Elapsed.TotalSeconds;
                var epoch = ToEpochMetrics(round, metrics, seconds);
                history.Add(epoch);
                context.Log?.Invoke(Describe(epoch));
                context.Progress?.Report(new FitProgress("xgboost rounds", round + 1, Options.NEstimators,
                    epoch.ValidationLoss is double v ? $"valid mlogloss {v:F4}" : $"train mlogloss {epoch.TrainLoss:F4}"));

                double watched = epoch.ValidationLoss ?? double.NaN;
                if (valid is not null && watched < bestLoss)
                {
                    bestLoss = watched;
                    best = round;
                }
                if (Options.EarlyStoppingRounds is int patience && valid is not null && round - best >= patience)
                {
                    context.Log?.Invoke($"xgboost: early stop after round {round + 1}; best round {best + 1} (valid mlogloss {bestLoss:F5})");
                    break;
                }
            }
            int rounds = history.Epochs.Count;
            if (Options.EarlyStoppingRounds is not null && best >= 0 && best + 1 < rounds)
            {
                XGBoostBooster sliced = booster.Slice(0, best + 1);
                booster.Dispose();
                booster = sliced;
                booster.SetParameter("nthread", ComputeThreads.Count);
            }
            history.BestEpoch = Options.EarlyStoppingRounds is not null && best >= 0 ? best + 1 : rounds;
        }
        catch
        {
            booster.Dispose();
            throw;
        }

        Replace(booster);
        History = history;
        BoostedRounds = booster.BoostedRounds;
        FeatureCount = features.Columns;
    }

    private static byte[] Pick(byte[] labels, int[] rows)
    {
        var picked = new byte[rows.Length];
        for (int i = 0; i < rows.Length; i++) picked[i] = labels[rows[i]];
        return picked;
    }

    private void Configure(XGBoostBooster booster, int seed)
    {
        booster.SetParameter("objective", "multi:softprob");
        booster.SetParameter("num_class", FashionMnistClasses.Count);
        booster.SetParameter("eta", Options.Eta);
        booster.SetParameter("max_depth", Options.MaxDepth);
        if (Options.MaxDepth == 0) booster.SetParameter("grow_policy", "lossguide");
        booster.SetParameter("subsample", Options.Subsample);
        booster.SetParameter("colsample_bytree", Options.ColsampleBytree);
        booster.SetParameter("min_child_weight", Options.MinChildWeight);
        booster.SetParameter("lambda", Options.Lambda);
        booster.SetParameter("tree_method", Options.TreeMethod.ToString().ToLowerInvariant());
        booster.SetParameter("max_bin", Options.MaxBin);
        booster.SetParameter("nthread", ComputeThreads.Count);
        booster.SetParameter("seed", seed);
        booster.SetParameter("verbosity", 1); // warnings only
        booster.SetParameter("eval_metric", "mlogloss"); // the metric early stopping watches
        booster.SetParameter("eval_metric", "merror");
    }

    private static EpochMetrics ToEpochMetrics(int round, Dictionary<(string Set, string Metric), double> metrics, double seconds)
    {
        double Get(string set, string metric) => metrics.TryGetValue((set, metric), out double v) ? v : double.NaN;
        double? Optional(string set, string metric) => metrics.TryGetValue((set, metric), out double v) ? v : null;
        return new EpochMetrics(round + 1,
            Get("train", "mlogloss"), 1 - Get("train", "merror"),
            Optional("valid", "mlogloss"), Optional("valid", "merror") is double e ? 1 - e : null,
            seconds);
    }

    private static string Describe(EpochMetrics e) =>
        $"round {e.Epoch}: train mlogloss {e.TrainLoss:F5} acc {e.TrainAccuracy:F4}"
        + (e.ValidationLoss is double vl ? $", valid mlogloss {vl:F5} acc {e.ValidationAccuracy:F4}" : "")
        + $" ({e.Seconds:F2} s)";

    private static XGBoostDMatrix ToDMatrix(FeatureMatrix features) =>
        features.IsBytes
            ? XGBoostDMatrix.FromBytes(features.Bytes!, features.Rows, features.Columns, ComputeThreads.Count)
            : XGBoostDMatrix.FromFloats(features.Floats!, features.Rows, features.Columns, ComputeThreads.Count);

    public override void PredictProbabilities(FeatureMatrix features, Span<float> probabilities)
    {
        CheckPredictInput(features, probabilities);
        XGBoostBooster booster = Booster;
        if (features.Rows == 0) return;
        const int classes = FashionMnistClasses.Count;
        booster.SetParameter("nthread", ComputeThreads.Count); // follow --threads changes since the fit or load
        using XGBoostDMatrix data = ToDMatrix(features);
        float[] result = booster.Predict(data);
        if (result.Length != features.Rows * classes)
            throw new InvalidOperationException($"XGBoost returned {result.Length} values for {features.Rows} rows.");
        result.CopyTo(probabilities);
    }

    public override void SaveState(BinaryWriter writer)
    {
        XGBoostBooster booster = Booster;
        WriteStateHeader(writer, StateVersion);
        History.Write(writer);
        WriteModelBytes(writer, booster.Save("ubj"));
    }

    /// <summary>Reads what <see cref="SaveState"/> wrote.</summary>
    public static XGBoostClassifier Load(XGBoostOptions options, BinaryReader reader)
    {
        int featureCount = ReadStateHeader(reader, StateVersion, "XGBoost");
        TrainingHistory history = TrainingHistory.Read(reader);
        byte[] model = ReadModelBytes(reader, "XGBoost", minimumLength: 1);
        XGBoostBooster booster;
        try
        {
            booster = XGBoostBooster.Load(model);
        }
        catch (XGBoostException e)
        {
            throw new InvalidDataException($"XGBoost could not read the stored booster ({e.NativeMessage})", e);
        }
        try
        {
            booster.SetParameter("nthread", ComputeThreads.Count);
            if (booster.FeatureCount != featureCount)
                throw new InvalidDataException($"the stored booster has {booster.FeatureCount} features, the state says {featureCount}");
            return new XGBoostClassifier(options)
            {
                Native = booster,
                FeatureCount = featureCount,
                History = history,
                BoostedRounds = booster.BoostedRounds,
            };
        }
        catch
        {
            booster.Dispose();
            throw;
        }
    }
}
