using System.Text.Json;
using System.Text.Json.Nodes;
using FashionMnist.Data;
using FashionMnist.Ensembles;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;

namespace FashionMnist.Experiments.Studies;

/// <summary>
/// The report's "ensemble" row: the soft vote (mean of probabilities) of the members the profile names. Members may run
/// on different workers, so each member's refit stores its test-set probabilities beside its result (float32, base64,
/// under <see cref="Property"/>; the report's results.json never carries them), and the row is computed when the report
/// is built, from the store and the test set.
/// </summary>
internal static class EnsembleRow
{
    /// <summary>The extra property of a stored refit result holding its test-set probabilities.</summary>
    public const string Property = "testProbabilities";

    /// <summary>A refit's result as the store keeps it: its JSON, with its probabilities beside it when there are any.</summary>
    public static string ToStoredJson(ModelResult model, float[]? probabilities)
    {
        if (probabilities is null) return JsonSerializer.Serialize(model, ReportWriter.JsonOptions);
        var node = JsonSerializer.SerializeToNode(model, ReportWriter.JsonOptions)!.AsObject();
        node[Property] = Convert.ToBase64String(MemoryMarshal.AsBytes(probabilities.AsSpan()));
        return node.ToJsonString(ReportWriter.JsonOptions);
    }

    /// <summary>The probabilities a stored refit result carries, or null.</summary>
    public static float[]? ProbabilitiesOf(string resultJson)
    {
        if (JsonNode.Parse(resultJson) is not JsonObject node || node[Property]?.GetValue<string>() is not string base64) return null;
        byte[] bytes = Convert.FromBase64String(base64);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>The row, or null with <paramref name="why"/> when a member has not finished or kept no probabilities.</summary>
    public static ModelResult? Build(IReadOnlyList<string> members, IReadOnlyList<ModelResult> models, IReadOnlyList<UnitState> units, ImageSet test, out string? why)
    {
        why = null;
        var rows = new List<ModelResult>();
        var probabilities = new List<float[]>();
        foreach (string member in members)
        {
            var row = models.FirstOrDefault(m => string.Equals(m.Name, member, StringComparison.OrdinalIgnoreCase));
            var refit = units.FirstOrDefault(u => u.Unit.Kind == UnitKind.Refit && string.Equals(u.Unit.Entry, member, StringComparison.OrdinalIgnoreCase));
            if (row is null || refit?.ResultJson is not string json) { why = $"{member} has not finished"; return null; }
            if (ProbabilitiesOf(json) is not float[] p || p.Length != test.Count * FashionMnistClasses.Count)
            {
                why = $"{member}'s stored result has no test-set probabilities for these {test.Count:N0} images (run by an older fmnist?)";
                return null;
            }
            rows.Add(row);
            probabilities.Add(p);
        }
        var vote = new float[test.Count * FashionMnistClasses.Count];
        EnsembleClassifier.SoftVote(probabilities, vote);
        var evaluation = ModelEvaluation.FromProbabilities(vote, test.Labels);
        string list = string.Join(", ", rows.Select(r => r.Name));
        return new ModelResult
        {
            Name = EnsembleFamily.Name, CatalogModel = EnsembleFamily.Name, Family = "ensemble",
            Summary = $"soft vote of {list}",
            Parameters = new Dictionary<string, string> { ["members"] = list, ["method"] = "soft-vote" },
            TestAccuracy = evaluation.Accuracy, MacroF1 = evaluation.Metrics.MacroAverage.F1,
            TopTwoAccuracy = evaluation.TopTwoAccuracy, LogLoss = evaluation.LogLoss, ExpectedCalibrationError = evaluation.ExpectedCalibrationError,
            TrainSeconds = rows.Sum(r => r.TrainSeconds), TrainCpuSeconds = rows.Sum(r => r.TrainCpuSeconds ?? 0),
            PredictSecondsPer10k = rows.Sum(r => r.PredictSecondsPer10k), ModelSizeBytes = rows.Sum(r => r.ModelSizeBytes),
            PerClass = evaluation.Metrics.PerClass, Confusion = evaluation.Metrics.Confusion.ToRows(),
            Misclassified = ComparisonRunner.Misclassified(test, evaluation, ReportHtml.GalleryImagesPerModel),
            TrainImages = rows.Max(r => r.TrainImages), TestImages = test.Count,
            Note = $"the mean of {list}'s probabilities (their rows' runs; times and size are their sums); members fixed by the profile, not chosen on the test set",
        };
    }
}
