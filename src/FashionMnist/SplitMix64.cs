namespace FashionMnist;

/// <summary>
/// The library's one seeded generator: SplitMix64 (Steele, Lea and Flood 2014), whose whole state is one number.
/// It is a struct so per-image draws (augmentation) allocate nothing; pass it by <c>ref</c> to keep one stream.
/// Streams are never shared between threads: each purpose gets its own, derived from (seed, purpose, counter) by
/// <see cref="Key"/>, so dropout masks, shuffles, augmentation and initial weights depend only on what they are for,
/// never on thread timing or on how many draws another purpose made.
/// </summary>
/// <remarks>
/// Trained models depend on every bit of these sequences (tests/…/Data/RandomStreamTests.cs pins them): a change
/// here changes what a seed gives. Two key derivations exist because both shaped models before they met in one type:
/// <see cref="Key"/> (network initialisation, shuffles, dropout, augmentation keys) and <see cref="Derive"/> (the
/// photo-like augmentation's stream and its per-image noise).
/// </remarks>
internal struct SplitMix64(ulong state)
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private ulong _state = state;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextULong() => Finalize(_state += Golden);

    /// <summary>Uniform integer in [0, <paramref name="bound"/>) (Lemire's multiply-shift on the top 32 bits).</summary>
    public int Next(int bound) => (int)(((NextULong() >> 32) * (ulong)bound) >> 32);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [-1, 1).</summary>
    public double NextSigned() => 2 * NextDouble() - 1;

    /// <summary>Zero mean, unit variance, cheap (the sum of two uniforms: triangular on ±√6).</summary>
    public float NextNoise() => (float)((NextDouble() + NextDouble() - 1) * 2.449489742783178);

    /// <summary>Standard normal (Box-Muller, one value per two draws).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher-Yates shuffle, from the last item down.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>One SplitMix64 step as a hash: the output of a generator whose state was <paramref name="z"/>.</summary>
    public static ulong Mix(ulong z) => Finalize(z + Golden);

    /// <summary>A key for an independent stream: e.g. Key(seed, purpose, step).</summary>
    public static ulong Key(ulong a, ulong b, ulong c = 0) => Mix(Mix(Mix(a) ^ b) ^ c);

    /// <summary>A key for an independent stream derived from <paramref name="key"/> and a purpose constant (see remarks).</summary>
    public static ulong Derive(ulong key, ulong purpose) => Finalize(Mix(key) ^ purpose);

    /// <summary>SplitMix64's output function (Stafford's Mix13 variant of the MurmurHash3 finaliser): a bijection that scatters every input bit.</summary>
    public static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
