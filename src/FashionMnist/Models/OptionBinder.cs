using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace FashionMnist.Models;

/// <summary>One settable option of a model, for --help and for binding.</summary>
public sealed record OptionInfo(string Name, Type Type, object? DefaultValue, string Description);

/// <summary>
/// Sets a <see cref="ModelOptions"/> record's properties from "name=value" text (command line,
/// search grids, YAML/JSON files). Names match in kebab-case, snake_case or PascalCase
/// ("max-depth", "max_depth", "MaxDepth"); values parse with the invariant culture; enums match by
/// name ignoring case and dashes. Unknown names and bad values give a <see cref="FashionMnistException"/>
/// listing what is accepted; the result is validated before it is returned.
/// </summary>
public static class OptionBinder
{
    public static T Bind<T>(IReadOnlyDictionary<string, string> settings) where T : ModelOptions, new() =>
        (T)Bind(typeof(T), settings, typeof(T).Name);

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
        foreach (var (rawName, rawValue) in settings)
        {
            string key = Normalize(rawName);
            if (!properties.TryGetValue(key, out var property))
                throw new FashionMnistException($"Model '{modelName}' has no option '{rawName}'",
                    $"Its options are: {string.Join(", ", Describe(type).Select(o => o.Name))}.");
            object? value = Parse(rawValue, property.PropertyType, rawName);
            property.SetValue(copy, value);
        }
        copy.Validate();
        return copy;
    }

    /// <summary>The options of a record type with defaults and descriptions, in declaration order.</summary>
    public static IReadOnlyList<OptionInfo> Describe(Type optionsType)
    {
        object defaults = Activator.CreateInstance(optionsType)!;
        return optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.DeclaringType != typeof(ModelOptions) && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken)
            .Select(p => new OptionInfo(KebabCase(p.Name), p.PropertyType, p.GetValue(defaults),
                p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? ""))
            .ToList();
    }

    /// <summary>The options as "name=value" text, the inverse of <see cref="Bind"/> (for logs, stores and file names).</summary>
    public static IReadOnlyDictionary<string, string> ToSettings(ModelOptions options)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var info in Describe(options.GetType()))
        {
            object? value = options.GetType().GetProperty(PascalFromKebab(info.Name))!.GetValue(options);
            result[info.Name] = Format(value);
        }
        return result;
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => KebabCase(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => string.Join(",", list.Cast<object?>().Select(Format)),
        _ => value.ToString() ?? "",
    };

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

    private static string PascalFromKebab(string kebab) =>
        string.Concat(kebab.Split('-').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));

    private static string Normalize(string name) => name.Replace("-", "").Replace("_", "").Trim().ToLowerInvariant();

    private static Dictionary<string, PropertyInfo> SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.DeclaringType != typeof(ModelOptions) && p.Name != "EqualityContract")
            .ToDictionary(p => Normalize(p.Name));

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
            if (target.IsEnum)
            {
                string wanted = Normalize(text);
                foreach (string candidate in Enum.GetNames(target))
                    if (Normalize(candidate) == wanted) return Enum.Parse(target, candidate);
                throw new FashionMnistException($"Option '{name}' cannot be '{text}'",
                    $"Use one of: {string.Join(", ", Enum.GetNames(target).Select(KebabCase))}.");
            }
            if (target == typeof(int[]))
                return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(part => int.Parse(part, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
            if (target == typeof(int)) return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (target == typeof(long)) return long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (target == typeof(double)) return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (target == typeof(float)) return float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new FashionMnistException($"Option '{name}' expects {DescribeType(target)}, got '{text}'",
                $"Write it as --set {name}=VALUE with a valid value.");
        }
        throw new NotSupportedException($"Options of type {type} are not supported by the binder.");
    }

    private static string DescribeType(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(double) || type == typeof(float) ? "a number (e.g. 0.1 or 1e-3)"
        : type == typeof(bool) ? "true or false"
        : type == typeof(int[]) ? "whole numbers separated by commas (e.g. 256,128)"
        : type.Name;
}
