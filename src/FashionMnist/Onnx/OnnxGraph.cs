using Google.Protobuf;
using Onnx;

namespace FashionMnist.Onnx;

/// <summary>
/// Builds one ONNX graph through the classes protoc generates from Debian's onnx.proto: nodes, constant tensors
/// (initializers) and attributes, with names made unique here, so exporters only say which ops follow which.
/// <see cref="ToModel"/> wraps the graph with the opsets, IR version and metadata of <see cref="OnnxContract"/>.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly GraphProto _graph = new() { Name = "fmnist" };
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private bool _usesMlDomain;

    public OnnxGraph(string name) => _graph.Name = name;

    /// <summary>A fresh name starting with <paramref name="stem"/> (stem, stem_1, stem_2, ...).</summary>
    public string Unique(string stem)
    {
        string name = stem;
        for (int i = 1; !_names.Add(name); i++) name = $"{stem}_{i}";
        return name;
    }

    /// <summary>Declares a float32 graph input with symbolic batch dimension "N".</summary>
    public string Input(string name, params long[] dimensionsAfterBatch)
    {
        _names.Add(name);
        _graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dimensionsAfterBatch));
        return name;
    }

    /// <summary>Declares a graph output (float32 or int64) with symbolic batch dimension "N".</summary>
    public void Output(string name, TensorProto.Types.DataType type, params long[] dimensionsAfterBatch) =>
        _graph.Output.Add(ValueInfo(name, type, dimensionsAfterBatch));

    /// <summary>A float32 constant of the given shape (row-major values).</summary>
    public string Constant(string stem, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(stem), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        long expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != values.Length) throw new ArgumentException($"{stem}: {values.Length} values for shape [{string.Join(",", dims)}].");
        // raw_data is little-endian float32, which is also the layout of a float span on every platform .NET runs ONNX on.
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float32 scalar constant (shape []), broadcast by Mul/Add/Sub/Div.</summary>
    public string Scalar(string stem, float value) => Constant(stem, [value]);

    /// <summary>An int64 constant (shapes for Reshape, indices for Gather).</summary>
    public string Int64Constant(string stem, ReadOnlySpan<long> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Unique(stem), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.Add(values.ToArray());
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node and returns the name of its first output (a fresh name unless given).</summary>
    public string Node(string op, string[] inputs, params Attribute[] attributes) =>
        NodeWithOutputs(op, inputs, [Unique(op.ToLowerInvariant())], attributes)[0];

    /// <summary>Adds a node of the standard domain or, for <paramref name="domain"/> "ai.onnx.ml", the classical-ML domain.</summary>
    public string[] NodeWithOutputs(string op, string[] inputs, string[] outputs, Attribute[] attributes, string domain = "")
    {
        foreach (string output in outputs) _names.Add(output);
        var node = new NodeProto { OpType = op, Name = Unique($"{op}_node"), Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (Attribute attribute in attributes) node.Attribute.Add(attribute.Proto);
        _graph.Node.Add(node);
        if (domain == OnnxContract.MlDomain) _usesMlDomain = true;
        return outputs;
    }

    /// <summary>The finished model: IR version, opsets (the ML domain only when used), producer and metadata.</summary>
    public ModelProto ToModel(IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = OnnxContract.IrVersion,
            ProducerName = "fmnist",
            ProducerVersion = OnnxContract.FmnistVersion,
            Graph = _graph,
            DocString = "Fashion-MNIST classifier exported by fmnist: input 'pixels' float32 [N,1,28,28] raw 0-255, "
                + "output 'probabilities' float32 [N,10] and 'label' int64 [N]. See docs/onnx.md.",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxContract.Opset });
        if (_usesMlDomain) model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxContract.MlDomain, Version = OnnxContract.MlOpset });
        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] dimensionsAfterBatch)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in dimensionsAfterBatch) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>One node attribute, made by the typed factories.</summary>
    public readonly struct Attribute
    {
        private Attribute(AttributeProto proto) => Proto = proto;

        internal AttributeProto Proto { get; }

        public static Attribute Int(string name, long value) =>
            new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

        public static Attribute Float(string name, float value) =>
            new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

        public static Attribute String(string name, string value) =>
            new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

        public static Attribute Ints(string name, IEnumerable<long> values)
        {
            var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            proto.Ints.AddRange(values);
            return new(proto);
        }

        public static Attribute Floats(string name, IEnumerable<float> values)
        {
            var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
            proto.Floats.AddRange(values);
            return new(proto);
        }

        public static Attribute Strings(string name, IEnumerable<string> values)
        {
            var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
            proto.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
            return new(proto);
        }
    }
}
