using FashionMnist.Tests.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

/// <summary>predict and serve use models/cnn-photo.fmm when no --model is given, and say how to make it when it is missing.</summary>
public sealed class PhotoModelDefaultTests
{
    [Theory]
    [InlineData("predict")]
    [InlineData("serve")]
    public void Without_a_model_the_default_photo_model_is_used_and_its_absence_explained(string command)
    {
        string folder = Directory.CreateTempSubdirectory("fmnist-photo-default-").FullName;
        try
        {
            string[] args = command == "predict" ? ["predict", TestImages.FixturePath("shoes.jpg")] : ["serve", "--urls", "http://127.0.0.1:0"];
            var result = CliRunner.Run(args, workingDirectory: folder);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("the default photo model 'models/cnn-photo.fmm' does not exist", result.Stderr);
            Assert.Contains("fmnist train cnn-photo", result.Stderr);
            Assert.DoesNotContain("   at ", result.Stderr);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void The_default_photo_model_is_read_from_models_cnn_photo_fmm()
    {
        string folder = Directory.CreateTempSubdirectory("fmnist-photo-default-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "models"));
            File.WriteAllText(Path.Combine(folder, "models", "cnn-photo.fmm"), "not a model");
            var result = CliRunner.Run(["predict", TestImages.FixturePath("shoes.jpg")], workingDirectory: folder);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("'models/cnn-photo.fmm' is not an fmnist model file", result.Stderr); // it was the file read
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
