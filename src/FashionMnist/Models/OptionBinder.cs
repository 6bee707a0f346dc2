using System.ComponentModel;
using System.Reflection;

namespace FashionMnist.Models;

/// <summary>One settable option of a model, for --help and for binding.</summary>
/// <param name="Name">The kebab-case name: help, model files and run records use it.</param>
/// <param name="Type">The property type.</param>
/// <param name="DefaultValue">The value of a new options record.</param>
/// <param name="Description">One line for help.</param>
/// <param name="Aliases">Other names it answers to on input (<see cref="AlsoNamedAttribute"/>), e.g. scikit-learn's.</param>
public sealed record OptionInfo(string Name, Type Type, object? DefaultValue, string Description, IReadOnlyList<string> Aliases)
{
    /// <summary>What a value must look like, in words ("a whole number", "one of: uniform, distance").</summary>
    public string Expected => OptionBinder.DescribeType(Type);
}

/// <summary>
/// Sets a <see cref="ModelOptions"/> record's properties from "name=value" text (command line,
/// search grids, YAML/JSON files, model files). Names match in kebab-case, snake_case or PascalCase
/// ("max-depth", "max_depth", "MaxDepth"), and aliases given by <see cref="AlsoNamedAttribute"/>; values parse with
/// the invariant culture; enums match by name ignoring case and dashes (or an <see cref="AlsoAcceptedAttribute"/>
/// word; values print as their <see cref="WrittenAsAttribute"/> word if they have one); any other type that is <see cref="IParsable{TSelf}"/> parses itself. An option marked
/// <see cref="ImpliesAttribute"/> sets its implied option too unless that one is given. Unknown names and bad values
/// give a <see cref="FashionMnistException"/> naming the option and what is accepted, with a "did you mean" for a
/// near miss (<see cref="Spelling"/>); the result is validated before
/// it is returned. This is the only text parser of options: the CLI, search grids, profiles and model files use it.
/// </summary>
public static class OptionBinder
{
    /// <summary>Options of type <typeparamref name="T"/>: its defaults with <paramref name="settings"/> applied, validated.</summary>
    public static T Bind<T>(IReadOnlyDictionary<string, string> settings) where T : ModelOptions, new() =>
        (T)Bind(typeof(T), settings, typeof(T).Name);

    /// <summary>
    /// Options of type <paramref name="optionsType"/>: its defaults with <paramref name="settings"/> applied, validated;
    /// <paramref name="modelName"/> names the model in errors.
    /// </summary>
    public static ModelOptions Bind(Type optionsType, IReadOnlyDictionary<string, string> settings, string modelName)
    {
        var options = (ModelOptions)(Activator.CreateInstance(optionsType)
            ?? throw new InvalidOperationException($"{optionsType} needs a parameterless constructor."));
        return With(options, settings, modelName);
    }

    /// <summary>A copy of <paramref name="options"/> with the given settings applied, validated.</summary>
    public static ModelOptions With(ModelOptions options, IReadOnlyDictionary<string, string> settings, string modelName)
    {
        Type type = options.GetType();
        // Records are immutable to callers; clone through the compiler-generated copy constructor.
        var copy = (ModelOptions)type.GetMethod("<Clone>$")!.Invoke(options, null)!;
        var properties = SettableProperties(type);
        var given = new HashSet<PropertyInfo>();
        var implied = new List<(PropertyInfo Property, ImpliesAttribute Rule)>();
        foreach (var (rawName, rawValue) in settings)
        {
            if (!properties.TryGetValue(Normalize(rawName), out var property))
                throw UnknownOption(type, rawName, modelName);
            property.SetValue(copy, Parse(rawValue, property.PropertyType, rawName));
            given.Add(property);
            if (property.GetCustomAttribute<ImpliesAttribute>() is { } rule) implied.Add((property, rule));
        }
        foreach (var (property, rule) in implied)
        {
            var target = properties[Normalize(rule.Option)];
            if (!given.Contains(target)) target.SetValue(copy, Parse(rule.Value, target.PropertyType, rule.Option));
        }
        copy.Validate();
        return copy;
    }

