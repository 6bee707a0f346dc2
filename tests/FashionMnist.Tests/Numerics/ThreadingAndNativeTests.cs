using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Tests.Numerics;

public class ThreadingAndNativeTests
{
    private static readonly NativeLibraryInfo Bogus =
        new("bogus", "libfmnist-does-not-exist.so.7", "libfmnist-bogus7", "a library that is not installed");

    [Fact]
    public void A_library_that_cannot_load_names_its_Debian_package()
    {
        Assert.False(NativeLibraries.IsAvailable(Bogus));
        var error = Assert.Throws<NativeLibraryMissingException>(() => NativeLibraries.Require(Bogus));
        Assert.Same(Bogus, error.Library);
        Assert.Contains("libfmnist-does-not-exist.so.7", error.Message);
        Assert.Contains("sudo apt-get install libfmnist-bogus7", error.Message);
        Assert.Equal(ExitCodes.Failure, error.ExitCode);
    }

    [Fact]
    public void Auto_falls_back_to_managed_when_OpenBlas_is_missing_and_a_forced_OpenBlas_fails_clearly()
    {
        Assert.Equal(GemmBackend.Managed, Gemm.Resolve(GemmBackend.Auto, Bogus));
        Assert.Equal(GemmBackend.Managed, Gemm.Resolve(GemmBackend.Managed, Bogus));
        var error = Assert.Throws<NativeLibraryMissingException>(() => Gemm.Resolve(GemmBackend.OpenBlas, Bogus));
        Assert.Contains("libfmnist-bogus7", error.Message);
        Assert.Equal(GemmBackend.OpenBlas, Gemm.Resolve(GemmBackend.Auto, NativeLibraries.OpenBlas)); // installed by setup.sh
    }

    [Fact]
    public void Sequential_scope_makes_calls_on_this_thread_single_threaded_and_nests()
    {
        int outside = Gemm.ThreadsPerCall;
        Assert.Equal(ComputeThreads.Count, outside);
        using (Gemm.Sequential())
        {
            Assert.Equal(1, Gemm.ThreadsPerCall);
            using (Gemm.Sequential()) Assert.Equal(1, Gemm.ThreadsPerCall);
            Assert.Equal(1, Gemm.ThreadsPerCall);
            int onOtherThread = 0;
            var other = new Thread(() => onOtherThread = Gemm.ThreadsPerCall); // the flag is per thread
            other.Start();
            other.Join();
            Assert.Equal(ComputeThreads.Count, onOtherThread);
        }
        Assert.Equal(outside, Gemm.ThreadsPerCall);
    }

    [Fact]
    public void OpenBlas_stays_single_threaded_because_dotnet_owns_the_threads()
    {
        var g = new GemmCase(256, 256, 256, false, false);
        float[] c = g.FreshC();
        Gemm.Multiply(GemmBackend.OpenBlas, 2, false, false, g.M, g.N, g.K, 1f, g.A, g.Lda, g.B, g.Ldb, 0f, c, g.Ldc);
        g.Verify(c, "openblas x2 partitioned");
        Assert.Equal(1, OpenBlas.CurrentThreads);
    }

    [Fact]
    public void Native_environment_is_prepared_before_libraries_load_and_seen_by_native_getenv()
    {
        // The module initializer ran Prepare() when the library assembly loaded.
        foreach (var (name, value) in NativeEnvironment.Defaults)
        {
            string? user = Environment.GetEnvironmentVariable(name);
            Assert.Equal(user, NativeEnvironment.GetNative(name)); // managed and native views agree
            Assert.False(string.IsNullOrEmpty(NativeEnvironment.GetNative(name)), $"{name} should be set (default {value}).");
        }
        NativeEnvironment.Set("FMNIST_TEST_NATIVE_ENV", "42");
        Assert.Equal("42", NativeEnvironment.GetNative("FMNIST_TEST_NATIVE_ENV"));
        Assert.Equal("42", Environment.GetEnvironmentVariable("FMNIST_TEST_NATIVE_ENV"));
    }
}
