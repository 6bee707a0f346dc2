using FashionMnist.Data;
using static FashionMnist.Tests.Data.IdxFixtures;

namespace FashionMnist.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private const string Remedy = "Do the remedy.";
    private readonly TempFolder _folder = new();
    private readonly FileSet _files = Small();

    public void Dispose() => _folder.Dispose();

    private DataFileSpec Images => _files.Spec("train-images-idx3-ubyte");
    private DataFileSpec Labels => _files.Spec("train-labels-idx1-ubyte");

    private string Write(string name, byte[] bytes)
    {
        string path = _folder.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private FashionMnistException Fails(string path, DataFileSpec spec)
    {
        var e = Assert.Throws<FashionMnistException>(() => IdxReader.Read(path, spec, Remedy));
        Assert.Contains(path, e.Message);
        Assert.EndsWith(Remedy, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        return e;
    }

    [Fact]
    public void Reads_gzip_and_plain_files_to_the_same_data()
    {
        byte[] payload = _files.Payloads[Images.Name];
        byte[] fromGzip = IdxReader.Read(Write("a.gz", _files.Stripped[Images.Name]), Images, Remedy);
        byte[] fromPlain = IdxReader.Read(Write("a", payload), Images, Remedy);
        Assert.Equal(payload.AsSpan(16).ToArray(), fromGzip);
        Assert.Equal(fromGzip, fromPlain);
        Assert.Equal(Labels(20), IdxReader.Read(Write("l.gz", _files.Originals[Labels.Name]), Labels, Remedy));
    }

    [Fact]
    public void Compression_is_told_by_content_not_by_name()
    {
        string misnamed = Write("plain-but-named.gz", _files.Payloads[Labels.Name]);
        Assert.False(IdxReader.IsGzip(misnamed));
        Assert.Equal(Labels(20), IdxReader.Read(misnamed, Labels, Remedy));
    }

    [Fact]
    public void Missing_file_is_named()
    {
        string path = _folder.File("nope.gz");
        var e = Assert.Throws<FashionMnistException>(() => IdxReader.Read(path, Images, Remedy));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Wrong_magic_number_is_rejected()
    {
        byte[] bad = Idx(true, 20, Pixels(20, 1), magic: 0x12345678);
        var e = Fails(Write("bad.gz", Gzip(bad)), Images);
        Assert.Contains("wrong magic number: expected 0x00000803, found 0x12345678", e.Message);
    }

    [Fact]
    public void A_labels_file_where_images_belong_is_called_that()
    {
        var e = Fails(Write("swapped", _files.Payloads[Labels.Name]), Images);
        Assert.Contains("it is a labels file, not an images file", e.Message);
    }

    [Fact]
    public void Wrong_dimensions_are_rejected()
    {
        byte[] bad = Idx(true, 20, new byte[20 * 32 * 32], rows: 32, columns: 32);
        var e = Fails(Write("big.gz", Gzip(bad)), Images);
        Assert.Contains("holds 32x32 images, expected 28x28", e.Message);
    }

    [Fact]
    public void Wrong_count_is_rejected()
    {
        byte[] bad = Idx(true, 19, Pixels(19, 1));
        var e = Fails(Write("short.gz", Gzip(bad)), Images);
        Assert.Contains("holds 19 images, expected 20", e.Message);
    }

    [Fact]
    public void Label_10_is_rejected_with_its_index()
    {
        byte[] labels = Labels(20);
        labels[7] = 10;
        var e = Fails(Write("labels.gz", Gzip(Idx(false, 20, labels))), Labels);
        Assert.Contains("has label 10 at index 7; labels must be 0-9", e.Message);
    }

    [Fact]
    public void Truncated_gzip_is_an_error_not_short_data()
    {
        byte[] gz = _files.Stripped[Images.Name];
        var e = Fails(Write("half.gz", gz[..(gz.Length / 2)]), Images);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(4)] // length field cut off
    [InlineData(8)] // whole trailer cut off: .NET's GZipStream alone would not notice
    public void Gzip_without_its_trailer_is_an_error(int cut)
    {
        byte[] gz = _files.Stripped[Images.Name];
        var e = Fails(Write("notrailer.gz", gz[..^cut]), Images);
        Assert.Contains("gzip trailer", e.Message);
    }

    [Fact]
    public void Corrupt_gzip_data_is_an_error()
    {
        byte[] gz = (byte[])_files.Stripped[Labels.Name].Clone();
        gz[^6] ^= 0xff; // CRC-32 in the trailer
        var e = Fails(Write("crc.gz", gz), Labels);
        Assert.Contains("not a valid gzip stream", e.Message);
    }

    [Fact]
    public void Garbage_after_the_gzip_member_is_an_error()
    {
        byte[] gz = [.. _files.Stripped[Labels.Name], 1, 2, 3];
        Fails(Write("junk.gz", gz), Labels);
    }

    [Fact]
    public void Plain_file_too_short_or_too_long_is_an_error()
    {
        byte[] payload = _files.Payloads[Images.Name];
        Assert.Contains("is 16,000 bytes, longer than the expected 15,696", Fails(Write("long", [.. payload, .. new byte[304]]), Images).Message);
        Assert.Contains("is truncated: 15,000 bytes, expected 15,696", Fails(Write("short", payload[..15_000]), Images).Message);
    }

    [Fact]
    public void Empty_file_is_an_error()
    {
        Assert.Contains("too short to hold an idx header", Fails(Write("empty", []), Images).Message);
    }

    [Fact]
    public void ReadCount_reads_only_the_header()
    {
        Assert.Equal(20, IdxReader.ReadCount(Write("x.gz", _files.Stripped[Images.Name]), Images, Remedy));
    }
}
