namespace FashionMnist.Interop;

/// <summary>An error reported by the XGBoost library, carrying XGBoost's own message.</summary>
public sealed class XGBoostException(string nativeMessage)
    : FashionMnistException($"XGBoost failed: {nativeMessage}",
        "Check the xgboost options given with --set; if they are valid, this is a problem inside XGBoost.",
        ExitCodes.Failure)
{
    /// <summary>XGBGetLastError's text without XGBoost's stack trace.</summary>
    public string NativeMessage { get; } = nativeMessage;
}

/// <summary>
/// Loading XGBoost: the OpenMP environment it needs is set first, then the library is loaded (a missing one names
/// its Debian package).
/// </summary>
internal static unsafe class XGBoost
{
    private static readonly Lazy<Version> s_version = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Prepares the environment and loads the library; harmless to call again.</summary>
    public static void EnsureReady() => _ = s_version.Value;

    public static Version LibraryVersion => s_version.Value;

    private static Version Initialize()
    {
        PrepareOpenMpEnvironment();
        NativeLibraries.Require(NativeLibraries.XGBoost);
        int major, minor, patch;
        XGBoostNative.Version(&major, &minor, &patch);
        return new Version(major, minor, patch);
    }

    /// <summary>
    /// libgomp reads OMP_WAIT_POLICY once, when it is loaded together with libxgboost. With the default (active)
    /// policy its idle threads spin, and on a busy 2-core machine 2 threads ran 4x slower than 1 (trap 1); passive
    /// waiting fixes that. The variable must reach native getenv, so it goes through libc's setenv (trap 2), and a
    /// value the user set already is kept (overwrite = 0).
    /// </summary>
    internal static void PrepareOpenMpEnvironment()
    {
        if (NativeLibraries.IsAvailable(NativeLibraries.LibC))
            LibCNative.SetEnvironmentVariable("OMP_WAIT_POLICY", "passive", overwrite: 0);
    }

    /// <summary>Throws <see cref="XGBoostException"/> with XGBoost's message when a C API call failed.</summary>
    internal static void Check(int status)
    {
        if (status == 0) return;
        throw new XGBoostException(LastError());
    }

    internal static string LastError()
    {
        string text = Marshal.PtrToStringUTF8((nint)XGBoostNative.GetLastError()) ?? "unknown error";
        int stack = text.IndexOf("Stack trace:", StringComparison.Ordinal);
        if (stack >= 0) text = text[..stack];
        return text.Trim();
    }

    /// <summary>Byte values to floats, 32 at a time with AVX2 widening (the pixels of a DMatrix).</summary>
    internal static void BytesToFloats(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is shorter than the source.");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref byte src = ref MemoryMarshal.GetReference(source);
            ref float dst = ref MemoryMarshal.GetReference(destination);
            for (; i <= source.Length - 32; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref src, (nuint)i);
                var (low16, high16) = Vector256.Widen(bytes);
                var (a, b) = Vector256.Widen(low16);
                var (c, d) = Vector256.Widen(high16);
                Vector256.ConvertToSingle(a.AsInt32()).StoreUnsafe(ref dst, (nuint)i);
                Vector256.ConvertToSingle(b.AsInt32()).StoreUnsafe(ref dst, (nuint)(i + 8));
                Vector256.ConvertToSingle(c.AsInt32()).StoreUnsafe(ref dst, (nuint)(i + 16));
                Vector256.ConvertToSingle(d.AsInt32()).StoreUnsafe(ref dst, (nuint)(i + 24));
            }
        }
        for (; i < source.Length; i++) destination[i] = source[i];
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>An XGBoost DMatrix built from a dense row-major float matrix (XGBoost copies the values in).</summary>
internal sealed unsafe class XGBoostDMatrix : IDisposable
{
    private XGBoostDMatrix(XGBoostDMatrixHandle handle, int rows, int columns)
    {
        (Handle, Rows, Columns) = (handle, rows, columns);
    }

