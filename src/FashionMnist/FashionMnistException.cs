namespace FashionMnist;

/// <summary>Process exit codes shared by the library and the CLI.</summary>
public static class ExitCodes
{
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
    public FashionMnistException(string problem, string remedy, int exitCode = ExitCodes.BadInput, Exception? inner = null)
        : base(Compose(problem, remedy), inner)
    {
        (Problem, Remedy, ExitCode) = (problem, remedy, exitCode);
    }

    /// <summary>What is wrong, naming the file, flag or value concerned.</summary>
    public string Problem { get; }

    /// <summary>What the user can do about it.</summary>
    public string Remedy { get; }

    public int ExitCode { get; }

    private static string Compose(string problem, string remedy) =>
        string.IsNullOrWhiteSpace(remedy) ? problem : $"{problem.TrimEnd('.')}. {remedy}";
}
