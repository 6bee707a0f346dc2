namespace FashionMnist.Data;

/// <summary>
/// The Fashion-MNIST data set in memory: 60,000 training and 10,000 test images, found by <see cref="DataLocator"/>
/// and read with every structure check (checksums are checked by `fmnist data verify`
/// and `fmnist data fetch`, not on every load).
/// </summary>
public sealed class FashionMnistData
{
    /// <summary>Data already in memory, e.g. a test's own small sets; <paramref name="directory"/> is reported as their origin.</summary>
    public FashionMnistData(ImageSet train, ImageSet test, string directory)
        : this(train, test, new DataLocation(directory, DataSource.Option, []), TimeSpan.Zero)
    {
    }

    /// <summary>Data read from <paramref name="location"/> in <paramref name="loadTime"/>.</summary>
    public FashionMnistData(ImageSet train, ImageSet test, DataLocation location, TimeSpan loadTime)
    {
        (Train, Test, Location, LoadTime) = (train, test, location, loadTime);
    }

    /// <summary>The 60,000 labelled training images.</summary>
    public ImageSet Train { get; }
    /// <summary>The 10,000 labelled test images.</summary>
    public ImageSet Test { get; }

    /// <summary>The folder the files were read from.</summary>
    public string Directory => Location.Directory;

    /// <summary>Where the files are and how the folder was found.</summary>
    public DataLocation Location { get; }

    /// <summary>How the folder was found, in words (e.g. "the Debian package dataset-fashion-mnist").</summary>
    public string Source => Location.SourceDescription;

    /// <summary>Time taken to read and check all four files.</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>Where Debian's dataset-fashion-mnist package puts the files.</summary>
    public const string DebianDirectory = DataLocator.DebianDirectory;

    /// <summary>
    /// Finds (see <see cref="DataLocator"/>) and reads the data. <paramref name="dataDirectory"/> null means the
    /// default lookup. A missing, truncated or malformed file is a <see cref="FashionMnistException"/>.
    /// </summary>
    public static FashionMnistData Load(string? dataDirectory = null) => Load(DataLocator.Locate(dataDirectory));

    /// <summary>Reads the data from an already located folder (<see cref="DataLocator.Locate(string?)"/>).</summary>
    public static FashionMnistData Load(DataLocation location)
    {
        var clock = Stopwatch.StartNew();
        ImageSet train = ReadSplit(location, DataSplit.Train);
        ImageSet test = ReadSplit(location, DataSplit.Test);
        return new FashionMnistData(train, test, location, clock.Elapsed);
    }

    /// <summary>Reads one split, after checking that its images and labels files declare the same count.</summary>
    public static ImageSet ReadSplit(DataLocation location, DataSplit split)
    {
        LocatedFile images = location.File(split, images: true), labels = location.File(split, images: false);
        string remedy = location.Remedy;
        int imageCount = IdxReader.ReadCount(images.Path, images.Spec, remedy);
        int labelCount = IdxReader.ReadCount(labels.Path, labels.Spec, remedy);
        if (imageCount != labelCount)
            throw new FashionMnistException(
                $"Data files do not belong together: '{images.Path}' holds {imageCount:N0} images but '{labels.Path}' holds {labelCount:N0} labels",
                remedy);
        byte[] pixels = IdxReader.Read(images.Path, images.Spec, remedy);
        byte[] labelBytes = IdxReader.Read(labels.Path, labels.Spec, remedy);
        return new ImageSet(pixels, labelBytes);
    }
}
