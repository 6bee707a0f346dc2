using System.Text.Json;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using Google.Protobuf;
using Onnx;
using static FashionMnist.Onnx.OnnxGraph.Attribute;

namespace FashionMnist.Onnx;

/// <summary>
/// Writes a trained model as an ONNX file that keeps <see cref="OnnxContract"/>: neural networks as standard ops,
/// classical pipelines as their preprocessing ops in front of an ai.onnx.ml TreeEnsembleClassifier or SVMClassifier.
/// What cannot be written faithfully (HOG features, KNN) is refused with a <see cref="FashionMnistException"/> naming it.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX model's bytes. <paramref name="metadata"/> adds metadata_props (e.g. the source file's metadata).</summary>
    public static byte[] Export(IClassifier model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ModelProto proto = Build(model, metadata);
        return proto.ToByteArray();
    }

    /// <summary>Exports to <paramref name="path"/> atomically (a failed export leaves no file and no older file replaced).</summary>
    public static void Export(IClassifier model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] bytes = Export(model, metadata); // build fully before touching the file system
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// A neural network's export without its mirror TTA: one output row per image as given (for
    /// <see cref="MirrorAveragingOnnxClassifier"/>, which mirrors on the host only when asked).
    /// </summary>
    internal static byte[] ExportSingleView(NeuralClassifier model) => Build(model, null, singleView: true).ToByteArray();

    internal static ModelProto Build(IClassifier model, IReadOnlyDictionary<string, string>? metadata, bool singleView = false)
    {
        if (!model.IsFitted) throw new FashionMnistException($"Model '{model.Name}' is not fitted", "Export a trained model (fmnist train ... --out FILE).");
        var graph = new OnnxGraph($"fmnist_{model.Name}");
        string pixels = graph.Input(OnnxContract.Input, 1, ImageSet.Height, ImageSet.Width);
        string probabilities;
        string pipeline;
        switch (model)
        {
            case NeuralClassifier neural:
                NeuralExport.Build(graph, neural, pixels, out probabilities, singleView);
                pipeline = neural.NeuralOptions.Tta && !singleView ? $"{model.Name} (mirror TTA)" : model.Name;
                break;
            case Pipeline classic:
                ClassicExport.Build(graph, classic, pixels, out probabilities);
                pipeline = classic.Describe();
                break;
            default:
                throw new FashionMnistException($"Model '{model.Name}' ({model.GetType().Name}) cannot be exported to ONNX",
                    "Export works for fmnist's neural networks and its random forest, gradient boosting, XGBoost and SVM pipelines.");
        }
        graph.NodeWithOutputs("Identity", [probabilities], [OnnxContract.Probabilities], []);
        graph.NodeWithOutputs("ArgMax", [OnnxContract.Probabilities], [OnnxContract.Label], [Int("axis", 1), Int("keepdims", 0)]);
        graph.Output(OnnxContract.Probabilities, TensorProto.Types.DataType.Float, FashionMnistClasses.Count);
        graph.Output(OnnxContract.Label, TensorProto.Types.DataType.Int64);

        var props = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
            foreach (var (key, value) in metadata) props[key] = value;
        props[OnnxContract.ProducerKey] = "fmnist";
        props[OnnxContract.VersionKey] = OnnxContract.FmnistVersion;
        props[OnnxContract.ModelKey] = model.Name;
        props[OnnxContract.OptionsKey] = JsonSerializer.Serialize(OptionBinder.ToSettings(model.Options));
        props[OnnxContract.PipelineKey] = pipeline;
        props[OnnxContract.ClassNamesKey] = JsonSerializer.Serialize(FashionMnistClasses.Names);
        return graph.ToModel(props);
    }
}
