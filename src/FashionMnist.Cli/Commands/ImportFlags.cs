using System.Globalization;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// --input-scale, --input-mean, --input-std: how an imported ONNX model is fed ((pixel · scale − mean) / std, pixel 0-255).
/// Defaults: [0, 1] pixels for foreign files, raw pixels for fmnist's own exports, or what the file's metadata says.
/// </summary>
internal static class ImportFlags
{
    public static readonly Option<double?> InputScale = new("--input-scale")
    {
        Description = "ONNX models only: multiply pixels (0-255) by this first (default 1/255, i.e. [0, 1]; 1 for raw pixels).",
        HelpName = "X",
    };

    public static readonly Option<double?> InputMean = new("--input-mean")
    {
        Description = "ONNX models only: then subtract this (e.g. 0.2860 for PyTorch's Normalize).",
        HelpName = "X",
    };

    public static readonly Option<double?> InputStd = new("--input-std")
    {
        Description = "ONNX models only: then divide by this (e.g. 0.3530).",
        HelpName = "X",
    };

    public static void AddTo(Command command)
    {
        command.Add(InputScale);
        command.Add(InputMean);
        command.Add(InputStd);
    }

    /// <summary>The given flags as load settings for <see cref="ModelFile.Load(string, IReadOnlyDictionary{string, string}?)"/>.</summary>
    public static Dictionary<string, string> Settings(ParseResult parse)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, double? value)
        {
            if (value is double v) settings[name] = v.ToString("R", CultureInfo.InvariantCulture);
        }
        Add("input-scale", parse.GetValue(InputScale));
        Add("input-mean", parse.GetValue(InputMean));
        Add("input-std", parse.GetValue(InputStd));
        return settings;
    }

    /// <summary>Loads any model file the flags allow (fmnist's .fmm or an ONNX file).</summary>
    public static IClassifier Load(ParseResult parse, string path) => ModelFile.Load(path, Settings(parse));

    /// <summary>Loads any model file the flags allow, with its header (the photo calibration of a .fmm file is in it).</summary>
    public static (IClassifier Model, ModelFile.Header Header) LoadWithHeader(ParseResult parse, string path) => ModelFile.LoadWithHeader(path, Settings(parse));
}
