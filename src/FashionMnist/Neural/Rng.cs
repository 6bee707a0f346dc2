namespace FashionMnist.Neural;

/// <summary>
/// Seeded randomness with state that fits in one number, so checkpoints can store it and resume exactly.
/// Sequential draws use SplitMix64; <see cref="Key"/> derives independent streams from (seed, purpose, counter)
/// so dropout masks, augmentation and shuffles depend only on what they are for, never on thread timing.
/// </summary>
public sealed class Rng
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    public Rng(ulong state) => State = state;

    /// <summary>The whole generator state (save it to continue the same stream later).</summary>
    public ulong State { get; set; }

    public static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A key for an independent stream: e.g. Key(seed, "dropout", step).</summary>
    public static ulong Key(ulong a, ulong b, ulong c = 0) => Mix(Mix(Mix(a) ^ b) ^ c);

    public ulong NextULong()
    {
        State += Golden;
        ulong z = State;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound).</summary>
    public int Next(int bound) => (int)(((NextULong() >> 32) * (ulong)bound) >> 32);

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
