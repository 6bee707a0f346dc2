using Xunit.Abstractions;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Onnx;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Onnx;

/// <summary>
/// Classical pipelines exported through the ai.onnx.ml domain, run in ONNX Runtime on 1,000 test images:
/// argmax agreement ≥ 99.9 % and max |Δp| ≤ 1e-3 against our own PredictProbabilities. HOG and KNN are refused.
/// </summary>
public class ClassicExportTests(ITestOutputHelper output)
{
    private static ImageSet Test1000 => TestData.Test.Take(1000);

    /// <summary>A classic model; preprocessing is part of its settings (features=hog, scale=standard, pca=20).</summary>
    private static IClassifier Train(string name, Dictionary<string, string> settings, int perClass = 100)
    {
        var model = (Pipeline)ModelCatalog.Create(name, settings);
        model.Fit(TestData.BalancedTrain(perClass), new FitContext { Seed = 11 });
        return model;
    }

    private void AssertFaithful(string label, IClassifier model)
    {
        var (delta, agreement, onnx) = OnnxTestSupport.ExportAndCompare(model, Test1000);
        output.WriteLine($"{label}: max |Δp| {delta:E2}, argmax agreement {agreement:P2}, {onnx.Length:N0} bytes");
        Assert.True(agreement >= 0.999, $"{label}: argmax agreement {agreement:P2}");
        Assert.True(delta <= 1e-3, $"{label}: max |Δp| {delta:E2}");
    }

    [Fact]
    public void Random_forest_on_pixels() =>
        AssertFaithful("random-forest", Train("random-forest", new() { ["trees"] = "12" }));

    [Fact]
    public void Random_forest_on_standardised_pca_features_uses_the_cut_points() =>
        AssertFaithful("random-forest+scale+pca", Train("random-forest", new() { ["trees"] = "8", ["scale"] = "standard", ["pca"] = "20" }));

    [Fact]
    public void Gradient_boosting_on_pixels() =>
        AssertFaithful("gradient-boosting", Train("gradient-boosting", new() { ["rounds"] = "8" }));

    [Fact]
    public void XGBoost_on_pixels() =>
        AssertFaithful("xgboost", Train("xgboost", new() { ["n-estimators"] = "8" }));

    [Fact]
    public void Svm_on_pixels() =>
        AssertFaithful("svm", Train("svm", new()));

    [Fact]
    public void Svm_on_pca() =>
        AssertFaithful("svm+pca", Train("svm", new() { ["pca"] = "30" }));

    [Fact]
    public void Hog_and_knn_are_refused_with_the_reason()
    {
        IClassifier knn = Train("knn", new(), perClass: 20);
        var e = Assert.Throws<FashionMnistException>(() => OnnxExporter.Export(knn));
        Assert.Contains("KNN", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);

        IClassifier hog = Train("random-forest", new() { ["trees"] = "2", ["features"] = "hog" }, perClass: 20);
        e = Assert.Throws<FashionMnistException>(() => OnnxExporter.Export(hog));
        Assert.Contains("HOG", e.Message);
    }
}
