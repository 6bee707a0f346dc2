using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>XGBoost's tree construction algorithms.</summary>
public enum XGBoostTreeMethod
{
    /// <summary>Histogram of quantile bins (fast; the default here).</summary>
    Hist,
    /// <summary>Quantile sketch recomputed per tree.</summary>
    Approx,
    /// <summary>Exact greedy over all split points (slow on 784 features).</summary>
    Exact,
}

/// <summary>Hyper-parameters of <see cref="XGBoostClassifier"/> (XGBoost's own names).</summary>
public sealed record XGBoostOptions : ClassicOptions
{
    [Description("Boosting rounds (each adds one tree per class).")]
    [AlsoNamed("rounds", "num_boost_round")]
    public int NEstimators { get; init; } = 200;

    [Description("Learning rate: shrinkage of each round's trees (0 < eta <= 1).")]
    [AlsoNamed("learning_rate", "lr")]
    public double Eta { get; init; } = 0.3;

    [Description("Maximum tree depth (0 = no limit, only sensible with tree-method=hist).")]
    public int MaxDepth { get; init; } = 6;

    [Description("Fraction of training rows sampled for each round (0 < subsample <= 1).")]
    public double Subsample { get; init; } = 1;

    [Description("Fraction of features sampled for each tree (0 < colsample-bytree <= 1).")]
    [AlsoNamed("column_sample")]
    public double ColsampleBytree { get; init; } = 1;

    [Description("Minimum sum of instance weight (hessian) in a leaf.")]
    public double MinChildWeight { get; init; } = 1;

    [Description("L2 regularisation of leaf weights (reg_lambda).")]
    [AlsoNamed("reg_lambda", "l2")]
    public double Lambda { get; init; } = 1;

    [Description("Tree construction: hist, approx or exact.")]
    public XGBoostTreeMethod TreeMethod { get; init; } = XGBoostTreeMethod.Hist;

    [Description("Histogram bins per feature (tree-method=hist).")]
    public int MaxBin { get; init; } = 256;

    [Description("Stop when the validation mlogloss has not improved for this many rounds and keep the best round (none = off).")]
    public int? EarlyStoppingRounds { get; init; }

    [Description("Share of the training images held out (stratified) for early stopping when no validation set is given.")]
    public double ValidationFraction { get; init; } = 0.1;

    public override void Validate()
    {
        base.Validate();
        Require(NEstimators >= 1, "n-estimators", "must be at least 1", NEstimators);
        Require(double.IsFinite(Eta) && Eta > 0 && Eta <= 1, "eta", "must be greater than 0 and at most 1", Eta);
        Require(MaxDepth >= 0, "max-depth", "must be 0 (no limit) or more", MaxDepth);
        Require(double.IsFinite(Subsample) && Subsample > 0 && Subsample <= 1, "subsample", "must be greater than 0 and at most 1", Subsample);
        Require(double.IsFinite(ColsampleBytree) && ColsampleBytree > 0 && ColsampleBytree <= 1, "colsample-bytree", "must be greater than 0 and at most 1", ColsampleBytree);
        Require(double.IsFinite(MinChildWeight) && MinChildWeight >= 0, "min-child-weight", "must be 0 or more", MinChildWeight);
        Require(double.IsFinite(Lambda) && Lambda >= 0, "lambda", "must be 0 or more", Lambda);
        Require(MaxBin >= 2, "max-bin", "must be at least 2", MaxBin);
        Require(EarlyStoppingRounds is null or >= 1, "early-stopping-rounds", "must be at least 1 (or none)", EarlyStoppingRounds);
        Require(ValidationFraction is > 0 and < 1, "validation-fraction", "must be strictly between 0 and 1", ValidationFraction);
        Require(MaxDepth > 0 || TreeMethod == XGBoostTreeMethod.Hist, "max-depth", "can be 0 (no limit) only with tree-method=hist", MaxDepth);
    }
}
