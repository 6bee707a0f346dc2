using FashionMnist.Evaluation;

namespace FashionMnist.Tests.Evaluation;

/// <summary>The photo calibration's fit (temperature and class prior) on problems whose optimum is known by hand.</summary>
public sealed class PhotoCalibrationFitTests
{
    private static float[] Rows(int n, Func<int, float[]> row) => Enumerable.Range(0, n).SelectMany(row).ToArray();

    private static readonly float[] Uniform = Enumerable.Repeat(0.1f, 10).ToArray();

    private static ushort[] Masks(params int[][] labels) => labels.Select(l => AcceptableLabelMetrics.Mask(l)).ToArray();

    [Fact]
    public void Temperature_alone_matches_the_right_class_frequency()
    {
        // Every photo: p = 0.8 for class 0, 0.2/9 for each other class. Half are class 0, half another class.
        // With one parameter T the fit matches the mean log-probability of the right class (an exponential family), so the
        // calibrated q_0 equals the frequency 1/2: 36^(1/T) / (36^(1/T) + 9) = 1/2, i.e. T = ln 36 / ln 9.
        float[] p = [0.8f, .. Enumerable.Repeat(0.2f / 9, 9)];
        float[] probabilities = Rows(10, _ => p);
        ushort[] masks = Masks([0], [0], [0], [0], [0], [1], [2], [3], [4], [5]);
        CalibrationFit fit = PhotoCalibrationFit.Fit(probabilities, masks, double.PositiveInfinity);
        double ratio = (double)0.8f / (0.2f / 9); // the float p's own ratio (36 up to rounding)
        Assert.Equal(Math.Log(ratio) / Math.Log(9), fit.Temperature, 4);
        Assert.All(fit.LogPrior, b => Assert.Equal(0, b));
        Assert.Equal(0.5, fit.Apply(p)[0], 5);
    }