    internal XGBoostDMatrixHandle Handle { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>
    /// Dense floats; NaN marks a missing value (zeros are real values, as in Python's DMatrix from numpy).
    /// <c>threads</c> is how many threads XGBoost may use to build it: Numerics owns that setting, the caller passes it in.
    /// </summary>
    public static XGBoostDMatrix FromFloats(ReadOnlySpan<float> values, int rows, int columns, int threads)
    {
        if ((long)rows * columns != values.Length) throw new ArgumentException($"{rows}x{columns} does not match {values.Length} values.");
        XGBoost.EnsureReady();
        fixed (float* data = values)
        {
            XGBoost.Check(XGBoostNative.DMatrixCreateFromMat(data, (ulong)rows, (ulong)columns, float.NaN, out var handle, threads));
            return new XGBoostDMatrix(handle, rows, columns);
        }
    }

    /// <summary>Byte features (pixels 0-255 kept as they are: trees split on thresholds, so scale does not matter).</summary>
    public static XGBoostDMatrix FromBytes(ReadOnlySpan<byte> values, int rows, int columns, int threads)
    {
        if ((long)rows * columns != values.Length) throw new ArgumentException($"{rows}x{columns} does not match {values.Length} values.");
        // The float copy lives only until XGBoost has copied it in: native memory keeps 60k x 784 floats off the GC heap.
        using var buffer = new NativeBlock((nuint)values.Length * sizeof(float));
        var floats = new Span<float>(buffer.Pointer, values.Length);
        XGBoost.BytesToFloats(values, floats);
        return FromFloats(floats, rows, columns, threads);
    }

    /// <summary>Sets the class labels (XGBoost wants them as floats 0..num_class-1).</summary>
    public void SetLabels(ReadOnlySpan<byte> labels)
    {
        if (labels.Length != Rows) throw new ArgumentException($"{Rows} rows but {labels.Length} labels.");
        float[] values = new float[labels.Length];
        for (int i = 0; i < labels.Length; i++) values[i] = labels[i];
        fixed (float* p = values)
            XGBoost.Check(XGBoostNative.DMatrixSetFloatInfo(Handle, "label", p, (ulong)values.Length));
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>An XGBoost booster: parameters, training rounds, evaluation, prediction, slicing, saving and loading.</summary>
internal sealed unsafe class XGBoostBooster : IDisposable
{
    private XGBoostBooster(XGBoostBoosterHandle handle) => Handle = handle;

    internal XGBoostBoosterHandle Handle { get; }

    /// <summary>A new booster that caches predictions for the given matrices (the training and evaluation sets).</summary>
    public static XGBoostBooster Create(params XGBoostDMatrix[] cached)
    {
        XGBoost.EnsureReady();
        using var lease = new HandleLease(cached);
        fixed (nint* matrices = lease.Pointers)
        {
            XGBoost.Check(XGBoostNative.BoosterCreate(matrices, (ulong)cached.Length, out var handle));
            return new XGBoostBooster(handle);
        }
    }

    /// <summary>A booster read from a buffer written by <see cref="Save"/> (JSON or UBJSON).</summary>
    public static XGBoostBooster Load(ReadOnlySpan<byte> model)
    {
        XGBoostBooster booster = Create();
        try
        {
            fixed (byte* data = model)
                XGBoost.Check(XGBoostNative.BoosterLoadModelFromBuffer(booster.Handle, data, (ulong)model.Length));
            return booster;
        }
        catch
        {
            booster.Dispose();
            throw;
        }
    }

    public void SetParameter(string name, string value) => XGBoost.Check(XGBoostNative.BoosterSetParam(Handle, name, value));

    public void SetParameter(string name, double value) => SetParameter(name, XGBoost.Format(value));

    /// <summary>One boosting round on <paramref name="train"/> (which must have labels).</summary>
    public void UpdateOneIteration(int iteration, XGBoostDMatrix train) =>
        XGBoost.Check(XGBoostNative.BoosterUpdateOneIter(Handle, iteration, train.Handle));

    /// <summary>
    /// The evaluation line of one round, e.g. "[3]\ttrain-mlogloss:0.41\tvalid-mlogloss:0.45", parsed into
    /// (set name, metric name) → value. The matrices need labels (trap 7).
    /// </summary>
    public Dictionary<(string Set, string Metric), double> EvaluateOneIteration(int iteration, IReadOnlyList<(XGBoostDMatrix Matrix, string Name)> sets)
    {
        var matrices = sets.Select(s => s.Matrix).ToArray();
        using var lease = new HandleLease(matrices);
        var names = new nint[sets.Count];
        try
        {
            for (int i = 0; i < names.Length; i++) names[i] = Marshal.StringToCoTaskMemUTF8(sets[i].Name);
            byte* result;
            fixed (nint* m = lease.Pointers)
            fixed (nint* n = names)
                XGBoost.Check(XGBoostNative.BoosterEvalOneIter(Handle, iteration, m, (byte**)n, (ulong)sets.Count, out result));
            return ParseEvaluation(Marshal.PtrToStringUTF8((nint)result) ?? "");
        }
        finally
        {
            foreach (nint name in names) Marshal.FreeCoTaskMem(name);
        }
    }

    internal static Dictionary<(string Set, string Metric), double> ParseEvaluation(string line)
    {
        var result = new Dictionary<(string, string), double>();
        foreach (string part in line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith('[')) continue;
            int colon = part.LastIndexOf(':');
            int dash = part.IndexOf('-');
            if (colon < 0 || dash < 0 || dash > colon) continue;
            if (double.TryParse(part[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                result[(part[..dash], part[(dash + 1)..colon])] = value;
        }
        return result;
    }

    /// <summary>
    /// Normal prediction (class probabilities for multi:softprob, Rows x classes) using rounds [0, iterationEnd)
    /// (0 = all), copied out of XGBoost's buffer.
    /// </summary>
    public float[] Predict(XGBoostDMatrix data, int iterationEnd = 0)
    {
        string config = $"{{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": {iterationEnd}, \"strict_shape\": false}}";
        XGBoost.Check(XGBoostNative.BoosterPredictFromDMatrix(Handle, data.Handle, config, out ulong* shape, out ulong dimensions, out float* result));
        ulong length = 1;
        for (ulong d = 0; d < dimensions; d++) length *= shape[d];
        return new ReadOnlySpan<float>(result, checked((int)length)).ToArray();
    }

    /// <summary>A new booster with rounds [begin, end) of this one (XGBoosterSlice).</summary>
    public XGBoostBooster Slice(int begin, int end)
    {
        int status = XGBoostNative.BoosterSlice(Handle, begin, end, 1, out var sliced);
        if (status == -2)
        {
            sliced.Dispose();
            throw new ArgumentOutOfRangeException(nameof(end), $"Rounds {begin}..{end} are outside the booster's {BoostedRounds}.");
        }
        XGBoost.Check(status);
        return new XGBoostBooster(sliced);
    }

    public int BoostedRounds
    {
        get
        {
            XGBoost.Check(XGBoostNative.BoosterBoostedRounds(Handle, out int rounds));
            return rounds;
        }
    }

    public int FeatureCount
    {
        get
        {
            XGBoost.Check(XGBoostNative.BoosterGetNumFeature(Handle, out ulong features));
            return checked((int)features);
        }
    }

    /// <summary>The model in XGBoost's own format: "ubj" (Universal Binary JSON, compact) or "json".</summary>
    public byte[] Save(string format = "ubj")
    {
        XGBoost.Check(XGBoostNative.BoosterSaveModelToBuffer(Handle, $"{{\"format\": \"{format}\"}}", out ulong length, out byte* data));
        return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
    }

    public void Dispose() => Handle.Dispose();

    /// <summary>Keeps several DMatrix handles alive (AddRef) while their raw pointers are in native hands.</summary>
    private readonly struct HandleLease : IDisposable
    {
        private readonly XGBoostDMatrix[] _matrices;
        private readonly bool[] _added;

        public HandleLease(XGBoostDMatrix[] matrices)
        {
            _matrices = matrices;
            _added = new bool[matrices.Length];
            Pointers = new nint[matrices.Length];
            try
            {
                for (int i = 0; i < matrices.Length; i++)
                {
                    matrices[i].Handle.DangerousAddRef(ref _added[i]);
                    Pointers[i] = matrices[i].Handle.DangerousGetHandle();
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public nint[] Pointers { get; }

        public void Dispose()
        {
            for (int i = 0; i < _matrices.Length; i++)
                if (_added[i]) _matrices[i].Handle.DangerousRelease();
        }
    }
}
