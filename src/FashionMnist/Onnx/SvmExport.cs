using FashionMnist.Classic;
using FashionMnist.Interop;
using static FashionMnist.Onnx.OnnxGraph.Attribute;

namespace FashionMnist.Onnx;

/// <summary>
/// A LIBSVM C-SVC as an ai.onnx.ml SVMClassifier followed by the vote shares of <see cref="SvmClassifier.VoteShares"/>.
/// SVMClassifier (no prob_a/prob_b) outputs LIBSVM's k(k-1)/2 one-vs-one decision values, with rho added where LIBSVM
/// subtracts it (so rho is written negated). The vote shares are then ordinary ops: for pair p of slots (i, j), a
/// positive value is a vote for i, otherwise for j (Greater → Cast → MatMul with 0/1 pair→class matrices); the
/// confidence Σ±d gives a term c/(3(|c|+1)) in (-1/3, 1/3); every present class gets +1/3; rows are divided by their sum.
/// Raw-pixel models saw pixels/255 in LIBSVM: that Mul comes first.
/// </summary>
internal static class SvmExport
{
    private const int Classes = 10;

    public static string Build(OnnxGraph graph, SvmClassifier svm, string x, bool onBytes)
    {
        if (!svm.IsFitted) throw new FashionMnistException("The SVM is not fitted", "Train it first.");
        LibSvmModel model = svm.NativeModel;
        if (model.HasProbabilities)
            throw new FashionMnistException("An SVM trained with probability=true cannot be exported yet: its Platt-scaled probabilities are not in the ONNX graph fmnist writes",
                "Train it with probability=false (the default); its vote-share probabilities are exported exactly.");
        if (svm.TrainedOnBytes != onBytes)
            throw new FashionMnistException("The SVM's input kind does not match its pipeline", "Train the model again.");
        LibSvmDecisionFunction function = model.ExportDecisionFunction(svm.FeatureCount);
        if (svm.TrainedOnBytes) x = graph.Node("Mul", [x, graph.Scalar("libsvm_scale", (float)(1.0 / 255))]);

        int k = function.SupportVectorsPerClass.Length, pairs = k * (k - 1) / 2;
        int[] labels = function.Labels;
        string kernel = function.Kernel switch
        {
            SvmKernelType.Linear => "LINEAR",
            SvmKernelType.Polynomial => "POLY",
            SvmKernelType.Rbf => "RBF",
            SvmKernelType.Sigmoid => "SIGMOID",
            _ => throw new FashionMnistException($"SVM kernel {function.Kernel} has no ONNX export", "Use a linear, poly, rbf or sigmoid kernel."),
        };
        var coefficients = new List<float>((k - 1) * function.SupportVectorCount);
        foreach (double[] row in function.Coefficients) coefficients.AddRange(row.Select(v => (float)v));
        string[] outputs = graph.NodeWithOutputs("SVMClassifier", [x], [graph.Unique("svm_label"), graph.Unique("svm_decisions")],
            [
                Ints("classlabels_ints", labels.Select(l => (long)l)),
                Floats("coefficients", coefficients),
                Floats("kernel_params", [(float)function.Gamma, (float)function.Coef0, function.Degree]),
                String("kernel_type", kernel),
                Floats("rho", function.Rho.Select(r => (float)-r)),
                Floats("support_vectors", function.SupportVectors),
                Ints("vectors_per_class", function.SupportVectorsPerClass.Select(v => (long)v)),
                String("post_transform", "NONE"),
            ], OnnxContract.MlDomain);
        string decisions = outputs[1]; // [N, pairs]
        if (k < 2) throw new FashionMnistException("The SVM knows fewer than 2 classes", "Train it on at least 2 classes.");

        // Pair → class matrix I - J: +1 at label(i), -1 at label(j) of pair p.
        var difference = new float[pairs * Classes];
        var constant = new float[Classes];
        int p = 0;
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++, p++)
            {
                difference[p * Classes + labels[i]] += 1f;
                difference[p * Classes + labels[j]] -= 1f;
                constant[labels[j]] += 1f; // votes = pos·I + (1-pos)·J = pos·(I-J) + colsum(J)
            }
        for (int i = 0; i < k; i++) constant[labels[i]] += 1f / 3;
        string iMinusJ = graph.Constant("svm_pair_sign", difference, pairs, Classes);
        string positive = graph.Node("Cast", [graph.Node("Greater", [decisions, graph.Scalar("zero", 0f)])], Int("to", 1));
        string votes = graph.Node("MatMul", [positive, iMinusJ]);
        string confidence = graph.Node("MatMul", [decisions, iMinusJ]);
        string denominator = graph.Node("Mul", [graph.Node("Add", [graph.Node("Abs", [confidence]), graph.Scalar("one", 1f)]), graph.Scalar("three", 3f)]);
        string term = graph.Node("Div", [confidence, denominator]);
        string shares = graph.Node("Add", [graph.Node("Add", [votes, term]), graph.Constant("svm_vote_base", constant, Classes)]);
        string total = graph.Node("ReduceSum", [shares, graph.Int64Constant("class_axis", [1], 1)], Int("keepdims", 1));
        return graph.Node("Div", [shares, total]);
    }
}
