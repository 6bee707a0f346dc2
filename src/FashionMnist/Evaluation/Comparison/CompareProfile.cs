namespace FashionMnist.Evaluation.Comparison;

/// <summary>How one model is run in a comparison: option settings and how much training data it gets.</summary>
/// <param name="Model">Catalog name.</param>
/// <param name="Settings">"name=value" options over the model's defaults (as --set would give them).</param>
/// <param name="TrainLimit">Train on the first N training images only (null = all 60,000).</param>
/// <param name="Note">Why the profile limits it, shown in the report.</param>
public sealed record ProfileEntry(string Model, IReadOnlyDictionary<string, string> Settings, int? TrainLimit = null, string? Note = null);

/// <summary>A named set of models with per-model settings, kept as data so it is easy to tune.</summary>
public sealed record CompareProfile(string Name, string Description, IReadOnlyList<ProfileEntry> Models)
{
    public ProfileEntry? Find(string model) => Models.FirstOrDefault(m => string.Equals(m.Model, model, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The built-in profiles. <c>quick</c> aims at 10 minutes in all on a 2-core machine by giving the slow
/// models subsets of the training data; <c>full</c> trains every model on all 60,000 images.
/// Settings are left at the models' defaults until the models land (option names belong to the models);
/// the limits are the budget.
/// </summary>
public static class CompareProfiles
{
    private static readonly Dictionary<string, string> s_defaults = [];

    public static CompareProfile Quick { get; } = new("quick",
        "Every model in about 10 minutes on 2 cores: slow models train on subsets (said so in the report).",
        [
            new("knn", s_defaults, 20_000, "KNN prediction cost grows with the training set; 20,000 references"),
            new("svm", s_defaults, 10_000, "kernel SVM training is superlinear in samples; 10,000 images"),
            new("random-forest", s_defaults, 30_000, "30,000 images"),
            new("gradient-boosting", s_defaults, 10_000, "10,000 images"),
            new("xgboost", s_defaults, 20_000, "20,000 images"),
            new("mlp", s_defaults, 30_000, "30,000 images"),
            new("cnn1", s_defaults, 20_000, "20,000 images"),
            new("cnn3", s_defaults, 20_000, "20,000 images"),
            new("cnn4", s_defaults, 10_000, "10,000 images"),
            new("cnn-deep", s_defaults, 10_000, "10,000 images"),
        ]);

    public static CompareProfile Full { get; } = new("full",
        "Every model on all 60,000 training images with its default settings (hours on 2 cores).",
        [
            new("knn", s_defaults), new("svm", s_defaults), new("random-forest", s_defaults),
            new("gradient-boosting", s_defaults), new("xgboost", s_defaults), new("mlp", s_defaults),
            new("cnn1", s_defaults), new("cnn3", s_defaults), new("cnn4", s_defaults), new("cnn-deep", s_defaults),
        ]);

    public static IReadOnlyList<CompareProfile> All { get; } = [Quick, Full];

    public static CompareProfile Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FashionMnistException($"Unknown profile '{name}'", $"Choose one of: {string.Join(", ", All.Select(p => p.Name))}.");
}
