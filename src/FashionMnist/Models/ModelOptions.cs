namespace FashionMnist.Models;

/// <summary>
/// Base of every model's hyper-parameter record. Properties are <c>init</c>-only with documented
/// defaults (a <see cref="System.ComponentModel.DescriptionAttribute"/> on each explains it for --help),
/// so <c>new KnnOptions()</c> is always a sensible model and <see cref="OptionBinder"/> can set them
/// from "name=value" pairs given on the command line or in a search grid.
/// </summary>
public abstract record ModelOptions
{
    /// <summary>
    /// Checks ranges and combinations; throws <see cref="FashionMnistException"/> naming the option
    /// and the allowed values (for example "k must be at least 1, got 0").
    /// </summary>
    public virtual void Validate() { }

    /// <summary>Throws the standard bad-option error when <paramref name="condition"/> is false.</summary>
    protected static void Require(bool condition, string option, string rule, object? actual)
    {
        if (!condition)
            throw new FashionMnistException($"Option '{option}' {rule}, got {actual}",
                $"Change it with --set {option}=VALUE.");
    }
}
