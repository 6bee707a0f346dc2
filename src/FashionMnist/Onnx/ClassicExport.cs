using FashionMnist.Classic;
using FashionMnist.Classic.Knn;
using static FashionMnist.Onnx.OnnxGraph.Attribute;

namespace FashionMnist.Onnx;

/// <summary>
/// A classical <see cref="Pipeline"/> as ONNX: the pixels flattened to [N,784], each preprocessing step as ordinary ops
/// (scaling: Sub + Mul; PCA: Sub + MatMul with the fitted projection), then the estimator from the ai.onnx.ml domain
/// (<see cref="TreeEnsembleExport"/>, <see cref="SvmExport"/>). HOG and KNN are refused with the reason.
/// </summary>
internal static class ClassicExport
{
    public static void Build(OnnxGraph graph, Pipeline pipeline, string pixels, out string probabilities)
    {
        // Refuse before writing anything: the reason names the step.
        if (pipeline.Estimator is KnnClassifier)
            throw new FashionMnistException($"'{pipeline.Describe()}' cannot be exported to ONNX: KNN predicts by searching all its stored training images for the nearest ones",
                "ONNX has no nearest-neighbour operator; a graph of distances + TopK would carry the whole training set and not reproduce our tie and weighting rules. Export a forest, boosting, XGBoost, SVM or neural model instead.");
        foreach (IFeatureTransform step in pipeline.Steps)
            if (step is HogTransform)
                throw new FashionMnistException($"'{pipeline.Describe()}' cannot be exported to ONNX: its HOG step bins gradient orientations into histograms",
                    "Opset 17 has no faithful op for that binning (no atan2, no scatter-add by angle). Train the model on pixels (--features pixels), optionally with --pca, to export it.");

        string x = graph.Node("Flatten", [pixels], Int("axis", 1)); // [N,784] raw 0-255 floats: the byte features as floats
        bool onBytes = true; // true while the features are still the raw pixel values
        foreach (IFeatureTransform step in pipeline.Steps)
        {
            switch (step)
            {
                case FeatureScaler scaler:
                    x = graph.Node("Sub", [x, graph.Constant("scale_offset", scaler.Offsets, scaler.Columns)]);
                    x = graph.Node("Mul", [x, graph.Constant("scale_factor", scaler.Scales, scaler.Columns)]);
                    break;
                case PcaTransform pca:
                    x = graph.Node("Sub", [x, graph.Constant("pca_mean", pca.Mean, pca.InputColumns)]);
                    x = graph.Node("MatMul", [x, graph.Constant("pca_projection", pca.Projection, pca.InputColumns, pca.Components)]);
                    break;
                default:
                    throw new FashionMnistException($"Preprocessing step '{step.Describe()}' has no ONNX export",
                        "Export works with scaling and PCA steps.");
            }
            onBytes = false;
        }

        probabilities = pipeline.Estimator switch
        {
            RandomForest forest => TreeEnsembleExport.Forest(graph, forest, x),
            GradientBoosting boosting => TreeEnsembleExport.Boosting(graph, boosting, x),
            XGBoostClassifier xgboost => TreeEnsembleExport.XGBoost(graph, xgboost, x),
            SvmClassifier svm => SvmExport.Build(graph, svm, x, onBytes),
            _ => throw new FashionMnistException($"'{pipeline.Name}' has no ONNX export",
                "Export works for random-forest, gradient-boosting, xgboost and svm pipelines."),
        };
    }
}
