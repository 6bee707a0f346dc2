using FashionMnist.Classic;
using FashionMnist.Classic.Knn;
using FashionMnist.Selection;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic;

public class PipelineAndSearchTests
{
    [Fact]
    public void Catalog_creates_knn_as_a_pipeline_and_the_descriptor_helper_loads_it()
    {
        var descriptor = ModelCatalog.Get("knn");
        Assert.Equal(ClassicModel.Family, descriptor.Family);
        var model = Assert.IsType<Pipeline>(ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "3", ["metric"] = "l2" }));
        Assert.Empty(model.Steps);
        Assert.Equal(new KnnOptions { K = 3, Metric = KnnMetric.L2 }, model.Options);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("hog+standard+pca")]
    [InlineData("unit+pca-ratio-whiten")]
    public void Save_load_gives_the_same_predictions(string preprocessing)
    {
        var settings = preprocessing switch
        {
            "none" => new Dictionary<string, string>(),
            "hog+standard+pca" => new Dictionary<string, string> { ["features"] = "hog", ["scale"] = "standard", ["pca"] = "20" },
            _ => new Dictionary<string, string> { ["scale"] = "unit", ["pca"] = "0.8", ["pca-whiten"] = "true" },
        };
        var model = (Pipeline)ModelCatalog.Create("knn", new Dictionary<string, string>(settings) { ["k"] = "4" });
        ImageSet train = TestData.Train.Take(600), test = TestData.Test.Take(50);
        model.Fit(train);
        float[] before = model.PredictProbabilities(test);

        using var stream = new MemoryStream();
        ModelFile.Write(model, stream);
        var loaded = Assert.IsType<Pipeline>(ModelFile.Load(stream.ToArray(), "memory"));
        Assert.Equal(model.Describe(), loaded.Describe());
        Assert.Equal(before, loaded.PredictProbabilities(test));
    }

    [Fact]
    public void Damaged_pipeline_state_is_a_clear_error()
    {
        var model = ModelCatalog.Create("knn");
        model.Fit(TestData.Train.Take(100));
        using var stream = new MemoryStream();
        ModelFile.Write(model, stream);
        byte[] bytes = stream.ToArray();
        // Point the first step's kind at a tag that does not exist: rewrite the step count to 1 and keep the checksum valid.
        var header = ModelFile.ReadHeader(WriteTemp(bytes));
        Assert.Equal("knn", header.ModelName);
        int stateStart = bytes.Length - 32 - (int)header.StateBytes;
        BitConverter.GetBytes(1).CopyTo(bytes, stateStart);
        byte[] body = bytes[..^32];
        System.Security.Cryptography.SHA256.HashData(body).CopyTo(bytes, bytes.Length - 32);
        var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(bytes, "bad.fmm"));
        Assert.Contains("damaged 'knn' state", e.Message);
    }

    private static string WriteTemp(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmnist-test-{Guid.NewGuid():N}.fmm");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Hog_features_help_knn_on_a_real_slice()
    {
        ImageSet train = TestData.Train.Take(3000), test = TestData.Test.Take(600);
        var raw = ModelCatalog.Create("knn");
        raw.Fit(train);
        var hog = ModelCatalog.Create(new KnnOptions { Features = FeatureKind.Hog, HogCell = [4] });
        hog.Fit(train);
        double rawScore = raw.Score(test), hogScore = hog.Score(test);
        Assert.True(hogScore > rawScore, $"hog {hogScore} vs raw {rawScore}");
    }

    [Fact]
    public void Grid_parsing_orders_candidates_with_the_last_name_fastest()
    {
        var space = ParameterSpace.Parse("k=1,3,5; weights=uniform,distance");
        Assert.Equal(6, space.Count);
        Assert.Equal("k=1,3,5;weights=uniform,distance", space.ToString());
        Assert.Equal(new Dictionary<string, string> { ["k"] = "1", ["weights"] = "distance" }, space[1].Settings);
        Assert.Equal(new Dictionary<string, string> { ["k"] = "5", ["weights"] = "uniform" }, space[4].Settings);
        foreach (string bad in new[] { "k", "k=", "k=1,,2", "=3", "k=1;k=2" })
            Assert.Throws<FashionMnistException>(() => ParameterSpace.Parse(bad));
    }

    [Fact]
    public void Grid_files_in_yaml_and_json_read_the_same()
    {
        string yaml = Path.GetTempFileName(), json = Path.GetTempFileName();
        File.WriteAllText(yaml, "k: [1, 3]\nweights: distance\npca: [0.9, 50]\n");
        File.WriteAllText(json, "{\"k\": [1, 3], \"weights\": \"distance\", \"pca\": [0.9, 50]}");
        Assert.Equal(ParameterSpace.ReadFile(yaml).ToString(), ParameterSpace.ReadFile(json).ToString());
        Assert.Equal("k=1,3;weights=distance;pca=0.9,50", ParameterSpace.ReadFile(yaml).ToString());
        File.WriteAllText(yaml, "k: [1, 3\n");
        Assert.Contains("not valid YAML", Assert.Throws<FashionMnistException>(() => ParameterSpace.ReadFile(yaml)).Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Shards_cover_every_candidate_exactly_once(int shards)
    {
        var space = ParameterSpace.Parse("a=1,2,3,4,5;b=x,y,z");
        var seen = new int[space.Count];
        for (int i = 1; i <= shards; i++)
        {
            var plan = new SearchPlan { Recipe = new ModelRecipe("knn", new Dictionary<string, string>()), Space = space, Shard = Shard.Parse($"{i}/{shards}") };
            foreach (var c in plan.Candidates()) seen[c.Index]++;
        }
        Assert.All(seen, count => Assert.Equal(1, count));
    }

    [Fact]
    public void Bad_shards_are_clear_errors()
    {
        Assert.Contains("out of range", Assert.Throws<FashionMnistException>(() => Shard.Parse("3/2")).Message);
        Assert.Contains("out of range", Assert.Throws<FashionMnistException>(() => Shard.Parse("0/2")).Message);
        Assert.Contains("i/n", Assert.Throws<FashionMnistException>(() => Shard.Parse("two")).Message);
    }

    [Fact]
    public void Random_search_draws_distinct_candidates_reproducibly()
    {
        var space = ParameterSpace.Parse("a=1,2,3,4,5,6,7,8,9,10;b=1,2,3");
        var first = space.Sample(7, seed: 5).Select(c => c.Index).ToArray();
        Assert.Equal(7, first.Distinct().Count());
        Assert.Equal(first, space.Sample(7, seed: 5).Select(c => c.Index).ToArray());
        Assert.Equal(30, space.Sample(100, seed: 5).Count);
    }

    [Fact]
    public void Cross_validation_folds_are_stratified_and_scores_summarised()
    {
        ImageSet train = TestData.BalancedTrain(30); // 300 images, 30 per class
        var folds = Splits.StratifiedKFold(train.Labels, 3, seed: 1);
        foreach (var (trainIdx, testIdx) in folds)
        {
            var perClass = new int[10];
            foreach (int i in testIdx) perClass[train.Labels[i]]++;
            Assert.All(perClass, n => Assert.Equal(10, n));
            Assert.Empty(trainIdx.Intersect(testIdx));
        }
        var recipe = new ModelRecipe("knn", new Dictionary<string, string> { ["k"] = "3" });
        var result = CrossValidation.Evaluate(recipe, new Candidate(0, new Dictionary<string, string>()), train, folds, seed: 1);
        var accuracy = result.Metrics[Scores.Accuracy];
        Assert.Equal(3, accuracy.Folds.Count);
        Assert.Equal(accuracy.Folds.Average(), accuracy.Mean, 12);
        double std = Math.Sqrt(accuracy.Folds.Sum(f => (f - accuracy.Mean) * (f - accuracy.Mean)) / 3);
        Assert.Equal(std, accuracy.Std, 12);
        Assert.InRange(accuracy.Mean, 0.5, 0.95);
        // Each fold's score is a real fit on the other folds: recompute fold 0 by hand.
        var model = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "3" });
        model.Fit(train.Subset(folds[0].Train));
        Assert.Equal(model.Score(train.Subset(folds[0].Test)), accuracy.Folds[0], 12);
    }

    [Fact]
    public void Search_ranks_candidates_and_halving_narrows_them()
    {
        ImageSet train = TestData.BalancedTrain(40);
        var plan = new SearchPlan
        {
            Recipe = new ModelRecipe("knn", new Dictionary<string, string>()),
            Space = ParameterSpace.Parse("k=1,2,3,5,7,9,11,15,21;weights=uniform"),
            Folds = 3,
        };
        var outcome = SearchRunner.Run(plan, train);
        Assert.Equal(9, outcome.Results.Count);
        for (int i = 1; i < outcome.Results.Count; i++) Assert.True(outcome.Results[i - 1].MeanAccuracy >= outcome.Results[i].MeanAccuracy);

        var halving = SearchRunner.Run(plan with { Halving = true }, train);
        Assert.Equal(9, halving.Results.Count);
        Assert.Equal([9, 3], halving.Rounds.Select(r => r.Candidates));
        Assert.True(halving.Rounds[0].TrainCount < halving.Rounds[1].TrainCount);
        Assert.Equal(train.Count, halving.Rounds[^1].TrainCount);
    }

    [Fact]
    public void Shard_results_merge_into_the_whole_search()
    {
        ImageSet train = TestData.BalancedTrain(20);
        var basePlan = new SearchPlan
        {
            Recipe = new ModelRecipe("knn", new Dictionary<string, string>()),
            Space = ParameterSpace.Parse("k=1,3,5;metric=l1,l2"),
            Folds = 2,
        };
        var paths = new List<string>();
        for (int i = 1; i <= 3; i++)
        {
            var plan = basePlan with { Shard = new Shard(i, 3) };
            string path = Path.Combine(Path.GetTempPath(), $"fmnist-shard-{Guid.NewGuid():N}.jsonl");
            SearchResultFile.Write(path, SearchResultFile.Lines(plan, train.Count, SearchRunner.Run(plan, train).Results));
            paths.Add(path);
        }
        var (merged, missing) = SearchResultFile.Merge(paths);
        Assert.Empty(missing);
        var whole = SearchRunner.Run(basePlan, train).Results;
        Assert.Equal(whole.Select(r => r.Candidate.Index), merged.Select(l => l.Candidate));
        Assert.Equal(whole.Select(r => r.MeanAccuracy), merged.Select(l => l.Metrics[Scores.Accuracy].Mean));

        var (partial, absent) = SearchResultFile.Merge(paths.Take(2).ToList());
        Assert.Equal(4, partial.Count);
        Assert.Equal([2, 5], absent);

        var other = basePlan with { Folds = 3 };
        string otherPath = Path.Combine(Path.GetTempPath(), $"fmnist-shard-{Guid.NewGuid():N}.jsonl");
        SearchResultFile.Write(otherPath, SearchResultFile.Lines(other, train.Count, SearchRunner.Run(other with { Space = ParameterSpace.Parse("k=1") }, train).Results));
        Assert.Contains("different search", Assert.Throws<FashionMnistException>(() => SearchResultFile.Merge([paths[0], otherPath])).Message);
    }

    [Fact]
    public void Grid_keys_for_preprocessing_set_the_pipeline_steps()
    {
        var recipe = new ModelRecipe("knn", new Dictionary<string, string>());
        var model = Assert.IsType<Pipeline>(recipe.Create(new Dictionary<string, string> { ["k"] = "2", ["pca"] = "30", ["scale"] = "standard" }));
        Assert.Equal("scale(standard) → pca(30) → knn", model.Describe());
        Assert.Throws<FashionMnistException>(() => recipe.Create(new Dictionary<string, string> { ["pca"] = "-1" }));
    }
}
