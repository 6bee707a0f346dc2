using FashionMnist.Imaging;

namespace FashionMnist.Web;

/// <summary>What POST /api/classify returns (serialised in snake_case).</summary>
public sealed record ClassifyResponse(IReadOnlyList<ClassProbability> Top, string InputPng, string Pipeline, double Milliseconds);

/// <summary>Every error the API returns: <c>{ "error": "..." }</c> with a 4xx status.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>GET /healthz.</summary>
public sealed record HealthResponse(string Status, string Model);
