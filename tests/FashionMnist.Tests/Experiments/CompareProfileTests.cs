using FashionMnist.Experiments;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Studies;
using FashionMnist.Classic;
using FashionMnist.Selection;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Models;

namespace FashionMnist.Tests.Evaluation;

public sealed class CompareProfileTests
{
    public static TheoryData<string> Profiles => new(CompareProfiles.All.Select(p => p.Name));

    /// <summary>A typo in a profile would only show as a "not run" line after minutes of other fits: catch it here.</summary>
    [Theory]
    [MemberData(nameof(Profiles))]
    public void Every_entry_of_a_model_in_the_catalog_binds_its_settings_preprocessing_and_grid(string name)
    {
        var profile = CompareProfiles.Get(name);
        Assert.Equal(profile.Models.Count, profile.Models.Select(m => m.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        int checkedEntries = 0;
        foreach (var entry in profile.Models.Where(e => ModelCatalog.TryGet(e.Model, out _)))
        {
            var recipe = new ModelRecipe(entry.Model, entry.Settings);
            using var model = recipe.Create(new Dictionary<string, string>());
            Assert.Equal(entry.Model, model.Name);
            if (entry.Settings.Keys.Any(ClassicOptions.PreprocessingNames.Contains)) Assert.NotEmpty(Assert.IsType<Pipeline>(model).Steps);
            if (entry.Search is ProfileSearch search)
                foreach (var candidate in ParameterSpace.Parse(search.Grid).All()) recipe.Check(candidate);
            checkedEntries++;
        }
        // knn (3 entries), the two tree models and the five zoo networks are in every build.
        Assert.True(checkedEntries >= 10, $"only {checkedEntries} entries of '{name}' are in the catalog");
    }

    [Fact]
    public void Selecting_by_label_or_catalog_name_and_overriding_settings()
    {
        var request = new ComparisonRequest
        {
            Profile = CompareProfiles.Quick,
            Models = ["knn+hog", "random-forest", "custom", "knn+hog"],
            Overrides = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["knn+hog"] = new Dictionary<string, string> { ["k"] = "3", ["hog-cell"] = "7" },
                ["random-forest"] = new Dictionary<string, string> { ["trees"] = "10" },
            },
        };
        var entries = request.Entries();
        Assert.Equal(["knn+hog", "random-forest", "custom"], entries.Select(e => e.Name));
        Assert.Equal("knn", entries[0].Model);
        Assert.Equal("3", entries[0].Settings["k"]);
        Assert.Equal("7", entries[0].Settings["hog-cell"]); // preprocessing is an option like any other
        Assert.Equal("hog", entries[0].Settings["features"]);
        Assert.Equal("10", entries[1].Settings["trees"]);
        Assert.Empty(entries[2].Settings); // not in the profile: the catalog model on its defaults

        var wrong = request with { Overrides = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["svm"] = new Dictionary<string, string> { ["c"] = "1" } } };
        var error = Assert.Throws<FashionMnistException>(() => wrong.Entries());
        Assert.Contains("names no model of this comparison", error.Message);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void The_ensemble_row_members_are_entries_of_the_profile(string name)
    {
        var profile = CompareProfiles.Get(name);
        Assert.True(profile.EnsembleOf.Count >= 2);
        Assert.All(profile.EnsembleOf, member => Assert.NotNull(profile.Models.FirstOrDefault(m => m.Name == member)));
    }

    [Fact]
    public void A_study_adds_the_soft_vote_of_the_profiles_members_as_an_ensemble_row()
    {
        var train = FashionMnist.Tests.Support.TestData.BalancedTrain(40);
        var test = FashionMnist.Tests.Support.TestData.BalancedTest(20);
        var mlp = new ProfileEntry("mlp", new Dictionary<string, string> { ["hidden"] = "32", ["epochs"] = "2", ["validation-fraction"] = "0" });
        var knn = new ProfileEntry("knn", new Dictionary<string, string> { ["k"] = "5" });
        var profile = new CompareProfile("tiny", "two models and their vote", [mlp, knn]) { EnsembleOf = ["mlp", "knn"] };
        string folder = Path.Combine(Path.GetTempPath(), "fmnist-ensemble-row-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var store = ExperimentStore.Open(Path.Combine(folder, "runs.db"));
            ComparisonReport Run(IReadOnlyList<string>? models) =>
                new ComparisonStudy { Store = store }.Run(new ComparisonRequest { Profile = profile, Models = models, Seed = 5 }, train, test).Report!;
            var report = Run(null);
            Assert.Equal(["mlp", "knn", "ensemble"], report.Models.Select(m => m.Name));
            var row = report.Models[2];
            Assert.Equal("ensemble", row.Family);
            Assert.Equal(report.Models[0].TrainSeconds + report.Models[1].TrainSeconds, row.TrainSeconds, 9);
            // The row is the mean of the members' probabilities: the same models, fitted again with the same seed, agree.
            float[] Probabilities(ProfileEntry entry)
            {
                using var model = ModelCatalog.Create(entry.Options());
                model.Fit(train, new FitContext { Seed = 5 });
                return model.PredictProbabilities(test);
            }
            float[] a = Probabilities(mlp), b = Probabilities(knn);
            var vote = a.Zip(b, (x, y) => (x + y) / 2).ToArray();
            double expected = FashionMnist.Evaluation.ModelEvaluation.FromProbabilities(vote, test.Labels).Accuracy;
            Assert.Equal(expected, row.TestAccuracy, 12);

            // The report rebuilt from the store alone (another machine: `fmnist report --store`) has the same row, and
            // without the test set it says why it has none.
            string study = StudyReport.Choose(store, out _);
            Assert.Equal(row.TestAccuracy, StudyReport.Build(store, study, () => test).Models.Single(m => m.Name == "ensemble").TestAccuracy, 12);
            var withoutData = StudyReport.Build(store, study);
            Assert.DoesNotContain(withoutData.Models, m => m.Name == "ensemble");
            Assert.Contains(withoutData.Notes, n => n.StartsWith("No ensemble row") && n.Contains("test set"));
            // results.json never carries the stored probabilities.
            var files = ReportWriter.Write(report, Path.Combine(folder, "report"));
            Assert.DoesNotContain(EnsembleRow.Property, File.ReadAllText(files.Json));

            // Without every member there is no row.
            var partial = Run(["knn"]);
            Assert.DoesNotContain(partial.Models, m => m.Name == "ensemble");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
