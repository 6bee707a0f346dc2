using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using FashionMnist.Models;
using FashionMnist.Tests.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Web;

/// <summary>`fmnist serve` refuses bad arguments with exit 2 before it starts listening, and warms up before it listens.</summary>
public class ServeCliTests
{
    [Fact]
    public void Missing_model_file_is_exit_2()
    {
        var result = CliRunner.Run("serve", "--model", "/nonexistent/model.fmm", "--urls", "http://127.0.0.1:0");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'/nonexistent/model.fmm' does not exist", result.Stderr);
    }

    [Fact]
    public void Bad_url_and_unknown_pipeline_are_exit_2()
    {
        var url = CliRunner.Run("serve", "--model", "m.fmm", "--urls", "not a url");
        Assert.True(url.ExitCode == 2, url.ToString());
        Assert.Contains("is not a URL", url.Stderr);
        var pipeline = CliRunner.Run("serve", "--model", "m.fmm", "--pipeline", "fancy");
        Assert.True(pipeline.ExitCode == 2, pipeline.ToString());
        Assert.Contains("Unknown photo pipeline 'fancy'", pipeline.Stderr);
    }

    [Theory]
    [InlineData("-1", "--warm-up must be between 0 and 600 seconds, got -1")]
    [InlineData("601", "--warm-up must be between 0 and 600 seconds, got 601")]
    [InlineData("NaN", "--warm-up must be between 0 and 600 seconds, got NaN")]
    [InlineData("two", "two")]
    public void A_bad_warm_up_is_exit_2_before_the_model_loads(string value, string message)
    {
        var result = CliRunner.Run("serve", "--model", "/nonexistent/model.fmm", "--warm-up", value);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("does not exist", result.Stderr); // checked before the model
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Help_describes_the_api()
    {
        var result = CliRunner.Run("serve", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("/api/classify", result.Stdout);
        Assert.Contains("--urls", result.Stdout);
        Assert.Contains("--warm-up", result.Stdout);
    }

    [Fact]
    public async Task Serve_warms_up_before_it_listens_and_then_answers()
    {
        string folder = Directory.CreateTempSubdirectory("fmnist-serve-warm-up-").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        try
        {
            string model = Path.Combine(folder, "knn.fmm");
            var knn = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "1" });
            knn.Fit(TestData.BalancedTrain(5));
            ModelFile.Save(knn, model);
            foreach (string a in (string[])[CliRunner.FmnistDll, "serve", "--model", model, "--urls", "http://127.0.0.1:0", "--warm-up", "0.5"]) start.ArgumentList.Add(a);
            start.Environment["NO_COLOR"] = "1";
            using var process = Process.Start(start)!;
            try
            {
                var lines = new List<string>();
                string? line;
                // The server says it has warmed up, then where it listens.
                while ((line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2))) is not null && !line.StartsWith("Serving"))
                    lines.Add(line);
                Assert.True(line is not null, string.Join('\n', lines));
                Assert.Contains(lines, l => l.StartsWith("Warmed up in ") && l.Contains("requests of built-in photos on "));
                var address = new Uri(Regex.Match(line!, @"on (http://[^ ,]+)").Groups[1].Value);
                using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
                var photo = new ByteArrayContent(File.ReadAllBytes(TestImages.FixturePath("shoes.jpg")));
                photo.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                using HttpResponseMessage response = await client.PostAsync("/api/classify", photo);
                string body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, body);
                Assert.Equal(3, JsonDocument.Parse(body).RootElement.GetProperty("top").GetArrayLength());
            }
            finally
            {
                if (!process.HasExited) process.Kill();
                await process.WaitForExitAsync();
            }
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
