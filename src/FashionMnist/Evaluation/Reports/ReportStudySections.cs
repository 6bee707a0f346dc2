using System.Net;
using System.Text;
using FashionMnist.Evaluation.Charts;
using static FashionMnist.Evaluation.Reports.ReportFindings;

namespace FashionMnist.Evaluation.Reports;

/// <summary>
/// The report's answer to the study's question (best ML and best DL model and what each costs), the anchors every row is
/// read against, and each searched family's cross-validation results — for the HTML page and the Markdown summary.
/// </summary>
internal static class ReportStudySections
{
    /// <summary>The question the study exists for, answered in words from the results.</summary>
    public static IReadOnlyList<string> Answer(ComparisonReport report)
    {
        var board = report.Leaderboard;
        var ml = board.FirstOrDefault(m => m.Family == "classic");
        var dl = board.FirstOrDefault(m => m.Family == "neural");
        var lines = new List<string>();
        if (ml is not null) lines.Add($"Best classical (ML) model: {Describe(ml)}");
        if (dl is not null) lines.Add($"Best neural (DL) model: {Describe(dl)}");
        if (ml is not null && dl is not null)
        {
            double gap = dl.TestAccuracy - ml.TestAccuracy;
            double ratio = ml.TrainSeconds > 0 ? dl.TrainSeconds / ml.TrainSeconds : double.NaN;
            string cost = double.IsFinite(ratio) ? ratio >= 1 ? $"{Fixed(ratio, ratio < 10 ? 1 : 0)}× the training time" : $"{Fixed(1 / ratio, 1)}× less training time" : "";
            lines.Add(gap >= 0
                ? $"The DL model is {Points(gap)} more accurate than the ML model{(cost.Length > 0 ? $" for {cost}" : "")}."
                : $"The ML model is {Points(-gap)} more accurate than the DL model{(cost.Length > 0 ? $"; the DL model took {cost}" : "")}.");
        }
        if (ml is null && dl is null) lines.Add("No model finished, so there is no answer yet.");
        if (board.Any(m => Anchors.Project(m) is ProjectResult full && full.Accuracy - m.TestAccuracy > 0.005))
            lines.Add("Some rows ran short schedules or subsets: the anchors below say what the same models reach fully trained.");
        return lines;
    }

    private static string Describe(ModelResult m)
    {
        var text = new StringBuilder($"{m.Name}, {Percent(m.TestAccuracy)} test accuracy");
        if (m.Search is SearchSummary s)
            text.Append($" with {string.Join(" ", s.Best.Select(kv => $"{kv.Key}={kv.Value}"))} (CV {Fixed(s.MeanAccuracy, 4)} ± {Fixed(s.StdAccuracy, 4)})");
        text.Append($"; training took {Duration(m.TrainSeconds)}");
        if (m.TrainCpuSeconds is double cpu) text.Append($" ({Fixed(cpu, cpu < 10 ? 1 : 0)} CPU-s)");
        text.Append($" on {m.TrainImages:N0} images");
        if (m.Search is SearchSummary search) text.Append($", after {Duration(search.Seconds)} of cross-validation ({search.Candidates} candidates × {search.Folds} folds)");
        text.Append($"; predicting 10,000 images takes {Duration(m.PredictSecondsPer10k)}.");
        return text.ToString();
    }

    public static void AnswerHtml(StringBuilder html, ComparisonReport report)
    {
        html.Append("<section id=\"answer\"><h2>The answer</h2><p class=\"lead\">Which is the best classical model, which the best neural network, and what each costs.</p><ul class=\"findings\">");
        foreach (string line in Answer(report)) html.Append("<li>").Append(E(line)).Append("</li>");
        html.Append("</ul></section>");
    }

    public static void AnchorsHtml(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        html.Append("<section id=\"anchors\"><h2>Anchors</h2><p class=\"lead\">Each row against this project's fully trained result (committed data with its date and machine) ")
            .Append("and the published reference for its family from Zalando's Fashion-MNIST benchmark table (best entry: ")
            .Append(E(Anchors.Ceiling.Text)).Append(").</p><ul class=\"anchors\">");
        foreach (var m in board) html.Append("<li><b>").Append(E(m.Name)).Append("</b> — ").Append(E(Anchors.Sentence(m))).Append("</li>");
        html.Append("</ul>");
        var machines = board.Select(Anchors.Project).OfType<ProjectResult>().Select(p => $"{p.Date} on {p.Machine}").Distinct().ToList();
        if (machines.Count > 0) html.Append("<p class=\"small\">Fully trained results measured ").Append(E(string.Join("; ", machines))).Append(".</p>");
        html.Append("</section>");
    }

