using FashionMnist.Models;

namespace FashionMnist.Experiments.Comparison;

/// <summary>How one model is run in a comparison: its option settings (preprocessing included) and how much training data it gets.</summary>
/// <param name="Model">Catalog name.</param>
/// <param name="Settings">"name=value" options over the model's defaults (as --set would give them), e.g. pca=50.</param>
/// <param name="TrainLimit">Train on the first N training images only (null = all 60,000).</param>
/// <param name="Note">Why the profile limits it, shown in the report.</param>
public sealed record ProfileEntry(string Model, IReadOnlyDictionary<string, string> Settings, int? TrainLimit = null, string? Note = null)
{
    /// <summary>The name in the report and for --models, when one catalog model appears more than once (e.g. "knn+hog").</summary>
    public string? Label { get; init; }

    /// <summary>The name shown in the report: the label, or the catalog name.</summary>
    public string Name => Label ?? Model;

    /// <summary>Tune the options by cross-validated search first, then train the best candidate; null trains the settings as given.</summary>
    public ProfileSearch? Search { get; init; }

    /// <summary>This entry with extra "name=value" settings on top.</summary>
    public ProfileEntry With(IReadOnlyDictionary<string, string> overrides)
    {
        var settings = new Dictionary<string, string>(Settings, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in overrides) settings[name] = value;
        return this with { Settings = settings };
    }

    /// <summary>The entry's whole options (validated): the catalog model's defaults with the settings on top.</summary>
    public ModelOptions Options() => ModelCatalog.Options(Model, Settings);
}

/// <summary>A grid search with stratified k-fold cross-validation, run before the final fit.</summary>
/// <param name="Grid">The space as `fmnist search --grid` takes it: "k=1,3,5;weights=uniform,distance".</param>
/// <param name="Folds">Cross-validation folds.</param>
/// <param name="TrainLimit">Search on the first N training images (the best candidate is then fitted on the entry's data).</param>
public sealed record ProfileSearch(string Grid, int Folds = 5, int? TrainLimit = null);

/// <summary>A named set of models with per-model settings, kept as data so it is easy to tune.</summary>
public sealed record CompareProfile(string Name, string Description, IReadOnlyList<ProfileEntry> Models)
{
    /// <summary>
    /// Entries (by name) whose test probabilities the report also soft-votes into an "ensemble" row, as `fmnist ensemble`
    /// would from their files. Fixed here, in the profile, so the members are never chosen by their test scores.
    /// </summary>
    public IReadOnlyList<string> EnsembleOf { get; init; } = [];

