namespace FashionMnist.Imaging;

/// <summary>
/// A 3x5 pixel bitmap font (upper case, digits, a few signs) for labelling prediction sheets without a font library.
/// Each glyph is 5 rows of 3 bits ("#" = ink). Lower case is drawn as upper case; unknown characters as blanks.
/// </summary>
internal static class TinyFont
{
    public const int GlyphWidth = 3, GlyphHeight = 5, Advance = 4;

    private static readonly Dictionary<char, string> s_glyphs = new()
    {
        ['A'] = ".#.#.#####.##.#", ['B'] = "##.#.###.#.###.", ['C'] = ".###..#..#...##", ['D'] = "##.#.##.##.###.",
        ['E'] = "####..##.#..###", ['F'] = "####..##.#..#..", ['G'] = ".###..#.##.#.##", ['H'] = "#.##.#####.##.#",
        ['I'] = "###.#..#..#.###", ['J'] = "..#..#..##.#.#.", ['K'] = "#.##.###.#.##.#", ['L'] = "#..#..#..#..###",
        ['M'] = "#.########.##.#", ['N'] = "##.#.##.##.##.#", ['O'] = ".#.#.##.##.#.#.", ['P'] = "##.#.###.#..#..",
        ['Q'] = ".#.#.##.###..##", ['R'] = "##.#.###.#.##.#", ['S'] = ".###...#...###.", ['T'] = "###.#..#..#..#.",
        ['U'] = "#.##.##.##.####", ['V'] = "#.##.##.##.#.#.", ['W'] = "#.##.########.#", ['X'] = "#.##.#.#.#.##.#",
        ['Y'] = "#.##.#.#..#..#.", ['Z'] = "###..#.#.#..###", ['0'] = "####.##.##.####", ['1'] = ".#.##..#..#.###",
        ['2'] = "###..#####..###", ['3'] = "###..####..####", ['4'] = "#.##.####..#..#", ['5'] = "####..###..####",
        ['6'] = "####..####.####", ['7'] = "###..#..#..#..#", ['8'] = "####.#####.####", ['9'] = "####.####..####",
        ['/'] = "..#..#.#.#..#..", ['-'] = "......###......", ['.'] = ".............#.", ['%'] = "#.#..#.#.#..#.#",
        [':'] = "....#.....#....", [' '] = "...............", ['\''] = ".#..#..........", ['('] = ".#.#..#..#...#.",
        [')'] = ".#...#..#..#.#.",
    };

    /// <summary>Width in pixels of <paramref name="text"/> at the given scale.</summary>
    public static int Measure(string text, int scale = 1) => text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    public static void Draw(RgbaImage image, string text, int x, int y, (byte R, byte G, byte B) color, int scale = 1)
    {
        foreach (char raw in text)
        {
            char c = char.ToUpperInvariant(raw);
            if (s_glyphs.TryGetValue(c, out string? glyph))
                for (int row = 0; row < GlyphHeight; row++)
                    for (int column = 0; column < GlyphWidth; column++)
                        if (glyph[row * GlyphWidth + column] == '#')
                            image.Fill(x + column * scale, y + row * scale, scale, scale, color.R, color.G, color.B);
            x += Advance * scale;
        }
    }
}
