using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Ensembles;

/// <summary>
/// Several models as one: their probabilities averaged (soft vote) or combined by a logistic-regression meta-model
/// (stacking). Members of any family; file members come trained, catalog members are trained by <see cref="Fit"/>, each
/// with its own seed (<see cref="MemberSpec.TrainingSeeds"/>), so members of the same settings are different models.
/// Stacking refits every member's options on k stratified folds of the training set and fits the meta-model on the
/// out-of-fold probabilities, so its weights never see a prediction on an image the member was trained on (and never
/// the test set). The saved state embeds each member's whole model file: an ensemble file needs nothing else.
/// </summary>
internal sealed class EnsembleClassifier : IClassifier
{
    private const int StateVersion = 1;
    private const float LogFloor = 1e-6f;
    private List<(string Name, IClassifier Model, byte[] File)> _members = [];
    private SoftmaxRegression? _meta;
    private bool _disposed;

    public EnsembleClassifier(EnsembleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        EnsembleOptions = options;
    }

    public string Name => EnsembleFamily.Name;
    public ModelOptions Options => EnsembleOptions;
    public EnsembleOptions EnsembleOptions { get; }
    public bool IsFitted { get; private set; }

    /// <summary>The members (fitted) in the order of the options.</summary>
    public IReadOnlyList<IClassifier> Members => _members.Select(m => m.Model).ToList();

    /// <summary>The members' model files as the ensemble's file embeds them (their metadata holds each member's seed).</summary>
    internal IReadOnlyList<byte[]> MemberFiles => _members.Select(m => m.File).ToList();

    /// <summary>The stacking meta-model, null for a soft vote.</summary>
    public SoftmaxRegression? MetaModel => _meta;

    public void Fit(ImageSet train, FitContext? context = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(train);
        context ??= FitContext.Default;
        context.Cancellation.ThrowIfCancellationRequested();
        ReleaseMembers();
        IsFitted = false;
        var specs = EnsembleOptions.ParseMembers();
        // Before any training: a member without seed= may only now turn out to share another's options and seed.
        var seeds = MemberSpec.TrainingSeeds(specs, context.Seed);
        EnsembleOptions.RequireDistinctMembers(specs, seeds);
        var members = new List<(string Name, IClassifier Model, byte[] File)>();
        try
        {
            for (int i = 0; i < specs.Count; i++)
                members.Add(Resolve(specs[i], i, specs.Count, seeds[i], train, context));
            if (EnsembleOptions.Method == EnsembleMethod.Stacking)
                _meta = FitMetaModel(members, train, context);
        }
        catch
        {
            foreach (var member in members) member.Model.Dispose();
            throw;
        }
        _members = members;
        IsFitted = true;
    }

