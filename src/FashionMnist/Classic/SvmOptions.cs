using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>The SVM kernels LIBSVM offers for classification.</summary>
public enum SvmKernel
{
    /// <summary>u'v</summary>
    Linear,
    /// <summary>(gamma u'v + coef0)^degree</summary>
    Poly,
    /// <summary>exp(-gamma |u-v|^2)</summary>
    Rbf,
    /// <summary>tanh(gamma u'v + coef0)</summary>
    Sigmoid,
}

/// <summary>Hyper-parameters of the "svm" model (LIBSVM C-SVC; names as scikit-learn's SVC).</summary>
public sealed record SvmOptions : ClassicOptions
{
    /// <summary>Kernel: linear, poly, rbf or sigmoid.</summary>
    [Description("Kernel: linear, poly, rbf or sigmoid.")]
    public SvmKernel Kernel { get; init; } = SvmKernel.Rbf;

    /// <summary>Penalty of misclassified training points (C &gt; 0). 10 suits Fashion-MNIST; scikit-learn's default is 1.</summary>
    [Description("Penalty of misclassified training points (C > 0). 10 suits Fashion-MNIST; scikit-learn's default is 1.")]
    public double C { get; init; } = 10;

    /// <summary>Kernel coefficient for rbf/poly/sigmoid: a number &gt; 0, 'scale' = 1/(features x variance of all feature values), or 'auto' = 1/features.</summary>
    [Description("Kernel coefficient for rbf/poly/sigmoid: a number > 0, 'scale' = 1/(features x variance of all feature values), or 'auto' = 1/features.")]
    public string Gamma { get; init; } = "scale";

    /// <summary>Degree of the poly kernel.</summary>
    [Description("Degree of the poly kernel.")]
    public int Degree { get; init; } = 3;

    /// <summary>Independent term of the poly and sigmoid kernels.</summary>
    [Description("Independent term of the poly and sigmoid kernels.")]
    public double Coef0 { get; init; }

    /// <summary>LIBSVM's kernel cache in MB, split between the threads that train pairs; larger caches recompute fewer kernel rows (same model either way).</summary>
    [Description("LIBSVM's kernel cache in MB, split between the threads that train pairs; larger caches recompute fewer kernel rows (same model either way).")]
    public double CacheSize { get; init; } = 1000;

    /// <summary>Stopping tolerance of the solver.</summary>
    [Description("Stopping tolerance of the solver.")]
    [AlsoNamed("tol")]
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>Use LIBSVM's shrinking heuristic (usually faster).</summary>
    [Description("Use LIBSVM's shrinking heuristic (usually faster).")]
    public bool Shrinking { get; init; } = true;

    /// <summary>Train Platt-scaled probability estimates (5-fold internal cross-validation per pair of classes: about 5x slower fit; reproducible for a seed). Off: probabilities are vote shares.</summary>
    [Description("Train Platt-scaled probability estimates (5-fold internal cross-validation per pair of classes: about 5x slower fit; reproducible for a seed). Off: probabilities are vote shares.")]
    public bool Probability { get; init; }

    /// <summary>The numeric gamma when <see cref="Gamma"/> is a number, else null ('scale' or 'auto').</summary>
    public double? FixedGamma =>
        double.TryParse(Gamma, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;

    /// <summary>True when <see cref="Gamma"/> is 'scale': 1 / (features x variance of all feature values).</summary>
    public bool IsScaleGamma => Gamma.Equals("scale", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <see cref="Gamma"/> is 'auto': 1 / features.</summary>
    public bool IsAutoGamma => Gamma.Equals("auto", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(double.IsFinite(C) && C > 0, "c", "must be a number greater than 0", C);
        if (!IsScaleGamma && !IsAutoGamma)
        {
            double? gamma = FixedGamma;
            if (gamma is null)
                throw new FashionMnistException($"Option 'gamma' must be a number > 0, 'scale' or 'auto', got '{Gamma}'",
                    "Change it with --set gamma=scale (or auto, or e.g. 0.01).");
            Require(double.IsFinite(gamma.Value) && gamma.Value > 0, "gamma", "must be greater than 0", Gamma);
        }
        Require(Degree >= 1, "degree", "must be at least 1", Degree);
        Require(double.IsFinite(Coef0), "coef0", "must be a finite number", Coef0);
        Require(double.IsFinite(CacheSize) && CacheSize > 0, "cache-size", "must be greater than 0 (MB)", CacheSize);
        Require(double.IsFinite(Tolerance) && Tolerance > 0, "tolerance", "must be greater than 0", Tolerance);
    }
}
