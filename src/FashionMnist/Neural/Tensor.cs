namespace FashionMnist.Neural;

/// <summary>
/// A batch of samples: float32, NCHW, contiguous (<c>Count x Shape.Size</c> floats).
/// The engine's layers work on the raw <see cref="Data"/> buffer; this type carries the shape
/// alongside it and checks it with clear messages where tensors cross an API boundary.
/// </summary>
internal sealed class Tensor
{
    public Tensor(int count, Shape shape) : this(new float[checked(count * shape.Size)], count, shape) { }

    public Tensor(float[] data, int count, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "A tensor cannot hold a negative number of samples.");
        if (shape.Channels < 1 || shape.Height < 1 || shape.Width < 1)
            throw new ArgumentException($"Tensor shape {shape} has a dimension below 1.", nameof(shape));
        if (data.Length < (long)count * shape.Size)
            throw new ArgumentException($"A {count}x{shape} tensor needs {(long)count * shape.Size} floats but the buffer has {data.Length}.", nameof(data));
        Data = data;
        Count = count;
        Shape = shape;
    }

    public float[] Data { get; }
    public int Count { get; }
    public Shape Shape { get; }

    public Span<float> Sample(int index) => Data.AsSpan(checked(index * Shape.Size), Shape.Size);

    public ref float this[int n, int c, int h, int w]
    {
        get
        {
            if ((uint)n >= (uint)Count || (uint)c >= (uint)Shape.Channels || (uint)h >= (uint)Shape.Height || (uint)w >= (uint)Shape.Width)
                throw new IndexOutOfRangeException($"Index ({n},{c},{h},{w}) is outside the {Count}x{Shape} tensor.");
            return ref Data[((n * Shape.Channels + c) * Shape.Height + h) * Shape.Width + w];
        }
    }

    /// <summary>Throws unless this tensor has the expected per-sample shape.</summary>
    public void RequireShape(Shape expected, string what)
    {
        if (Shape != expected)
            throw new ArgumentException($"{what} expects samples of shape {expected}, got {Shape}.");
    }
}
