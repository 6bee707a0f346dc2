namespace FashionMnist.Tests.Architecture;

/// <summary>
/// Data flows one way through the library's folders: each folder may use only the folders this table allows
/// (docs/architecture.md draws the same table). Stricter than <see cref="FolderCycleTests"/>: a new edge that makes
/// no cycle yet still has to be a deliberate change of this table and of the document.
/// </summary>
public class FolderDirectionTests
{
    private static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Data"] = [],
        ["Interop"] = [],
        ["Numerics"] = ["Interop"],
        ["Models"] = ["Data"],
        ["Imaging"] = ["Data", "Interop", "Models"],
        ["Classic"] = ["Data", "Models", "Numerics", "Interop"],
        ["Neural"] = ["Data", "Models", "Numerics", "Interop", "Imaging"],
        ["Evaluation"] = ["Data", "Models", "Numerics"],
        ["Selection"] = ["Data", "Models", "Evaluation"],
        ["Ensembles"] = ["Data", "Models", "Numerics"],
        ["Onnx"] = ["Data", "Models", "Numerics", "Interop", "Classic", "Neural", "Evaluation"],
        ["Experiments"] = ["Data", "Models", "Numerics", "Interop", "Imaging", "Classic", "Neural", "Evaluation", "Selection", "Onnx", "Ensembles"],
    };

    [Fact]
    public void Every_folder_uses_only_the_folders_below_it()
    {
        var graph = FolderGraph.Read(FolderCycleTests.LibraryFolder());
        var unknown = graph.Edges.Keys.Where(f => f != FolderGraph.Root && !Allowed.ContainsKey(f)).ToList();
        Assert.True(unknown.Count == 0, $"New library folders {string.Join(", ", unknown)}: add them to this table and docs/architecture.md.");
        var wrong = graph.Edges
            .Where(e => e.Key != FolderGraph.Root)
            .SelectMany(e => e.Value.Where(to => to.Key != FolderGraph.Root && !Allowed[e.Key].Contains(to.Key))
                .Select(to => $"{e.Key} → {to.Key}: {string.Join(", ", to.Value.Take(3))}"))
            .ToList();
        Assert.True(wrong.Count == 0, "Folders used against the direction of the table:\n" + string.Join("\n", wrong));
    }
}
