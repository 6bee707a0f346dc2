using System.Text.Json;
using FashionMnist.Classic;
using FashionMnist.Classic.Trees;
using FashionMnist.Data;
using static FashionMnist.Onnx.OnnxGraph.Attribute;

namespace FashionMnist.Onnx;

/// <summary>
/// Tree ensembles as one ai.onnx.ml TreeEnsembleClassifier whose summed class weights are the model's scores:
/// <list type="bullet">
/// <item>random forest: each leaf's class distribution ÷ tree count (the mean of the trees, no transform);</item>
/// <item>our gradient boosting: each class tree's leaf value on its class, the log-prior base scores as base_values,
/// then Softmax (our prediction's softmax of the summed scores);</item>
/// <item>XGBoost: the trees of its JSON model (tree_info gives each tree's class), base_score on every class, then Softmax.</item>
/// </list>
/// Our trees split on feature bins: a row goes left when its bin is at most the node's threshold. On raw pixels the bin
/// is the pixel value itself, so the node becomes x ≤ threshold exactly; on computed features the bin counts the cut
/// points strictly below x, so bin ≤ t ⟺ x ≤ cut[t] (always true past the last cut). XGBoost's nodes are x &lt; split.
/// </summary>
internal static class TreeEnsembleExport
{
    private const int Classes = 10;

    public static string Forest(OnnxGraph graph, RandomForest forest, string x)
    {
        FeatureBinner binner = forest.Binner ?? throw new FashionMnistException("The forest is not fitted", "Train it first.");
        var ensemble = new Ensemble();
        float share = 1f / forest.Trees.Count;
        for (int t = 0; t < forest.Trees.Count; t++)
            ensemble.AddBinnedTree(forest.Trees[t], t, binner, (leafValues, leaf, add) =>
            {
                for (int c = 0; c < Classes; c++)
                    if (leafValues[leaf * Classes + c] != 0f) add(c, leafValues[leaf * Classes + c] * share);
            });
        return ensemble.Write(graph, x, baseValues: null);
    }

    public static string Boosting(OnnxGraph graph, GradientBoosting boosting, string x)
    {
        FeatureBinner binner = boosting.Binner ?? throw new FashionMnistException("The boosting model is not fitted", "Train it first.");
        var ensemble = new Ensemble();
        int treeId = 0;
        foreach (DecisionTree[] round in boosting.Rounds)
            for (int c = 0; c < round.Length; c++)
            {
                int cls = c;
                ensemble.AddBinnedTree(round[c], treeId++, binner, (leafValues, leaf, add) => add(cls, leafValues[leaf]));
            }
        string scores = ensemble.Write(graph, x, baseValues: [.. boosting.BaseScores]);
        return graph.Node("Softmax", [scores], Int("axis", 1));
    }

