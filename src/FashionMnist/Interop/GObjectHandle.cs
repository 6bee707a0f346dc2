namespace FashionMnist.Interop;

/// <summary>
/// Owns one GObject reference (a GdkPixbuf or a GdkPixbufLoader) and drops it with g_object_unref,
/// so a pixbuf is released even when decoding throws half-way.
/// </summary>
internal sealed class GObjectHandle : SafeHandle
{
    public GObjectHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    private GObjectHandle(IntPtr reference) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(reference);

    /// <summary>Wraps a reference the caller owns (a "transfer full" return value). Zero becomes an invalid handle.</summary>
    public static GObjectHandle Own(IntPtr reference) => new(reference);

    /// <summary>Takes a new reference to an object we only borrowed ("transfer none").</summary>
    public static GObjectHandle Borrow(IntPtr reference) =>
        new(reference == IntPtr.Zero ? IntPtr.Zero : GdkPixbufNative.g_object_ref(reference));

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        GdkPixbufNative.g_object_unref(handle);
        return true;
    }
}
