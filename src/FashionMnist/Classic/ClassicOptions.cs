using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>What a classical model sees of an image.</summary>
public enum FeatureKind
{
    /// <summary>The 784 raw pixel values.</summary>
    [AlsoAccepted("raw")]
    Pixels,
    /// <summary>Histograms of oriented gradients (<see cref="HogTransform"/>).</summary>
    Hog,
}

/// <summary>
/// Base of every classical model's options: the preprocessing in front of the estimator is part of the model, so it
/// is part of its options (flat, under the names the CLI flags use: <c>features</c>, <c>hog-cell</c>, <c>hog-block</c>,
/// <c>hog-bins</c>, <c>hog-signed</c>, <c>hog-norm</c>, <c>scale</c>, <c>pca</c>, <c>pca-whiten</c>), saved in the model
/// file with the rest. The steps always run in the order HOG (it needs the 28x28 image) → scaling → PCA.
/// <code>new SvmOptions { C = 10, Features = FeatureKind.Hog, Pca = PcaSize.Components(100) }</code>
/// </summary>
public abstract record ClassicOptions : ModelOptions
{
    /// <summary>The preprocessing option names, as CLI flags (without "--") and grid keys.</summary>
    public static readonly IReadOnlyList<string> PreprocessingNames =
        ["features", "hog-cell", "hog-block", "hog-bins", "hog-signed", "hog-norm", "scale", "pca", "pca-whiten"];

    [Description("pixels (the 784 raw pixels) or hog (histograms of oriented gradients).")]
    public FeatureKind Features { get; init; } = FeatureKind.Pixels;

    [Description("HOG cell sizes in pixels: 4,7 (two scales, 1,620 features) or one size such as 4. Implies features=hog.")]
    [Implies("features", "hog")]
    public int[] HogCell { get; init; } = [4, 7];

    [Description("HOG block size in cells. Implies features=hog.")]
    [Implies("features", "hog")]
    public int HogBlock { get; init; } = 2;

    [Description("HOG orientation bins over 0-360° (0-180° with hog-signed=false). Implies features=hog.")]
    [Implies("features", "hog")]
    public int HogBins { get; init; } = 9;

    [Description("HOG orientations over 0-360°, keeping which side of an edge is brighter; false gives the classic 0-180°. Implies features=hog.")]
    [Implies("features", "hog")]
    public bool HogSigned { get; init; } = true;

    [Description("HOG block normalisation: l1-sqrt (Hellinger) or l2-hys (the classic). Implies features=hog.")]
    [Implies("features", "hog")]
    public HogNormalization HogNorm { get; init; } = HogNormalization.L1Sqrt;

    [Description("Per-feature scaling before the model: none, unit ([0,1]) or standard (zero mean, unit variance).")]
    public ScalingKind? Scale { get; init; }

    [Description("PCA before the model: a component count such as 50, a share of the variance such as 0.95, or none.")]
    public PcaSize Pca { get; init; } = PcaSize.None;

    [Description("Scale PCA components to unit variance.")]
    public bool PcaWhiten { get; init; }

    /// <summary>Value equality, the cell-size list compared by its elements (a record would compare the array reference).</summary>
    public virtual bool Equals(ClassicOptions? other) =>
        other is not null && EqualityContract == other.EqualityContract && Features == other.Features
        && HogCell.AsSpan().SequenceEqual(other.HogCell) && HogBlock == other.HogBlock && HogBins == other.HogBins
        && HogSigned == other.HogSigned && HogNorm == other.HogNorm && Scale == other.Scale && Pca == other.Pca
        && PcaWhiten == other.PcaWhiten;

    public override int GetHashCode() =>
        HashCode.Combine(EqualityContract, Features, HogCell.Length == 0 ? 0 : HogCell[0], HogBlock, HogBins, Scale, Pca, PcaWhiten);

    /// <summary>True when the model sees raw pixels, unscaled and unprojected.</summary>
    public bool HasNoPreprocessing => Features == FeatureKind.Pixels && Scale is null && Pca.IsNone;

    public override void Validate()
    {
        base.Validate();
        Require(Enum.IsDefined(Features), "features", "must be pixels or hog", Features);
        Require(Scale is null || Enum.IsDefined(Scale.Value), "scale", "must be none, unit or standard", Scale);
        Require(Enum.IsDefined(HogNorm), "hog-norm", "must be l1-sqrt or l2-hys", HogNorm);
        Require(Pca.IsValid, "pca", "must be a component count >= 1, a variance ratio in (0, 1], or none", Pca);
        Require(!PcaWhiten || !Pca.IsNone, "pca-whiten", "needs PCA (add --pca N or --pca 0.95)", PcaWhiten);
        Require(HogCell is { Length: > 0 }, "hog-cell", "must list at least one cell size", "nothing");
        _ = CreateSteps(); // the steps check cell sizes, blocks and bins, naming the flag
    }

    public override bool IsInEffect(string name) => name switch
    {
        "hog-cell" or "hog-block" or "hog-bins" or "hog-signed" or "hog-norm" => Features == FeatureKind.Hog,
        "pca-whiten" => !Pca.IsNone,
        _ => true,
    };

    /// <summary>Fresh (unfitted) preprocessing steps, in the order they run.</summary>
    public IReadOnlyList<IFeatureTransform> CreateSteps()
    {
        var steps = new List<IFeatureTransform>();
        if (Features == FeatureKind.Hog) steps.Add(new HogTransform(HogCell, HogBlock, HogBins, HogSigned, HogNorm));
        if (Scale is ScalingKind scaling) steps.Add(new FeatureScaler(scaling));
        if (!Pca.IsNone) steps.Add(new PcaTransform(Pca.ComponentCount, Pca.VarianceRatio, PcaWhiten));
        return steps;
    }

    /// <summary>"hog(cell=4+7,...) → pca(50)", or "none".</summary>
    public string DescribePreprocessing() =>
        HasNoPreprocessing ? "none" : string.Join(" → ", CreateSteps().Select(s => s.Describe()));

    /// <summary>
    /// These options with the preprocessing that <paramref name="steps"/> (read from a model file) do: model files from
    /// before preprocessing was part of the options kept it only in their state.
    /// </summary>
    public ClassicOptions WithPreprocessingOf(IReadOnlyList<IFeatureTransform> steps)
    {
        var result = this with { Features = FeatureKind.Pixels, Scale = null, Pca = PcaSize.None, PcaWhiten = false };
        foreach (var step in steps)
            result = step switch
            {
                HogTransform hog => result with
                {
                    Features = FeatureKind.Hog, HogCell = hog.CellSizes.ToArray(), HogBlock = hog.BlockSize, HogBins = hog.Bins,
                    HogSigned = hog.Signed, HogNorm = hog.Normalization,
                },
                FeatureScaler scaler => result with { Scale = scaler.Scaling },
                PcaTransform pca => result with
                {
                    Pca = pca.RequestedComponents is int n ? PcaSize.Components(n) : PcaSize.Ratio(pca.VarianceRatio!.Value),
                    PcaWhiten = pca.Whiten,
                },
                _ => throw new InvalidDataException($"unknown preprocessing step {step.Describe()}"),
            };
        return result;
    }
}
