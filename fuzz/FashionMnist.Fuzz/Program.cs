using FashionMnist.Fuzz;
using SharpFuzz;

// fmnist-fuzz HARNESS            run under afl-fuzz (reads each input from afl's shared memory)
// fmnist-fuzz HARNESS FILE...    run the given inputs once each in-process (replaying a crash)
// fmnist-fuzz --write-seeds DIR  write the starting corpus of every harness
if (args is ["--write-seeds", string seeds])
{
    Seeds.Write(seeds);
    return 0;
}
// Nothing instrumented may run before Fuzzer.OutOfProcess.Run maps afl's coverage memory: SharpFuzz's probes would
// write through a null pointer. So the harness names live in a class of their own, and warming up happens inside Run.
if (args.Length == 0 || !HarnessNames.All.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: fmnist-fuzz {string.Join('|', HarnessNames.All)} [FILE...]");
    return 2;
}
string harness = args[0];
if (args.Length > 1)
{
    foreach (string file in args.Skip(1))
    {
        FuzzTargets.Run(harness, File.ReadAllBytes(file));
        Console.WriteLine($"ok {file}");
    }
    return 0;
}
bool warm = false;
Fuzzer.OutOfProcess.Run(stream =>
{
    if (!warm) { FuzzTargets.Warm(harness); warm = true; }
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    FuzzTargets.Run(harness, buffer.ToArray());
});
return 0;

/// <summary>The harness names, apart from <see cref="FuzzTargets"/> so that reading them runs no instrumented code.</summary>
internal static class HarnessNames
{
    public static readonly string[] All = ["idx", "model", "spec", "image", "classify"];
}
