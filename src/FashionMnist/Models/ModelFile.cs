using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FashionMnist.Models;

/// <summary>
/// The model file format: a versioned, checksummed envelope around a model's state.
/// <code>
///   8 bytes   magic "FMNISTMD"
///   int32     format version (<see cref="FormatVersion"/>)
///   string    model name (catalog name, e.g. "knn")
///   string    options as JSON ("name": "value" text, see <see cref="OptionBinder.ToSettings"/>)
///   string    metadata as JSON (free-form: created, version, data slice, metrics)
///   string    version 2 and 3 only: the photo calibration as JSON (<see cref="PhotoCalibration.ToJson"/>; 3: with a matrix)
///   int64     state length, then the state bytes (<see cref="IClassifier.SaveState"/>)
///   32 bytes  SHA-256 of everything above
/// </code>
/// Strings are .NET BinaryWriter strings (UTF-8, 7-bit length prefix). Files are written atomically.
/// <para>A file without a photo calibration is written as version 1, byte for byte as before, so older fmnist versions
/// keep reading it; a file with one is version 2, which an older fmnist refuses by its version check ("format version 2;
/// this fmnist reads version 1") rather than silently predicting photos without the calibration. A calibration with a
/// matrix (<see cref="PhotoCalibration.Matrix"/>) makes the file version 3 for the same reason: a version-2 reader would
/// otherwise ignore the matrix it does not know and apply the rest.</para>
/// </summary>
public static class ModelFile
{
    /// <summary>The newest format version this library reads and writes (version 3: with a matrix <see cref="PhotoCalibration"/>).</summary>
    public const int FormatVersion = 3;

    /// <summary>The version written for files with a photo calibration without a matrix (what fmnist read before matrices).</summary>
    public const int FormatVersionWithCalibration = 2;

    /// <summary>The version written for files without a photo calibration (what every fmnist reads).</summary>
    public const int FormatVersionWithoutCalibration = 1;
    private static readonly byte[] s_magic = "FMNISTMD"u8.ToArray();
    private const long MaxStateBytes = 8L << 30;

    /// <summary>Header facts of a model file, readable without loading the model.</summary>
    public sealed record Header(string ModelName, IReadOnlyDictionary<string, string> Settings, IReadOnlyDictionary<string, string> Metadata, long StateBytes)
    {
        /// <summary>The photo calibration kept in the file (format version 2 or 3), or null.</summary>
        public PhotoCalibration? Calibration { get; init; }
    }

