using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Models;

var data = FashionMnistData.Load(); // from FASHION_MNIST_DIR, Debian's dataset-fashion-mnist, or DataFetcher's cache
using var model = ModelCatalog.Create(new ForestOptions { Trees = 20 });
model.Fit(data.Train.Take(10_000), new FitContext { Seed = 1 });
double before = ModelEvaluation.Evaluate(model, data.Test).Accuracy;

string path = Path.Combine(Path.GetTempPath(), "quickstart-forest.fmm");
ModelFile.Save(model, path);
using var reloaded = ModelFile.Load(path);
double after = ModelEvaluation.Evaluate(reloaded, data.Test).Accuracy;
Console.WriteLine($"accuracy before reload: {before}");
Console.WriteLine($"accuracy after reload:  {after}");
