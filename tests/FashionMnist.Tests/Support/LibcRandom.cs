using System.Runtime.InteropServices;

namespace FashionMnist.Tests.Support;

/// <summary>
/// libc's rand()/srand() (one state for the whole process, shared with random()) and random_r (the same generator
/// with caller-owned state), for tests that compare with LIBSVM's own rand()-driven probability training or that
/// draw from the process-wide generator the way other native libraries do.
/// </summary>
internal static unsafe partial class LibcRandom
{
    [LibraryImport("c", EntryPoint = "srand")]
    public static partial void Seed(uint seed);

    [LibraryImport("c", EntryPoint = "rand")]
    public static partial int Next();

    [LibraryImport("c", EntryPoint = "initstate_r")]
    private static partial int InitStateR(uint seed, byte* state, nuint size, RandomData* buffer);

    [LibraryImport("c", EntryPoint = "random_r")]
    private static partial int RandomR(RandomData* buffer, int* result);

    /// <summary>glibc's struct random_data (x86-64).</summary>
    private struct RandomData
    {
        public int* Front, Rear, State;
        public int Type, Degree, Separation;
        public int* End;
    }

    /// <summary>The first <paramref name="count"/> draws of glibc's default generator seeded with <paramref name="seed"/>, from private state.</summary>
    public static int[] Draws(uint seed, int count)
    {
        // 128 bytes of state select TYPE_3, the generator rand() uses; initstate_r wants the struct zeroed.
        byte* state = stackalloc byte[128];
        RandomData buffer = default;
        if (InitStateR(seed, state, 128, &buffer) != 0) throw new InvalidOperationException("initstate_r failed");
        var draws = new int[count];
        for (int i = 0; i < count; i++)
        {
            int value;
            RandomR(&buffer, &value);
            draws[i] = value;
        }
        return draws;
    }
}