    /// <summary>
    /// A file member is loaded as it is; a catalog member is trained on <paramref name="train"/> with
    /// <paramref name="seed"/> (<see cref="MemberSpec.TrainingSeeds"/>), which its embedded file records for stacking's refits.
    /// </summary>
    private static (string, IClassifier, byte[]) Resolve(MemberSpec spec, int index, int count, int? seed, ImageSet train, FitContext context)
    {
        if (spec.Path is string path)
        {
            byte[] file = ReadMemberFile(path);
            string recorded = SeedOf(file) is int fileSeed ? $" (trained with seed {fileSeed})" : "";
            context.Log?.Invoke($"member {index + 1}/{count} ({spec.DisplayName}): loaded {path}{recorded}");
            return (spec.DisplayName, ModelFile.Load(file, path), file);
        }
        int memberSeed = seed ?? throw new InvalidOperationException("a catalog member has a seed once the ensemble's is known");
        string label = $"member {index + 1}/{count} ({spec.DisplayName}, seed {memberSeed})";
        IClassifier model = ModelCatalog.Create(ModelCatalog.Options(spec.CatalogName!, spec.Settings));
        try
        {
            model.Fit(train, Prefixed(context, label, memberSeed));
            using var buffer = new MemoryStream();
            ModelFile.Write(model, buffer, new Dictionary<string, string>
            {
                ["seed"] = memberSeed.ToString(CultureInfo.InvariantCulture),
                ["train_count"] = train.Count.ToString(CultureInfo.InvariantCulture),
                ["trained_by"] = "ensemble",
            });
            return (spec.DisplayName, model, buffer.ToArray());
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static byte[] ReadMemberFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FashionMnistException($"Ensemble member '{path}' is neither a catalog model nor an existing model file",
                $"Check the path, or name a catalog model ({string.Join(", ", ModelCatalog.Names)}).", ExitCodes.BadInput, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot read ensemble member '{path}': {e.Message}", "Check the path and its permissions.", ExitCodes.BadInput, e);
        }
    }

    /// <summary>
    /// Out-of-fold probabilities of every member (its options refitted on each k−1 folds, predicting the k-th), then the
    /// meta-model on their logarithms. A member's refits use the seed it was trained with (its file's metadata: a catalog
    /// member's own, <see cref="MemberSpec.TrainingSeeds"/>), else the context's.
    /// </summary>
    private SoftmaxRegression FitMetaModel(List<(string Name, IClassifier Model, byte[] File)> members, ImageSet train, FitContext context)
    {
        int classes = FashionMnistClasses.Count, folds = EnsembleOptions.Folds;
        if (train.Count < folds * classes * 2)
            throw new FashionMnistException($"{train.Count} training images are too few for stacking over {folds} folds",
                "Use more images, fewer folds (--set folds=N) or method=soft-vote.");
        var splits = Splits.StratifiedKFold(train.Labels, folds, context.Seed);
        var features = new float[train.Count * members.Count * classes];
        for (int m = 0; m < members.Count; m++)
        {
            var (name, model, file) = members[m];
            int seed = SeedOf(file) ?? context.Seed;
            for (int f = 0; f < folds; f++)
            {
                var (fitIndices, heldOut) = splits[f];
                using IClassifier refit = ModelCatalog.Create(model.Options);
                string label = $"stacking: {name} (seed {seed}) fold {f + 1}/{folds}";
                refit.Fit(train.Subset(fitIndices), Prefixed(context, label, seed));
                float[] probabilities = refit.PredictProbabilities(train.Subset(heldOut));
                context.Log?.Invoke($"{label}: refitted on {fitIndices.Length:N0} images, predicted {heldOut.Length:N0}");
                for (int i = 0; i < heldOut.Length; i++)
                    WriteFeatures(probabilities.AsSpan(i * classes, classes), features.AsSpan((heldOut[i] * members.Count + m) * classes, classes));
            }
        }
        var meta = new SoftmaxRegression(members.Count * classes, classes);
        meta.Fit(features, train.Labels, EnsembleOptions.MetaL2, cancellation: context.Cancellation);
        context.Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"stacking: meta-model fitted on {train.Count:N0} out-of-fold rows in {meta.Iterations} iterations (objective {meta.Objective:F4})"));
        return meta;
    }

    private static int? SeedOf(byte[] file)
    {
        try
        {
            var header = ModelFile.ReadHeader(file, "member");
            return header.Metadata.TryGetValue("seed", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : null;
        }
        catch (FashionMnistException)
        {
            return null;
        }
    }

    /// <summary>The meta-model's inputs: log-probabilities, floored so a member's certain "no" stays finite.</summary>
    private static void WriteFeatures(ReadOnlySpan<float> probabilities, Span<float> features)
    {
        for (int c = 0; c < probabilities.Length; c++) features[c] = MathF.Log(Math.Max(probabilities[c], LogFloor));
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsFitted)
            throw new FashionMnistException($"Model '{Name}' is not fitted", "Fit it (fmnist train ensemble / fmnist ensemble) or load a trained ensemble first.");
        int classes = FashionMnistClasses.Count, n = images.Count;
        if (probabilities.Length < (long)n * classes)
            throw new ArgumentException($"{n} images need {n * classes} probabilities; the span holds {probabilities.Length}.", nameof(probabilities));
        var outputs = _members.Select(m => m.Model.PredictProbabilities(images)).ToList();
        Span<float> target = probabilities[..(n * classes)];
        if (_meta is null)
        {
            SoftVote(outputs, target);
            return;
        }
        var features = new float[n * outputs.Count * classes];
        for (int i = 0; i < n; i++)
            for (int m = 0; m < outputs.Count; m++)
                WriteFeatures(outputs[m].AsSpan(i * classes, classes), features.AsSpan((i * outputs.Count + m) * classes, classes));
        _meta.PredictProbabilities(features, target);
    }

    /// <summary>The soft vote: the mean of the members' probability rows (also what the comparison's ensemble row shows).</summary>
    public static void SoftVote(IReadOnlyList<float[]> memberProbabilities, Span<float> target)
    {
        if (memberProbabilities.Count == 0) throw new ArgumentException("A vote needs at least one member.", nameof(memberProbabilities));
        target.Clear();
        foreach (float[] output in memberProbabilities) System.Numerics.Tensors.TensorPrimitives.Add(target, output.AsSpan(0, target.Length), target);
        System.Numerics.Tensors.TensorPrimitives.Multiply(target, 1f / memberProbabilities.Count, target);
    }

    public void SaveState(BinaryWriter writer)
    {
        if (!IsFitted) throw new FashionMnistException($"Model '{Name}' is not fitted", "Fit it before saving.");
        writer.Write(StateVersion);
        writer.Write(_members.Count);
        foreach (var (name, _, file) in _members)
        {
            writer.Write(name);
            writer.Write(file.Length);
            writer.Write(file);
        }
        writer.Write(_meta is not null);
        _meta?.Write(writer);
    }

    /// <summary>Rebuilds a fitted ensemble from <see cref="SaveState"/>'s output: every member from its embedded file.</summary>
    public static EnsembleClassifier Load(EnsembleOptions options, BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != StateVersion) throw new InvalidDataException($"ensemble state version {version} is not {StateVersion}");
        int count = reader.ReadInt32();
        if (count is < 1 or > 1000) throw new InvalidDataException($"an ensemble of {count} members is implausible");
        var ensemble = new EnsembleClassifier(options);
        try
        {
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                int length = reader.ReadInt32();
                if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position) throw new EndOfStreamException("the file ends inside a member");
                byte[] file = reader.ReadBytes(length);
                IClassifier member;
                try
                {
                    member = ModelFile.Load(file, $"ensemble member {i + 1} ({name})");
                }
                catch (FashionMnistException e)
                {
                    throw new InvalidDataException($"member {i + 1} ({name}) is damaged: {e.Problem}");
                }
                ensemble._members.Add((name, member, file));
            }
            if (reader.ReadBoolean()) ensemble._meta = SoftmaxRegression.Read(reader);
            if ((ensemble._meta is not null) != (options.Method == EnsembleMethod.Stacking))
                throw new InvalidDataException("the stored meta-model does not match the method");
            if (ensemble._meta is not null && ensemble._meta.Features != count * FashionMnistClasses.Count)
                throw new InvalidDataException("the stored meta-model does not match the members");
        }
        catch
        {
            ensemble.Dispose();
            throw;
        }
        ensemble.IsFitted = true;
        return ensemble;
    }

    /// <summary>Disposes every member (native memory included); a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        IsFitted = false;
        ReleaseMembers();
    }

    private void ReleaseMembers()
    {
        foreach (var member in _members) member.Model.Dispose();
        _members = [];
        _meta = null;
    }

    /// <summary>The context for a member's fit: its own seed, logs and progress stages prefixed with what it is.</summary>
    private static FitContext Prefixed(FitContext context, string label, int seed) => new()
    {
        Seed = seed,
        Cancellation = context.Cancellation,
        Log = context.Log is null ? null : line => context.Log($"{label}: {line}"),
        Progress = context.Progress is null ? null : new PrefixedProgress(context.Progress, label),
    };

    private sealed class PrefixedProgress(IProgress<FitProgress> inner, string label) : IProgress<FitProgress>
    {
        public void Report(FitProgress value) => inner.Report(value with { Stage = $"{label}: {value.Stage}" });
    }
}
