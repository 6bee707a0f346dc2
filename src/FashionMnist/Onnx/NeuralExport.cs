using FashionMnist.Data;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using static FashionMnist.Onnx.OnnxGraph.Attribute;

namespace FashionMnist.Onnx;

/// <summary>
/// A trained <see cref="NeuralClassifier"/> as ONNX ops, layer by layer, in inference mode:
/// <list type="bullet">
/// <item>the standardisation of <see cref="ImageSet.TrainingMean"/>/<see cref="ImageSet.TrainingStd"/> as Mul + Add on the raw pixels;</item>
/// <item>conv2d → Conv (explicit pads: 'same' puts the odd pixel bottom/right, as the engine does), dense → Gemm (transB),
/// batchnorm → BatchNormalization with the running statistics, relu/leakyrelu/elu → Relu/LeakyRelu/Elu,
/// maxpool2d/avgpool2d → MaxPool/AveragePool (valid windows), globalavgpool → GlobalAveragePool, flatten → Flatten;
/// dropout is the identity at inference and is left out;</item>
/// <item>softmax over the logits; with mirror TTA the batch is run together with its left-right mirror
/// (Gather of the reversed columns, Concat on the batch axis) and the two softmax halves are averaged, as
/// <see cref="NeuralClassifier.Predict"/> does.</item>
/// </list>
/// </summary>
internal static class NeuralExport
{
    // singleView leaves the mirror TTA out even when the model has it (the caller mirrors: MirrorAveragingOnnxClassifier).
    public static void Build(OnnxGraph graph, NeuralClassifier model, string pixels, out string probabilities, bool singleView = false)
    {
        Sequential network = model.Network ?? throw new FashionMnistException($"Model '{model.Name}' is not fitted", "Train it first.");
        bool mirror = model.NeuralOptions.Tta && !singleView;

        // The engine's input: (pixel/255 - mean)/std, i.e. pixel * scale + offset.
        float scale = 1f / (255f * ImageSet.TrainingStd), offset = -ImageSet.TrainingMean / ImageSet.TrainingStd;
        string x = graph.Node("Add", [graph.Node("Mul", [pixels, graph.Scalar("pixel_scale", scale)]), graph.Scalar("pixel_offset", offset)]);
        if (mirror)
        {
            var reversed = new long[ImageSet.Width];
            for (int i = 0; i < reversed.Length; i++) reversed[i] = ImageSet.Width - 1 - i;
            string mirrored = graph.Node("Gather", [x, graph.Int64Constant("mirror_columns", reversed, reversed.Length)], Int("axis", 3));
            x = graph.Node("Concat", [x, mirrored], Int("axis", 0));
        }

        bool flat = false;
        foreach (Layer layer in network.Layers)
        {
            switch (layer)
            {
                case Conv2D conv:
                    x = Convolution(graph, conv, x);
                    break;
                case Dense dense:
                    if (!flat) x = graph.Node("Flatten", [x], Int("axis", 1));
                    flat = true;
                    string weights = graph.Constant($"dense{layer.Index}_weights", dense.Weights.Value, dense.Units, dense.InputShape.Size);
                    string[] inputs = dense.Bias is null ? [x, weights] : [x, weights, graph.Constant($"dense{layer.Index}_bias", dense.Bias.Value, dense.Units)];
                    x = graph.Node("Gemm", inputs, Int("transB", 1));
                    break;
                case BatchNorm norm:
                    x = BatchNormalization(graph, norm, x);
                    break;
                case Neural.Layers.ReLU:
                    x = graph.Node("Relu", [x]);
                    break;
                case LeakyReLU leaky:
                    x = graph.Node("LeakyRelu", [x], Float("alpha", leaky.Alpha));
                    break;
                case ELU elu:
                    x = graph.Node("Elu", [x], Float("alpha", elu.Alpha));
                    break;
                case MaxPool2D pool:
                    x = graph.Node("MaxPool", [x], Ints("kernel_shape", [pool.Size, pool.Size]), Ints("strides", [pool.Stride, pool.Stride]));
                    break;
                case AvgPool2D pool:
                    x = graph.Node("AveragePool", [x], Ints("kernel_shape", [pool.Size, pool.Size]), Ints("strides", [pool.Stride, pool.Stride]));
                    break;
                case GlobalAvgPool:
                    x = graph.Node("GlobalAveragePool", [x]); // [N,C,1,1]: the engine's flat (C,1,1)
                    break;
                case Neural.Layers.Flatten:
                    x = graph.Node("Flatten", [x], Int("axis", 1));
                    flat = true;
                    break;
                case Dropout:
                    break; // the identity at inference
                default:
                    throw new FashionMnistException($"Layer {layer.Index + 1} ({layer.Kind}) of '{model.Name}' has no ONNX export",
                        $"Export works for: {string.Join(", ", ArchitectureSpec.LayerNames)}; this fmnist does not know how to write '{layer.Kind}'.");
            }
        }
        if (network.OutputShape.Size != FashionMnistClasses.Count)
            throw new FashionMnistException($"'{model.Name}' ends with {network.OutputShape.Size} outputs, not {FashionMnistClasses.Count}",
                "Only 10-class Fashion-MNIST networks can be exported.");
        if (!flat) x = graph.Node("Flatten", [x], Int("axis", 1));

        string softmax = graph.Node("Softmax", [x], Int("axis", 1));
        if (mirror)
        {
            // [2N,10] → [2,N,10] → mean over the two views.
            string halves = graph.Node("Reshape", [softmax, graph.Int64Constant("views_shape", [2, -1, FashionMnistClasses.Count], 3)]);
            softmax = graph.Node("ReduceMean", [halves], Ints("axes", [0]), Int("keepdims", 0));
        }
        probabilities = softmax;
    }

    private static string Convolution(OnnxGraph graph, Conv2D conv, string x)
    {
        Shape input = conv.InputShape, output = conv.OutputShape;
        long top = 0, left = 0, bottom = 0, right = 0;
        if (conv.Padding == Padding.Same)
        {
            int totalH = Math.Max((output.Height - 1) * conv.Stride + conv.KernelHeight - input.Height, 0);
            int totalW = Math.Max((output.Width - 1) * conv.Stride + conv.KernelWidth - input.Width, 0);
            (top, bottom) = (totalH / 2, totalH - totalH / 2);
            (left, right) = (totalW / 2, totalW - totalW / 2);
        }
        string weights = graph.Constant($"conv{conv.Index}_weights", conv.Weights.Value, conv.Filters, input.Channels, conv.KernelHeight, conv.KernelWidth);
        string[] inputs = conv.Bias is null ? [x, weights] : [x, weights, graph.Constant($"conv{conv.Index}_bias", conv.Bias.Value, conv.Filters)];
        return graph.Node("Conv", inputs,
            Ints("kernel_shape", [conv.KernelHeight, conv.KernelWidth]),
            Ints("strides", [conv.Stride, conv.Stride]),
            Ints("pads", [top, left, bottom, right]));
    }

    private static string BatchNormalization(OnnxGraph graph, BatchNorm norm, string x)
    {
        int channels = norm.InputShape.Channels;
        IReadOnlyList<float[]> running = norm.States; // [mean, variance]
        return graph.Node("BatchNormalization",
            [
                x,
                graph.Constant($"bn{norm.Index}_scale", norm.Gamma.Value, channels),
                graph.Constant($"bn{norm.Index}_bias", norm.Beta.Value, channels),
                graph.Constant($"bn{norm.Index}_mean", running[0], channels),
                graph.Constant($"bn{norm.Index}_var", running[1], channels),
            ],
            Float("epsilon", norm.Epsilon));
    }
}
