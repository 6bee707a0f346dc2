namespace FashionMnist.Models;

/// <summary>
/// Base of every model's hyper-parameter record, and the whole description of a model: everything that decides what
/// a fit produces (preprocessing included) is a property here, so options → model file → options gives the same model.
/// Properties are <c>init</c>-only with documented defaults (a <see cref="System.ComponentModel.DescriptionAttribute"/>
/// on each explains it for --help), so <c>new KnnOptions()</c> is always a sensible model and
/// <see cref="OptionBinder"/> can set them from "name=value" pairs given on the command line, in a search grid or
/// in a model file. <see cref="ModelCatalog.Create(ModelOptions)"/> validates and builds.
/// </summary>
public abstract record ModelOptions
{
    /// <summary>
    /// Checks ranges and combinations; throws <see cref="FashionMnistException"/> naming the option
    /// and the allowed values (for example "k must be at least 1, got 0").
    /// </summary>
    public virtual void Validate() { }

    /// <summary>
    /// Whether option <paramref name="name"/> (kebab-case) changes anything with the other options as they are: the
    /// HOG settings of a model on raw pixels do not. Run records and displays leave such options out; model files keep
    /// them all.
    /// </summary>
    public virtual bool IsInEffect(string name) => true;

    /// <summary>Throws the standard bad-option error when <paramref name="condition"/> is false.</summary>
    protected static void Require(bool condition, string option, string rule, object? actual)
    {
        if (!condition)
            throw new FashionMnistException($"Option '{option}' {rule}, got {actual}",
                $"Change it with --set {option}=VALUE.");
    }
}