    /// <summary>
    /// Writes a fitted model to <paramref name="path"/> atomically (a temporary file renamed into place), with its options
    /// and <paramref name="metadata"/> (added to the created time and library version). An unfitted model is a
    /// <see cref="FashionMnistException"/>.
    /// </summary>
    public static void Save(IClassifier model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!model.IsFitted)
            throw new FashionMnistException($"Model '{model.Name}' is not fitted", "Fit it before saving.");
        AtomicFile.Write(path, stream => Write(model, stream, metadata));
    }

    /// <summary>
    /// Writes a fitted model in the model file format to <paramref name="destination"/> (what <see cref="Save"/> writes),
    /// with a photo calibration when one is given (a recipe's, <see cref="ModelDescriptor.RecipePhotoCalibration"/>).
    /// </summary>
    public static void Write(IClassifier model, Stream destination, IReadOnlyDictionary<string, string>? metadata = null, PhotoCalibration? calibration = null)
    {
        if (!model.IsFitted)
            throw new FashionMnistException($"Model '{model.Name}' is not fitted", "Fit it before saving.");
        using var state = new MemoryStream();
        using (var stateWriter = new BinaryWriter(state, Encoding.UTF8, leaveOpen: true))
            model.SaveState(stateWriter);
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["fmnist_version"] = typeof(ModelFile).Assembly.GetName().Version?.ToString() ?? "0",
        };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        calibration?.Validate();
        WriteEnvelope(destination, model.Name, OptionBinder.ToSettings(model.Options), meta, calibration, state.GetBuffer().AsSpan(0, (int)state.Length));
    }

    /// <summary>
    /// Writes the model file at <paramref name="source"/> again to <paramref name="path"/> (atomically) with
    /// <paramref name="calibration"/> (null removes one) and <paramref name="metadata"/> added to its own: the model's name,
    /// options and state bytes are copied unchanged, so the model predicts Fashion-MNIST images exactly as before.
    /// Only fmnist model files can hold a calibration; another format (ONNX) is a <see cref="FashionMnistException"/>.
    /// </summary>
    public static void SaveWithCalibration(string source, string path, PhotoCalibration? calibration, IReadOnlyDictionary<string, string>? metadata = null)
    {
        calibration?.Validate();
        byte[] bytes = ReadAll(source);
        RequireCalibratable(bytes, source);
        using var reader = Open(bytes, source, out var header);
        var meta = new SortedDictionary<string, string>(header.Metadata.ToDictionary(), StringComparer.Ordinal);
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        int stateStart = (int)reader.BaseStream.Position;
        ReadOnlyMemory<byte> state = bytes.AsMemory(stateStart, (int)header.StateBytes);
        AtomicFile.Write(path, stream => WriteEnvelope(stream, header.ModelName, header.Settings, meta, calibration, state.Span));
    }

    /// <summary>Fails, before any long work, unless <paramref name="path"/> is an fmnist model file (only those can hold a photo calibration).</summary>
    public static void CheckCalibratable(string path)
    {
        byte[] bytes = ReadAll(path);
        RequireCalibratable(bytes, path);
        using var reader = Open(bytes, path, out _); // checksum, version
    }

    private static void RequireCalibratable(byte[] bytes, string source)
    {
        if (!IsFmnistFile(bytes) && ModelFileFormats.Find(source, bytes) is IModelFileFormat format)
            throw new FashionMnistException($"'{source}' is an {format.Name} model, and only fmnist model files can hold a photo calibration",
                "Calibrate a model file written by `fmnist train --out FILE.fmm` (an imported model has no place for it).");
    }

    private static void WriteEnvelope(Stream destination, string name, IReadOnlyDictionary<string, string> settings,
        IReadOnlyDictionary<string, string> metadata, PhotoCalibration? calibration, ReadOnlySpan<byte> state)
    {
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(s_magic);
            writer.Write(calibration is null ? FormatVersionWithoutCalibration : calibration.Matrix is null ? FormatVersionWithCalibration : FormatVersion);
            writer.Write(name);
            writer.Write(JsonSerializer.Serialize(settings));
            writer.Write(JsonSerializer.Serialize(metadata));
            if (calibration is not null) writer.Write(calibration.ToJson());
            writer.Write((long)state.Length);
            writer.Write(state);
        }
        byte[] hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        destination.Write(body.GetBuffer(), 0, (int)body.Length);
        destination.Write(hash);
    }

    /// <summary>
    /// Loads the model in <paramref name="path"/>, ready to predict: an fmnist model file, or a file of another registered
    /// format such as ONNX (<see cref="ModelFileFormats"/>). A missing, foreign, truncated, corrupt or newer file, or one of
    /// a model this library does not know, is a <see cref="FashionMnistException"/>.
    /// </summary>
    public static IClassifier Load(string path) => Load(path, null);

    /// <summary>
    /// Loads an fmnist model file, or a file of another registered format (<see cref="ModelFileFormats"/>, e.g. ONNX);
    /// <paramref name="formatSettings"/> go to that format's loader and are an error for .fmm files.
    /// </summary>
    public static IClassifier Load(string path, IReadOnlyDictionary<string, string>? formatSettings) => LoadWithHeader(path, formatSettings).Model;

    /// <summary>Loads a model and its header from one read of the file (one checksum pass); any registered format.</summary>
    public static (IClassifier Model, Header Header) LoadWithHeader(string path, IReadOnlyDictionary<string, string>? formatSettings = null)
    {
        byte[] bytes = ReadAll(path);
        if (!IsFmnistFile(bytes) && ModelFileFormats.Find(path, bytes) is IModelFileFormat format)
        {
            Header foreign = format.ReadHeader(bytes, path);
            return (format.Load(bytes, path, formatSettings ?? new Dictionary<string, string>()), foreign);
        }
        if (formatSettings is { Count: > 0 })
            throw new FashionMnistException($"{string.Join(", ", formatSettings.Keys.Select(k => "--" + k))} only apply to imported model files, and '{path}' is an fmnist model",
                "Leave those options out for .fmm files: they know their own preprocessing.");
        return (Load(bytes, path, out var header), header);
    }

    /// <summary>The header (model name, options, metadata) of the model file at <paramref name="path"/>, checksum verified, without loading the model.</summary>
    public static Header ReadHeader(string path)
    {
        byte[] bytes = ReadAll(path);
        if (!IsFmnistFile(bytes) && ModelFileFormats.Find(path, bytes) is IModelFileFormat format)
            return format.ReadHeader(bytes, path);
        using var reader = Open(bytes, path, out var header);
        return header;
    }

    /// <summary>The header of a model file held in memory (checksum verified); <paramref name="source"/> names it in errors.</summary>
    public static Header ReadHeader(byte[] bytes, string source)
    {
        using var reader = Open(bytes, source, out var header);
        return header;
    }

    private static bool IsFmnistFile(ReadOnlySpan<byte> bytes) => bytes.StartsWith(s_magic);

    /// <summary>Loads a model from the bytes of a model file; <paramref name="source"/> names it in errors.</summary>
    public static IClassifier Load(byte[] bytes, string source) => Load(bytes, source, out _);

    private static IClassifier Load(byte[] bytes, string source, out Header header)
    {
        using var reader = Open(bytes, source, out header);
        var descriptor = ModelCatalog.TryGet(header.ModelName, out var d) ? d
            : throw new FashionMnistException($"Model file '{source}' holds a '{header.ModelName}' model, which this fmnist does not know",
                $"Use the fmnist version that made it, or one that knows: {string.Join(", ", ModelCatalog.Names)}.");
        string modelName = header.ModelName;
        ModelOptions options = descriptor.BindStored(header.Settings, modelName);
        long stateStart = reader.BaseStream.Position;
        try
        {
            IClassifier model = descriptor.Load(options, reader);
            if (reader.BaseStream.Position != stateStart + header.StateBytes)
                throw new InvalidDataException("the state has trailing or missing bytes");
            return model;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException)
        {
            throw new FashionMnistException($"Model file '{source}' has a damaged '{modelName}' state: {e.Message}",
                "Train the model again with `fmnist train`.", ExitCodes.BadInput, e);
        }
    }

    private static byte[] ReadAll(string path) =>
        InputFile.ReadAllBytes(path, "Model file", "Check the path, or make one with `fmnist train MODEL --out FILE`.");

    private static BinaryReader Open(byte[] bytes, string source, out Header header)
    {
        if (bytes.Length < s_magic.Length || !bytes.AsSpan(0, s_magic.Length).SequenceEqual(s_magic))
            throw new FashionMnistException($"'{source}' is not an fmnist model file (it does not start with FMNISTMD)"
                + (ModelFileFormats.All.Count > 0 ? $" nor an {string.Join(" or ", ModelFileFormats.All.Select(f => f.Name))} model" : ""),
                "Pass a file written by `fmnist train --out`" + (ModelFileFormats.All.Count > 0 ? $" or an {string.Join("/", ModelFileFormats.All.Select(f => f.Name))} model file." : "."));
        if (bytes.Length < s_magic.Length + 4 + 32)
            throw Truncated(source);
        int version = BitConverter.ToInt32(bytes, s_magic.Length);
        if (version > FormatVersion || version < 1)
            throw new FashionMnistException($"Model file '{source}' has format version {version}; this fmnist reads version {FormatVersion}",
                "Use the fmnist version that wrote it, or train the model again.");

        var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length, writable: false), Encoding.UTF8);
        try
        {
            reader.BaseStream.Position = s_magic.Length + 4;
            string name = reader.ReadString();
            var settings = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.ReadString()) ?? [];
            var metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.ReadString()) ?? [];
            string? calibrationJson = version >= 2 ? reader.ReadString() : null;
            long stateBytes = reader.ReadInt64();
            long stateStart = reader.BaseStream.Position;
            if (stateBytes < 0 || stateBytes > MaxStateBytes || stateStart + stateBytes + 32 > bytes.Length)
                throw Truncated(source);
            if (stateStart + stateBytes + 32 < bytes.Length)
                throw new FashionMnistException($"Model file '{source}' has {bytes.Length - (stateStart + stateBytes + 32)} unexpected bytes at its end",
                    "The file is damaged; train the model again.");
            int bodyLength = (int)(stateStart + stateBytes);
            byte[] expected = SHA256.HashData(bytes.AsSpan(0, bodyLength));
            if (!expected.AsSpan().SequenceEqual(bytes.AsSpan(bodyLength, 32)))
                throw new FashionMnistException($"Model file '{source}' fails its checksum (the file is corrupt)",
                    "Copy it again or train the model again.");
            PhotoCalibration? calibration;
            try
            {
                calibration = calibrationJson is null ? null : PhotoCalibration.FromJson(calibrationJson);
                if (calibration?.Matrix is not null && version < FormatVersion)
                    throw new InvalidDataException($"a calibration matrix in a version {version} file (matrices need version {FormatVersion})");
            }
            catch (InvalidDataException e)
            {
                throw new FashionMnistException($"Model file '{source}' has a damaged photo calibration: {e.Message}",
                    "Calibrate the model again with `fmnist calibrate`.", ExitCodes.BadInput, e);
            }
            header = new Header(name, settings, metadata, stateBytes) { Calibration = calibration };
            return reader;
        }
        // FormatException: a bad 7-bit string length prefix.
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException or FormatException or OverflowException)
        {
            reader.Dispose();
            throw Truncated(source, e);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static FashionMnistException Truncated(string source, Exception? inner = null) =>
        new($"Model file '{source}' is truncated or damaged", "Copy it again or train the model again.", ExitCodes.BadInput, inner);
}
