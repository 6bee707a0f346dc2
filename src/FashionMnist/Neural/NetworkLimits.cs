namespace FashionMnist.Neural;

/// <summary>
/// Size bounds every network is built within, checked layer by layer before a tensor is allocated: a spec or a
/// crafted model file asking for a 1M-unit dense layer used to take 34 s and 3.1 GB before anything said no.
/// </summary>
/// <param name="MaxParameters">Trainable parameters plus stored state values, whole network.</param>
/// <param name="MaxValuesPerImage">Largest activation of one image (one layer's output).</param>
/// <param name="Reason">Why the bound is what it is, for messages.</param>
public sealed record NetworkLimits(long MaxParameters, long MaxValuesPerImage, string Reason = "")
{
    /// <summary>50M parameters (200 MB of weights; the zoo's largest has about 1M) and 4M values per image
    /// (16 MB; the zoo's largest activation is 50k).</summary>
    public static NetworkLimits Default { get; } = new(50_000_000, 4_000_000);

    /// <summary>For a model file: every parameter is stored as 4 bytes, so no more than the bytes left can hold.</summary>
    public static NetworkLimits ForStoredState(long bytesLeft) =>
        Default with { MaxParameters = Math.Min(Default.MaxParameters, Math.Max(0, bytesLeft) / sizeof(float)), Reason = $"the file holds {Math.Max(0, bytesLeft):N0} bytes of weights" };

    internal string Describe => Reason.Length > 0 ? Reason : $"{MaxParameters:N0} in all";
}
