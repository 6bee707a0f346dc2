namespace FashionMnist.Neural;

/// <summary>Float arrays in model files and checkpoints: length then raw little-endian floats.</summary>
internal static class Serialization
{
    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Reads into <paramref name="destination"/>, which must have the stored length.</summary>
    public static void ReadFloats(BinaryReader reader, Span<float> destination)
    {
        int length = reader.ReadInt32();
        if (length != destination.Length)
            throw new InvalidDataException($"a stored tensor has {length} values where the architecture needs {destination.Length}");
        Span<byte> bytes = MemoryMarshal.AsBytes(destination);
        if (reader.Read(bytes) != bytes.Length) throw new EndOfStreamException("the file ends inside a tensor");
    }
}