    /// <summary>The entry named <paramref name="name"/> (label first, then catalog name), or null.</summary>
    public ProfileEntry? Find(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? Models.FirstOrDefault(m => string.Equals(m.Model, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The entries to run: all of the profile's when <paramref name="names"/> is null; otherwise, in the order given, the
    /// entry with that label, else the first with that catalog model, else the catalog model on its defaults.
    /// </summary>
    public IReadOnlyList<ProfileEntry> Select(IReadOnlyList<string>? names)
    {
        if (names is null) return Models;
        var chosen = new List<ProfileEntry>();
        foreach (string raw in names)
        {
            string name = raw.Trim();
            if (name.Length == 0) continue;
            var entry = Find(name) ?? new ProfileEntry(name, new Dictionary<string, string>());
            if (!chosen.Any(c => string.Equals(c.Name, entry.Name, StringComparison.OrdinalIgnoreCase))) chosen.Add(entry);
        }
        return chosen;
    }
}

/// <summary>
/// The built-in profiles. Settings use the models' own option names (<c>fmnist models NAME</c>); preprocessing uses the
/// classic flags' names. Timings in the comments are CPU seconds measured on the 2-core EPYC while other jobs ran
/// (an idle 2-core machine needs about half of them as wall time); see docs/evaluation.md.
/// </summary>
public static class CompareProfiles
{
    private static Dictionary<string, string> S(params (string Name, string Value)[] settings) =>
        settings.ToDictionary(s => s.Name, s => s.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>A catalog model's default value of one option, for the notes ("15 epochs (default 30)").</summary>
    private static string Default(string model, string option) =>
        ModelCatalog.TryGet(model, out var descriptor) && OptionBinder.ToSettings(descriptor.DefaultOptions()).TryGetValue(option, out var value)
            ? value : "?";

    /// <summary>
    /// Every family on sensible settings in at most 10 minutes on 2 idle cores (about 6 planned). Slow learners get
    /// subsets or fewer epochs/rounds, and the report says which.
    /// </summary>
    public static CompareProfile Quick { get; } = new("quick",
        "every model family in under 10 minutes on 2 cores; slow models train on subsets or for fewer epochs (each row says which).",
        [
            new("knn", S(("k", "5"), ("weights", "distance"), ("metric", "l1"))),
            new("knn", S(("k", "5"), ("weights", "distance"), ("metric", "l2"), ("pca", "50")), Note: "PCA to 50 components first")
            {
                Label = "knn+pca",
            },
            // Float L1 over 1,620 HOG features costs ~40 CPU-s against all 60,000 images; a third of them keeps the lever visible.
            new("knn", S(("k", "5"), ("weights", "distance"), ("metric", "l1"), ("features", "hog")), 20_000, "HOG features (cells 4+7) instead of pixels, 20,000 training images")
            {
                Label = "knn+hog",
            },
            new("random-forest", S(("trees", "100"))),
            new("gradient-boosting", S(("rounds", "50"), ("learning-rate", "0.3"), ("max-depth", "6")), Note: $"50 rounds (default {Default("gradient-boosting", "rounds")})"),
            // Native models (merged from the native branch); skipped with a note when this build lacks them.
            new("svm", S(("kernel", "rbf"), ("c", "10"), ("gamma", "scale"), ("pca", "50")), 10_000,
                "RBF C=10 on PCA-50, 10,000 images: kernel SVM training grows faster than linearly"),
            // HOG is the classical models' biggest lever (Zalando's table: SVM 0.897 on pixels, 0.926 on HOG); ~30 s here.
            new("svm", S(("kernel", "rbf"), ("c", "10"), ("gamma", "scale"), ("features", "hog")), 10_000,
                "RBF C=10 on HOG features (cells 4+7), 10,000 images")
            {
                Label = "svm+hog",
            },
            new("xgboost", S(("n-estimators", "60"), ("eta", "0.3"), ("max-depth", "6")), 20_000, $"60 rounds (default {Default("xgboost", "n-estimators")}) on 20,000 images"),
            new("mlp", S(("epochs", "15")), Note: $"15 epochs (default {Default("mlp", "epochs")})"),
            new("cnn1", S(("epochs", "4")), Note: $"4 epochs (default {Default("cnn1", "epochs")})"),
            // Measured idle (session 3): cnn3 3 → 5 epochs 0.875 → 0.891 for +13 s; cnn4 on 30k → 60k 0.859 → 0.884 for +24 s.
            new("cnn3", S(("epochs", "5")), Note: $"5 epochs (default {Default("cnn3", "epochs")})"),
            new("cnn4", S(("epochs", "2")), Note: $"2 epochs (default {Default("cnn4", "epochs")})"),
            new("cnn-deep", S(("epochs", "2")), 15_000, $"2 epochs (default {Default("cnn-deep", "epochs")}) on 15,000 images"),
        ])
    {
        // Three families' strongest quick rows; diverse members make mistakes apart, which is what a vote needs.
        EnsembleOf = ["svm+hog", "xgboost", "cnn3"],
    };

    /// <summary>
    /// The full study, sized for about 2 hours on one 2-core machine (two workers of one thread each, sharing a store):
    /// every classical family tuned by grid search with cross-validation, then refitted on all 60,000 images; every
    /// neural zoo model trained for its full default schedule on all 60,000 images. Where a family's search would cost
    /// hours (xgboost, boosting, forests, SVM), it runs on a subset with fewer folds, and the entry's note says so.
    /// Entries are listed longest first: units are claimed in this order, so the longest refits start early and the two
    /// workers finish together (the report orders rows by accuracy). Sizing estimates (CPU minutes at 1 thread, from the
    /// quick profile's timings and the zoo's full runs) are in docs/study.md.
    /// </summary>
    public static CompareProfile Full { get; } = new("full",
        "the full study (about 2 h on 2 cores): classical families tuned by grid search with cross-validation (on subsets where the note says so) " +
        "and refitted on all 60,000 images; every neural model trained for its full default schedule on all 60,000 images.",
        [
            new("cnn-deep", S()),
            // XGBoost (hist) costs ~2 CPU-s per round on 20,000 images here: its search is the costliest, so it is the smallest.
            new("xgboost", S(("n-estimators", "100"), ("early-stopping-rounds", "20")), Note: $"100 rounds (default {Default("xgboost", "n-estimators")}); depth and eta tuned by 3-fold CV on 10,000 images")
            {
                Search = new ProfileSearch("max-depth=4,6;eta=0.1,0.3", Folds: 3, TrainLimit: 10_000),
            },
            new("cnn4", S()),
            new("svm", S(("kernel", "rbf"), ("c", "10"), ("gamma", "scale"), ("features", "hog")), Note: "RBF C=10 on HOG features (cells 4+7)")
            {
                Label = "svm+hog",
            },
            new("gradient-boosting", S(("rounds", "200"), ("early-stopping-rounds", "20")), Note: "depth and learning rate tuned by 3-fold CV on 20,000 images")
            {
                Search = new ProfileSearch("max-depth=4,6,8;learning-rate=0.1,0.3", Folds: 3, TrainLimit: 20_000),
            },
            new("cnn3", S()),
            new("random-forest", S(("trees", "300")), Note: "300 trees; features per split and criterion tuned by 3-fold CV on 20,000 images")
            {
                Search = new ProfileSearch("max-features=sqrt,0.05,0.1;criterion=gini,entropy", Folds: 3, TrainLimit: 20_000),
            },
            new("knn", S(("metric", "l1")), Note: "k and weights tuned by 5-fold CV")
            {
                Search = new ProfileSearch("k=1,3,5,7,9;weights=uniform,distance"),
            },
            new("knn", S(("metric", "l2"), ("weights", "distance"), ("pca", "50")), Note: "PCA components and k tuned by 5-fold CV")
            {
                Label = "knn+pca", Search = new ProfileSearch("pca=30,50,100,0.95;k=3,5,7"),
            },
            new("knn", S(("metric", "l1"), ("weights", "distance"), ("features", "hog")), Note: "HOG features; k tuned by 5-fold CV on 20,000 images")
            {
                Label = "knn+hog", Search = new ProfileSearch("k=3,5,7,9", TrainLimit: 20_000),
            },
            new("svm", S(("kernel", "rbf"), ("gamma", "scale"), ("pca", "50")), Note: "C and PCA size tuned by 5-fold CV on 10,000 images")
            {
                Search = new ProfileSearch("c=1,10,100;pca=50,100", TrainLimit: 10_000),
            },
            new("cnn1", S()), new("mlp", S()),
        ])
    {
        EnsembleOf = ["svm+hog", "cnn4", "cnn-deep"],
    };

    public static IReadOnlyList<CompareProfile> All { get; } = [Quick, Full];

    public static CompareProfile Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new FashionMnistException($"Unknown profile '{name}'", $"Choose one of: {string.Join(", ", All.Select(p => p.Name))}.");
}
