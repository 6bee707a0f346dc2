namespace FashionMnist.Interop;

/// <summary>
/// LIBSVM 3.24's Platt scaling of one pair (svm_binary_svc_probability and sigmoid_train, static in svm.cpp), in C#
/// around LIBSVM's own svm_train and svm_predict_values, so its shuffle draws from a <see cref="GlibcRandom"/> we own.
/// <para>
/// LIBSVM shuffles each pair's rows with libc's rand(), a generator shared by the whole process (glibc's random() and
/// srand() use the same state). Seeding it with srand and holding a lock around svm_train ordered only our own fits:
/// ONNX Runtime's background thread calls rand() now and then (at growing gaps, 4.5 s to minutes, once a session exists,
/// measured with an LD_PRELOAD counter in the test process), and a draw taken in the middle of a fit moved every later
/// pair's folds, so the same seed gave probabilities differing in the fourth digit (0.006575 vs 0.006581).
/// </para>
/// <para>
/// The arithmetic is LIBSVM's, operation for operation (no FMA contraction on either side; Math.Exp and Math.Log are
/// libm's exp and log), so for the same draws the result is bit for bit svm_train's (checked in LibSvmProbabilityTests).
/// </para>
/// </summary>
internal static unsafe class LibSvmProbability
{
    private const int Folds = 5;

    /// <summary>
    /// Sigmoid parameters (probA, probB) of one pair: 5-fold cross-validated decision values of the sub-problem
    /// <paramref name="rows"/>/<paramref name="y"/> (y = +1 or -1), folds cut after a shuffle drawn from
    /// <paramref name="random"/> (one draw per row), each fold's model trained with C = 1 and class weights
    /// <paramref name="cp"/>, <paramref name="cn"/>.
    /// </summary>
    public static (double A, double B) Fit(ReadOnlySpan<nint> rows, ReadOnlySpan<double> y, SvmParameter parameter,
        double cp, double cn, GlibcRandom random)
    {
        int l = rows.Length;
        var perm = new int[l];
        var decisionValues = new double[l];
        for (int i = 0; i < l; i++) perm[i] = i;
        for (int i = 0; i < l; i++)
        {
            int j = i + random.Next() % (l - i);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }

        var foldRows = new nint[l];
        var foldY = new double[l];
        int* weightLabels = stackalloc int[2] { +1, -1 };
        double* weights = stackalloc double[2] { cp, cn };
        SvmParameter foldParameter = parameter;
        foldParameter.Probability = 0;
        foldParameter.C = 1.0;
        foldParameter.WeightCount = 2;
        foldParameter.WeightLabels = weightLabels;
        foldParameter.Weights = weights;
        for (int fold = 0; fold < Folds; fold++)
        {
            int begin = fold * l / Folds, end = (fold + 1) * l / Folds;
            int k = 0, positives = 0;
            for (int j = 0; j < l; j++)
            {
                if (j == begin) j = end;
                if (j >= l) break;
                foldRows[k] = rows[perm[j]];
                foldY[k] = y[perm[j]];
                if (foldY[k] > 0) positives++;
                k++;
            }
            int negatives = k - positives;
            if (positives == 0 || negatives == 0)
            {
                // LIBSVM: no model for a one-sided fold, its held-out rows get the side's sign (0 when empty).
                double constant = positives > 0 ? 1 : negatives > 0 ? -1 : 0;
                for (int j = begin; j < end; j++) decisionValues[perm[j]] = constant;
                continue;
            }
            SvmModelStruct* model;
            fixed (nint* x = foldRows)
            fixed (double* labels = foldY)
            {
                var sub = new SvmProblem { Count = k, Labels = labels, Rows = (SvmNode**)x };
                model = LibSvmNative.Train(&sub, &foldParameter);
            }
            if (model == null) throw new InvalidOperationException("svm_train returned no model.");
            try
            {
                for (int j = begin; j < end; j++)
                {
                    double value;
                    LibSvmNative.PredictValues(model, (SvmNode*)rows[perm[j]], &value);
                    decisionValues[perm[j]] = value * model->Labels[0]; // +1 before -1, whichever slot LIBSVM gave +1
                }
            }
            finally
            {
                LibSvmNative.FreeAndDestroyModel(&model); // free_sv is 0: our nodes stay
            }
        }
        return SigmoidTrain(decisionValues, y);
    }

