using System.Text.Json;

namespace FashionMnist.Web;

/// <summary>The API's JSON: snake_case property names, like the CLI's --json.</summary>
internal static class WebJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
