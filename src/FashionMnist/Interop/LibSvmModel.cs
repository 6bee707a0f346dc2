namespace FashionMnist.Interop;

/// <summary>
/// Owns one <c>svm_model*</c> and, for models we trained, the native block holding its support vectors' nodes.
/// Released by svm_free_and_destroy_model (which frees the node memory itself only for loaded models), except for
/// models we assembled ourselves (<see cref="LibSvmOneVsOne"/>): their struct and arrays all live in one block of
/// ours, which LIBSVM only reads and never frees.
/// </summary>
internal sealed unsafe class SvmModelHandle : SafeHandle
{
    private NativeBlock? _supportVectorNodes;
    private NativeBlock? _assembled;

    public SvmModelHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal SvmModelStruct* Model => (SvmModelStruct*)handle;

    internal static SvmModelHandle Own(SvmModelStruct* model, NativeBlock? supportVectorNodes)
    {
        var owned = new SvmModelHandle();
        owned.SetHandle((IntPtr)model);
        owned._supportVectorNodes = supportVectorNodes;
        return owned;
    }

    /// <summary>A model whose <c>svm_model</c> struct starts <paramref name="block"/>, with everything it points to inside it.</summary>
    internal static SvmModelHandle OwnAssembled(NativeBlock block)
    {
        var owned = new SvmModelHandle();
        owned.SetHandle((IntPtr)block.Pointer);
        owned._assembled = block;
        return owned;
    }

    protected override bool ReleaseHandle()
    {
        if (_assembled is not null)
        {
            _assembled.Dispose(); // not malloc'ed by LIBSVM: svm_free_and_destroy_model must not see it
            return true;
        }
        var model = (SvmModelStruct*)handle;
        LibSvmNative.FreeAndDestroyModel(&model);
        _supportVectorNodes?.Dispose(); // after the model: nothing points into it any more
        return true;
    }
}

/// <summary>
/// A C-SVC model's one-vs-one decision functions in C# arrays (see LIBSVM's svm_predict_values): for the pair of class
/// slots (i, j), dec = Σ_{s in slot i} Coefficients[j-1][s] K(x, SV_s) + Σ_{s in slot j} Coefficients[i][s] K(x, SV_s) - Rho[p],
/// with support vectors grouped by slot (<see cref="SupportVectorsPerClass"/>).
/// </summary>
internal sealed record LibSvmDecisionFunction(
    SvmKernelType Kernel,
    double Gamma,
    double Coef0,
    int Degree,
    int Columns,
    int SupportVectorCount,
    float[] SupportVectors,
    double[][] Coefficients,
    double[] Rho,
    int[] SupportVectorsPerClass,
    int[] Labels);

/// <summary>Parameters of one LIBSVM fit, in C# terms.</summary>
internal readonly record struct LibSvmParameters(
    SvmKernelType Kernel,
    double C,
    double Gamma,
    int Degree,
    double Coef0,
    double CacheSizeMb,
    double Tolerance,
    bool Shrinking,
    bool Probability)
{
    internal SvmParameter ToNative() => new()
    {
        SvmType = (int)SvmType.CSvc,
        KernelType = (int)Kernel,
        Degree = Degree,
        Gamma = Gamma,
        Coef0 = Coef0,
        CacheSizeMb = CacheSizeMb,
        Eps = Tolerance,
        C = C,
        Nu = 0.5,
        P = 0.1,
        Shrinking = Shrinking ? 1 : 0,
        Probability = Probability ? 1 : 0,
    };
}

/// <summary>
/// A trained or loaded C-SVC model. Prediction methods only read the model (LIBSVM's svm_predict_* keep all
/// scratch memory per call), so they may run on several threads at once.
/// </summary>
internal sealed unsafe class LibSvmModel : IDisposable
{
    private readonly SvmModelHandle _handle;

    internal LibSvmModel(SvmModelHandle handle)
    {
        _handle = handle;
        SvmModelStruct* model = handle.Model;
        ClassCount = model->ClassCount;
        SupportVectorCount = model->SupportVectorCount;
        Labels = new int[ClassCount];
        for (int i = 0; i < ClassCount; i++) Labels[i] = model->Labels[i];
        HasProbabilities = LibSvmNative.CheckProbabilityModel(model) != 0;
    }

    public int ClassCount { get; }

    /// <summary>The class label of each of LIBSVM's internal class slots, in LIBSVM's order (first appearance).</summary>
    public int[] Labels { get; }

    public int SupportVectorCount { get; }

