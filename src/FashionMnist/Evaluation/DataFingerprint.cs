using System.Security.Cryptography;
using FashionMnist.Data;

namespace FashionMnist.Evaluation;

/// <summary>
/// The identity of the data a run used, for the report's reproducibility section: per file, the MD5 checked against
/// the published checksums by <see cref="DataVerifier"/> (with what it matched) and a SHA-256 of the file as stored.
/// </summary>
internal static class DataFingerprint
{
    /// <summary>File name → "MD5 … (matches Zalando's published MD5) · SHA-256 …"; an unverifiable file says MISMATCH.</summary>
    public static IReadOnlyDictionary<string, string> Of(DataLocation location)
    {
        var verification = DataVerifier.Verify(location);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in verification.Files)
        {
            string sha256;
            using (var stream = File.OpenRead(file.Path)) sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
            string status = file.StructureError is string error ? $"STRUCTURE ERROR: {error}"
                : file.ChecksumOk ? file.ChecksumDescription : $"MISMATCH: {file.ChecksumDescription}";
            result[Path.GetFileName(file.Path)] = $"MD5 {file.ActualMd5} ({status}) · SHA-256 {sha256}";
        }
        return result;
    }

    /// <summary>"/usr/share/datasets/fashion-mnist (the Debian package dataset-fashion-mnist)".</summary>
    public static string Describe(FashionMnistData data) => $"{data.Directory} ({data.Source})";
}
