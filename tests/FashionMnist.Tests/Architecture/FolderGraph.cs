using System.Text;
using System.Text.RegularExpressions;

namespace FashionMnist.Tests.Architecture;

/// <summary>
/// Which top-level folder of the library uses which, read from the source text: <c>using FashionMnist.X…</c> lines
/// (plain, static and alias) and fully-qualified <c>FashionMnist.X.</c> references, with comments and string literals
/// left out. Files at the library's root (namespace <c>FashionMnist</c>) form the node <see cref="Root"/>.
/// </summary>
public sealed partial class FolderGraph
{
    public const string Root = "(root)";

    /// <summary>folder → folder it uses → the files (relative paths) that use it.</summary>
    public SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> Edges { get; } = new(StringComparer.Ordinal);

    public static FolderGraph Read(string libraryFolder)
    {
        string[] files = Directory.EnumerateFiles(libraryFolder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(libraryFolder, f)))
            .ToArray();
        var folders = new HashSet<string>(files.Select(f => FolderOf(Path.GetRelativePath(libraryFolder, f))), StringComparer.Ordinal);
        var graph = new FolderGraph();
        foreach (string file in files)
        {
            string relative = Path.GetRelativePath(libraryFolder, file).Replace('\\', '/');
            string from = FolderOf(relative);
            graph.Edges.TryAdd(from, new(StringComparer.Ordinal));
            string code = NamespaceDeclaration().Replace(CodeOnly(File.ReadAllText(file)), "");
            foreach (Match match in Reference().Matches(code))
            {
                string to = match.Groups["folder"].Value;
                if (to == from || !folders.Contains(to)) continue; // same folder, or a root type such as FashionMnist.FashionMnistException
                var users = graph.Edges[from];
                if (!users.TryGetValue(to, out var list)) users[to] = list = new(StringComparer.Ordinal);
                list.Add(relative);
            }
        }
        return graph;
    }

    /// <summary>
    /// Every group of folders that reach each other (strongly connected components of two or more folders), each
    /// given as one closed path through all of its folders' edges that the search met, e.g. [Data, Imaging, Data].
    /// </summary>
    public List<List<string>> Cycles()
    {
        var cycles = new List<List<string>>();
        foreach (var component in StronglyConnectedComponents().Where(c => c.Count > 1))
        {
            // A closed path from the component's first folder back to itself, breadth-first so it is a shortest one.
            string start = component.Min(StringComparer.Ordinal)!;
            var previous = new Dictionary<string, string>(StringComparer.Ordinal);
            var queue = new Queue<string>([start]);
            string? last = null;
            while (queue.Count > 0 && last is null)
            {
                string node = queue.Dequeue();
                foreach (string next in Targets(node).Where(component.Contains))
                {
                    if (next == start) { last = node; break; }
                    if (previous.TryAdd(next, node)) queue.Enqueue(next);
                }
            }
            var path = new List<string> { start };
            for (string? node = last; node is not null && node != start; node = previous[node]) path.Insert(1, node);
            path.Add(start);
            cycles.Add(path);
        }
        return cycles;
    }

    /// <summary>A cycle as text: each step with up to three files that make it.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var text = new StringBuilder(string.Join(" → ", cycle));
        for (int i = 0; i + 1 < cycle.Count; i++)
        {
            var files = Edges[cycle[i]][cycle[i + 1]];
            text.Append($"\n  {cycle[i]} → {cycle[i + 1]}: {string.Join(", ", files.Take(3))}{(files.Count > 3 ? $" (+{files.Count - 3} more)" : "")}");
        }
        return text.ToString();
    }

    private IEnumerable<string> Targets(string folder) =>
        Edges.TryGetValue(folder, out var targets) ? targets.Keys : [];

    /// <summary>Tarjan's algorithm.</summary>
    private List<HashSet<string>> StronglyConnectedComponents()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<HashSet<string>>();
        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (string next in Targets(node))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next)) low[node] = Math.Min(low[node], index[next]);
            }
            if (low[node] != index[node]) return;
            var component = new HashSet<string>(StringComparer.Ordinal);
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            } while (member != node);
            components.Add(component);
        }
        foreach (string node in Edges.Keys.ToList())
            if (!index.ContainsKey(node)) Visit(node);
        return components;
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split('/', '\\')[0] is "bin" or "obj";

    private static string FolderOf(string relative)
    {
        int slash = relative.IndexOfAny(['/', '\\']);
        return slash < 0 ? Root : relative[..slash];
    }

    /// <summary>The source with comments and string/char literals blanked (so a word in a comment or message is no dependency).</summary>
    internal static string CodeOnly(string source)
    {
        var code = new StringBuilder(source.Length);
        int i = 0;
        while (i < source.Length)
        {
            char c = source[i];
            char next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                while (i < source.Length && source[i] != '\n') i++;
            }
            else if (c == '/' && next == '*')
            {
                int end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? source.Length : end + 2;
                code.Append(' ');
            }
            else if (c == '"' && next == '"' && i + 2 < source.Length && source[i + 2] == '"')
            {
                int quotes = 0;
                while (i < source.Length && source[i] == '"') { quotes++; i++; }
                int end = source.IndexOf(new string('"', quotes), i, StringComparison.Ordinal);
                i = end < 0 ? source.Length : end + quotes;
                code.Append("\"\"");
            }
            else if (c == '"' || c == '\'')
            {
                bool verbatim = i > 0 && (source[i - 1] == '@' || (source[i - 1] == '$' && i > 1 && source[i - 2] == '@'));
                i++;
                while (i < source.Length && source[i] != c)
                {
                    if (source[i] == '\\' && !verbatim) i++;
                    else if (verbatim && source[i] == '"' && i + 1 < source.Length && source[i + 1] == '"') i++;
                    i++;
                }
                i++;
                code.Append(c).Append(c);
            }
            else
            {
                code.Append(c);
                i++;
            }
        }
        return code.ToString();
    }

    [GeneratedRegex(@"^\s*namespace\s+[\w.]+", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"(?<![\w.])(?:global::)?FashionMnist\.(?<folder>\w+)(?=\s*[.;])")]
    private static partial Regex Reference();
}
