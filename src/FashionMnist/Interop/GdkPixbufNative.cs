namespace FashionMnist.Interop;

/// <summary>
/// The raw gdk-pixbuf 2.42 / GObject / GLib entry points the codec uses. Only <see cref="GdkPixbufCodec"/> calls these;
/// everything else sees managed images and <see cref="FashionMnistException"/>s.
/// Logical library names are resolved to Debian sonames by <see cref="NativeLibraries"/>.
/// </summary>
internal static unsafe class GdkPixbufNative
{
    private const string Pixbuf = "gdk_pixbuf";
    private const string GObject = "gobject";
    private const string GLib = "glib";

    public const int ColorspaceRgb = 0;

    /// <summary>GLib's GError: { GQuark domain; gint code; gchar *message; }.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GError
    {
        public uint Domain;
        public int Code;
        public IntPtr Message;
    }

    // --- loader (decoding from bytes in memory) ---
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_loader_new();
    /// <summary>A loader for one named format only ("jpeg", "png", ...): no sniffing, so no other loader can run.</summary>
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_loader_new_with_type([MarshalAs(UnmanagedType.LPUTF8Str)] string imageType, out GError* error);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_loader_write(GObjectHandle loader, byte* buffer, nuint count, out GError* error);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_loader_close(GObjectHandle loader, out GError* error);
    /// <summary>Borrowed reference: owned by the loader (take a ref before the loader goes away).</summary>
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_loader_get_pixbuf(GObjectHandle loader);
    /// <summary>Borrowed: the format the loader detected, or null before it knows.</summary>
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_loader_get_format(GObjectHandle loader);
    /// <summary>Newly allocated string (free with g_free): "jpeg", "png", "gif", "bmp", "tiff", ...</summary>
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_format_get_name(IntPtr format);
    [DllImport(Pixbuf)] public static extern void gdk_pixbuf_loader_set_size(IntPtr loader, int width, int height);

    // --- pixbuf ---
    /// <summary>Returns a new reference (possibly to the same pixbuf when no rotation is needed).</summary>
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_apply_embedded_orientation(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_get_width(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_get_height(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_get_rowstride(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_get_n_channels(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_get_has_alpha(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern int gdk_pixbuf_get_bits_per_sample(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern byte* gdk_pixbuf_read_pixels(GObjectHandle pixbuf);
    [DllImport(Pixbuf)] public static extern IntPtr gdk_pixbuf_new(int colorspace, int hasAlpha, int bitsPerSample, int width, int height);
    [DllImport(Pixbuf)] public static extern byte* gdk_pixbuf_get_pixels(GObjectHandle pixbuf);

    [DllImport(Pixbuf)]
    public static extern int gdk_pixbuf_save_to_bufferv(GObjectHandle pixbuf, out IntPtr buffer, out nuint size,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string type, IntPtr optionKeys, IntPtr optionValues, out GError* error);

    // --- GObject / GLib ---
    [DllImport(GObject)] public static extern IntPtr g_object_ref(IntPtr instance);
    [DllImport(GObject)] public static extern void g_object_unref(IntPtr instance);

    [DllImport(GObject)]
    public static extern nuint g_signal_connect_data(GObjectHandle instance, [MarshalAs(UnmanagedType.LPUTF8Str)] string signal,
        delegate* unmanaged[Cdecl]<IntPtr, int, int, IntPtr, void> handler, IntPtr data, IntPtr destroyData, int flags);

    [DllImport(GObject)]
    public static extern nuint g_signal_connect_data(GObjectHandle instance, [MarshalAs(UnmanagedType.LPUTF8Str)] string signal,
        delegate* unmanaged[Cdecl]<IntPtr, int, int, int, int, IntPtr, void> handler, IntPtr data, IntPtr destroyData, int flags);

    [DllImport(GLib)] public static extern void g_error_free(GError* error);
    [DllImport(GLib)] public static extern void g_free(IntPtr memory);

    /// <summary>Takes the message out of a GError and frees it.</summary>
    public static string TakeMessage(GError* error)
    {
        if (error is null) return "unknown error";
        string message = Marshal.PtrToStringUTF8(error->Message) ?? "unknown error";
        g_error_free(error);
        return message;
    }
}