    public static void CrossValidationHtml(StringBuilder html, IReadOnlyList<ModelResult> board)
    {
        var searched = board.Where(m => m.Search is { Results.Count: > 0 }).ToList();
        if (searched.Count == 0) return;
        html.Append("<section id=\"cv\"><h2>Cross-validation</h2><p class=\"lead\">Every candidate of each searched family: mean accuracy ± standard deviation over the held-out folds ")
            .Append("(stratified k-fold on the search's training images), the best in bold, and the score against each searched parameter.</p>");
        foreach (var m in searched)
        {
            var s = m.Search!;
            html.Append("<h3>").Append(E(m.Name)).Append("</h3><p class=\"small\">Grid <code>").Append(E(s.Grid)).Append("</code>, ")
                .Append(s.Folds).Append(" folds on ").Append(s.TrainImages.ToString("N0", CultureInfo.InvariantCulture)).Append(" images, ")
                .Append(E(Duration(s.Seconds))).Append(" of fold fits. Best: <b>").Append(E(string.Join(" ", s.Best.Select(kv => $"{kv.Key}={kv.Value}"))))
                .Append("</b>, ").Append(Fixed(s.MeanAccuracy, 4)).Append(" ± ").Append(Fixed(s.StdAccuracy, 4)).Append(".</p>");
            html.Append("<div class=\"scroll\"><table class=\"board\"><thead><tr><th>Candidate</th><th class=\"num\">Mean accuracy</th><th class=\"num\">± std</th><th class=\"num\">Folds</th><th class=\"num\">Time</th></tr></thead><tbody>");
            var best = Best(s);
            foreach (var c in s.Results.OrderByDescending(c => c.MeanAccuracy).ThenBy(c => c.Index))
                html.Append(c == best ? "<tr class=\"best\">" : "<tr>").Append("<td><code>").Append(E(Settings(c))).Append("</code></td><td class=\"num\">")
                    .Append(Fixed(c.MeanAccuracy, 4)).Append("</td><td class=\"num\">").Append(Fixed(c.StdAccuracy, 4)).Append("</td><td class=\"num\">")
                    .Append(c.Folds).Append("</td><td class=\"num\">").Append(E(Duration(c.Seconds))).Append("</td></tr>");
            html.Append("</tbody></table></div><div class=\"cards\">");
            foreach (string parameter in s.Results[0].Settings.Keys)
                html.Append("<figure>").Append(ParameterChart(m.Name, s, parameter).ToSvg()).Append("</figure>");
            html.Append("</div>");
        }
        html.Append("</section>");
    }

    /// <summary>Mean CV accuracy against one searched parameter; candidates that share the other parameters' values form a series.</summary>
    public static ScatterChart ParameterChart(string model, SearchSummary search, string parameter)
    {
        var values = search.Results.Select(c => c.Settings[parameter]).Distinct().ToList();
        bool numeric = values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        double X(string value) => numeric ? double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture) : values.IndexOf(value) + 1;
        var points = search.Results.Select(c => new ScatterPoint(c.Settings[parameter], X(c.Settings[parameter]), c.MeanAccuracy,
            string.Join(" ", c.Settings.Where(kv => kv.Key != parameter).Select(kv => $"{kv.Key}={kv.Value}")),
            $"{Settings(c)}: {Fixed(c.MeanAccuracy, 4)} ± {Fixed(c.StdAccuracy, 4)}")).ToList();
        string label = numeric ? parameter : $"{parameter} ({string.Join(", ", values.Select((v, i) => $"{i + 1} = {v}"))})";
        return new ScatterChart { Title = $"{model}: CV accuracy against {parameter}", Points = points, XLabel = label, YLabel = "mean CV accuracy", Width = 460, Height = 300 };
    }

    public static void Markdown(StringBuilder md, ComparisonReport report)
    {
        md.Append("\n## The answer\n\n");
        foreach (string line in Answer(report)) md.Append("- ").Append(line).Append('\n');
        var board = report.Leaderboard;
        if (board.Count > 0)
        {
            md.Append("\n## Anchors\n\nFully trained here: this project's committed results. Reference: Zalando's benchmark table (best entry ")
              .Append(Anchors.Ceiling.Text).Append(").\n\n");
            foreach (var m in board) md.Append("- **").Append(m.Name).Append("** — ").Append(Anchors.Sentence(m)).Append('\n');
        }
        foreach (var m in board.Where(m => m.Search is { Results.Count: > 0 }))
        {
            var s = m.Search!;
            md.Append($"\n## Cross-validation: {m.Name}\n\nGrid `{s.Grid}`, {s.Folds} folds on {s.TrainImages:N0} images. Best: **{string.Join(" ", s.Best.Select(kv => $"{kv.Key}={kv.Value}"))}**, {Fixed(s.MeanAccuracy, 4)} ± {Fixed(s.StdAccuracy, 4)}.\n\n");
            md.Append("| Candidate | Mean accuracy | ± std | Folds |\n|---|---:|---:|---:|\n");
            var best = Best(s);
            foreach (var c in s.Results.OrderByDescending(c => c.MeanAccuracy).ThenBy(c => c.Index))
                md.Append(c == best ? $"| **{Settings(c)}** | **{Fixed(c.MeanAccuracy, 4)}** | " : $"| {Settings(c)} | {Fixed(c.MeanAccuracy, 4)} | ")
                  .Append(Fixed(c.StdAccuracy, 4)).Append(" | ").Append(c.Folds).Append(" |\n");
        }
        if (report.Run.Workers.Count > 0)
        {
            md.Append($"\n## Workers\n\nStudy `{report.Run.Study}` in `{report.Run.Store}`:\n\n| Worker | Units | Time |\n|---|---:|---:|\n");
            foreach (var w in report.Run.Workers) md.Append($"| {w.Worker} | {w.Units} | {Duration(w.Seconds)} |\n");
        }
    }

    public static void WorkersHtml(StringBuilder html, RunInfo run)
    {
        if (run.Workers.Count == 0) return;
        html.Append("<details><summary>Workers of study ").Append(E(run.Study ?? "")).Append("</summary><table class=\"facts\"><tbody>");
        foreach (var w in run.Workers)
            html.Append("<tr><th>").Append(E(w.Worker)).Append("</th><td>").Append(w.Units).Append(" units, ").Append(E(Duration(w.Seconds))).Append("</td></tr>");
        html.Append("</tbody></table></details>");
    }

    private static CandidateScore Best(SearchSummary s) => s.Results.OrderByDescending(c => c.MeanAccuracy).ThenBy(c => c.Index).First();

    private static string Settings(CandidateScore c) => string.Join(" ", c.Settings.Select(kv => $"{kv.Key}={kv.Value}"));

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
