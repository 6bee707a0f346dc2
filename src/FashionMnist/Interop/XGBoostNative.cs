namespace FashionMnist.Interop;

/// <summary>
/// The XGBoost 1.7 C API (xgboost/c_api.h) functions the wrapper uses. Every function returns 0 on success and
/// -1 on failure with the reason in <see cref="GetLastError"/> (thread-local inside XGBoost).
/// <c>bst_ulong</c> is a 64-bit unsigned integer; handles are opaque pointers.
/// </summary>
internal static unsafe partial class XGBoostNative
{
    private const string Library = "xgboost";

    [LibraryImport(Library, EntryPoint = "XGBGetLastError")]
    public static partial byte* GetLastError();

    [LibraryImport(Library, EntryPoint = "XGBoostVersion")]
    public static partial void Version(int* major, int* minor, int* patch);

    [LibraryImport(Library, EntryPoint = "XGDMatrixCreateFromMat_omp")]
    public static partial int DMatrixCreateFromMat(float* data, ulong rows, ulong columns, float missing, out XGBoostDMatrixHandle handle, int threads);

    [LibraryImport(Library, EntryPoint = "XGDMatrixSetFloatInfo", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int DMatrixSetFloatInfo(XGBoostDMatrixHandle handle, string field, float* values, ulong length);

    [LibraryImport(Library, EntryPoint = "XGDMatrixNumRow")]
    public static partial int DMatrixNumRow(XGBoostDMatrixHandle handle, out ulong rows);

    [LibraryImport(Library, EntryPoint = "XGDMatrixNumCol")]
    public static partial int DMatrixNumCol(XGBoostDMatrixHandle handle, out ulong columns);

    [LibraryImport(Library, EntryPoint = "XGDMatrixFree")]
    public static partial int DMatrixFree(nint handle);

    [LibraryImport(Library, EntryPoint = "XGBoosterCreate")]
    public static partial int BoosterCreate(nint* cachedMatrices, ulong count, out XGBoostBoosterHandle handle);

    [LibraryImport(Library, EntryPoint = "XGBoosterFree")]
    public static partial int BoosterFree(nint handle);

    [LibraryImport(Library, EntryPoint = "XGBoosterSetParam", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterSetParam(XGBoostBoosterHandle handle, string name, string value);

    [LibraryImport(Library, EntryPoint = "XGBoosterUpdateOneIter")]
    public static partial int BoosterUpdateOneIter(XGBoostBoosterHandle handle, int iteration, XGBoostDMatrixHandle train);

    [LibraryImport(Library, EntryPoint = "XGBoosterEvalOneIter")]
    public static partial int BoosterEvalOneIter(XGBoostBoosterHandle handle, int iteration, nint* matrices, byte** names, ulong count, out byte* result);

    [LibraryImport(Library, EntryPoint = "XGBoosterPredictFromDMatrix", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterPredictFromDMatrix(XGBoostBoosterHandle handle, XGBoostDMatrixHandle matrix, string config,
        out ulong* shape, out ulong dimensions, out float* result);

    [LibraryImport(Library, EntryPoint = "XGBoosterSlice")]
    public static partial int BoosterSlice(XGBoostBoosterHandle handle, int beginLayer, int endLayer, int step, out XGBoostBoosterHandle sliced);

    [LibraryImport(Library, EntryPoint = "XGBoosterBoostedRounds")]
    public static partial int BoosterBoostedRounds(XGBoostBoosterHandle handle, out int rounds);

    [LibraryImport(Library, EntryPoint = "XGBoosterGetNumFeature")]
    public static partial int BoosterGetNumFeature(XGBoostBoosterHandle handle, out ulong features);

    [LibraryImport(Library, EntryPoint = "XGBoosterSaveModelToBuffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterSaveModelToBuffer(XGBoostBoosterHandle handle, string config, out ulong length, out byte* data);

    [LibraryImport(Library, EntryPoint = "XGBoosterLoadModelFromBuffer")]
    public static partial int BoosterLoadModelFromBuffer(XGBoostBoosterHandle handle, byte* data, ulong length);
}

/// <summary>libc's setenv: the only way to change the environment native code reads with getenv (trap 2).</summary>
internal static partial class LibCNative
{
    [LibraryImport("c", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetEnvironmentVariable(string name, string value, int overwrite);
}

/// <summary>Owns a DMatrixHandle; released with XGDMatrixFree.</summary>
internal sealed class XGBoostDMatrixHandle : SafeHandle
{
    public XGBoostDMatrixHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => XGBoostNative.DMatrixFree(handle) == 0;
}

/// <summary>Owns a BoosterHandle; released with XGBoosterFree.</summary>
internal sealed class XGBoostBoosterHandle : SafeHandle
{
    public XGBoostBoosterHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => XGBoostNative.BoosterFree(handle) == 0;
}