    /// <summary>
    /// sigmoid_train: Platt's sigmoid fitted by Newton's method with backtracking line search (Lin, Lin and Weng's
    /// numerically stable version), P(y = +1 | f) = 1 / (1 + exp(A f + B)).
    /// </summary>
    internal static (double A, double B) SigmoidTrain(ReadOnlySpan<double> decisionValues, ReadOnlySpan<double> labels)
    {
        int l = decisionValues.Length;
        double prior1 = 0, prior0 = 0;
        for (int i = 0; i < l; i++)
            if (labels[i] > 0) prior1 += 1;
            else prior0 += 1;

        const int maxIterations = 100;
        const double minStep = 1e-10, sigma = 1e-12, eps = 1e-5;
        double hiTarget = (prior1 + 1.0) / (prior1 + 2.0), loTarget = 1 / (prior0 + 2.0);
        var t = new double[l];
        double a = 0.0, b = Math.Log((prior0 + 1.0) / (prior1 + 1.0));
        double fval = 0.0;
        for (int i = 0; i < l; i++)
        {
            t[i] = labels[i] > 0 ? hiTarget : loTarget;
            fval += Loss(decisionValues[i] * a + b, t[i]);
        }
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            // Gradient and Hessian (H' = H + sigma I keeps it strictly positive definite).
            double h11 = sigma, h22 = sigma, h21 = 0.0, g1 = 0.0, g2 = 0.0;
            for (int i = 0; i < l; i++)
            {
                double fApB = decisionValues[i] * a + b, p, q;
                if (fApB >= 0)
                {
                    p = Math.Exp(-fApB) / (1.0 + Math.Exp(-fApB));
                    q = 1.0 / (1.0 + Math.Exp(-fApB));
                }
                else
                {
                    p = 1.0 / (1.0 + Math.Exp(fApB));
                    q = Math.Exp(fApB) / (1.0 + Math.Exp(fApB));
                }
                double d2 = p * q;
                h11 += decisionValues[i] * decisionValues[i] * d2;
                h22 += d2;
                h21 += decisionValues[i] * d2;
                double d1 = t[i] - p;
                g1 += decisionValues[i] * d1;
                g2 += d1;
            }
            if (Math.Abs(g1) < eps && Math.Abs(g2) < eps) break;

            // Newton direction -inv(H') g, then halve the step until the loss decreases enough.
            double det = h11 * h22 - h21 * h21;
            double dA = -(h22 * g1 - h21 * g2) / det;
            double dB = -(-h21 * g1 + h11 * g2) / det;
            double gd = g1 * dA + g2 * dB;
            double stepSize = 1;
            while (stepSize >= minStep)
            {
                double newA = a + stepSize * dA, newB = b + stepSize * dB;
                double newF = 0.0;
                for (int i = 0; i < l; i++) newF += Loss(decisionValues[i] * newA + newB, t[i]);
                if (newF < fval + 0.0001 * stepSize * gd)
                {
                    a = newA;
                    b = newB;
                    fval = newF;
                    break;
                }
                stepSize /= 2.0;
            }
            if (stepSize < minStep) break; // LIBSVM: "Line search fails in two-class probability estimates"
        }
        return (a, b);
    }

    /// <summary>One row's cross-entropy term, written as LIBSVM writes it to avoid overflow in exp.</summary>
    private static double Loss(double fApB, double target) => fApB >= 0
        ? target * fApB + Math.Log(1 + Math.Exp(-fApB))
        : (target - 1) * fApB + Math.Log(1 + Math.Exp(fApB));
}