    public static string XGBoost(OnnxGraph graph, XGBoostClassifier xgboost, string x)
    {
        using var json = JsonDocument.Parse(xgboost.SaveJson());
        JsonElement learner = json.RootElement.GetProperty("learner");
        float baseScore = float.Parse(learner.GetProperty("learner_model_param").GetProperty("base_score").GetString()!, CultureInfo.InvariantCulture);
        JsonElement model = learner.GetProperty("gradient_booster").GetProperty("model");
        int[] treeClasses = model.GetProperty("tree_info").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var ensemble = new Ensemble();
        int t = 0;
        foreach (JsonElement tree in model.GetProperty("trees").EnumerateArray())
        {
            int[] left = IntArray(tree, "left_children"), right = IntArray(tree, "right_children"), feature = IntArray(tree, "split_indices");
            float[] condition = tree.GetProperty("split_conditions").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            bool[] defaultLeft = tree.GetProperty("default_left").EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.True || (e.ValueKind == JsonValueKind.Number && e.GetInt32() != 0)).ToArray();
            for (int node = 0; node < left.Length; node++)
            {
                if (left[node] < 0) ensemble.Leaf(t, node, treeClasses[t], condition[node]); // a leaf's split_condition holds its value
                else ensemble.Branch(t, node, feature[node], "BRANCH_LT", condition[node], left[node], right[node], defaultLeft[node]);
            }
            t++;
        }
        string scores = ensemble.Write(graph, x, baseValues: Enumerable.Repeat(baseScore, Classes).ToArray());
        return graph.Node("Softmax", [scores], Int("axis", 1));
    }

    private static int[] IntArray(JsonElement tree, string name) => tree.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>The flat node and class-weight lists TreeEnsembleClassifier takes.</summary>
    private sealed class Ensemble
    {
        private readonly List<long> _treeIds = [], _nodeIds = [], _featureIds = [], _trueIds = [], _falseIds = [], _missingTrue = [];
        private readonly List<string> _modes = [];
        private readonly List<float> _values = [];
        private readonly List<long> _classTreeIds = [], _classNodeIds = [], _classIds = [];
        private readonly List<float> _classWeights = [];

        public void Branch(int tree, int node, int feature, string mode, float threshold, int trueNode, int falseNode, bool missingGoesTrue = false)
        {
            Add(tree, node, feature, mode, threshold, trueNode, falseNode);
            _missingTrue.Add(missingGoesTrue ? 1 : 0);
        }

        public void Leaf(int tree, int node, int cls, float weight)
        {
            Add(tree, node, 0, "LEAF", 0f, 0, 0);
            _missingTrue.Add(0);
            Weight(tree, node, cls, weight);
        }

        public void Weight(int tree, int node, int cls, float weight)
        {
            _classTreeIds.Add(tree);
            _classNodeIds.Add(node);
            _classIds.Add(cls);
            _classWeights.Add(weight);
        }

        /// <summary>One of our bin-threshold trees; <paramref name="leafWeights"/> adds (class, weight) pairs for a leaf.</summary>
        public void AddBinnedTree(DecisionTree tree, int treeId, FeatureBinner binner, Action<float[], int, Action<int, float>> leafWeights)
        {
            for (int n = 0; n < tree.Nodes.Length; n++)
            {
                TreeNode node = tree.Nodes[n];
                if (node.IsLeaf)
                {
                    Add(treeId, n, 0, "LEAF", 0f, 0, 0);
                    _missingTrue.Add(0);
                    int id = n;
                    leafWeights(tree.LeafValues, node.Left, (cls, weight) => Weight(treeId, id, cls, weight));
                }
                else Branch(treeId, n, node.Feature, "BRANCH_LEQ", Threshold(binner, node.Feature, node.Threshold), node.Left, node.Right);
            }
        }

        private static float Threshold(FeatureBinner binner, int feature, int bin)
        {
            if (binner.IsIdentity) return bin; // byte pixels: the bin is the value
            ReadOnlySpan<float> cuts = binner.Cuts(feature);
            return bin < cuts.Length ? cuts[bin] : float.MaxValue;
        }

        private void Add(int tree, int node, int feature, string mode, float value, int trueNode, int falseNode)
        {
            _treeIds.Add(tree);
            _nodeIds.Add(node);
            _featureIds.Add(feature);
            _modes.Add(mode);
            _values.Add(value);
            _trueIds.Add(trueNode);
            _falseIds.Add(falseNode);
        }

        /// <summary>The classifier node; returns its [N,10] scores.</summary>
        public string Write(OnnxGraph graph, string x, float[]? baseValues)
        {
            var attributes = new List<OnnxGraph.Attribute>
            {
                Ints("classlabels_int64s", Enumerable.Range(0, Classes).Select(c => (long)c)),
                Ints("nodes_treeids", _treeIds), Ints("nodes_nodeids", _nodeIds), Ints("nodes_featureids", _featureIds),
                Strings("nodes_modes", _modes), Floats("nodes_values", _values),
                Ints("nodes_truenodeids", _trueIds), Ints("nodes_falsenodeids", _falseIds),
                Ints("nodes_missing_value_tracks_true", _missingTrue),
                Ints("class_treeids", _classTreeIds), Ints("class_nodeids", _classNodeIds), Ints("class_ids", _classIds),
                Floats("class_weights", _classWeights),
                String("post_transform", "NONE"),
            };
            if (baseValues is not null) attributes.Add(Floats("base_values", baseValues));
            string[] outputs = graph.NodeWithOutputs("TreeEnsembleClassifier", [x],
                [graph.Unique("tree_label"), graph.Unique("tree_scores")], [.. attributes], OnnxContract.MlDomain);
            return outputs[1];
        }
    }
}
