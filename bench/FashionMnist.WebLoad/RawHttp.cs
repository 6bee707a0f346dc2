using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FashionMnist.WebLoad;

/// <summary>How a raw request is sent: all at once, slowly, or cut off.</summary>
public sealed record Pacing
{
    /// <summary>Send everything at once and read the answer.</summary>
    public static Pacing Normal { get; } = new();

    /// <summary>Bytes per write and the pause between writes (a slow client).</summary>
    public int PieceBytes { get; init; }
    public TimeSpan Pause { get; init; }

    /// <summary>Close the connection after this many bytes, without reading an answer (a client that goes away mid-upload).</summary>
    public long? CloseAfterBytes { get; init; }

    /// <summary>Send everything, then close at once without reading the answer (the user closed the tab).</summary>
    public bool CloseAfterSending { get; init; }

    /// <summary>Stop waiting for the server after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What a raw request got: a status code or none, and whether the wait for it ran out.</summary>
public readonly record struct RawAnswer(int? Status, bool TimedOut);

/// <summary>
/// HTTP/1.1 over a plain socket, for requests HttpClient will not send (a wrong Host, a body without its end, slow or
/// vanishing clients). Connects from <see cref="Source"/> (another loopback address, so the server sees another
/// client) and reads the status code of the answer, if any.
/// </summary>
public static class RawHttp
{
    /// <summary>The address hostile requests come from: the server's per-client gate sees them as a second client.</summary>
    public static IPAddress Source { get; set; } = IPAddress.Parse("127.0.0.2");

    /// <summary>
    /// The status code (null when the connection ended without an answer, or the client left on purpose), and whether
    /// the server neither answered nor closed within <see cref="Pacing.Timeout"/> (a hang: always a failure).
    /// </summary>
    public static async Task<RawAnswer> SendAsync(Uri server, byte[] request, Pacing pacing, CancellationToken cancellation)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try { socket.Bind(new IPEndPoint(Source, 0)); }
        catch (SocketException) { socket.Bind(new IPEndPoint(IPAddress.Loopback, 0)); }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(pacing.Timeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(server.Host), server.Port), timeout.Token);
            bool leave = pacing.CloseAfterBytes is not null || pacing.CloseAfterSending;
            // Read while sending: a server may answer (413, 408) and close before the client has sent everything.
            Task<RawAnswer> answer = leave ? Task.FromResult(new RawAnswer(null, false)) : ReadStatusAsync(socket, timeout.Token);
            long limit = Math.Min(request.Length, pacing.CloseAfterBytes ?? long.MaxValue);
            int piece = pacing.PieceBytes > 0 ? pacing.PieceBytes : (int)Math.Min(limit, 1 << 20);
            try
            {
                for (long sent = 0; sent < limit;)
                {
                    int n = (int)Math.Min(piece, limit - sent);
                    sent += await socket.SendAsync(request.AsMemory((int)sent, n), SocketFlags.None, timeout.Token);
                    if (pacing.Pause > TimeSpan.Zero && sent < limit) await Task.Delay(pacing.Pause, timeout.Token);
                }
            }
            catch (SocketException) when (!leave)
            {
                // The server closed the connection; its answer, if any, is being read.
            }
            if (leave)
            {
                socket.LingerState = new LingerOption(true, 0); // a reset, as when a phone loses its connection
                return new RawAnswer(null, false);
            }
            return await answer;
        }
        catch (SocketException) { return new RawAnswer(null, false); }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { return new RawAnswer(null, TimedOut: true); }
    }

    /// <summary>Reads the status line, then the rest until the server closes (requests say Connection: close).</summary>
    private static async Task<RawAnswer> ReadStatusAsync(Socket socket, CancellationToken cancellation)
    {
        var head = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int? status = null;
        while (true)
        {
            int read;
            try { read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation); }
            catch (SocketException) { return new RawAnswer(status, false); }
            catch (OperationCanceledException) { return new RawAnswer(status, TimedOut: status is null); }
            if (read == 0) return new RawAnswer(status, false);
            if (status is null)
            {
                head.Write(buffer, 0, read);
                string text = Encoding.ASCII.GetString(head.GetBuffer(), 0, (int)head.Length);
                int end = text.IndexOf("\r\n", StringComparison.Ordinal);
                if (end > 0)
                {
                    string[] parts = text[..end].Split(' ');
                    status = parts.Length >= 2 && int.TryParse(parts[1], out int s) ? s : -1;
                }
            }
        }
    }

    /// <summary>A request's bytes: request line, headers (Host first, then the given ones, Connection: close), body.</summary>
    public static byte[] Build(string method, string path, string host, IEnumerable<(string Name, string Value)> headers, byte[]? body,
        bool contentLength = true)
    {
        var text = new StringBuilder();
        text.Append($"{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
        foreach (var (name, value) in headers) text.Append($"{name}: {value}\r\n");
        if (body is not null && contentLength) text.Append($"Content-Length: {body.Length}\r\n");
        text.Append("Connection: close\r\n\r\n");
        byte[] start = Encoding.ASCII.GetBytes(text.ToString());
        return body is null ? start : [.. start, .. body];
    }

    /// <summary>A body in HTTP/1.1 chunked transfer coding (no Content-Length: the server counts while it reads).</summary>
    public static byte[] Chunked(byte[] body, int chunk = 64 * 1024)
    {
        var result = new MemoryStream();
        for (int i = 0; i < body.Length; i += chunk)
        {
            int n = Math.Min(chunk, body.Length - i);
            result.Write(Encoding.ASCII.GetBytes($"{n:x}\r\n"));
            result.Write(body, i, n);
            result.Write("\r\n"u8);
        }
        result.Write("0\r\n\r\n"u8);
        return result.ToArray();
    }
}