    /// <summary>True when trained with probability=1 (Platt scaling per pair), so <see cref="PredictProbability"/> works.</summary>
    public bool HasProbabilities { get; }

    /// <summary>Number of pairwise decision values per row: k(k-1)/2.</summary>
    public int DecisionValueCount => ClassCount * (ClassCount - 1) / 2;

    /// <summary>
    /// Trains as svm_train does after svm_check_parameter approves (its complaint becomes a <see cref="FashionMnistException"/>),
    /// then copies the support vectors out of the problem so the problem can be freed right away.
    /// <paramref name="seed"/> seeds the shuffles of probability training: the model is the one svm_train gives after
    /// srand(seed), whatever else in the process draws from libc's rand() meanwhile.
    /// </summary>
    public static LibSvmModel Train(LibSvmProblem problem, LibSvmParameters parameters, int seed = 0)
    {
        // Probability training shuffles with libc's process-wide rand(), which other libraries in the process call too
        // (ONNX Runtime's background thread does): svm_train's own would not be reproducible, so its pairs and their
        // Platt scaling run through LibSvmOneVsOne, which draws the same numbers from a generator of its own.
        return parameters.Probability
            ? LibSvmOneVsOne.Train(problem, parameters, threads: 1, seed: seed)
            : TrainWhole(problem, parameters);
    }

    /// <summary>LIBSVM's svm_train on the whole problem. Draws from libc's rand() when probability=1 with two classes or more.</summary>
    internal static LibSvmModel TrainWhole(LibSvmProblem problem, LibSvmParameters parameters)
    {
        LibSvm.EnsureReady();
        return problem.Use(problemPointer =>
        {
            SvmParameter native = parameters.ToNative();
            var p = (SvmProblem*)problemPointer;
            CheckParameters(p, &native);
            SvmModelStruct* model = LibSvmNative.Train(p, &native);
            if (model == null) throw new InvalidOperationException("svm_train returned no model.");
            NativeBlock? nodes;
            try
            {
                nodes = CopySupportVectors(model);
            }
            catch
            {
                LibSvmNative.FreeAndDestroyModel(&model);
                throw;
            }
            return new LibSvmModel(SvmModelHandle.Own(model, nodes));
        });
    }

    /// <summary>svm_check_parameter: its complaint becomes a <see cref="FashionMnistException"/>.</summary>
    internal static void CheckParameters(SvmProblem* problem, SvmParameter* parameter)
    {
        byte* complaint = LibSvmNative.CheckParameter(problem, parameter);
        if (complaint != null)
        {
            string text = Marshal.PtrToStringUTF8((IntPtr)complaint) ?? "invalid parameter";
            throw new FashionMnistException($"LIBSVM rejected the SVM parameters: {text}",
                "Change the SVM options with --set name=VALUE.");
        }
    }

    /// <summary>
    /// svm_train leaves model->SV pointing into the training problem's nodes. Copy those rows into one block the
    /// model owns and re-point SV[i] there, so the (much larger) problem memory need not outlive the fit.
    /// </summary>
    private static NativeBlock? CopySupportVectors(SvmModelStruct* model)
    {
        int count = model->SupportVectorCount;
        if (count == 0 || model->FreeSupportVectors != 0) return null;
        long total = 0;
        for (int i = 0; i < count; i++) total += RowLength(model->SupportVectors[i]);
        var block = new NativeBlock((nuint)(total * sizeof(SvmNode)));
        SvmNode* next = (SvmNode*)block.Pointer;
        for (int i = 0; i < count; i++)
        {
            int length = RowLength(model->SupportVectors[i]);
            Buffer.MemoryCopy(model->SupportVectors[i], next, (long)length * sizeof(SvmNode), (long)length * sizeof(SvmNode));
            model->SupportVectors[i] = next;
            next += length;
        }
        return block;
    }

    /// <summary>LIBSVM reads until index -1: a row without one would make it read past the buffer.</summary>
    private static void CheckTerminated(ReadOnlySpan<SvmNode> row)
    {
        for (int i = 0; i < row.Length; i++)
            if (row[i].Index == SvmNode.EndOfRow) return;
        throw new ArgumentException("Row is not terminated with index -1.");
    }

    internal static int RowLength(SvmNode* row)
    {
        int n = 0;
        while (row[n].Index != SvmNode.EndOfRow) n++;
        return n + 1;
    }

