namespace FashionMnist.Tests.Architecture;

/// <summary>
/// The library's top-level folders name concepts and must not import each other in a circle (docs/architecture.md):
/// a cycle means neither folder can be understood, tested or moved without the other.
/// </summary>
public class FolderCycleTests
{
    internal static string LibraryFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FashionMnist.slnx"))) return Path.Combine(folder.FullName, "src", "FashionMnist");
        throw new InvalidOperationException("The repository root (FashionMnist.slnx) is not above the test binaries.");
    }

    [Fact]
    public void No_library_folders_import_each_other_in_a_circle()
    {
        var graph = FolderGraph.Read(LibraryFolder());
        Assert.True(graph.Edges.Count >= 8, $"read only {graph.Edges.Count} folders: is the library where the test looks?");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "Folder cycles:\n" + string.Join("\n", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void A_cycle_through_usings_or_qualified_names_is_found_and_comments_and_strings_are_not_dependencies()
    {
        string root = Directory.CreateTempSubdirectory("fmnist-folders-").FullName;
        try
        {
            void Write(string path, string text)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
                File.WriteAllText(Path.Combine(root, path), text);
            }
            Write("Root.cs", "namespace FashionMnist;\npublic class FashionMnistException;\n");
            Write("A/One.cs", "using FashionMnist.B;\nnamespace FashionMnist.A;\nclass One { FashionMnist.FashionMnistException? e; }\n");
            Write("B/Two.cs", "namespace FashionMnist.B.Inner;\nclass Two { FashionMnist.C.Three? t; }\n");
            Write("C/Three.cs", "namespace FashionMnist.C;\nclass Three { global::FashionMnist.A.One? o; }\n");
            Write("D/Four.cs", """"
                namespace FashionMnist.D;
                // using FashionMnist.A;
                /* FashionMnist.A.One */
                class Four { string s = "FashionMnist.A."; string r = @"FashionMnist.A.One"; string q = $$"""FashionMnist.A.One"""; char c = '"'; }
                """");
            Write("obj/Generated.cs", "using FashionMnist.D;\nnamespace FashionMnist.A;\n");
            var graph = FolderGraph.Read(root);
            Assert.Empty(graph.Edges["D"]);
            Assert.Equal(["B"], graph.Edges["A"].Keys); // the root type is not a folder
            var cycle = Assert.Single(graph.Cycles());
            Assert.Equal(["A", "B", "C", "A"], cycle);
            string text = graph.Describe(cycle);
            Assert.StartsWith("A → B → C → A", text);
            Assert.Contains("B → C: B/Two.cs", text);

            File.WriteAllText(Path.Combine(root, "C/Three.cs"), "namespace FashionMnist.C;\nclass Three;\n");
            Assert.Empty(FolderGraph.Read(root).Cycles());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
