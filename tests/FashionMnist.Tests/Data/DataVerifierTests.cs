using System.IO.Compression;
using FashionMnist.Data;
using FashionMnist.Tests.Support;
using static FashionMnist.Tests.Data.IdxFixtures;

namespace FashionMnist.Tests.Data;

public sealed class DataVerifierTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FileSet _files = Small();

    public void Dispose() => _folder.Dispose();

    private FileVerification VerifyBytes(string fileName, byte[] bytes, DataFileSpec spec)
    {
        string path = _folder.File(fileName);
        File.WriteAllBytes(path, bytes);
        return DataVerifier.VerifyFile(path, spec, "remedy");
    }

    [Fact]
    public void Debian_repack_matches_Zalandos_MD5_once_the_header_is_restored()
    {
        // The real files of the installed Debian package: their own MD5s differ from Zalando's (no FNAME in the header).
        var location = DataLocator.Locate(DataLocator.DebianDirectory);
        var result = DataVerifier.Verify(location);
        Assert.True(result.Ok, string.Join("\n", result.Files.Select(f => f.ChecksumDescription + " " + f.StructureError)));
        Assert.All(result.Files, f =>
        {
            Assert.Equal(ChecksumStatus.PublishedArchiveRestoredHeader, f.Checksum);
            Assert.NotEqual(f.Spec.ArchiveMd5, f.ActualMd5);
            Assert.Equal("matches Zalando's published MD5 after restoring the gzip header Debian's repack dropped", f.ChecksumDescription);
        });
        Assert.Null(result.Failure());
    }

    [Fact]
    public void Real_labels_rebuilt_as_Zalandos_original_and_as_plain_idx_pass()
    {
        var spec = DataFileSpec.Official.Single(s => s.Name == "t10k-labels-idx1-ubyte");
        byte[] debian = File.ReadAllBytes(Path.Combine(DataLocator.DebianDirectory, spec.ArchiveName));
        byte[] original = [.. DataVerifier.OriginalGzipHeader(spec), .. debian.AsSpan(10)];
        var asOriginal = VerifyBytes(spec.ArchiveName, original, spec);
        Assert.Equal(ChecksumStatus.PublishedArchive, asOriginal.Checksum);
        Assert.Equal(spec.ArchiveMd5, asOriginal.ActualMd5);

        using var gzip = new GZipStream(new MemoryStream(debian), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        var asPlain = VerifyBytes(spec.Name, plain.ToArray(), spec);
        Assert.Equal(ChecksumStatus.PublishedPayload, asPlain.Checksum);
        Assert.False(asPlain.Compressed);
        Assert.True(asPlain.Ok);
    }

    [Fact]
    public void Fixture_original_stripped_recompressed_and_plain_forms_all_pass()
    {
        var spec = _files.Spec("train-images-idx3-ubyte");
        Assert.Equal(ChecksumStatus.PublishedArchive, VerifyBytes("o.gz", _files.Originals[spec.Name], spec).Checksum);
        Assert.Equal(ChecksumStatus.PublishedArchiveRestoredHeader, VerifyBytes("s.gz", _files.Stripped[spec.Name], spec).Checksum);
        Assert.Equal(ChecksumStatus.PublishedPayload, VerifyBytes("p", _files.Payloads[spec.Name], spec).Checksum);

        using var buffer = new MemoryStream();
        using (var fast = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) fast.Write(_files.Payloads[spec.Name]);
        var recompressed = VerifyBytes("r.gz", buffer.ToArray(), spec);
        Assert.Equal(ChecksumStatus.PublishedPayload, recompressed.Checksum);
        Assert.Contains("re-compressed", recompressed.ChecksumDescription);
    }

    [Fact]
    public void Changed_data_is_a_checksum_mismatch_naming_file_expected_and_actual()
    {
        var spec = _files.Spec("train-labels-idx1-ubyte");
        byte[] payload = (byte[])_files.Payloads[spec.Name].Clone();
        payload[^1] = (byte)((payload[^1] + 1) % 10); // still a valid label: only the checksum can tell
        string path = _folder.File(spec.ArchiveName);
        File.WriteAllBytes(path, Gzip(payload));
        var location = new DataLocation(_folder.Path, DataSource.Option, [new LocatedFile(spec, path)]);
        var result = DataVerifier.Verify(location);
        var file = Assert.Single(result.Files);
        Assert.True(file.StructureOk);
        Assert.Equal(ChecksumStatus.Mismatch, file.Checksum);
        var e = result.Failure()!;
        Assert.Contains($"Checksum mismatch: '{path}' has MD5 {Md5(File.ReadAllBytes(path))}, expected {spec.ArchiveMd5}", e.Message);
        Assert.Contains("fmnist data fetch", e.Message);
    }

    [Fact]
    public void Structure_errors_are_reported_per_file()
    {
        var spec = _files.Spec("t10k-images-idx3-ubyte");
        var result = VerifyBytes("cut.gz", _files.Originals[spec.Name][..200], spec);
        Assert.False(result.StructureOk);
        Assert.Contains("truncated", result.StructureError);
        Assert.Equal(ChecksumStatus.Mismatch, result.Checksum);
    }

    [Fact]
    public void Payload_md5_of_loaded_real_data_is_the_published_one()
    {
        var spec = DataFileSpec.Official[1]; // train labels
        Assert.Equal(spec.PayloadMd5, DataVerifier.PayloadMd5(spec, TestData.Train.Labels));
    }
}
