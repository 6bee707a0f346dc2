namespace FashionMnist.Interop;

/// <summary>
/// glibc's rand()/random() generator (the default TYPE_3 additive feedback generator: 31 words, taps 3 apart, seeded
/// by srandom's Lehmer sequence and 310 discarded draws) with its state in this object instead of libc's one
/// process-wide state. Seeded alike, it yields exactly what libc's rand() yields after srand(seed), so LIBSVM's
/// probability training reproduced in C# (<see cref="LibSvmProbability"/>) shuffles exactly as LIBSVM's own did,
/// without being disturbed by whatever else in the process calls rand().
/// </summary>
internal sealed class GlibcRandom
{
    private const int Degree = 31, Separation = 3;
    private readonly int[] _state = new int[Degree];
    private int _front = Separation, _rear;

    public GlibcRandom(uint seed)
    {
        // __srandom_r: seed 0 becomes 1; state[i] = 16807 * state[i-1] mod (2^31 - 1), by Schrage's method as glibc computes it.
        int word = seed == 0 ? 1 : unchecked((int)seed);
        _state[0] = word;
        for (int i = 1; i < Degree; i++)
        {
            long hi = word / 127773, lo = word % 127773;
            word = (int)(16807 * lo - 2836 * hi);
            if (word < 0) word += int.MaxValue;
            _state[i] = word;
        }
        Skip(Degree * 10);
    }

    /// <summary>The next draw, 0 to 2^31 - 1 (rand()'s RAND_MAX).</summary>
    public int Next()
    {
        // random_r: state[front] += state[rear] (mod 2^32), returned without its least random bit.
        uint value = unchecked((uint)_state[_front] + (uint)_state[_rear]);
        _state[_front] = unchecked((int)value);
        if (++_front == Degree) _front = 0;
        if (++_rear == Degree) _rear = 0;
        return (int)(value >> 1);
    }

    /// <summary>Advances by <paramref name="draws"/> draws, as that many <see cref="Next"/> calls would.</summary>
    public void Skip(long draws)
    {
        for (long n = 0; n < draws; n++) Next();
    }
}
