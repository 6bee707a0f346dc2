using System.Net;
using System.Text;
using FashionMnist.Data;
using FashionMnist.Evaluation.Charts;
using static FashionMnist.Evaluation.Reports.ReportFindings;

namespace FashionMnist.Evaluation.Reports;

/// <summary>
/// The comparison as one self-contained HTML page: inline CSS and SVG, no scripts, fonts or requests,
/// so it opens from disk anywhere and can be mailed as a single file.
/// </summary>
internal static class ReportHtml
{
    /// <summary>Most misclassified images shown per model.</summary>
    public const int GalleryImagesPerModel = 16;

    /// <summary>
    /// A warning when other processes took a noticeable share of the machine during the run (half a core or more on
    /// average), or null. Measured from the machine's CPU time minus ours, not the load average, which counts our own
    /// threads and work that ended before the comparison started.
    /// </summary>
    internal static string? BusyMachineNote(RunInfo run) =>
        run.OtherCoresBusy is double others && others >= 0.5
            ? $"Other processes kept {others.ToString("0.0", CultureInfo.InvariantCulture)} of the {run.Machine.LogicalCores} cores busy on average "
              + "during this comparison, so wall times are longer than on an idle machine; CPU seconds are the fairer cost (hover a training time)."
            : null;

    public static string Render(ComparisonReport report)
    {
        var html = new StringBuilder(1 << 16);
        var board = report.Leaderboard;
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(report.Title)).Append("</title><style>").Append(Css).Append("</style></head><body><main>");

        html.Append("<header><h1>").Append(E(report.Title)).Append("</h1><p class=\"meta\">")
            .Append(E($"{report.Run.StartedUtc:yyyy-MM-dd HH:mm} UTC"));
        if (report.Run.Profile.Length > 0) html.Append(" · profile <b>").Append(E(report.Run.Profile)).Append("</b>");
        html.Append(" · ").Append(board.Count).Append(board.Count == 1 ? " model" : " models")
            .Append(" · seed ").Append(report.Run.Seed.ToString(CultureInfo.InvariantCulture))
            .Append(" · ").Append(E(Duration(report.Run.TotalSeconds))).Append(" in total");
        if (report.Run.CpuSeconds is double cpu) html.Append(" (").Append(E(Duration(cpu))).Append(" of CPU time)");
        html.Append("</p>");
        if (BusyMachineNote(report.Run) is string busy) html.Append("<p class=\"meta small\">").Append(E(busy)).Append("</p>");
        html.Append("</header>");

        if (report.Notes.Count > 0 || report.Skipped.Count > 0)
        {
            html.Append("<aside class=\"notes\">");
            foreach (string note in report.Notes) html.Append("<p>").Append(E(note)).Append("</p>");
            if (report.Skipped.Count > 0)
            {
                html.Append("<p><b>Not run:</b></p><ul>");
                foreach (var s in report.Skipped) html.Append("<li><code>").Append(E(s.Name)).Append("</code> — ").Append(E(s.Reason)).Append("</li>");
                html.Append("</ul>");
            }
            html.Append("</aside>");
        }

        Section(html, "findings", "Key findings");
        html.Append("<ul class=\"findings\">");
        foreach (string finding in ReportFindings.For(report)) html.Append("<li>").Append(E(finding)).Append("</li>");
        html.Append("</ul></section>");
        ReportStudySections.AnswerHtml(html, report);

