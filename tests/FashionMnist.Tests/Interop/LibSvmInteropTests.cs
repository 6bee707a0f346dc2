using System.Runtime.InteropServices;
using FashionMnist.Interop;

namespace FashionMnist.Tests.Interop;

public class LibSvmInteropTests
{
    [Fact]
    public void Struct_layouts_match_the_C_compiler()
    {
        // Sizes and offsets printed by gcc's sizeof/offsetof for libsvm/svm.h 3.24 on x86-64.
        Assert.Equal(16, Marshal.SizeOf<SvmNode>());
        Assert.Equal(8, (int)Marshal.OffsetOf<SvmNode>(nameof(SvmNode.Value)));
        Assert.Equal(24, Marshal.SizeOf<SvmProblem>());
        Assert.Equal(104, Marshal.SizeOf<SvmParameter>());
        Assert.Equal(16, (int)Marshal.OffsetOf<SvmParameter>(nameof(SvmParameter.Gamma)));
        Assert.Equal(48, (int)Marshal.OffsetOf<SvmParameter>(nameof(SvmParameter.C)));
        Assert.Equal(56, (int)Marshal.OffsetOf<SvmParameter>(nameof(SvmParameter.WeightCount)));
        Assert.Equal(64, (int)Marshal.OffsetOf<SvmParameter>(nameof(SvmParameter.WeightLabels)));
        Assert.Equal(96, (int)Marshal.OffsetOf<SvmParameter>(nameof(SvmParameter.Shrinking)));
        Assert.Equal(100, (int)Marshal.OffsetOf<SvmParameter>(nameof(SvmParameter.Probability)));
        Assert.Equal(184, Marshal.SizeOf<SvmModelStruct>());
        Assert.Equal(104, (int)Marshal.OffsetOf<SvmModelStruct>(nameof(SvmModelStruct.ClassCount)));
        Assert.Equal(112, (int)Marshal.OffsetOf<SvmModelStruct>(nameof(SvmModelStruct.SupportVectors)));
        Assert.Equal(160, (int)Marshal.OffsetOf<SvmModelStruct>(nameof(SvmModelStruct.Labels)));
        Assert.Equal(176, (int)Marshal.OffsetOf<SvmModelStruct>(nameof(SvmModelStruct.FreeSupportVectors)));
    }

    [Fact]
    public void Rows_are_written_sparse_one_based_and_terminated()
    {
        var nodes = new SvmNode[5];
        int written = LibSvm.WriteRow(new byte[] { 0, 51, 0, 255 }, 1.0 / 255, keepZeros: false, nodes);
        Assert.Equal(3, written);
        Assert.Equal((2, 0.2), (nodes[0].Index, Math.Round(nodes[0].Value, 12)));
        Assert.Equal((4, 1.0), (nodes[1].Index, nodes[1].Value));
        Assert.Equal(-1, nodes[2].Index);
        Assert.Equal(3, LibSvm.NodeCount(new byte[] { 0, 51, 0, 255 }, keepZeros: false));
        Assert.Equal(5, LibSvm.WriteRow(new float[] { 0, 1, 0, 2 }, 1, keepZeros: true, nodes));
        Assert.Equal(1, nodes[0].Index);
    }

    // Two classes split by the line x1 = 0; the closest points are at x1 = -1 and x1 = +1, so the
    // maximum-margin hyperplane is w = (-1, 0), b = 0 with class 0 (LIBSVM's first label) on the positive side:
    // the decision value of any point is -x1.
    private static readonly float[] s_toyPoints = [-2, 0, -1, 1, -1, -1, -3, 2, 2, 0, 1, 1, 1, -1, 3, -2];
    private static readonly byte[] s_toyLabels = [0, 0, 0, 0, 1, 1, 1, 1];

    private static LibSvmModel TrainToy(double c = 1000)
    {
        using var problem = LibSvmProblem.From<float>(s_toyPoints, 2, Enumerable.Range(0, 8).ToArray(), s_toyLabels, 1, keepZeros: false);
        return LibSvmModel.Train(problem, new LibSvmParameters(SvmKernelType.Linear, c, 1, 3, 0, 10, 1e-6, true, false));
    }

    private static double Decide(LibSvmModel model, float x1, float x2, out double label)
    {
        var nodes = new SvmNode[3];
        LibSvm.WriteRow(new[] { x1, x2 }, 1, keepZeros: false, nodes);
        var values = new double[1];
        label = model.PredictValues(nodes, values);
        return values[0];
    }

    [Fact]
    public void Linear_svm_separates_the_toy_set_with_the_hand_computed_hyperplane()
    {
        using LibSvmModel model = TrainToy();
        Assert.Equal(2, model.ClassCount);
        Assert.Equal([0, 1], model.Labels);
        Assert.Equal(4, model.SupportVectorCount); // (-1, ±1) and (1, ±1)
        for (int i = 0; i < 8; i++)
        {
            Decide(model, s_toyPoints[2 * i], s_toyPoints[2 * i + 1], out double label);
            Assert.Equal(s_toyLabels[i], label);
        }
        Assert.Equal(3.0, Decide(model, -3, 5, out double left), 3);
        Assert.Equal(0.0, left, 0);
        Assert.Equal(-0.5, Decide(model, 0.5f, -7, out double right), 3);
        Assert.Equal(1.0, right, 0);
    }

    [Fact]
    public void Support_vectors_survive_the_training_problem_being_freed()
    {
        // The problem is disposed inside TrainToy: predictions still work because the model owns copies of its SVs.
        using LibSvmModel model = TrainToy();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(3.0, Decide(model, -3, 0, out _), 3);
    }

    [Fact]
    public void Model_text_round_trips_through_LIBSVMs_own_format()
    {
        using LibSvmModel model = TrainToy();
        byte[] text = model.ToBytes();
        Assert.StartsWith("svm_type c_svc\nkernel_type linear\n", System.Text.Encoding.ASCII.GetString(text));
        using LibSvmModel loaded = LibSvmModel.FromBytes(text);
        Assert.Equal(model.SupportVectorCount, loaded.SupportVectorCount);
        Assert.Equal(Decide(model, 0.25f, 3, out _), Decide(loaded, 0.25f, 3, out _), 6);
        Assert.Throws<InvalidDataException>(() => LibSvmModel.FromBytes("not a model\n"u8));
        Assert.Throws<InvalidDataException>(() => LibSvmModel.FromBytes(text.AsSpan(0, text.Length - 3)));
    }

    [Fact]
    public void Parameters_LIBSVM_rejects_become_a_clear_exception_with_its_message()
    {
        using var problem = LibSvmProblem.From<float>(s_toyPoints, 2, Enumerable.Range(0, 8).ToArray(), s_toyLabels, 1, keepZeros: false);
        var e = Assert.Throws<FashionMnistException>(() =>
            LibSvmModel.Train(problem, new LibSvmParameters(SvmKernelType.Rbf, -1, 1, 3, 0, 10, 1e-3, true, false)));
        Assert.Contains("C <= 0", e.Message);
        Assert.Contains("LIBSVM rejected", e.Message);
        var gamma = Assert.Throws<FashionMnistException>(() =>
            LibSvmModel.Train(problem, new LibSvmParameters(SvmKernelType.Rbf, 1, -2, 3, 0, 10, 1e-3, true, false)));
        Assert.Contains("gamma < 0", gamma.Message);
    }
}
