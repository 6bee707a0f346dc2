using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Bench;

/// <summary>Where the numbers were measured, so results from different machines are not confused.</summary>
public sealed record MachineInfo(
    string CpuModel,
    int LogicalCores,
    int ComputeThreads,
    string[] SimdFlags,
    string ManagedGemmKernel,
    string? OpenBlas,
    string Os,
    string DotNet,
    double[]? LoadAverageAtStart,
    string Host)
{
    public static MachineInfo Collect() => new(
        ReadCpuModel(),
        Environment.ProcessorCount,
        FashionMnist.Numerics.ComputeThreads.Count,
        DetectSimdFlags(),
        GemmKernel.Best.Name,
        OpenBlasDescription(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        LoadAverage(),
        Environment.MachineName);

    private static string ReadCpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string[] DetectSimdFlags()
    {
        var flags = new List<string>();
        if (Avx2.IsSupported) flags.Add("avx2");
        if (Fma.IsSupported) flags.Add("fma");
        if (Avx512F.IsSupported) flags.Add("avx512f");
        if (Avx512BW.IsSupported) flags.Add("avx512bw");
        if (Avx512Vbmi.IsSupported) flags.Add("avx512vbmi");
        if (Vector512.IsHardwareAccelerated) flags.Add("vector512-accelerated");
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) flags.Add("advsimd");
        return flags.ToArray();
    }

    private static string? OpenBlasDescription() => FashionMnist.Interop.OpenBlas.IsAvailable ? FashionMnist.Interop.OpenBlas.Describe() : null;

    /// <summary>1/5/15-minute load averages: a busy machine (load above the core count) makes timings pessimistic.</summary>
    public static double[]? LoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Take(3).Select(p => double.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