    /// <summary>The options of a record type with defaults and descriptions, in declaration order (base record first).</summary>
    public static IReadOnlyList<OptionInfo> Describe(Type optionsType)
    {
        object defaults = Activator.CreateInstance(optionsType)!;
        return OrderedProperties(optionsType)
            .Select(p => new OptionInfo(KebabCase(p.Name), p.PropertyType, p.GetValue(defaults),
                p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "",
                p.GetCustomAttribute<AlsoNamedAttribute>()?.Names ?? []))
            .ToList();
    }

    /// <summary>
    /// The option's own (kebab-case) name for any name it answers to ("n_neighbors" → "k", "lr" → "learning-rate"),
    /// or null when the options type has no such option.
    /// </summary>
    public static string? Resolve(Type optionsType, string name) =>
        SettableProperties(optionsType).TryGetValue(Normalize(name), out var property) ? KebabCase(property.Name) : null;

    /// <summary>How each value of an enum is written: its <see cref="WrittenAsAttribute"/> word, else its kebab-case name.</summary>
    public static IReadOnlyList<string> EnumWords(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static).Select(WordOf).ToList();

    private static string WordOf(FieldInfo field) => field.GetCustomAttribute<WrittenAsAttribute>()?.Word ?? KebabCase(field.Name);

    /// <summary>Whether two <see cref="ToSettings"/> results name the same options with the same values (the same model, given a seed).</summary>
    internal static bool SameSettings(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var value) && value == kv.Value);

    /// <summary>The options as "name=value" text, the inverse of <see cref="Bind"/> (for model files, stores and logs).</summary>
    public static IReadOnlyDictionary<string, string> ToSettings(ModelOptions options)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in OrderedProperties(options.GetType()))
            result[KebabCase(property.Name)] = Format(property.GetValue(options));
        return result;
    }

    /// <summary>
    /// The options that mean something for this model, as "name=value" text: <see cref="ToSettings"/> without the ones
    /// <see cref="ModelOptions.IsInEffect"/> rules out (HOG settings of a model on pixels, ...). For display and run records.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ToEffectiveSettings(ModelOptions options)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in ToSettings(options))
            if (options.IsInEffect(name)) result[name] = value;
        return result;
    }

    /// <summary>An option value as text the binder reads back: invariant culture, round-trip doubles, kebab-case enums, comma-separated lists.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => e.GetType().GetField(e.ToString()) is { } field ? WordOf(field) : KebabCase(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => string.Join(",", list.Cast<object?>().Select(Format)),
        _ => value.ToString() ?? "",
    };

    /// <summary>"MaxDepth" → "max-depth": the name an option goes by on the command line and in files.</summary>
    public static string KebabCase(string pascal)
    {
        var builder = new System.Text.StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])
                    || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]) && char.IsUpper(pascal[i - 1])));
                if (boundary) builder.Append('-');
                builder.Append(char.ToLowerInvariant(c));
            }
            else builder.Append(c);
        }
        return builder.ToString();
    }

    private static string Normalize(string name) => name.Replace("-", "").Replace("_", "").Trim().ToLowerInvariant();

    /// <summary>Public settable properties, the base record's first, each in declaration order.</summary>
    private static IEnumerable<PropertyInfo> OrderedProperties(Type type)
    {
        var chain = new List<Type>();
        for (Type? t = type; t is not null && t != typeof(ModelOptions); t = t.BaseType) chain.Insert(0, t);
        return chain.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.CanWrite && p.Name != "EqualityContract" && p.SetMethod!.IsPublic)
            .OrderBy(p => p.MetadataToken));
    }

    /// <summary>Every accepted (normalized) name of every option, aliases included.</summary>
    private static Dictionary<string, PropertyInfo> SettableProperties(Type type)
    {
        var map = new Dictionary<string, PropertyInfo>();
        foreach (var property in OrderedProperties(type))
        {
            map[Normalize(property.Name)] = property;
            foreach (string alias in property.GetCustomAttribute<AlsoNamedAttribute>()?.Names ?? [])
                map.TryAdd(Normalize(alias), property);
        }
        return map;
    }

    private static FashionMnistException UnknownOption(Type type, string rawName, string modelName)
    {
        // A near miss of an alias suggests the option it stands for: "neighbors" → k (via n_neighbors).
        var options = Describe(type);
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in options)
        {
            byName.TryAdd(option.Name, option.Name);
            foreach (string alias in option.Aliases) byName.TryAdd(alias, option.Name);
        }
        var meant = Spelling.Closest(rawName, byName.Keys).Select(n => byName[n]).Distinct().ToList();
        string hint = meant.Count == 0 ? "" : Spelling.Question(meant) + " ";
        return new($"Model '{modelName}' has no option '{rawName}'",
            $"{hint}Its options are: {string.Join(", ", options.Select(o => o.Name))} (`fmnist models {modelName}` describes them).");
    }

    private static object? Parse(string text, Type type, string name)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        text = text.Trim();
        if (target != type && (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("null", StringComparison.OrdinalIgnoreCase)))
            return null;
        try
        {
            if (target == typeof(string)) return text;
            if (target == typeof(bool))
                return text.ToLowerInvariant() switch
                {
                    "true" or "yes" or "1" or "on" => true,
                    "false" or "no" or "0" or "off" => false,
                    _ => throw new FormatException(),
                };
            if (target.IsEnum) return ParseEnum(text, target, name);
            if (target == typeof(int[]))
                return text.Split([',', '+'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(part => int.Parse(part, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray() is { Length: > 0 } list
                    ? list : throw new FormatException();
            if (target == typeof(int)) return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (target == typeof(long)) return long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            // No option means anything by NaN or infinity: reject them here rather than in every Validate.
            if (target == typeof(double))
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) is var d && double.IsFinite(d) ? d : throw new FormatException();
            if (target == typeof(float))
                return float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) is var f && float.IsFinite(f) ? f : throw new FormatException();
            if (ParsableMethod(target) is MethodInfo parse)
            {
                try { return parse.Invoke(null, [text, CultureInfo.InvariantCulture]); }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                    throw;
                }
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FashionMnistException($"Option '{name}' expects {DescribeType(type)}, got '{text}'",
                $"Write it as --set {name}=VALUE with a valid value.");
        }
        throw new NotSupportedException($"Options of type {type} are not supported by the binder.");
    }

    private static object ParseEnum(string text, Type target, string name)
    {
        string wanted = Normalize(text);
        var fields = target.GetFields(BindingFlags.Public | BindingFlags.Static);
        foreach (var field in fields)
        {
            if (Normalize(field.Name) == wanted || Normalize(WordOf(field)) == wanted) return field.GetValue(null)!;
            foreach (string word in field.GetCustomAttribute<AlsoAcceptedAttribute>()?.Words ?? [])
                if (Normalize(word) == wanted) return field.GetValue(null)!;
        }
        var words = EnumWords(target);
        string hint = Spelling.DidYouMean(text, words);
        throw new FashionMnistException($"Option '{name}' cannot be '{text}'",
            (hint.Length > 0 ? hint + " " : "") + $"Use one of: {string.Join(", ", words)}.");
    }

    /// <summary>The static Parse(string, IFormatProvider) of an <see cref="IParsable{TSelf}"/> type, or null.</summary>
    private static MethodInfo? ParsableMethod(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IParsable<>))
            ? type.GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider)])
            : null;

    /// <summary>What a value of this option type looks like, in words for error messages and help.</summary>
    public static string DescribeType(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        string words = target == typeof(int) || target == typeof(long) ? "a whole number"
            : target == typeof(double) || target == typeof(float) ? "a finite number (e.g. 0.1 or 1e-3)"
            : target == typeof(bool) ? "true or false"
            : target == typeof(int[]) ? "whole numbers separated by commas (e.g. 256,128)"
            : target == typeof(string) ? "text"
            : target.IsEnum ? "one of: " + string.Join(", ", EnumWords(target))
            : target.GetCustomAttribute<DescriptionAttribute>()?.Description ?? KebabCase(target.Name);
        return target != type ? words + " (or none)" : words;
    }
}
