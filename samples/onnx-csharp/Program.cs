// dotnet add package Microsoft.ML.OnnxRuntime    ·    dotnet run -- cnn3.onnx image.raw
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

using var session = new InferenceSession(args[0]);                    // the file `fmnist export` wrote
byte[] image = File.ReadAllBytes(args[1]);                            // 784 raw pixels (0-255), row by row
var pixels = new DenseTensor<float>(image.Select(b => (float)b).ToArray(), [1, 1, 28, 28]);
using var results = session.Run([NamedOnnxValue.CreateFromTensor("pixels", pixels)]);
float[] p = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
long label = results.First(r => r.Name == "label").AsEnumerable<long>().First();
Console.WriteLine($"class {label}, probability {p[label]:F4}");
