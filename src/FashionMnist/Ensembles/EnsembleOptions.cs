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
/// Catalog members of the same settings are different models, each with its own seed: <c>members=cnn-photo,cnn-photo(seed=7)</c>.
/// </summary>
public sealed record EnsembleOptions : ModelOptions
{
    /// <summary>
    /// Comma-separated members: model files (a.fmm, trained already) or catalog models with settings,
    /// name(option=value;option=value), trained by the ensemble's fit with the ensemble's seed plus their position among
    /// the catalog members (seed, seed+1, ...) unless they name their own (cnn3(seed=7)). The ensemble file embeds every member.
    /// </summary>
    [Description("Comma-separated members: model files (a.fmm, trained already) or catalog models with settings, "
        + "name(option=value;option=value), trained by the ensemble's fit with the ensemble's seed plus their position among "
        + "the catalog members (seed, seed+1, ...) unless they name their own (cnn3(seed=7)). The ensemble file embeds every member.")]
    public string Members { get; init; } = "";

    /// <summary>soft-vote (mean of the members' probabilities) or stacking (logistic regression on out-of-fold probabilities).</summary>
    [Description("soft-vote (mean of the members' probabilities) or stacking (logistic regression on out-of-fold probabilities).")]
    public EnsembleMethod Method { get; init; } = EnsembleMethod.SoftVote;

    /// <summary>Stacking: folds of the training set on which each member's options are refitted to get out-of-fold probabilities.</summary>
    [Description("Stacking: folds of the training set on which each member's options are refitted to get out-of-fold probabilities.")]
    public int Folds { get; init; } = 5;

    /// <summary>Stacking: L2 penalty on the meta-model's weights (per training image).</summary>
    [Description("Stacking: L2 penalty on the meta-model's weights (per training image).")]
    public double MetaL2 { get; init; } = 1e-4;

    /// <summary>The parsed member list (syntax checked; files are read by the fit).</summary>
    public IReadOnlyList<MemberSpec> ParseMembers() => MemberSpec.ParseList(Members);

    /// <inheritdoc/>
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
            if (member.SeedText is string seed && member.Seed is null)
                throw new FashionMnistException($"Option 'members': member '{member.Text}' has seed={seed}, which is not an integer",
                    $"Write its seed as a whole number ({int.MinValue} to {int.MaxValue}), e.g. {member.CatalogName}(seed=7), or leave seed= out "
                    + "to train it with the ensemble's seed plus its position among the catalog members.");
        }
        // Seeds named in the list are known now; the others only at the fit, which checks again with all of them.
        RequireDistinctMembers(members, MemberSpec.TrainingSeeds(members, ensembleSeed: null));
        Require(Folds is >= 2 and <= 20, "folds", "must be 2-20", Folds);
        Require(MetaL2 is >= 0 and <= 10, "meta-l2", "must be in [0, 10]", MetaL2);
    }

    /// <summary>
    /// Refuses two catalog members with the same options and the same seed: they would train the same model twice, a
    /// vote that looks like one of two models but is a copy of one. A null seed (not known yet) matches nothing.
    /// </summary>
    internal static void RequireDistinctMembers(IReadOnlyList<MemberSpec> members, IReadOnlyList<int?> seeds)
    {
        var options = new IReadOnlyDictionary<string, string>?[members.Count];
        for (int j = 0; j < members.Count; j++)
        {
            if (seeds[j] is not int seed) continue;
            options[j] = OptionBinder.ToSettings(ModelCatalog.Options(members[j].CatalogName!, members[j].Settings));
            for (int i = 0; i < j; i++)
            {
                if (seeds[i] != seed || !string.Equals(members[i].CatalogName, members[j].CatalogName, StringComparison.OrdinalIgnoreCase)
                    || !OptionBinder.SameSettings(options[i]!, options[j]!))
                    continue;
                throw new FashionMnistException(
                    $"Option 'members': members {i + 1} ('{members[i].Text}') and {j + 1} ('{members[j].Text}') have the same options and the same seed ({seed}), "
                    + "so they would be the same model twice",
                    $"Give them different seeds, e.g. {members[j].CatalogName}(seed=N) with another N (a member without seed= gets the ensemble's seed "
                    + "plus its position among the catalog members), or drop one.");
            }
        }
    }
}
