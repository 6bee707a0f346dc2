using System.Collections.Concurrent;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Models;

/// <summary>
/// The contract every catalog model keeps, checked the same way for each (in the spirit of scikit-learn's
/// check_estimator): one theory per rule over <see cref="ModelCatalog.All"/>, so a model added later is checked
/// without touching this file. Each model runs with its descriptor's fast settings on 300 balanced images.
/// </summary>
public sealed class ModelConformanceTests : IClassFixture<ModelConformanceTests.FittedModels>
{
    private static readonly ImageSet Train = TestData.BalancedTrain(30);
    private static readonly ImageSet Test = TestData.BalancedTest(10);
    private readonly FittedModels _fitted;

    public ModelConformanceTests(FittedModels fitted) => _fitted = fitted;

    public static TheoryData<string> CatalogModels()
    {
        var names = new TheoryData<string>();
        foreach (string name in ModelCatalog.Names) names.Add(name);
        return names;
    }

    [Fact]
    public void The_catalog_holds_the_thirteen_models_of_this_library()
    {
        Assert.Equal(
            ["gradient-boosting", "knn", "random-forest", "svm", "xgboost", "ensemble", "cnn-deep", "cnn-photo", "cnn1", "cnn3", "cnn4", "custom", "mlp"],
            ModelCatalog.All.Where(d => d.OptionsType.Assembly == typeof(ModelCatalog).Assembly).Select(d => d.Name));
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Probability_rows_are_distributions_and_predict_is_their_argmax(string name)
    {
        var model = _fitted.Get(name);
        Assert.Equal(name, model.Name);
        Assert.Equal(ModelCatalog.Get(name).OptionsType, model.Options.GetType());
        Assert.True(model.IsFitted);
        float[] probabilities = model.PredictProbabilities(Test);
        Assert.Equal(Test.Count * FashionMnistClasses.Count, probabilities.Length);
        for (int row = 0; row < Test.Count; row++)
        {
            var p = probabilities.AsSpan(row * FashionMnistClasses.Count, FashionMnistClasses.Count);
            foreach (float value in p) Assert.True(float.IsFinite(value) && value >= 0 && value <= 1, $"{name} row {row}: {value}");
            double sum = 0;
            foreach (float value in p) sum += value;
            Assert.True(Math.Abs(sum - 1) < 1e-4, $"{name} row {row} sums to {sum}");
        }
        Assert.Equal(ClassifierExtensions.ArgMaxRows(probabilities, FashionMnistClasses.Count), model.Predict(Test));
        Assert.True(model.Score(Test) > 0.2, $"{name} scored {model.Score(Test):F3} on 100 balanced images: it learned nothing");
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Save_then_load_gives_identical_probabilities(string name)
    {
        var model = _fitted.Get(name);
        using var file = new MemoryStream();
        ModelFile.Write(model, file);
        using var loaded = ModelFile.Load(file.ToArray(), $"{name}.fmm");
        Assert.Equal(name, loaded.Name);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.PredictProbabilities(Test), loaded.PredictProbabilities(Test));
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void The_same_seed_gives_the_same_model(string name)
    {
        using var again = ModelCatalog.Create(FastOptions(name));
        again.Fit(Train, new FitContext { Seed = FittedModels.Seed });
        Assert.Equal(_fitted.Get(name).PredictProbabilities(Test), again.PredictProbabilities(Test));
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Predicting_or_saving_before_fit_is_a_clear_error(string name)
    {
        using var model = ModelCatalog.Create(FastOptions(name));
        Assert.False(model.IsFitted);
        var predict = Assert.Throws<FashionMnistException>(() => model.PredictProbabilities(Test));
        Assert.Contains("not fitted", predict.Message);
        var save = Assert.Throws<FashionMnistException>(() => ModelFile.Write(model, new MemoryStream()));
        Assert.Contains("not fitted", save.Message);
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Every_bad_option_value_is_a_clear_error_naming_the_option(string name)
    {
        var descriptor = ModelCatalog.Get(name);
        int rejected = 0;
        foreach (var option in OptionBinder.Describe(descriptor.OptionsType))
        {
            foreach (var (value, mustFail) in Probes(option.Type))
            {
                var settings = new Dictionary<string, string>(FastSettings(name)) { [option.Name] = value };
                Exception? error = Record.Exception(() =>
                {
                    // A value the binder takes must also make a model: validation may not be left to the fit.
                    using var model = ModelCatalog.Create(name, settings);
                });
                if (error is null)
                {
                    Assert.False(mustFail, $"{name}: {option.Name}={value} was accepted");
                    continue;
                }
                var known = Assert.IsType<FashionMnistException>(error);
                Assert.Equal(ExitCodes.BadInput, known.ExitCode);
                Assert.Contains(option.Name, known.Message, StringComparison.OrdinalIgnoreCase);
                rejected++;
            }
        }
        Assert.True(rejected > 0);
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Options_round_trip_through_their_settings(string name)
    {
        var descriptor = ModelCatalog.Get(name);
        var defaults = descriptor.DefaultOptions();
        bool defaultsValid = Record.Exception(defaults.Validate) is null; // custom's defaults lack the spec it needs
        foreach (var options in defaultsValid ? [defaults, FastOptions(name)] : new[] { FastOptions(name) })
        {
            var settings = OptionBinder.ToSettings(options);
            Assert.Equal(OptionBinder.Describe(descriptor.OptionsType).Select(o => o.Name).Order(), settings.Keys.Order());
            var again = OptionBinder.Bind(descriptor.OptionsType, settings, name);
            Assert.Equal(options, again);
            Assert.Equal(settings, OptionBinder.ToSettings(again));
        }
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Cancellation_is_honoured(string name)
    {
        using (var model = ModelCatalog.Create(FastOptions(name)))
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(Train, new FitContext { Cancellation = cancelled.Token }));
            Assert.False(model.IsFitted);
        }
        // Cancelled at its first report of progress, a fit with work left stops instead of running on.
        using (var model = ModelCatalog.Create(FastOptions(name)))
        {
            using var source = new CancellationTokenSource();
            FitProgress? first = null;
            var error = Record.Exception(() => model.Fit(Train, new FitContext
            {
                Cancellation = source.Token,
                Progress = new InlineProgress(p => { first ??= p; source.Cancel(); }),
            }));
            if (first is { } report && report.Done < report.Total) Assert.IsAssignableFrom<OperationCanceledException>(error);
            else Assert.Null(error);
        }
    }

    [Theory]
    [MemberData(nameof(CatalogModels))]
    public void Dispose_is_idempotent_and_ends_the_model(string name)
    {
        var model = ModelCatalog.Create(FastOptions(name));
        model.Fit(Train, new FitContext { Seed = 1 });
        model.Dispose();
        model.Dispose();
        Assert.False(model.IsFitted);
        Assert.ThrowsAny<Exception>(() => model.PredictProbabilities(Test));
    }

    /// <summary>Values to try for an option of this type, and whether each must be rejected whatever the option.</summary>
    private static IEnumerable<(string Value, bool MustFail)> Probes(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(int) || target == typeof(long))
            return [("-1", false), ("0", false), ("2147483647", false), ("abc", true), ("1.5", true), ("99999999999999999999", true)];
        if (target == typeof(double) || target == typeof(float))
            return [("-1", false), ("0", false), ("1e300", false), ("NaN", true), ("Infinity", true), ("-Infinity", true), ("abc", true)];
        if (target == typeof(bool)) return [("maybe", true), ("2", true)];
        if (target.IsEnum) return [("bogus", true), ("99", true)];
        if (target == typeof(int[])) return [("-1", false), ("0", false), ("abc", true), ("1,,x", true)];
        if (target == typeof(string)) return [("", false), ("bogus value", false)];
        return [("abc", true), ("-3", true)];
    }

    private static Dictionary<string, string> FastSettings(string name)
    {
        var settings = new Dictionary<string, string>(ModelCatalog.Get(name).FastSettings);
        // A model that reads an architecture spec gets a small one.
        if (OptionBinder.Describe(ModelCatalog.Get(name).OptionsType).Any(o => o.Name == "spec"))
            settings["spec"] = FittedModels.SpecPath;
        return settings;
    }

    private static ModelOptions FastOptions(string name) => ModelCatalog.Options(name, FastSettings(name));

    private sealed class InlineProgress(Action<FitProgress> report) : IProgress<FitProgress>
    {
        public void Report(FitProgress value) => report(value);
    }

    /// <summary>Each catalog model fitted once (seed <see cref="Seed"/>) and shared by the checks.</summary>
    public sealed class FittedModels : IDisposable
    {
        public const int Seed = 7;
        private readonly ConcurrentDictionary<string, Lazy<IClassifier>> _models = new();
        private static readonly string s_folder = Directory.CreateTempSubdirectory("fmnist-conformance-").FullName;

        /// <summary>A small convolutional spec for models that take one.</summary>
        public static string SpecPath { get; } = WriteSpec();

        public IClassifier Get(string name) => _models.GetOrAdd(name, n => new Lazy<IClassifier>(() =>
        {
            var model = ModelCatalog.Create(FastOptions(n));
            model.Fit(Train, new FitContext { Seed = Seed });
            return model;
        })).Value;

        public void Dispose()
        {
            foreach (var model in _models.Values.Where(m => m.IsValueCreated)) model.Value.Dispose();
            try { Directory.Delete(s_folder, recursive: true); } catch (IOException) { }
        }

        private static string WriteSpec()
        {
            string path = Path.Combine(s_folder, "small.yaml");
            File.WriteAllText(path, "layers:\n  - conv2d: {filters: 4, kernel: 3}\n  - relu\n  - maxpool2d: {size: 2}\n  - flatten\n  - dense: {units: 10}\n");
            return path;
        }
    }
}
