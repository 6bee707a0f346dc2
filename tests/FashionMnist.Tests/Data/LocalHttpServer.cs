using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FashionMnist.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (random port) for download tests: one response per connection,
/// decided by a handler that sees the path and how many times it was requested. It can send a status,
/// a body, and a Content-Length larger than the body (a connection cut mid-download).
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    public sealed record Reply(int Status, byte[] Body, long? DeclaredLength = null);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, int, Reply> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LocalHttpServer(Func<string, int, Reply> handler)
    {
        _handler = handler;
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>Requests seen per path.</summary>
    public ConcurrentDictionary<string, int> Requests { get; } = new();

    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/data/");

    /// <summary>Serves files by name from the dictionary under /data/, 404 otherwise.</summary>
    public static LocalHttpServer ServingFiles(IReadOnlyDictionary<string, byte[]> files) =>
        new((path, _) => files.TryGetValue(path.Replace("/data/", ""), out var body) ? new Reply(200, body) : new Reply(404, []));

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private void Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                string requestLine = reader.ReadLine() ?? "";
                while (!string.IsNullOrEmpty(reader.ReadLine())) { } // headers
                string path = requestLine.Split(' ') is { Length: >= 2 } parts ? parts[1] : "/";
                int number = Requests.AddOrUpdate(path, 1, (_, n) => n + 1);
                Reply reply = _handler(path, number);
                string head = $"HTTP/1.1 {reply.Status} {(reply.Status == 200 ? "OK" : "Error")}\r\n" +
                              $"Content-Length: {reply.DeclaredLength ?? reply.Body.Length}\r\n" +
                              "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
                stream.Write(Encoding.ASCII.GetBytes(head));
                stream.Write(reply.Body);
                stream.Flush();
            }
            catch (IOException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
