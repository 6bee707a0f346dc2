namespace FashionMnist.Data;

/// <summary>
/// SplitMix64: a tiny seeded generator whose whole state is one number, as a struct so the augmentations can draw
/// per image without allocating. The key fully decides the stream (see <see cref="Augmentation"/>).
/// </summary>
internal struct SplitMix(ulong state)
{
    private ulong _state = state;

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        return Finalize(z);
    }

    /// <summary>Uniform integer in [0, bound).</summary>
    public int Next(int bound) => (int)(((NextULong() >> 32) * (ulong)bound) >> 32);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [-1, 1).</summary>
    public double NextSigned() => 2 * NextDouble() - 1;

    /// <summary>Zero mean, unit variance, cheap (the sum of two uniforms: triangular on ±√6).</summary>
    public float NextNoise() => (float)((NextDouble() + NextDouble() - 1) * 2.449489742783178);

    /// <summary>A key for an independent stream derived from <paramref name="key"/> and a purpose constant.</summary>
    public static ulong Derive(ulong key, ulong purpose) => Finalize(Finalize(key + 0x9E3779B97F4A7C15UL) ^ purpose);

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
