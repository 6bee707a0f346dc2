using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// cnn-photo's recipe calibration: shipped in the library, written by a fit with the options it was fitted for only
/// (the defaults without the photo training set), applied by predict.
/// </summary>
public sealed class PhotoRecipeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-photo-recipe-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_recipe_calibration_belongs_to_cnn_photo_without_photo_training()
    {
        Assert.True(ModelCatalog.TryGet("cnn-photo", out var descriptor));
        PhotoCalibration calibration = descriptor.RecipePhotoCalibration!(ModelCatalog.Options("cnn-photo", new Dictionary<string, string> { ["photo-repeats"] = "0" }))!;
        Assert.Equal(("matrix", "garment", 6), (calibration.Form, calibration.Pipeline, calibration.Views));
        Assert.Equal("196", calibration.Facts["photos"]);
        Assert.Same(PhotoRecipe.Calibration, calibration);
        // Fitted for those options only: the defaults (which train on the photos it was fitted on) and other options get
        // none, and so does every other model.
        Assert.Null(descriptor.RecipePhotoCalibration(descriptor.DefaultOptions()));
        Assert.Null(descriptor.RecipePhotoCalibration(ModelCatalog.Options("cnn-photo", new Dictionary<string, string> { ["photo-repeats"] = "0", ["epochs"] = "2" })));
        Assert.Null(descriptor.RecipePhotoCalibration(ModelCatalog.Options("cnn-photo", new Dictionary<string, string> { ["photo-repeats"] = "0", ["photo-like"] = "0.4" })));
        Assert.All(ModelCatalog.All.Where(d => d.Name != "cnn-photo"), d => Assert.Null(d.RecipePhotoCalibration));
    }

    [Fact]
    public void Training_cnn_photo_without_photo_training_writes_the_recipe_calibration_into_the_file()
    {
        // 64 images train in seconds: the options, not the data, decide whether the recipe applies.
        string recipe = Path.Combine(_folder, "recipe.fmm"), other = Path.Combine(_folder, "other.fmm");
        var trained = CliRunner.Run("train", "cnn-photo", "--train-limit", "64", "--test-limit", "50", "--set", "photo-repeats=0", "--out", recipe, "--no-store");
        Assert.True(trained.ExitCode == 0, trained.ToString());
        Assert.Contains("Photo calibration", trained.Stdout);
        Assert.Contains("64 (seed 42)", trained.Stdout);
        Assert.DoesNotContain("photo views", trained.Stdout);
        Assert.Equal(3, BitConverter.ToInt32(File.ReadAllBytes(recipe), 8));
        Assert.Equal(PhotoRecipe.Calibration.ToJson(), ModelFile.ReadHeader(recipe).Calibration!.ToJson());

        // With the photo training set (one copy, one epoch: seconds) there is none, and the table says why.
        var changed = CliRunner.Run("train", "cnn-photo", "--train-limit", "64", "--test-limit", "50", "--set", "epochs=1", "--set", "photo-repeats=1", "--out", other, "--no-store");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("trained on the photos a recipe calibration was fitted on", changed.Stdout);
        Assert.Contains("+ 1,176 photo views (196 labelled photos x 6 views x 1)", changed.Stdout);
        Assert.Equal(1, BitConverter.ToInt32(File.ReadAllBytes(other), 8));
        Assert.Null(ModelFile.ReadHeader(other).Calibration);

        // predict applies it to a photo, as it would a calibration of one's own.
        var predicted = CliRunner.Run("predict", "--model", recipe, Imaging.TestImages.FixturePath(Imaging.TestImages.FixturePhotos[0]), "--json");
        Assert.True(predicted.ExitCode == 0, predicted.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(predicted.Stdout);
        var applied = json.RootElement.GetProperty("calibration");
        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Equal("matrix", applied.GetProperty("form").GetString());
    }
}