    /// <summary>
    /// Copies out everything LIBSVM's decision function uses, with the support vectors as a dense row-major float
    /// matrix of <paramref name="columns"/> features, so predictions can be computed with matrix multiplies.
    /// </summary>
    public LibSvmDecisionFunction ExportDecisionFunction(int columns)
    {
        using (var lease = new ModelLease(_handle))
        {
            SvmModelStruct* model = lease.Model;
            int l = model->SupportVectorCount, k = model->ClassCount;
            var supportVectors = new float[(long)l * columns];
            for (int i = 0; i < l; i++)
            {
                Span<float> row = supportVectors.AsSpan(i * columns, columns);
                for (SvmNode* node = model->SupportVectors[i]; node->Index != SvmNode.EndOfRow; node++)
                {
                    if ((uint)(node->Index - 1) >= (uint)columns)
                        throw new InvalidDataException($"a support vector has feature index {node->Index}, beyond the model's {columns} features");
                    row[node->Index - 1] = (float)node->Value;
                }
            }
            var coefficients = new double[k - 1][];
            for (int q = 0; q < k - 1; q++) coefficients[q] = new ReadOnlySpan<double>(model->SupportVectorCoefficients[q], l).ToArray();
            var rho = new ReadOnlySpan<double>(model->Rho, k * (k - 1) / 2).ToArray();
            var perClass = new ReadOnlySpan<int>(model->SupportVectorsPerClass, k).ToArray();
            SvmParameter p = model->Parameter;
            return new LibSvmDecisionFunction((SvmKernelType)p.KernelType, p.Gamma, p.Coef0, p.Degree,
                columns, l, supportVectors, coefficients, rho, perClass, Labels);
        }
    }

    /// <summary>
    /// LIBSVM's sv_indices: for each support vector (in model order), its 1-based row number in the training problem.
    /// Null for models read from text (LIBSVM's model files do not store them).
    /// </summary>
    public int[]? SupportVectorIndices
    {
        get
        {
            using var lease = new ModelLease(_handle);
            SvmModelStruct* model = lease.Model;
            return model->SupportVectorIndices == null
                ? null
                : new ReadOnlySpan<int>(model->SupportVectorIndices, model->SupportVectorCount).ToArray();
        }
    }

    /// <summary>svm_predict_values: fills the k(k-1)/2 pairwise decision values and returns the voted label.</summary>
    public double PredictValues(ReadOnlySpan<SvmNode> row, Span<double> decisionValues)
    {
        if (decisionValues.Length < DecisionValueCount) throw new ArgumentException("Decision value buffer is too short.");
        return Predict(&LibSvmNative.PredictValues, row, decisionValues);
    }

    /// <summary>svm_predict_probability: fills one probability per class slot (in <see cref="Labels"/> order).</summary>
    public double PredictProbability(ReadOnlySpan<SvmNode> row, Span<double> probabilities)
    {
        if (!HasProbabilities) throw new InvalidOperationException("The model was trained without probability estimates.");
        if (probabilities.Length < ClassCount) throw new ArgumentException("Probability buffer is too short.");
        return Predict(&LibSvmNative.PredictProbability, row, probabilities);
    }

    /// <summary>One svm_predict_* call on a terminated row, the model leased for its duration.</summary>
    private double Predict(delegate*<SvmModelStruct*, SvmNode*, double*, double> predict, ReadOnlySpan<SvmNode> row, Span<double> output)
    {
        CheckTerminated(row);
        using var lease = new ModelLease(_handle);
        fixed (SvmNode* x = row)
        fixed (double* o = output)
            return predict(lease.Model, x, o);
    }

