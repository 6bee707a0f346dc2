using FashionMnist.Data;

namespace FashionMnist.Evaluation;

/// <summary>
/// What labelled photos can tell a matrix calibration (<see cref="PhotoCalibrationFit.FitMatrix"/>), read from their
/// right-label masks: which classes any photo has (a class no photo has cannot be calibrated: it is left alone), and
/// which classes are never told apart (every photo's labels take them or leave them together, like the three shoe
/// classes: one group, whose members' rows are tied). Enforced on the gradient: L-BFGS moves tied parameters together
/// and fixed ones not at all when their gradients are equal or zero at every step.
/// </summary>
internal sealed class MatrixShape
{
    private const int Classes = FashionMnistClasses.Count;
    private readonly bool[] _present = new bool[Classes];
    private readonly int[][] _groupOf = new int[Classes][];

    public MatrixShape(IReadOnlyList<ushort> masks)
    {
        foreach (ushort mask in masks)
            for (int k = 0; k < Classes; k++) _present[k] |= (mask >> k & 1) != 0;
        for (int k = 0; k < Classes; k++)
            _groupOf[k] = _present[k]
                ? [.. Enumerable.Range(0, Classes).Where(m => _present[m] && masks.All(x => (x >> k & 1) == (x >> m & 1)))]
                : [k];
    }

    /// <summary>Whether some photo has class <paramref name="k"/> among its right labels.</summary>
    public bool Present(int k) => _present[k];

    /// <summary>The classes never told apart from <paramref name="k"/> (itself included), in order.</summary>
    public IReadOnlyList<int> Group(int k) => _groupOf[k];

    /// <summary>
    /// Makes a gradient of θ = (W row-major, b) respect the shape: a tied group's offsets, diagonals and weights on each
    /// outside class get their mean gradient, weights between its members none; a class no photo has gets none for its
    /// offset and its row's and column's off-diagonal weights.
    /// </summary>
    public void Constrain(double[] gradient)
    {
        int bias = Classes * Classes;
        for (int k = 0; k < Classes; k++)
        {
            if (_present[k]) continue;
            gradient[bias + k] = 0;
            for (int j = 0; j < Classes; j++)
                if (j != k) gradient[k * Classes + j] = gradient[j * Classes + k] = 0;
        }
        for (int k = 0; k < Classes; k++)
        {
            int[] members = _groupOf[k];
            if (members.Length < 2 || members[0] != k) continue; // each group once, from its first member
            Share(gradient, members.Select(m => bias + m));
            Share(gradient, members.Select(m => m * Classes + m));
            foreach (int m in members)
                foreach (int other in members)
                    if (other != m) gradient[m * Classes + other] = 0;
            for (int j = 0; j < Classes; j++)
                if (!members.Contains(j)) Share(gradient, members.Select(m => m * Classes + j));
        }
    }

    private static void Share(double[] gradient, IEnumerable<int> indices)
    {
        int[] at = [.. indices];
        double mean = at.Average(i => gradient[i]);
        foreach (int i in at) gradient[i] = mean;
    }
}
