namespace FashionMnist.Models;

/// <summary>
/// Other names an option answers to, e.g. scikit-learn's <c>n_neighbors</c> for <c>k</c>. The option keeps its own
/// name in help, model files and run records; an alias is only accepted on input.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class AlsoNamedAttribute(params string[] names) : Attribute
{
    /// <summary>The accepted alternative names (any of kebab-case, snake_case or PascalCase).</summary>
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>
/// Other words an enum value is accepted as, e.g. <c>minmax</c> for <c>unit</c> scaling. Output always uses the
/// value's own (kebab-case) name.
/// </summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class AlsoAcceptedAttribute(params string[] words) : Attribute
{
    /// <summary>The accepted alternative spellings.</summary>
    public IReadOnlyList<string> Words { get; } = words;
}

/// <summary>
/// Setting this option also sets another one, unless that one is given too: <c>--hog-cell 4</c> means HOG features,
/// so <c>hog-cell</c> implies <c>features=hog</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class ImpliesAttribute(string option, string value) : Attribute
{
    /// <summary>The implied option's name.</summary>
    public string Option { get; } = option;

    /// <summary>The value it takes.</summary>
    public string Value { get; } = value;
}
