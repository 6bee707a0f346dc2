using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Tests.Imaging;
using FashionMnist.Web;
using Microsoft.AspNetCore.Builder;

namespace FashionMnist.Tests.Web;

/// <summary>The server's own warm-up (ServerWarmUp): it sends built-in photos to a throwaway copy of the server before
/// the real one listens, leaves the answers unchanged, and stops a start whose model cannot classify a photo.</summary>
public sealed class ServerWarmUpTests
{
    private static async Task<string> TopOfFirstAnswer(WebApplication app)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
        var content = new ByteArrayContent(File.ReadAllBytes(TestImages.FixturePath("dress.jpg")));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using HttpResponseMessage response = await client.PostAsync("/api/classify", new MultipartFormDataContent { { content, "image", "dress.jpg" } });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("top").GetRawText();
    }

    [Fact]
    public async Task Warm_up_runs_on_every_photo_slot_and_the_first_answer_is_the_cold_servers()
    {
        var options = new WebOptions { Urls = "http://127.0.0.1:0", Augmentation = TestTimeAugmentation.Default, MaxConcurrentPhotos = 2 };
        await using var cold = ClassifierWebApp.Build(TestModels.PrivateLinear(), options);
        await cold.StartAsync();
        string coldTop = await TopOfFirstAnswer(cold);

        await using var warm = ClassifierWebApp.Build(TestModels.PrivateLinear(), options);
        WarmUpReport report = await ClassifierWebApp.WarmUpAsync(warm, TimeSpan.FromSeconds(0.5));
        await warm.StartAsync();

        Assert.Equal(4, report.Workers); // twice the photo slots, so that some requests wait for a slot
        Assert.True(report.Requests >= report.Workers, report.Describe()); // every worker sent at least one photo
        Assert.True(report.Rounds >= 1, report.Describe());
        Assert.StartsWith("Warmed up in ", report.Describe());
        Assert.Equal(coldTop, await TopOfFirstAnswer(warm));
    }

    [Fact]
    public async Task A_model_that_fails_stops_the_warm_up_naming_the_built_in_photo()
    {
        await using var app = ClassifierWebApp.Build(new FailingClassifier(TestModels.PrivateLinear()),
            new WebOptions { Urls = "http://127.0.0.1:0" });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ClassifierWebApp.WarmUpAsync(app, TimeSpan.FromSeconds(5)));
        Assert.Contains("built-in photo", e.Message);
        Assert.Contains("500 Internal Server Error", e.Message);
    }

    [Fact]
    public async Task Warm_up_needs_a_positive_duration()
    {
        await using var app = ClassifierWebApp.Build(TestModels.PrivateLinear(), new WebOptions { Urls = "http://127.0.0.1:0" });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ClassifierWebApp.WarmUpAsync(app, TimeSpan.Zero));
    }

    private sealed class FailingClassifier(IClassifier inner) : IClassifier
    {
        public string Name => inner.Name;
        public ModelOptions Options => inner.Options;
        public bool IsFitted => inner.IsFitted;
        public void Dispose() => inner.Dispose();
        public void Fit(ImageSet train, FitContext? context = null) => inner.Fit(train, context);
        public void SaveState(BinaryWriter writer) => inner.SaveState(writer);
        public void PredictProbabilities(ImageSet images, Span<float> probabilities) => throw new InvalidDataException("the model is broken");
    }
}
