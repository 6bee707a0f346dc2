using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>
/// Hyper-parameters of <see cref="GradientBoosting"/>. Names follow XGBoost / LightGBM; defaults are XGBoost's
/// (depth 6, learning rate 0.3, lambda 1, min child weight 1, no early stopping) with 200 rounds and half the
/// features per tree (colsample_bytree 0.5): on the full training set that reached 0.897 test accuracy in about
/// 47 CPU-seconds (docs/trees.md), where all features per tree would cost twice as much per round.
/// </summary>
public sealed record BoostingOptions : ClassicOptions
{
    [Description("Boosting rounds; each round adds one tree per class (10 trees).")]
    [AlsoNamed("n_estimators", "max_iter", "num_boost_round")]
    public int Rounds { get; init; } = 200;

    [Description("Shrinkage applied to every tree's leaf values (XGBoost eta).")]
    [AlsoNamed("lr", "eta")]
    public double LearningRate { get; init; } = 0.3;

    [Description("Deepest a tree may grow (root = 0); none for no limit (then set max-leaves).")]
    public int? MaxDepth { get; init; } = 6;

    [Description("Most leaves per tree; when set, trees grow leaf-wise (best gain first, as LightGBM); none for depth-wise only.")]
    [AlsoNamed("max_leaf_nodes", "num_leaves")]
    public int? MaxLeaves { get; init; }

    [Description("L2 regularisation of leaf values (lambda): leaf = -G/(H+lambda).")]
    [AlsoNamed("lambda", "reg_lambda", "l2_regularization")]
    public double L2 { get; init; } = 1.0;

    [Description("Smallest hessian sum a child may have (XGBoost min_child_weight).")]
    public double MinChildWeight { get; init; } = 1.0;

    [Description("Fewest training rows a leaf may have.")]
    public int MinSamplesLeaf { get; init; } = 1;

    [Description("Smallest loss reduction a split must bring (XGBoost gamma).")]
    [AlsoNamed("gamma", "min_split_loss")]
    public double MinSplitGain { get; init; }

    [Description("Fraction of rows drawn (without replacement) for each round.")]
    public double Subsample { get; init; } = 1.0;

    [Description("Fraction of features drawn for each tree (XGBoost colsample_bytree); 0.5 halves the cost of a round.")]
    [AlsoNamed("colsample_bytree")]
    public double ColumnSample { get; init; } = 0.5;

    [Description("Stop when the validation log-loss has not improved for this many rounds, keeping the best round (holds out validation-fraction of the training rows unless a validation set is given); 0 = off, all rows train.")]
    [AlsoNamed("n_iter_no_change")]
    public int EarlyStoppingRounds { get; init; }

    [Description("Share of the training set held out (stratified) for early stopping when no validation set is given.")]
    public double ValidationFraction { get; init; } = 0.1;

    public override void Validate()
    {
        base.Validate();
        Require(Rounds >= 1, "rounds", "must be at least 1", Rounds);
        Require(LearningRate > 0 && LearningRate <= 10, "learning-rate", "must be greater than 0 (and at most 10)", LearningRate);
        Require(MaxDepth is null or >= 1, "max-depth", "must be at least 1 (or none)", MaxDepth);
        Require(MaxLeaves is null or >= 2, "max-leaves", "must be at least 2 (or none)", MaxLeaves);
        Require(MaxDepth is not null || MaxLeaves is not null, "max-depth", "may be none only when max-leaves is set", "none");
        Require(double.IsFinite(L2) && L2 >= 0, "l2", "must be a finite number, at least 0", L2);
        Require(MinChildWeight >= 0, "min-child-weight", "must be at least 0", MinChildWeight);
        Require(MinSamplesLeaf >= 1, "min-samples-leaf", "must be at least 1", MinSamplesLeaf);
        Require(MinSplitGain >= 0, "min-split-gain", "must be at least 0", MinSplitGain);
        Require(Subsample > 0 && Subsample <= 1, "subsample", "must be in (0, 1]", Subsample);
        Require(ColumnSample > 0 && ColumnSample <= 1, "column-sample", "must be in (0, 1]", ColumnSample);
        Require(EarlyStoppingRounds >= 0, "early-stopping-rounds", "must be at least 0", EarlyStoppingRounds);
        Require(ValidationFraction > 0 && ValidationFraction < 1, "validation-fraction", "must be strictly between 0 and 1", ValidationFraction);
    }
}
