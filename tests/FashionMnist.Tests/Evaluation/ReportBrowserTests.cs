using FashionMnist.Evaluation.Reports;
using Microsoft.Playwright;

namespace FashionMnist.Tests.Evaluation;

/// <summary>
/// Opens the report in headless Chromium (Debian's, not a Playwright download) and fails on console errors,
/// failed requests or empty charts. Leaves artifacts/report-screenshot.png and artifacts/report-sample/ for a person to look at.
/// </summary>
public sealed class ReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_report_renders_in_chromium_without_errors_and_every_chart_has_content()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: install the Debian package 'chromium' (setup/setup.sh does).");
        string artifacts = Path.Combine(RepositoryRoot(), "artifacts");
        var files = ReportWriter.Write(SyntheticReport.Build(), Path.Combine(artifacts, "report-sample"));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") problems.Add($"console {message.Type}: {message.Text}"); };
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.RequestFailed += (_, request) => problems.Add("request failed: " + request.Url);
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);

        await page.GotoAsync(new Uri(files.Html).AbsoluteUri);

        // Every chart occupies space on the page and draws marks.
        var charts = await page.EvaluateAsync<double[][]>("""
            () => [...document.querySelectorAll('svg.chart')].map(svg => {
                const box = svg.getBoundingClientRect();
                return [box.width, box.height, svg.querySelectorAll('rect, circle, polyline').length];
            })
            """);
        Assert.Equal(19, charts.Length);
        Assert.All(charts, c =>
        {
            Assert.True(c[0] > 100 && c[1] > 80, $"chart of {c[0]}x{c[1]} px is too small to see");
            Assert.True(c[2] > 0, "chart draws no marks");
        });
        Assert.Equal("Fashion-MNIST model comparison", await page.TitleAsync());
        Assert.Equal(5, await page.Locator("table.board tbody tr").CountAsync());

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "report-screenshot.png"), FullPage = true });
        // One picture per section too: the full page is too tall to read when scaled down.
        string sections = Path.Combine(artifacts, "report-sections");
        Directory.CreateDirectory(sections);
        foreach (string id in await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('section')].map(s => s.id)"))
            await page.Locator($"section#{id}").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(sections, id + ".png") });
        Assert.Empty(problems);
        Assert.All(requests, url => Assert.StartsWith("file://", url)); // nothing from the network
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FashionMnist.slnx"))) return folder.FullName;
        return Directory.GetCurrentDirectory();
    }
}
