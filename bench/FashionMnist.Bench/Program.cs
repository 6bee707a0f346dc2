// Benchmarks: see bench/README.md. Usage: bench/run.sh [suite ...] [--quick] [--out FILE]
using FashionMnist;
using FashionMnist.Bench;

try
{
    // ort-infer: the ONNX Runtime inference peer (bench/neural-side-by-side.sh calls it).
    if (args.Length > 0 && args[0] == "ort-infer") return FashionMnist.Bench.Peers.OrtInference.RunFromCommandLine(args[1..]);
    // photo-training-set: writes cnn-photo's embedded photo training set (bench/accuracy/photo-training-set.sh calls it).
    if (args.Length > 0 && args[0] == "photo-training-set") return FashionMnist.Bench.Tools.PhotoTrainingSetTool.Run(args[1..]);
    return BenchRunner.Run(args);
}
catch (FashionMnistException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
