using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Web;

/// <summary>`fmnist serve` refuses bad arguments with exit 2 before it starts listening.</summary>
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

    [Fact]
    public void Help_describes_the_api()
    {
        var result = CliRunner.Run("serve", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("/api/classify", result.Stdout);
        Assert.Contains("--urls", result.Stdout);
    }
}
