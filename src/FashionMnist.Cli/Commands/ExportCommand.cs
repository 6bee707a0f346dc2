using FashionMnist.Evaluation;
using FashionMnist.Onnx;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist export --model M.fmm --out M.onnx`: a trained model as an ONNX file (docs/onnx.md).</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file written by `fmnist train --out`.", Required = true, HelpName = "FILE.fmm" };
        var output = new Option<string>("--out") { Description = "Where to write the ONNX file (written atomically).", Required = true, HelpName = "FILE.onnx" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("export",
            "Write a trained model as ONNX (input 'pixels' float32 [N,1,28,28] raw 0-255, output 'probabilities' [N,10] and 'label'), "
            + "for ONNX Runtime in C#, Python, JavaScript, Java or on phones. Neural networks, random forest, gradient boosting, "
            + "XGBoost and SVM export; HOG features and KNN do not (the error says why).")
        {
            model, output, json,
        };
        CommandSupport.AddDataDir(command);
        command.SetAction(parse =>
        {
            string source = parse.GetValue(model)!, target = parse.GetValue(output)!;
            if (Directory.Exists(target))
                throw new FashionMnistException($"--out '{target}' is a folder", "Give a file path such as models/cnn3.onnx.");
            var (loaded, header) = ModelFile.LoadWithHeader(source);
            using IClassifier classifier = loaded;
            if (classifier is OnnxClassifier)
                throw new FashionMnistException($"'{source}' is already an ONNX model", "Export reads fmnist model files (.fmm) written by `fmnist train --out`.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in header.Metadata) metadata[OnnxContract.SourceMetadataPrefix + key] = value;
            foreach (var (key, value) in TrainingData(parse)) metadata[key] = value;
            byte[] bytes = OnnxExporter.Export(classifier, metadata);
            AtomicFile.WriteAllBytes(target, bytes);
            if (parse.GetValue(json))
                JsonOutput.Write(new { Model = classifier.Name, Source = Path.GetFullPath(source), Out = Path.GetFullPath(target), Bytes = bytes.Length });
            else
                AnsiConsole.MarkupLine($"Exported [bold]{Markup.Escape(classifier.Name)}[/] to {Markup.Escape(target)} ({bytes.Length:N0} bytes). "
                    + Markup.Escape("Input 'pixels' float32 [N,1,28,28] (raw 0-255), output 'probabilities' [N,10] and 'label'."));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Checksums of the training files of the data set fmnist finds (the one `fmnist train` reads), or a note when none
    /// is found: the .fmm file does not record them itself.
    /// </summary>
    private static Dictionary<string, string> TrainingData(ParseResult parse)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            DataLocation location = DataLocator.Locate(parse.GetValue(DataCommands.DataDir));
            foreach (var (file, fingerprint) in DataFingerprint.Of(location))
                if (file.StartsWith("train-", StringComparison.Ordinal)) result[OnnxContract.TrainingDataPrefix + file] = fingerprint;
        }
        catch (FashionMnistException e)
        {
            result[OnnxContract.TrainingDataPrefix + "note"] = $"no data set found at export time: {e.Problem}";
        }
        return result;
    }
}
