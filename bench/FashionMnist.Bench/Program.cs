// Benchmarks: see bench/README.md. Usage: bench/run.sh [suite ...] [--quick] [--out FILE]
using FashionMnist;
using FashionMnist.Bench;

try
{
    return BenchRunner.Run(args);
}
catch (FashionMnistException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