    /// <summary>
    /// The model in LIBSVM's text format (what svm-train writes and svm_load_model reads), with every number written
    /// so that it reads back to the same bits. LIBSVM's own svm_save_model prints support-vector values with 8
    /// significant digits, which changes the last bits of a float feature and so the decision values of a reloaded model.
    /// </summary>
    public byte[] ToBytes()
    {
        using var lease = new ModelLease(_handle);
        SvmModelStruct* model = lease.Model;
        SvmParameter p = model->Parameter;
        int k = model->ClassCount, l = model->SupportVectorCount, pairs = k * (k - 1) / 2;
        var text = new System.Text.StringBuilder(capacity: 64 + l * 64);
        var kernel = (SvmKernelType)p.KernelType;
        text.Append("svm_type c_svc\nkernel_type ").Append(kernel switch
        {
            SvmKernelType.Linear => "linear", SvmKernelType.Polynomial => "polynomial", SvmKernelType.Rbf => "rbf",
            SvmKernelType.Sigmoid => "sigmoid", _ => throw new InvalidDataException($"unsupported LIBSVM kernel {p.KernelType}"),
        }).Append('\n');
        if (kernel == SvmKernelType.Polynomial) text.Append("degree ").Append(Number(p.Degree)).Append('\n');
        if (kernel is SvmKernelType.Polynomial or SvmKernelType.Rbf or SvmKernelType.Sigmoid) text.Append("gamma ").Append(Number(p.Gamma)).Append('\n');
        if (kernel is SvmKernelType.Polynomial or SvmKernelType.Sigmoid) text.Append("coef0 ").Append(Number(p.Coef0)).Append('\n');
        text.Append("nr_class ").Append(Number(k)).Append("\ntotal_sv ").Append(Number(l)).Append('\n');
        AppendRow(text, "rho", new ReadOnlySpan<double>(model->Rho, pairs));
        AppendRow(text, "label", new ReadOnlySpan<int>(model->Labels, k));
        if (model->ProbA != null) AppendRow(text, "probA", new ReadOnlySpan<double>(model->ProbA, pairs));
        if (model->ProbB != null) AppendRow(text, "probB", new ReadOnlySpan<double>(model->ProbB, pairs));
        AppendRow(text, "nr_sv", new ReadOnlySpan<int>(model->SupportVectorsPerClass, k));
        text.Append("SV\n");
        for (int i = 0; i < l; i++)
        {
            for (int q = 0; q < k - 1; q++) text.Append(Number(model->SupportVectorCoefficients[q][i])).Append(' ');
            for (SvmNode* node = model->SupportVectors[i]; node->Index != SvmNode.EndOfRow; node++)
                text.Append(Number(node->Index)).Append(':').Append(Number(node->Value)).Append(' ');
            text.Append('\n');
        }
        return System.Text.Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void AppendRow<T>(System.Text.StringBuilder text, string name, ReadOnlySpan<T> values) where T : IFormattable
    {
        text.Append(name);
        foreach (T value in values) text.Append(' ').Append(Number(value));
        text.Append('\n');
    }

    /// <summary>Shortest text that reads back (C's strtod) to the same value.</summary>
    private static string Number<T>(T value) where T : IFormattable =>
        value.ToString(typeof(T) == typeof(double) ? "R" : null, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads a model written by <see cref="ToBytes"/> (LIBSVM text format) back through svm_load_model.</summary>
    public static LibSvmModel FromBytes(ReadOnlySpan<byte> text)
    {
        LibSvm.EnsureReady();
        // svm_load_model trusts its input's counts; check the header's shape before handing text to C.
        CheckLooksLikeModel(text);
        string path = TemporaryPath();
        try
        {
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                file.Write(text);
            SvmModelStruct* model = LibSvmNative.LoadModel(path);
            if (model == null) throw new InvalidDataException("LIBSVM could not read the stored SVM model");
            if (model->Parameter.SvmType != (int)SvmType.CSvc || model->ClassCount < 2)
            {
                LibSvmNative.FreeAndDestroyModel(&model);
                throw new InvalidDataException("the stored SVM model is not a C-SVC classifier");
            }
            return new LibSvmModel(SvmModelHandle.Own(model, supportVectorNodes: null));
        }
        finally
        {
            TryDelete(path);
        }
    }

    private static void CheckLooksLikeModel(ReadOnlySpan<byte> text)
    {
        ReadOnlySpan<byte> start = "svm_type c_svc\n"u8;
        if (!text.StartsWith(start) || text.IndexOf("\nSV\n"u8) < 0)
            throw new InvalidDataException("the stored SVM model is not in LIBSVM's format");
        // LIBSVM reads "SV" rows without bounds checks against the header; a cut-off file ends mid-row.
        if (text[^1] != (byte)'\n') throw new InvalidDataException("the stored SVM model is cut off");
    }

    private static string TemporaryPath() =>
        Path.Combine(Path.GetTempPath(), $"fmnist-libsvm-{Environment.ProcessId}-{Guid.NewGuid():N}.model");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Keeps the native model alive (the SafeHandle's reference count) for a using block, so a concurrent Dispose
    /// cannot free it under a LIBSVM call. If AddRef throws (already disposed), there is nothing to release.
    /// </summary>
    private readonly ref struct ModelLease
    {
        private readonly SvmModelHandle _handle;

        public ModelLease(SvmModelHandle handle)
        {
            bool added = false;
            handle.DangerousAddRef(ref added);
            _handle = handle;
        }

        public SvmModelStruct* Model => _handle.Model;

        public void Dispose() => _handle.DangerousRelease();
    }
}
