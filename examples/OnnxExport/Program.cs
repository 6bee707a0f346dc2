using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Onnx;

var data = FashionMnistData.Load();
using var model = ModelCatalog.Create(new MlpOptions { Hidden = [128], Epochs = 2 });
model.Fit(data.Train.Take(10_000), new FitContext { Seed = 1 });
double before = ModelEvaluation.Evaluate(model, data.Test).Accuracy;

// An ONNX file for ONNX Runtime anywhere: input "pixels" float32 [N,1,28,28] (raw 0-255), outputs "probabilities" and "label".
string path = Path.Combine(Path.GetTempPath(), "example-mlp.onnx");
OnnxExporter.Export(model, path);
using var imported = ModelFile.Load(path); // any Fashion-MNIST .onnx file, run by ONNX Runtime behind IClassifier
double after = ModelEvaluation.Evaluate(imported, data.Test).Accuracy;
Console.WriteLine($"{OnnxContract.Input} → {OnnxContract.Probabilities}, {OnnxContract.Label}: {new FileInfo(path).Length:N0} bytes");
Console.WriteLine($"accuracy before reload: {before}");
Console.WriteLine($"accuracy after reload:  {after}");
