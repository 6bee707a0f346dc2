using FashionMnist.Models;

namespace FashionMnist.Neural;

/// <summary>
/// The photo calibration that ships with cnn-photo's recipe (Recipes/cnn-photo.photo-calibration.json, embedded): the
/// matrix form of <see cref="PhotoCalibration"/> fitted by `fmnist calibrate --pool` on two seeds' outputs for the 196
/// tuning photos, so it belongs to the recipe rather than to one network. Fitted on seeds 42 and 7 and measured on seed 11,
/// which it never saw: held-out photos 0.617 -> 0.649 top-1, 0.883 -> 0.936 top-3, all 290 0.621 -> 0.759 (docs/photos.md).
/// It was fitted for the recipe as it was before cnn-photo trained on photos: the defaults with photo-repeats=0 (and the
/// garment pipeline, 6 test-time views). Other options get none, the defaults included: today's cnn-photo trains on the
/// very photos the calibration was fitted on, so its outputs on them say nothing about new photos. `fmnist calibrate`
/// fits one on photos of your own.
/// </summary>
internal static class PhotoRecipe
{
    private const string ResourceName = "FashionMnist.Neural.cnn-photo.photo-calibration.json";
    private static readonly Lazy<PhotoCalibration> s_calibration = new(Load);
    /// <summary>The settings the shipped calibration was fitted for: cnn-photo's defaults without the photo training set.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_fittedFor = new(() => OptionBinder.ToSettings(new PhotoCnnOptions { PhotoRepeats = 0 }));

    /// <summary>The shipped calibration.</summary>
    public static PhotoCalibration Calibration => s_calibration.Value;

    /// <summary>The shipped calibration when <paramref name="options"/> are the ones it was fitted for (photo-repeats=0, the rest default), else null.</summary>
    public static PhotoCalibration? CalibrationFor(ModelOptions options) =>
        OptionBinder.SameSettings(OptionBinder.ToSettings(options), s_fittedFor.Value) ? Calibration : null;

    private static PhotoCalibration Load()
    {
        using Stream stream = EmbeddedResource.Open(ResourceName);
        using var reader = new StreamReader(stream);
        return PhotoCalibration.FromJson(reader.ReadToEnd());
    }
}
