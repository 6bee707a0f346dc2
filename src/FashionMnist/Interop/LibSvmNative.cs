namespace FashionMnist.Interop;

// The C structures of LIBSVM 3.24 (libsvm/svm.h), field for field. Their sizes and offsets are checked
// against the C compiler's in tests (svm_node 16, svm_problem 24, svm_parameter 104, svm_model 184).

/// <summary><c>struct svm_node</c>: one non-zero feature; index is 1-based, -1 ends a row.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SvmNode
{
    public int Index;
    public double Value;

    public const int EndOfRow = -1;
}

/// <summary><c>struct svm_problem</c>: l rows, their labels y and row pointers x.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SvmProblem
{
    public int Count;
    public double* Labels;
    public SvmNode** Rows;
}

/// <summary>LIBSVM's <c>svm_type</c> values.</summary>
internal enum SvmType
{
    CSvc = 0,
    NuSvc = 1,
    OneClass = 2,
    EpsilonSvr = 3,
    NuSvr = 4,
}

/// <summary>LIBSVM's <c>kernel_type</c> values.</summary>
internal enum SvmKernelType
{
    Linear = 0,
    Polynomial = 1,
    Rbf = 2,
    Sigmoid = 3,
    Precomputed = 4,
}

/// <summary><c>struct svm_parameter</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SvmParameter
{
    public int SvmType;
    public int KernelType;
    public int Degree;
    public double Gamma;
    public double Coef0;
    public double CacheSizeMb;
    public double Eps;
    public double C;
    public int WeightCount;
    public int* WeightLabels;
    public double* Weights;
    public double Nu;
    public double P;
    public int Shrinking;
    public int Probability;
}

/// <summary>
/// <c>struct svm_model</c>. Read only to move the support vectors into memory we own (trap: a model made by
/// svm_train points into the caller's node memory) and to get the labels' order.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SvmModelStruct
{
    public SvmParameter Parameter;
    public int ClassCount;
    public int SupportVectorCount;
    public SvmNode** SupportVectors;
    public double** SupportVectorCoefficients;
    public double* Rho;
    public double* ProbA;
    public double* ProbB;
    public int* SupportVectorIndices;
    public int* Labels;
    public int* SupportVectorsPerClass;
    /// <summary>1 when LIBSVM owns the node memory of the SVs (loaded models), 0 when the caller does (trained ones).</summary>
    public int FreeSupportVectors;
}

internal static unsafe partial class LibSvmNative
{
    private const string Library = "svm";

    [LibraryImport(Library, EntryPoint = "svm_train")]
    public static partial SvmModelStruct* Train(SvmProblem* problem, SvmParameter* parameter);

    [LibraryImport(Library, EntryPoint = "svm_check_parameter")]
    public static partial byte* CheckParameter(SvmProblem* problem, SvmParameter* parameter);

    [LibraryImport(Library, EntryPoint = "svm_predict_values")]
    public static partial double PredictValues(SvmModelStruct* model, SvmNode* x, double* decisionValues);

    [LibraryImport(Library, EntryPoint = "svm_predict_probability")]
    public static partial double PredictProbability(SvmModelStruct* model, SvmNode* x, double* probabilities);

    [LibraryImport(Library, EntryPoint = "svm_check_probability_model")]
    public static partial int CheckProbabilityModel(SvmModelStruct* model);

    [LibraryImport(Library, EntryPoint = "svm_save_model", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SaveModel(string fileName, SvmModelStruct* model);

    [LibraryImport(Library, EntryPoint = "svm_load_model", StringMarshalling = StringMarshalling.Utf8)]
    public static partial SvmModelStruct* LoadModel(string fileName);

    [LibraryImport(Library, EntryPoint = "svm_free_and_destroy_model")]
    public static partial void FreeAndDestroyModel(SvmModelStruct** model);

    [LibraryImport(Library, EntryPoint = "svm_set_print_string_function")]
    public static partial void SetPrintStringFunction(delegate* unmanaged[Cdecl]<byte*, void> print);
}
