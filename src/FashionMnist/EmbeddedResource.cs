namespace FashionMnist;

/// <summary>The data files built into the library (recipes, runtime defaults): opened by logical name.</summary>
internal static class EmbeddedResource
{
    /// <summary>The resource <paramref name="logicalName"/> (its LogicalName in FashionMnist.csproj); a build without it is a bug, not bad input.</summary>
    public static Stream Open(string logicalName) =>
        typeof(EmbeddedResource).Assembly.GetManifestResourceStream(logicalName)
        ?? throw new InvalidOperationException($"The embedded resource {logicalName} is missing from the library build.");
}
