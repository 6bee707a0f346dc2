using FashionMnist.Tests.Imaging;
using FashionMnist.Web;
using Microsoft.AspNetCore.Builder;

namespace FashionMnist.Tests.Web;

/// <summary>
/// The real web app on real Kestrel, listening on a free loopback port, serving a quick test classifier
/// (softmax regression on 3,000 Fashion-MNIST images). Shared by the tests of a class.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public TinyMlp Model { get; } = TestModels.PrivateLinear();
    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = ClassifierWebApp.Build(Model, new WebOptions { Urls = "http://127.0.0.1:0" });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }
}
