using System.Text;
using static FashionMnist.Evaluation.Reports.ReportFindings;

namespace FashionMnist.Evaluation.Reports;

/// <summary>The comparison as Markdown: leaderboard and key findings, for a README, an issue or a terminal.</summary>
internal static class ReportMarkdown
{
    public static string Render(ComparisonReport report)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(report.Title).Append("\n\n");
        md.Append($"{report.Run.StartedUtc:yyyy-MM-dd HH:mm} UTC");
        if (report.Run.Profile.Length > 0) md.Append(" · profile `").Append(report.Run.Profile).Append('`');
        md.Append(" · seed ").Append(report.Run.Seed.ToString(CultureInfo.InvariantCulture))
          .Append(" · ").Append(Duration(report.Run.TotalSeconds)).Append(report.Run.CpuSeconds is double cpu ? $" ({Duration(cpu)} CPU)" : "")
          .Append(" · ").Append(report.Run.Machine.CpuModel).Append(", ").Append(report.Run.Machine.Threads.ToString(CultureInfo.InvariantCulture)).Append(" threads\n\n");
        foreach (string note in report.Notes) md.Append("> ").Append(note).Append("\n\n");

        md.Append("## Leaderboard\n\n| # | Model | Family | Test accuracy | Macro F1 | Train time | Predict / 10k | Size | Train images |\n");
        md.Append("|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
        var board = report.Leaderboard;
        for (int i = 0; i < board.Count; i++)
        {
            var m = board[i];
            md.Append("| ").Append(i + 1).Append(" | ").Append(Cell(m.Name)).Append(" | ").Append(m.Family)
              .Append(" | ").Append(Percent(m.TestAccuracy)).Append(" | ").Append(Fixed(m.MacroF1, 4))
              .Append(" | ").Append(Duration(m.TrainSeconds)).Append(" | ").Append(Duration(m.PredictSecondsPer10k))
              .Append(" | ").Append(Bytes(m.ModelSizeBytes))
              .Append(" | ").Append(m.TrainImages > 0 ? m.TrainImages.ToString("N0", CultureInfo.InvariantCulture) : "–").Append(" |\n");
        }
        if (board.Count == 0) md.Append("| – | (no models ran) | | | | | | | |\n");

        md.Append("\n## Key findings\n\n");
        foreach (string finding in ReportFindings.For(report)) md.Append("- ").Append(finding).Append('\n');
        ReportStudySections.Markdown(md, report);
        if (report.Skipped.Count > 0)
        {
            md.Append("\n## Not run\n\n");
            foreach (var s in report.Skipped) md.Append("- `").Append(s.Name).Append("`: ").Append(s.Reason).Append('\n');
        }
        md.Append("\n## Reproduce\n\n```\n").Append(report.Run.Command).Append("\n```\n");
        if (report.Run.Machine.GitCommit is string commit) md.Append("\nCommit `").Append(commit).Append("`.\n");
        return md.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|");
}
