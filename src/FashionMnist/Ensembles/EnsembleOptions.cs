using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Ensembles;

/// <summary>How the members' probabilities are combined.</summary>
public enum EnsembleMethod
{
    /// <summary>The mean of the members' probability rows.</summary>
    SoftVote,

    /// <summary>A multinomial logistic regression on the members' log-probabilities, fitted on out-of-fold predictions.</summary>
    Stacking,
}

/// <summary>
/// The options of the <c>ensemble</c> model: its members and how they vote. A member is either a saved model file
/// (already trained: the ensemble embeds the file, so the ensemble's own file is self-contained) or a catalog model with
/// settings, trained by the ensemble's fit: <c>members=models/cnn3.fmm,cnn-deep(epochs=30;width=48),mlp(hidden=512,256)</c>.
/// </summary>
public sealed record EnsembleOptions : ModelOptions
{
    [Description("Comma-separated members: model files (a.fmm, trained already) or catalog models with settings, "
        + "name(option=value;option=value), trained by the ensemble's fit. The ensemble file embeds every member.")]
    public string Members { get; init; } = "";

    [Description("soft-vote (mean of the members' probabilities) or stacking (logistic regression on out-of-fold probabilities).")]
    public EnsembleMethod Method { get; init; } = EnsembleMethod.SoftVote;

    [Description("Stacking: folds of the training set on which each member's options are refitted to get out-of-fold probabilities.")]
    public int Folds { get; init; } = 5;

    [Description("Stacking: L2 penalty on the meta-model's weights (per training image).")]
    public double MetaL2 { get; init; } = 1e-4;

    /// <summary>The parsed member list (syntax checked; files are read by the fit).</summary>
    public IReadOnlyList<MemberSpec> ParseMembers() => MemberSpec.ParseList(Members);

    public override void Validate()
    {
        IReadOnlyList<MemberSpec> members;
        try
        {
            members = ParseMembers();
        }
        catch (FormatException e)
        {
            throw new FashionMnistException($"Option 'members' is not a member list: {e.Message}",
                "Write --set members=a.fmm,b.fmm or members=cnn3(epochs=5),mlp (settings separated by ';').");
        }
        Require(members.Count >= 1, "members", "must name at least one model file or catalog model", Members);
        foreach (var member in members.Where(m => m.CatalogName is not null))
        {
            if (string.Equals(member.CatalogName, EnsembleFamily.Name, StringComparison.OrdinalIgnoreCase))
                throw new FashionMnistException($"Option 'members' names the ensemble model itself ('{member.Text}')",
                    "Nest an ensemble by its saved file (members=inner.fmm,...), not by name.");
            try
            {
                _ = ModelCatalog.Options(member.CatalogName!, member.Settings);
            }
            catch (FashionMnistException e)
            {
                throw new FashionMnistException($"Option 'members': member '{member.Text}' is not valid: {e.Problem}", e.Remedy, e.ExitCode, e);
            }
        }
        Require(Folds is >= 2 and <= 20, "folds", "must be 2-20", Folds);
        Require(MetaL2 is >= 0 and <= 10, "meta-l2", "must be in [0, 10]", MetaL2);
    }
}
