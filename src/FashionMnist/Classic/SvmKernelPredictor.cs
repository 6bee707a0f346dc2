using System.Numerics.Tensors;
using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Classic;

/// <summary>
/// LIBSVM's one-vs-one decision values for many rows at once. LIBSVM's svm_predict_values evaluates every kernel
/// K(x, SV) with a scalar loop over node pairs (about 4 cycles per feature); every kernel LIBSVM offers is a function
/// of the dot products x·SV (and, for RBF, the squared norms), so here one matrix multiply (<see cref="Gemm"/>) of a batch
/// of rows with all support vectors gives them all, the kernel is applied with SIMD, and the pairwise sums follow
/// LIBSVM's formula in double precision. Kernel values are float: the decision values differ from LIBSVM's by rounding
/// only (checked against svm_predict_values in the tests).
/// </summary>
internal sealed class SvmKernelPredictor
{
    private const int BatchRows = 512;
    private readonly LibSvmDecisionFunction _function;
    private readonly float[] _supportVectorNorms;
    private readonly int[] _slotStart;

    public SvmKernelPredictor(LibSvmDecisionFunction function)
    {
        _function = function;
        int l = function.SupportVectorCount, columns = function.Columns;
        _supportVectorNorms = new float[l];
        for (int s = 0; s < l; s++)
        {
            ReadOnlySpan<float> sv = function.SupportVectors.AsSpan(s * columns, columns);
            _supportVectorNorms[s] = TensorPrimitives.Dot(sv, sv);
        }
        int k = function.SupportVectorsPerClass.Length;
        _slotStart = new int[k + 1];
        for (int c = 0; c < k; c++) _slotStart[c + 1] = _slotStart[c] + function.SupportVectorsPerClass[c];
    }

    public int ClassCount => _function.SupportVectorsPerClass.Length;

    public int DecisionValueCount => ClassCount * (ClassCount - 1) / 2;

    /// <summary>
    /// Decision values (rows x k(k-1)/2, row-major) for rows given by <paramref name="writeRow"/>, which fills one
    /// row's features as LIBSVM sees them (already scaled). <paramref name="onRow"/> gets each row's values.
    /// </summary>
    public void Predict(int rows, Action<int, Span<float>> writeRow, RowAction onRow)
    {
        int l = _function.SupportVectorCount, columns = _function.Columns;
        int batch = Math.Min(BatchRows, Math.Max(rows, 1));
        var x = new float[batch * columns];
        var dots = new float[(long)batch * l];
        for (int start = 0; start < rows; start += batch)
        {
            int n = Math.Min(batch, rows - start);
            for (int r = 0; r < n; r++) writeRow(start + r, x.AsSpan(r * columns, columns));
            // dots[r, s] = x_r · SV_s, for all rows of the batch and all support vectors in one multiply.
            Gemm.Multiply(false, true, n, l, columns, 1f, x, columns, _function.SupportVectors, columns, 0f, dots, l);
            int chunks = Math.Min(ComputeThreads.Count, n);
            Parallel.For(0, chunks, ComputeThreads.ParallelOptions, chunk =>
            {
                var kernel = new double[l];
                var decisions = new double[DecisionValueCount];
                for (int r = n * chunk / chunks; r < n * (chunk + 1) / chunks; r++)
                {
                    Span<float> row = dots.AsSpan(r * l, l);
                    ApplyKernel(row, x.AsSpan(r * columns, columns));
                    TensorPrimitives.ConvertChecked<float, double>(row, kernel);
                    PairwiseDecisions(kernel, decisions);
                    onRow(start + r, decisions);
                }
            });
        }
    }

    /// <summary>Receives one row's decision values (valid only during the call).</summary>
    public delegate void RowAction(int row, ReadOnlySpan<double> decisionValues);

    /// <summary>Turns a row of dot products x·SV into kernel values, in place.</summary>
    private void ApplyKernel(Span<float> dots, ReadOnlySpan<float> x)
    {
        float gamma = (float)_function.Gamma, coef0 = (float)_function.Coef0;
        switch (_function.Kernel)
        {
            case SvmKernelType.Linear:
                break;
            case SvmKernelType.Rbf:
                // exp(-gamma |x - sv|^2) with |x - sv|^2 = |x|^2 + |sv|^2 - 2 x·sv (clamped at 0 against rounding).
                float xNorm = TensorPrimitives.Dot(x, x);
                TensorPrimitives.MultiplyAdd(dots, -2f, _supportVectorNorms, dots);
                TensorPrimitives.Add(dots, xNorm, dots);
                TensorPrimitives.Max(dots, 0f, dots);
                TensorPrimitives.Multiply(dots, -gamma, dots);
                TensorPrimitives.Exp(dots, dots);
                break;
            case SvmKernelType.Polynomial:
                TensorPrimitives.Multiply(dots, gamma, dots);
                TensorPrimitives.Add(dots, coef0, dots);
                if (_function.Degree != 1)
                    for (int i = 0; i < dots.Length; i++) dots[i] = IntegerPower(dots[i], _function.Degree);
                break;
            case SvmKernelType.Sigmoid:
                TensorPrimitives.Multiply(dots, gamma, dots);
                TensorPrimitives.Add(dots, coef0, dots);
                TensorPrimitives.Tanh(dots, dots);
                break;
            default:
                throw new NotSupportedException($"Kernel {_function.Kernel} is not supported.");
        }
    }

    /// <summary>LIBSVM's powi: x^n by repeated squaring.</summary>
    private static float IntegerPower(float x, int n)
    {
        float result = 1, square = x;
        for (int t = n; t > 0; t /= 2)
        {
            if ((t & 1) != 0) result *= square;
            square *= square;
        }
        return result;
    }

    /// <summary>LIBSVM's svm_predict_values sums for every pair of class slots (i &lt; j).</summary>
    private void PairwiseDecisions(ReadOnlySpan<double> kernel, Span<double> decisions)
    {
        int k = ClassCount, p = 0;
        for (int i = 0; i < k; i++)
        {
            ReadOnlySpan<double> ki = kernel[_slotStart[i].._slotStart[i + 1]];
            for (int j = i + 1; j < k; j++, p++)
            {
                ReadOnlySpan<double> kj = kernel[_slotStart[j].._slotStart[j + 1]];
                double sum = TensorPrimitives.Dot(_function.Coefficients[j - 1].AsSpan(_slotStart[i], ki.Length), ki)
                    + TensorPrimitives.Dot(_function.Coefficients[i].AsSpan(_slotStart[j], kj.Length), kj);
                decisions[p] = sum - _function.Rho[p];
            }
        }
    }
}
