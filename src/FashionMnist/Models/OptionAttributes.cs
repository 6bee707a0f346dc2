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
/// The word an enum value is written as everywhere (help, errors, model files, run records) when its kebab-case name
/// reads badly: <c>AdamW</c> would be <c>adam-w</c>, but everyone writes <c>adamw</c>. The kebab-case name is still
/// accepted on input.
/// </summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class WrittenAsAttribute(string word) : Attribute
{
    public string Word { get; } = word;
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