        if (board.Count > 0)
        {
            Leaderboard(html, board);
            ReportStudySections.AnchorsHtml(html, board);
            ReportStudySections.CrossValidationHtml(html, board);
            AccuracyVersusTime(html, board);
            PerClassF1(html, board);
            ConfusionMatrices(html, board);
            Overfitting(html, board);
            LearningCurves(html, board);
            Pca(html, board);
            FeatureImportance(html, board);
            Gallery(html, board);
        }
        Reproducibility(html, report);
        html.Append("<footer>Written by fmnist ").Append(E(report.Run.Machine.ProjectVersion)).Append(". Every chart is inline SVG; hover a mark for its value.</footer>");
        html.Append("</main></body></html>\n");
        return html.ToString();
    }

    private static void Leaderboard(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        Section(html, "leaderboard", "Leaderboard", "Ranked by test accuracy. Train: wall time of the fit (hover for CPU seconds). Predict: per 10,000 images. Images: training images used. Gap: train minus test accuracy in percentage points.");
        // The columns the reader compares first come first; calibration details last (they may scroll on narrow screens).
        html.Append("<div class=\"scroll\"><table class=\"board\"><thead><tr><th>#</th><th>Model</th><th class=\"num\">Test accuracy</th>")
            .Append("<th class=\"num\">Macro F1</th><th class=\"num\">Train</th><th class=\"num\">Predict / 10k</th><th class=\"num\">Size</th>")
            .Append("<th class=\"num\">Images</th><th class=\"num\">Gap</th><th class=\"num\">Top-2</th><th class=\"num\">Log loss</th><th class=\"num\">ECE</th></tr></thead><tbody>");
        double best = board[0].TestAccuracy, worst = board[^1].TestAccuracy;
        for (int i = 0; i < board.Count; i++)
        {
            var m = board[i];
            double share = best == worst ? 1 : (m.TestAccuracy - worst) / (best - worst);
            html.Append(i == 0 ? "<tr class=\"best\">" : "<tr>")
                .Append("<td>").Append(i + 1).Append("</td>")
                .Append("<td class=\"model\"><b>").Append(E(m.Name)).Append("</b> <span class=\"tag ").Append(E(m.Family)).Append("\">").Append(E(m.Family)).Append("</span>")
                .Append(m.Pipeline is null ? "" : $"<div class=\"small pipe\">{E(m.Pipeline)}</div>")
                .Append(m.Note is null ? "" : $"<div class=\"small note\">{E(m.Note)}</div>")
                .Append(AnchorLine(m) is string anchor ? $"<div class=\"small anchor\">{E(anchor)}</div>" : "").Append("</td>")
                .Append("<td class=\"num\"><span class=\"bar\" style=\"--w:").Append(Svg.N(8 + 92 * share)).Append("%\"></span>").Append(E(Percent(m.TestAccuracy))).Append("</td>")
                .Append("<td class=\"num\">").Append(Fixed(m.MacroF1, 4)).Append("</td>")
                .Append(m.TrainCpuSeconds is double cpu ? $"<td class=\"num\" title=\"{E(Fixed(cpu, 1))} CPU seconds\">" : "<td class=\"num\">")
                .Append(E(Duration(m.TrainSeconds))).Append("</td>")
                .Append("<td class=\"num\">").Append(E(Duration(m.PredictSecondsPer10k))).Append("</td>")
                .Append("<td class=\"num\">").Append(E(Bytes(m.ModelSizeBytes))).Append("</td>")
                .Append("<td class=\"num\">").Append(m.TrainImages > 0 ? m.TrainImages.ToString("N0", CultureInfo.InvariantCulture) : "–").Append("</td>")
                .Append("<td class=\"num\">").Append(Optional(m.OverfittingGap, g => (g * 100).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture) + " pt")).Append("</td>")
                .Append("<td class=\"num\">").Append(Optional(m.TopTwoAccuracy, Percent)).Append("</td>")
                .Append("<td class=\"num\">").Append(Optional(m.LogLoss, v => Fixed(v, 3))).Append("</td>")
                .Append("<td class=\"num\">").Append(Optional(m.ExpectedCalibrationError, v => Fixed(v, 3))).Append("</td></tr>");
        }
        html.Append("</tbody></table></div><p class=\"small\">Top-2: the true class is among the two most probable. ")
            .Append("Log loss: mean −ln p(true class), lower is better. ECE: expected calibration error over 15 confidence bins ")
            .Append("(0 = the model's confidence matches its accuracy). Size: the saved model file.</p></section>");
    }

    /// <summary>"fully trained: 94.72 % · Zalando: ResNet18 + augmentation 0.949" under a leaderboard row.</summary>
    private static string? AnchorLine(ModelResult m)
    {
        var parts = new List<string>();
        if (Anchors.Project(m) is ProjectResult full) parts.Add($"fully trained here: {Percent(full.Accuracy)} ({full.Date})");
        if (Anchors.Published(m) is PublishedReference published) parts.Add($"Zalando: {published.Text}");
        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }

    private static void AccuracyVersusTime(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        Section(html, "tradeoff", "Accuracy against training time", "Up and to the left is better. Training time on a log scale.");
        var chart = new ScatterChart
        {
            Points = board.Select(m => new ScatterPoint(m.Name, Math.Max(m.TrainSeconds, 1e-3), m.TestAccuracy, m.Family,
                $"{m.Name}: {Percent(m.TestAccuracy)} test accuracy, trained in {Duration(m.TrainSeconds)}")).ToList(),
            LogX = true, XLabel = "training time (seconds, log scale)", YLabel = "test accuracy", Width = 960, Height = 440,
        };
        html.Append("<figure>").Append(chart.ToSvg()).Append("</figure></section>");
    }

    private static void PerClassF1(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var models = board.Where(m => m.PerClass.Count == FashionMnistClasses.Count).ToList();
        if (models.Count == 0) return;
        Section(html, "per-class", "F1 per class", "Rows are models (best first), columns classes. Dark cells are where a model struggles.");
        var chart = new HeatMap
        {
            Values = models.Select(m => m.PerClass.Select(c => c.F1).ToArray()).ToArray(),
            RowLabels = models.Select(m => m.Name).ToList(),
            ColumnLabels = FashionMnistClasses.Names,
            CellSize = 52,
            FormatValue = v => v.ToString("0.00", CultureInfo.InvariantCulture),
            Tooltip = (r, c) => $"{models[r].Name} · {FashionMnistClasses.Name(c)}: F1 {Fixed(models[r].PerClass[c].F1, 4)}, precision {Fixed(models[r].PerClass[c].Precision, 4)}, recall {Fixed(models[r].PerClass[c].Recall, 4)}",
        };
        html.Append("<figure>").Append(chart.ToSvg()).Append("</figure></section>");
    }

    private static void ConfusionMatrices(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var models = board.Where(m => m.Confusion is not null).ToList();
        if (models.Count == 0) return;
        Section(html, "confusion", "Confusion matrices",
            "Rows are the true class, columns the prediction; colour is the share of the row, the number the count. The three most confused pairs are outlined.");
        html.Append("<div class=\"cards\">");
        var shortNames = FashionMnistClasses.Names.Select(n => n.Replace("T-shirt/top", "T-shirt")).ToList();
        foreach (var m in models)
        {
            var matrix = ConfusionMatrix.FromRows(m.Confusion!);
            var pairs = matrix.MostConfusedPairs(3);
            var normalised = matrix.RowNormalized();
            var chart = new HeatMap
            {
                Title = m.Name,
                Values = normalised,
                CellText = m.Confusion!.Select(row => row.Select(n => n.ToString(CultureInfo.InvariantCulture)).ToArray()).ToArray(),
                RowLabels = shortNames, ColumnLabels = shortNames, RowAxisLabel = "true class", ColumnAxisLabel = "predicted",
                Min = 0, Max = 1, CellSize = 34, ColorBar = false,
                Highlight = pairs.Select(p => (p.Actual, p.Predicted)).ToList(),
                Tooltip = (r, c) => $"true {FashionMnistClasses.Name(r)}, predicted {FashionMnistClasses.Name(c)}: {m.Confusion![r][c]} images ({Percent(normalised[r][c])} of the class)",
            };
            html.Append("<div class=\"card\"><figure>").Append(chart.ToSvg()).Append("</figure><ol class=\"pairs\">");
            foreach (var p in pairs)
                html.Append("<li><b>").Append(E(FashionMnistClasses.Name(p.Actual))).Append("</b> → ").Append(E(FashionMnistClasses.Name(p.Predicted)))
                    .Append(": ").Append(p.Count).Append(" (").Append(E(Percent(p.ShareOfActual))).Append(")</li>");
            html.Append("</ol></div>");
        }
        html.Append("</div></section>");
    }

    private static void Overfitting(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var models = board.Where(m => m.TrainAccuracy is not null).ToList();
        if (models.Count == 0) return;
        Section(html, "overfitting", "Train, validation and test accuracy",
            "The difference between train and test accuracy is the overfitting gap: large gaps mean the model memorised its training images.");
        var memorisers = models.Where(m => m.TrainAccuracy >= 0.999).Select(m => m.Name).ToList();
        if (memorisers.Count > 0)
            html.Append("<p class=\"small\">").Append(E(string.Join(", ", memorisers))).Append(memorisers.Count == 1 ? " is" : " are")
                .Append(" (almost) perfect on the training images by construction (nearest neighbours find the image itself; fully grown trees fit every sample), ")
                .Append("so their gap says how much they memorise, not that training went wrong. For models trained in epochs or rounds the gap is the overfitting signal.</p>");
        bool validation = models.Any(m => m.ValidationAccuracy is not null);
        var series = new List<(string, IReadOnlyList<double>)> { ("train", models.Select(m => m.TrainAccuracy!.Value).ToList()) };
        if (validation) series.Add(("validation", models.Select(m => m.ValidationAccuracy ?? double.NaN).ToList()));
        series.Add(("test", models.Select(m => m.TestAccuracy).ToList()));
        double floor = Math.Max(0, Math.Floor((models.Min(m => Math.Min(m.TestAccuracy, m.TrainAccuracy!.Value)) - 0.05) * 20) / 20);
        var chart = new BarChart
        {
            Categories = models.Select(m => m.Name).ToList(), Series = series, Horizontal = true, ValueMin = floor,
            ValueLabel = "accuracy", Width = 760, FormatValue = Percent,
        };
        html.Append("<figure>").Append(chart.ToSvg()).Append("</figure></section>");
    }

    private static void LearningCurves(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var models = board.Where(m => m.Epochs.Count > 0).ToList();
        if (models.Count == 0) return;
        Section(html, "curves", "Learning curves", "Accuracy and loss after each epoch (or boosting round). Solid: training data; dashed: validation.");
        html.Append("<div class=\"cards\">");
        foreach (var m in models)
        {
            var accuracy = new List<ChartSeries> { new("train", m.Epochs.Select(e => ((double)e.Epoch, e.TrainAccuracy)).ToList(), Palette.Category(0)) };
            if (m.Epochs.Any(e => e.ValidationAccuracy is not null))
                accuracy.Add(new("validation", m.Epochs.Select(e => ((double)e.Epoch, e.ValidationAccuracy ?? double.NaN)).ToList(), Palette.Category(1), Dashed: true));
            var loss = new List<ChartSeries> { new("train", m.Epochs.Select(e => ((double)e.Epoch, e.TrainLoss)).ToList(), Palette.Category(0)) };
            if (m.Epochs.Any(e => e.ValidationLoss is not null))
                loss.Add(new("validation", m.Epochs.Select(e => ((double)e.Epoch, e.ValidationLoss ?? double.NaN)).ToList(), Palette.Category(1), Dashed: true));
            html.Append("<div class=\"card\"><h3>").Append(E(m.Name)).Append("</h3><p class=\"small\">");
            if (m.OverfittingGap is double gap) html.Append("Train − test gap: <b>").Append(E(Points(gap))).Append("</b>. ");
            var last = m.Epochs[^1];
            if (last.ValidationAccuracy is double v) html.Append("Final gap to validation: ").Append(E(Points(last.TrainAccuracy - v))).Append('.');
            html.Append("</p><div class=\"pair\">")
                .Append(new LineChart { Title = "accuracy", Series = accuracy, XLabel = XLabelFor(m), IntegerX = true, Width = 380, Height = 260, FormatY = Percent, ReferenceLines = [(m.TestAccuracy, "test " + Percent(m.TestAccuracy))] }.ToSvg())
                .Append(new LineChart { Title = "loss", Series = loss, XLabel = XLabelFor(m), IntegerX = true, Width = 380, Height = 260 }.ToSvg())
                .Append("</div></div>");
        }
        html.Append("</div></section>");
    }

    /// <summary>Boosting learns in rounds, networks in epochs.</summary>
    private static string XLabelFor(ModelResult m) => m.Family == "neural" ? "epoch" : "round";

    private static void Pca(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var models = board.Where(m => m.ExplainedVariance is { Count: > 0 }).ToList();
        if (models.Count == 0) return;
        Section(html, "pca", "PCA explained variance",
            "Cumulative share of the variance kept by the first k principal components; the dot marks the components a model kept.");
        // One curve per kind of input (pixels, HOG features): models fitted on the same data have the same curve.
        var curves = models.GroupBy(m => m.PcaInput ?? "pixels").Select(g => g.First()).ToList();
        var series = curves.Select((m, i) => new ChartSeries(m.PcaInput ?? "pixels",
            m.ExplainedVariance!.Select((v, k) => ((double)(k + 1), v)).ToList(), Palette.Category(i))).ToList();
        var marks = models.Where(m => m.PcaComponents is int k && k >= 1 && k <= m.ExplainedVariance!.Count)
            .Select((m, i) => new ChartSeries($"{m.Name}: {m.PcaComponents}", [((double)m.PcaComponents!.Value, m.ExplainedVariance![m.PcaComponents.Value - 1])],
                Palette.Category(curves.Count + i), Markers: true)).ToList();
        int longest = curves.Max(m => m.ExplainedVariance!.Count);
        var chart = new LineChart
        {
            Series = [.. series, .. marks], XLabel = "components" + (longest > 200 ? " (log scale)" : ""), YLabel = "explained variance",
            YRange = (0, 1), Markers = false, Width = 720, Height = 340, LogX = longest > 200,
            ReferenceLines = [(0.9, "90 %"), (0.95, "95 %")], FormatY = Percent,
        };
        html.Append("<ul class=\"small\">");
        foreach (var curve in curves)
        {
            var c = curve.ExplainedVariance!;
            int For(double share) => c.Select((v, i) => (v, i)).FirstOrDefault(x => x.v >= share - 1e-12, (1, c.Count - 1)).Item2 + 1;
            html.Append("<li>PCA on ").Append(E(curve.PcaInput ?? "pixels")).Append(" (").Append(c.Count).Append(" directions): ")
                .Append(For(0.8)).Append(" components keep 80 %, ").Append(For(0.9)).Append(" keep 90 %, ").Append(For(0.95)).Append(" keep 95 % of the variance.</li>");
        }
        foreach (var m in models.Where(m => m.PcaComponents is not null))
            html.Append("<li><b>").Append(E(m.Name)).Append("</b> keeps ").Append(m.PcaComponents!.Value).Append(" components = ")
                .Append(E(Percent(m.ExplainedVariance![Math.Clamp(m.PcaComponents.Value, 1, m.ExplainedVariance.Count) - 1]))).Append(" of the variance.</li>");
        html.Append("</ul><figure>").Append(chart.ToSvg()).Append("</figure></section>");
    }

    private static void FeatureImportance(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var model = board.FirstOrDefault(m => m.FeatureImportances is { Count: ImageSet.PixelCount });
        if (model is null) return;
        Section(html, "importance", "Which pixels matter", $"{model.Name}'s feature importance per pixel, as a 28×28 image (bright = important).");
        var values = Enumerable.Range(0, ImageSet.Height)
            .Select(r => Enumerable.Range(0, ImageSet.Width).Select(c => model.FeatureImportances![r * ImageSet.Width + c]).ToArray()).ToArray();
        var chart = new HeatMap
        {
            Values = values, ShowValues = false, CellSize = 11, Min = 0,
            FormatValue = v => v.ToString("0.0000", CultureInfo.InvariantCulture),
            Tooltip = (r, c) => $"pixel ({r}, {c}): importance {values[r][c].ToString("0.00000", CultureInfo.InvariantCulture)}",
        };
        html.Append("<figure>").Append(chart.ToSvg()).Append("</figure></section>");
    }

    private static void Gallery(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var models = board.Where(m => m.Misclassified.Count > 0).ToList();
        if (models.Count == 0) return;
        Section(html, "gallery", "Misclassified test images", "The images each model got wrong with the most confidence: true class above, prediction in orange.");
        foreach (var m in models)
        {
            var images = m.Misclassified.OrderByDescending(x => x.Confidence).Take(GalleryImagesPerModel)
                .Select(x => new GridImage(x.Pixels, FashionMnistClasses.Name(x.Actual), "→ " + FashionMnistClasses.Name(x.Predicted),
                    $"test image {x.Index}: true {FashionMnistClasses.Name(x.Actual)}, predicted {FashionMnistClasses.Name(x.Predicted)} with probability {x.Confidence.ToString("0.00", CultureInfo.InvariantCulture)}"))
                .ToList();
            html.Append("<h3>").Append(E(m.Name)).Append("</h3><figure>")
                .Append(new ImageGrid { Images = images, Columns = 8, Scale = 3 }.ToSvg()).Append("</figure>");
        }
        html.Append("</section>");
    }

    private static void Reproducibility(StringBuilder html, ComparisonReport report)
    {
        var run = report.Run;
        var env = run.Machine;
        Section(html, "reproduce", "Reproducibility", "Run the command below on the same data to get the same models (timings will differ by machine).");
        html.Append("<pre><code>").Append(E(run.Command)).Append("</code></pre><table class=\"facts\"><tbody>");
        void Fact(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value)) html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        }
        Fact("Seed", run.Seed.ToString(CultureInfo.InvariantCulture));
        Fact("Profile", run.Profile);
        Fact("CPU", $"{env.CpuModel} ({env.LogicalCores} logical cores, {env.Threads} threads used)");
        Fact("Matrix multiply", env.GemmBackend);
        Fact("Operating system", env.OperatingSystem);
        Fact(".NET", env.DotNetVersion);
        Fact("fmnist version", env.ProjectVersion);
        Fact("Git commit", env.GitCommit);
        Fact("Experiment store", run.Store);
        Fact("Compare run id", run.RunId?.ToString());
        Fact("Study", run.Study);
        if (run.UnitSeconds is double unitSeconds) Fact("Worker time (all units)", Duration(unitSeconds));
        Fact("Data", run.DataSource);
        foreach (var (file, hash) in run.DataChecksums) Fact(file, hash);
        html.Append("</tbody></table>");
        ReportStudySections.WorkersHtml(html, run);
        var withParameters = report.Leaderboard.Where(m => m.Parameters.Count > 0).ToList();
        if (withParameters.Count > 0)
        {
            html.Append("<details><summary>Model options</summary><table class=\"facts\"><tbody>");
            foreach (var m in withParameters)
                html.Append("<tr><th>").Append(E(m.Name)).Append("</th><td><code>")
                    .Append(E(string.Join(" ", m.Parameters.Select(p => $"{p.Key}={p.Value}")))).Append("</code></td></tr>");
            html.Append("</tbody></table></details>");
        }
        html.Append("</section>");
    }

    private static void Section(StringBuilder html, string id, string title, string? lead = null)
    {
        html.Append("<section id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2>");
        if (lead is not null) html.Append("<p class=\"lead\">").Append(E(lead)).Append("</p>");
    }

    private static string Optional(double? value, Func<double, string> format) => value is double v && double.IsFinite(v) ? E(format(v)) : "–";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        :root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --accent:#0072B2; --bg:#f8fafc; }
        * { box-sizing: border-box; }
        body { margin:0; background:var(--bg); color:var(--ink); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
        main { max-width: 1240px; margin: 0 auto; padding: 32px 24px 48px; }
        header h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
        .meta, .lead, .small, footer { color: var(--muted); }
        .small { font-size: 13px; }
        .note { max-width: 320px; }
        .anchor { color: #475569; }
        td.model { min-width: 220px; }
        .pipe { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
        section { background:#fff; border:1px solid var(--line); border-radius: 12px; padding: 20px 24px; margin: 20px 0; box-shadow: 0 1px 2px rgba(0,0,0,.03); }
        h2 { font-size: 20px; margin: 0 0 4px; }
        h3 { font-size: 16px; margin: 12px 0 4px; }
        .lead { margin: 0 0 14px; }
        figure { margin: 0; overflow-x: auto; }
        svg.chart { max-width: 100%; height: auto; display: block; }
        svg .tick { font-variant-numeric: tabular-nums; }
        .notes { background:#fff7ed; border:1px solid #fed7aa; border-radius:12px; padding: 10px 20px; margin-top: 16px; }
        .notes p { margin: 6px 0; }
        ul.findings { margin: 0; padding-left: 20px; } ul.findings li { margin: 4px 0; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { padding: 7px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; white-space: nowrap; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.best td { background: #f0f9ff; }
        .bar { display:inline-block; height: 8px; width: calc(var(--w) * 0.6); max-width: 40px; background: var(--accent); border-radius: 4px; margin-right: 8px; vertical-align: middle; opacity: .75; }
        .tag { font-size: 12px; padding: 1px 8px; border-radius: 999px; background:#e0f2fe; color:#075985; }
        .tag.neural { background:#fef3c7; color:#92400e; }
        .cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
        .card { border:1px solid var(--line); border-radius: 10px; padding: 12px; }
        .pair { display:flex; flex-wrap: wrap; gap: 8px; }
        ol.pairs { margin: 8px 0 0; padding-left: 22px; font-size: 13px; }
        pre { background:#0f172a; color:#e2e8f0; padding: 12px 14px; border-radius: 8px; overflow-x:auto; }
        table.facts th { width: 220px; color: var(--muted); font-weight: 500; }
        details { margin-top: 12px; } summary { cursor: pointer; color: var(--accent); }
        footer { font-size: 13px; text-align: center; margin-top: 24px; }
        @media print { body { background:#fff; } section { break-inside: avoid; box-shadow:none; } }
        """;
}
