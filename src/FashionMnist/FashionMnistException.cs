namespace FashionMnist;

/// <summary>Process exit codes shared by the library and the CLI.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>Something failed that is not the user's input (a missing native library, a bug).</summary>
    public const int Failure = 1;
    /// <summary>The user gave something wrong: a path, a file, a flag, an image, a model file.</summary>
    public const int BadInput = 2;
}

/// <summary>
/// A problem a person can fix, told as what is wrong and what to do about it.
/// The CLI prints <see cref="Exception.Message"/> (never a stack trace) and exits with <see cref="ExitCode"/>.
/// </summary>
public class FashionMnistException : Exception
{
    /// <summary>A problem, what to do about it, and the exit code the CLI ends with (2 for bad input, 1 for the environment).</summary>
    public FashionMnistException(string problem, string remedy, int exitCode = ExitCodes.BadInput, Exception? inner = null)
        : base(Compose(problem, remedy), inner)
    {
        (Problem, Remedy, ExitCode) = (problem, remedy, exitCode);
    }

    /// <summary>What is wrong, naming the file, flag or value concerned.</summary>
    public string Problem { get; }

    /// <summary>What the user can do about it.</summary>
    public string Remedy { get; }

    /// <summary>The process exit code for this problem: <see cref="ExitCodes.BadInput"/> or <see cref="ExitCodes.Failure"/>.</summary>
    public int ExitCode { get; }

    private static string Compose(string problem, string remedy) =>
        string.IsNullOrWhiteSpace(remedy) ? problem : $"{problem.TrimEnd('.')}. {remedy}";
}
