using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace FashionMnist.Web;

/// <summary>
/// What every request passes before it reaches a route: the Host header must name this server (a DNS-rebinding page
/// at attacker.example resolving to 127.0.0.1 sends Host: attacker.example), and a POST from a browser must come from
/// this server's own page (Origin). Every response gets the security headers (no sniffing, no framing, a CSP that
/// allows exactly the page's own inline script and style by hash).
/// </summary>
internal sealed partial class RequestGuards
{
    private readonly bool _loopbackOnly;
    private readonly bool _anyAddress;
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    public RequestGuards(WebOptions options, string page)
    {
        _loopbackOnly = true;
        foreach (string url in options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string host = Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out Uri? uri) ? uri.Host.Trim('[', ']') : "";
            if (IsLoopback(host)) continue;
            _loopbackOnly = false;
            if (IPAddress.TryParse(host, out IPAddress? address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))) _anyAddress = true;
            else if (host.Length > 0) _names.Add(host);
        }
        foreach (string name in options.AllowedHosts) _names.Add(name.Trim());
        if (_anyAddress)
        {
            string machine = Dns.GetHostName();
            _names.Add(machine);
            _names.Add(machine + ".local");
        }
        ContentSecurityPolicy = "default-src 'none'; " +
            $"script-src {Hashes(page, "script")}; style-src {Hashes(page, "style")}; " +
            "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    public string ContentSecurityPolicy { get; }

    public void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.Remove("Server");
    }

    /// <summary>Null when the request may proceed, else (status, message).</summary>
    public (int Status, string Message)? Check(HttpRequest request)
    {
        string host = request.Host.Host.Trim('[', ']');
        if (host.Length > 0 && !IsAllowedHost(host))
            return (StatusCodes.Status400BadRequest,
                $"This server does not answer to the host name '{host}'. Open it by its own address (or start it with --allowed-hosts {host}).");
        if (HttpMethods.IsPost(request.Method) && request.Headers.Origin is { Count: > 0 } origins)
        {
            string origin = origins.ToString();
            if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) || !SameAuthority(uri, request.Host))
                return (StatusCodes.Status403Forbidden, "Cross-site requests are not accepted: post from this server's own page.");
        }
        return null;
    }

    private bool IsAllowedHost(string host)
    {
        if (IsLoopback(host) || _names.Contains(host)) return true;
        return !_loopbackOnly && _anyAddress && IPAddress.TryParse(host, out _);
    }

    private static bool SameAuthority(Uri origin, HostString host)
    {
        if (!string.Equals(origin.Host.Trim('[', ']'), host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)) return false;
        int hostPort = host.Port ?? (origin.Scheme == "https" ? 443 : 80);
        return origin.Port == hostPort;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address));

    private static string Hashes(string page, string tag)
    {
        var hashes = new List<string>();
        foreach (Match m in Regex.Matches(page, $"<{tag}>(.*?)</{tag}>", RegexOptions.Singleline))
            hashes.Add($"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'");
        return hashes.Count == 0 ? "'none'" : string.Join(' ', hashes);
    }
}