    [Fact]
    public void Temperature_recovers_a_known_scaling_of_the_logits()
    {
        // Labels drawn from softmax(z / 2) while the model says softmax(z): the fitted temperature is 2, up to sampling.
        var random = new Random(11);
        const int n = 20_000;
        var probabilities = new float[n * 10];
        var masks = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            double[] z = Enumerable.Range(0, 10).Select(_ => 4 * random.NextDouble()).ToArray();
            double[] model = Softmax(z), truth = Softmax(z.Select(v => v / 2).ToArray());
            for (int k = 0; k < 10; k++) probabilities[i * 10 + k] = (float)model[k];
            double u = random.NextDouble(), sum = 0;
            int label = 9;
            for (int k = 0; k < 10; k++) if ((sum += truth[k]) > u) { label = k; break; }
            masks[i] = AcceptableLabelMetrics.Mask([label]);
        }
        CalibrationFit fit = PhotoCalibrationFit.Fit(probabilities, masks, double.PositiveInfinity);
        Assert.InRange(fit.Temperature, 1.9, 2.1);
    }

    [Fact]
    public void Without_a_penalty_the_prior_moves_to_the_class_that_is_always_right()
    {
        // Uniform outputs and every photo a Dress: nothing but the prior can tell, and unpenalised it heads to q_Dress = 1.
        float[] probabilities = Rows(8, _ => Uniform);
        ushort[] masks = Masks(Enumerable.Repeat(new[] { 3 }, 8).ToArray());
        CalibrationFit fit = PhotoCalibrationFit.Fit(probabilities, masks, penalty: 0);
        Assert.Equal(3, Array.IndexOf(fit.LogPrior.ToArray(), fit.LogPrior.Max()));
        Assert.True(fit.Apply(Uniform)[3] > 0.99f, fit.Apply(Uniform)[3].ToString());
    }

    [Fact]
    public void With_a_penalty_the_prior_stops_where_the_penalty_balances_the_loss()
    {
        // Uniform outputs, every photo a Dress, penalty λ: by symmetry b_Dress = α and the others β = −α/9 (the offsets sum
        // to 0), and the gradient is 0 where 1 − q_Dress = λα. Choose α = 1.8 (β = −0.2): q = e² / (e² + 9), λ = (1 − q) / 1.8.
        double q = Math.Exp(2) / (Math.Exp(2) + 9), lambda = (1 - q) / 1.8;
        float[] probabilities = Rows(8, _ => Uniform);
        ushort[] masks = Masks(Enumerable.Repeat(new[] { 3 }, 8).ToArray());
        CalibrationFit fit = PhotoCalibrationFit.Fit(probabilities, masks, lambda);
        for (int k = 0; k < 10; k++) Assert.Equal(k == 3 ? 1.8 : -0.2, fit.LogPrior[k], 5);
        Assert.Equal(q, fit.Apply(Uniform)[3], 5);
    }

    [Fact]
    public void Classes_that_are_right_together_share_the_prior_evenly()
    {
        // Shoes: Sandal, Sneaker and Ankle boot all right. The loss only sees their sum; the penalty splits it evenly.
        float[] probabilities = Rows(6, _ => Uniform);
        ushort[] masks = Masks(Enumerable.Repeat(new[] { 5, 7, 9 }, 6).ToArray());
        CalibrationFit fit = PhotoCalibrationFit.Fit(probabilities, masks, 0.1);
        Assert.Equal(fit.LogPrior[5], fit.LogPrior[7], 6);
        Assert.Equal(fit.LogPrior[5], fit.LogPrior[9], 6);
        Assert.True(fit.LogPrior[5] > 0 && fit.LogPrior[0] < 0);
    }

    [Fact]
    public void Folds_hold_every_group_evenly_and_too_small_a_group_is_refused()
    {
        int[] groups = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 5), .. Enumerable.Repeat(2, 7)];
        int[] folds = PhotoCalibrationFit.Folds(groups, 5, seed: 3);
        for (int g = 0; g < 3; g++)
        {
            var sizes = Enumerable.Range(0, 5).Select(f => Enumerable.Range(0, groups.Length).Count(i => groups[i] == g && folds[i] == f)).ToList();
            Assert.True(sizes.Max() - sizes.Min() <= 1, $"group {g}: {string.Join(",", sizes)}");
        }
        Assert.Equal(folds, PhotoCalibrationFit.Folds(groups, 5, seed: 3));
        Assert.Throws<ArgumentException>(() => PhotoCalibrationFit.Folds(groups, 6, seed: 3));
    }

    [Fact]
    public void Selection_scores_every_penalty_out_of_fold_and_keeps_the_best()
    {
        // Outputs that favour the right class a little, and a class mix the prior can learn (mostly T-shirts).
        var random = new Random(5);
        int n = 60;
        var probabilities = new float[n * 10];
        var masks = new ushort[n];
        var groups = new int[n];
        for (int i = 0; i < n; i++)
        {
            int label = i % 3 == 0 ? 1 : 0;
            double[] z = Enumerable.Range(0, 10).Select(k => random.NextDouble() + (k == label ? 0.5 : 0)).ToArray();
            double[] p = Softmax(z);
            for (int k = 0; k < 10; k++) probabilities[i * 10 + k] = (float)p[k];
            masks[i] = AcceptableLabelMetrics.Mask([label]);
            groups[i] = label;
        }
        CalibrationSelection selection = PhotoCalibrationFit.Select(probabilities, masks, groups, 3, seed: 1);
        Assert.Equal(PhotoCalibrationFit.DefaultPenalties, selection.Grid.Select(g => g.Penalty));
        PenaltyScore best = selection.Grid.MinBy(g => g.LogLoss)!;
        Assert.Equal(best.Penalty, selection.Fit.Penalty);
        Assert.Equal(best.LogLoss, AcceptableLabelMetrics.LogLoss(selection.OutOfFold, masks), 12);
        Assert.True(best.LogLoss < selection.Grid[0].LogLoss, "a class prior helps when the classes are this unbalanced");

        // Repeated: every penalty's scores are the means of the single splits with seeds 1, 2, 3; the out-of-fold
        // probabilities each sample's mean over them; the penalty the best mean log loss; the fit on every sample.
        CalibrationSelection[] single = [.. Enumerable.Range(1, 3).Select(s => PhotoCalibrationFit.Select(probabilities, masks, groups, 3, seed: s))];
        Assert.NotEqual(single[0].OutOfFold, single[1].OutOfFold); // the splits differ, or the repeats would show nothing
        CalibrationSelection repeated = PhotoCalibrationFit.Select(probabilities, masks, groups, 3, seed: 1, repeats: 3);
        Assert.Equal(3, repeated.Repeats);
        for (int p = 0; p < repeated.Grid.Count; p++)
        {
            Assert.Equal(single.Average(x => x.Grid[p].LogLoss), repeated.Grid[p].LogLoss, 12);
            Assert.Equal(single.Average(x => x.Grid[p].Top1), repeated.Grid[p].Top1, 12);
            Assert.Equal(single.Average(x => x.Grid[p].Top3), repeated.Grid[p].Top3, 12);
        }
        Assert.Equal(repeated.Grid.MinBy(g => g.LogLoss)!.Penalty, repeated.Fit.Penalty);
        Assert.Equal(PhotoCalibrationFit.Fit(probabilities, masks, repeated.Fit.Penalty).LogPrior, repeated.Fit.LogPrior);
        int chosen = repeated.Grid.ToList().FindIndex(g => g.Penalty.Equals(repeated.Fit.Penalty));
        CalibrationSelection[] atChosen = [.. Enumerable.Range(1, 3).Select(s =>
            PhotoCalibrationFit.Select(probabilities, masks, groups, 3, seed: s, [repeated.Grid[chosen].Penalty]))];
        for (int i = 0; i < repeated.OutOfFold.Length; i++)
            Assert.True(Math.Abs(atChosen.Average(x => (double)x.OutOfFold[i]) - repeated.OutOfFold[i]) < 1e-6, $"row value {i}"); // summed in float
    }

    /// <summary>
    /// Outputs of a model that systematically swaps classes 0 and 6 (it gives the true class's mass to the other one),
    /// the photo domain's T-shirt/Shirt confusion made extreme: no temperature or prior can undo a swap, a matrix can.
    /// </summary>
    private static (float[] Probabilities, ushort[] Masks, int[] Groups) Swapped(int n, int seed)
    {
        var random = new Random(seed);
        var probabilities = new float[n * 10];
        var masks = new ushort[n];
        var groups = new int[n];
        for (int i = 0; i < n; i++)
        {
            int label = i % 2 == 0 ? 0 : 6, shown = 6 - label;
            double[] z = Enumerable.Range(0, 10).Select(k => random.NextDouble() + (k == shown ? 2.0 : k == label ? 1.0 : 0)).ToArray();
            double[] p = Softmax(z);
            for (int k = 0; k < 10; k++) probabilities[i * 10 + k] = (float)p[k];
            masks[i] = AcceptableLabelMetrics.Mask([label]);
            groups[i] = label;
        }
        return (probabilities, masks, groups);
    }

    [Fact]
    public void A_matrix_undoes_a_class_swap_that_the_prior_cannot()
    {
        var (probabilities, masks, groups) = Swapped(200, seed: 4);
        double prior = AcceptableLabelMetrics.TopK(PhotoCalibrationFit.Fit(probabilities, masks, 0.01).Apply(probabilities), masks, 1);
        CalibrationFit matrix = PhotoCalibrationFit.FitMatrix(probabilities, masks, 0.01, 0.01);
        double withMatrix = AcceptableLabelMetrics.TopK(matrix.Apply(probabilities), masks, 1);
        Assert.True(prior <= 0.5 + 1e-9, $"a prior can at best favour one of the two classes: {prior}");
        Assert.True(withMatrix > 0.95, $"the matrix reads class 0's evidence as class 6 and back: {withMatrix}");
        Assert.True(matrix.Matrix![0 * 10 + 6] > matrix.Matrix[0 * 10 + 0], "row 0 takes its evidence from column 6");
        Assert.Equal(10 / Enumerable.Range(0, 10).Sum(k => matrix.Matrix[k * 11]), matrix.Temperature, 12);

        // Cross-validation picks a matrix here, and scores it out of fold (each fold's matrix fitted without it).
        CalibrationSelection selection = PhotoCalibrationFit.Select(probabilities, masks, groups, 4, seed: 1,
            matrixPenalties: PhotoCalibrationFit.DefaultMatrixPenalties);
        Assert.Equal(PhotoCalibrationFit.DefaultPenalties.Count + PhotoCalibrationFit.DefaultMatrixPenalties.Count, selection.Grid.Count);
        Assert.False(double.IsPositiveInfinity(selection.Fit.MatrixPenalty));
        Assert.NotNull(selection.Fit.Matrix);
        Assert.True(AcceptableLabelMetrics.TopK(selection.OutOfFold, masks, 1) > 0.9);
    }

    /// <summary>n outputs that favour the right label a little; labels from <paramref name="label"/> (a mask per row).</summary>
    private static (float[] Probabilities, ushort[] Masks) Noisy(int n, int seed, Func<int, int[]> label)
    {
        var random = new Random(seed);
        var probabilities = new float[n * 10];
        var masks = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            int[] right = label(i);
            double[] z = Enumerable.Range(0, 10).Select(k => 2 * random.NextDouble() + (k == right[i % right.Length] ? 1.0 : 0)).ToArray();
            double[] p = Softmax(z);
            for (int k = 0; k < 10; k++) probabilities[i * 10 + k] = (float)p[k];
            masks[i] = AcceptableLabelMetrics.Mask(right);
        }
        return (probabilities, masks);
    }

    [Fact]
    public void A_strong_matrix_penalty_gives_the_prior_form_back()
    {
        // Every class has photos and none is always right with another: nothing is fixed or tied.
        var (probabilities, masks) = Noisy(200, seed: 6, i => [i % 10]);
        CalibrationFit prior = PhotoCalibrationFit.Fit(probabilities, masks, 0.1);
        CalibrationFit matrix = PhotoCalibrationFit.FitMatrix(probabilities, masks, 0.1, 1e7);
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(prior.LogPrior[k], matrix.LogPrior[k], 3);
            for (int j = 0; j < 10; j++) Assert.Equal(k == j ? 1 / prior.Temperature : 0, matrix.Matrix![k * 10 + j], 3);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => PhotoCalibrationFit.FitMatrix(probabilities, masks, 0.1, 0));
    }

    [Fact]
    public void The_matrix_leaves_alone_what_the_labels_cannot_tell()
    {
        // Shoes: any of 5, 7, 9 is right (never told apart). T-shirts (0) and shirts (6). No photo is a bag (8) or anything else.
        var (probabilities, masks) = Noisy(300, seed: 9, i => (i % 3) switch { 0 => [5, 7, 9], 1 => [0], _ => [6] });
        CalibrationFit fit = PhotoCalibrationFit.FitMatrix(probabilities, masks, 0.001, 0.01);
        double[] w = [.. fit.Matrix!];
        int[] shoes = [5, 7, 9];
        // The shoe classes: one offset, one diagonal, no weight among them, the same weight on every other class.
        foreach (int k in shoes)
        {
            Assert.Equal(fit.LogPrior[5], fit.LogPrior[k], 12);
            Assert.Equal(w[5 * 10 + 5], w[k * 10 + k], 12);
            foreach (int m in shoes) if (m != k) Assert.Equal(0, w[k * 10 + m]);
            for (int j = 0; j < 10; j++) if (!shoes.Contains(j)) Assert.Equal(w[5 * 10 + j], w[k * 10 + j], 12);
        }
        // So their order is the model's: a Sneaker-leaning shoe stays a Sneaker.
        float[] shoe = [0.02f, 0.01f, 0.01f, 0.01f, 0.01f, 0.2f, 0.02f, 0.6f, 0.02f, 0.1f];
        float[] calibrated = fit.Apply(shoe);
        Assert.True(calibrated[7] > calibrated[5] && calibrated[5] > calibrated[9], string.Join(" ", calibrated));
        // Classes no photo has: offset 0, no weight on others, and no other class takes weight from them.
        foreach (int k in new[] { 1, 2, 3, 4, 8 })
        {
            Assert.Equal(0, fit.LogPrior[k]);
            for (int j = 0; j < 10; j++)
                if (j != k) Assert.Equal((0.0, 0.0), (w[k * 10 + j], w[j * 10 + k]));
        }
        // Between the classes the photos do tell apart the matrix is free.
        Assert.NotEqual(0, w[0 * 10 + 6]);
    }

    [Fact]
    public void Pooled_copies_of_a_photo_share_its_fold()
    {
        // Two identical copies of every row: if a photo's copies could land in different folds, its twin would be
        // fitted on and the out-of-fold loss would drop below the single copy's. Shared folds give the same numbers.
        var (probabilities, masks, groups) = Swapped(60, seed: 8);
        CalibrationSelection one = PhotoCalibrationFit.Select(probabilities, masks, groups, 3, seed: 2, repeats: 2);
        CalibrationSelection two = PhotoCalibrationFit.Select([.. probabilities, .. probabilities], [.. masks, .. masks], [.. groups, .. groups],
            3, seed: 2, repeats: 2, copies: 2);
        for (int p = 0; p < one.Grid.Count; p++) Assert.Equal(one.Grid[p].LogLoss, two.Grid[p].LogLoss, 6); // sums over twice the rows round differently
        Assert.Equal(one.Fit.Penalty, two.Fit.Penalty);
        Assert.Throws<ArgumentException>(() => PhotoCalibrationFit.Select(probabilities, masks, groups, 3, seed: 2, copies: 7));
    }

    [Fact]
    public void Acceptable_label_metrics_count_any_right_label()
    {
        float[] probabilities = [
            0.5f, 0.3f, 0.2f, 0, 0, 0, 0, 0, 0, 0,     // right: {1, 2} → top-1 wrong, top-3 right, −ln 0.5
            0, 0, 0, 0, 0, 0.6f, 0, 0.3f, 0, 0.1f,     // right: {5, 7, 9} → top-1 right, −ln 1
        ];
        ushort[] masks = Masks([1, 2], [5, 7, 9]);
        Assert.Equal(0.5, AcceptableLabelMetrics.TopK(probabilities, masks, 1));
        Assert.Equal(1.0, AcceptableLabelMetrics.TopK(probabilities, masks, 3));
        Assert.Equal(Math.Log(2) / 2, AcceptableLabelMetrics.LogLoss(probabilities, masks), 6);
        // Top-1: confidences 0.5 (wrong) and 0.6 (right), two bins: |0 − 0.5| and |1 − 0.6|, averaged.
        Assert.Equal((0.5 + 0.4) / 2, AcceptableLabelMetrics.CalibrationError(probabilities, masks, 1), 6);
        // Top-3: both sets hold all the probability and are right.
        Assert.Equal(0, AcceptableLabelMetrics.CalibrationError(probabilities, masks, 3), 6);
    }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
