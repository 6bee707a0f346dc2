namespace FashionMnist.Onnx;

/// <summary>
/// What every ONNX file fmnist writes promises (docs/onnx.md): input <see cref="Input"/> float32 [N,1,28,28] holding the
/// raw 0-255 pixel values of the idx files, the model's own normalisation inside the graph; output
/// <see cref="Probabilities"/> float32 [N,10], rows summing to 1 in Fashion-MNIST's class order, and <see cref="Label"/>
/// int64 [N]. IR version and opsets stay within what Debian's onnx 1.12 checker validates.
/// </summary>
public static class OnnxContract
{
    public const string Input = "pixels";
    public const string Probabilities = "probabilities";
    public const string Label = "label";

    /// <summary>IR version 8 (ONNX 1.10-1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>Default-domain opset: 17 is the newest ONNX 1.12 knows.</summary>
    public const long Opset = 17;

    public const string MlDomain = "ai.onnx.ml";

    /// <summary>ai.onnx.ml opset 3 (ONNX 1.12's newest).</summary>
    public const long MlOpset = 3;

    /// <summary>metadata_props keys. A file whose <see cref="ProducerKey"/> is "fmnist" gets raw pixels when imported.</summary>
    public const string ProducerKey = "fmnist.producer";
    public const string ClassNamesKey = "fmnist.class_names";
    public const string VersionKey = "fmnist.version";
    public const string ModelKey = "fmnist.model";
    public const string OptionsKey = "fmnist.options";
    public const string PipelineKey = "fmnist.pipeline";
    public const string TrainingDataPrefix = "fmnist.training_data.";
    public const string SourceMetadataPrefix = "fmnist.source.";

    /// <summary>
    /// Keys any ONNX file may carry to say how its input is scaled (also honoured in files fmnist did not write):
    /// the model is fed (pixel · scale − mean) / std, pixel in 0-255; defaults scale 1/255 (values in [0, 1]), mean 0, std 1.
    /// </summary>
    public const string InputScaleKey = "fmnist.input_scale";
    public const string InputMeanKey = "fmnist.input_mean";
    public const string InputStdKey = "fmnist.input_std";

    public static string FmnistVersion => typeof(OnnxContract).Assembly.GetName().Version?.ToString() ?? "0";
}
