using FashionMnist.Imaging;

namespace FashionMnist.Tests.Imaging;

public sealed class BitmapFontTests
{
    private static string Render(char c)
    {
        var rows = new List<string>();
        for (int y = 0; y < BitmapFont.GlyphHeight; y++)
            rows.Add(new string(Enumerable.Range(0, BitmapFont.GlyphWidth).Select(x => BitmapFont.IsSet(c, x, y) ? '#' : '.').ToArray()));
        return string.Join('/', rows);
    }

    [Fact]
    public void Table_holds_all_printable_ascii()
    {
        Assert.Equal(95, BitmapFont.GlyphCount);
        for (char c = '!'; c <= '~'; c++)
            Assert.True(Render(c).Contains('#'), $"'{c}' is blank");
        Assert.DoesNotContain('#', Render(' '));
    }

    [Fact]
    public void Glyphs_look_like_their_letters()
    {
        Assert.Equal(".###./#...#/#...#/#...#/#####/#...#/#...#/.....", Render('A'));
        Assert.Equal("#####/..#../..#../..#../..#../..#../..#../.....", Render('T'));
        Assert.Equal("...../...../####./#...#/#...#/####./#..../#....", Render('p')); // descender in row 8
    }

    [Fact]
    public void Unknown_characters_draw_as_question_marks()
    {
        Assert.Equal(Render('?'), Render('é'));
    }

    [Fact]
    public void Draw_paints_scaled_glyphs_and_clips_at_the_edges()
    {
        const int width = 20, height = 20;
        var pixels = new byte[width * height];
        BitmapFont.Draw(pixels, width, height, 1, 2, "I", [255], scale: 2);
        // 'I' top row is .###. -> columns 1..3 of the glyph, scaled x2, offset x=1: pixels 3..8 on rows 2 and 3
        for (int x = 0; x < width; x++)
            Assert.Equal(x is >= 3 and < 9 ? 255 : 0, pixels[2 * width + x]);
        Assert.Equal(pixels.AsSpan(2 * width, width).ToArray(), pixels.AsSpan(3 * width, width).ToArray());
        Assert.Equal(2 * BitmapFont.MeasureWidth("AB"), BitmapFont.MeasureWidth("AB", 2));
        Assert.Equal(11, BitmapFont.MeasureWidth("AB"));

        var image = new RgbaImage(12, 8);
        BitmapFont.Draw(image, "Ag", 0, 0, (200, 100, 50));
        // 'A' row 0 is .###.: (1,0) inked opaque, (0,0) untouched; 'g' starts at x = 6 and reaches the descender row 7.
        Assert.Equal(new byte[] { 200, 100, 50, 255 }, image.Pixels[4..8]);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, image.Pixels[0..4]);
        Assert.Contains(Enumerable.Range(6, 5), x => image.Pixels[(7 * 12 + x) * 4 + 3] == 255);

        var rgb = new byte[4 * 4 * 3];
        BitmapFont.Draw(rgb, 4, 4, -4, -3, "W", [10, 20, 30]); // mostly off-image: must not throw
        Assert.Equal(new byte[] { 10, 20, 30 }, rgb[..3]); // W row 3 is #.#.#: column 4 is set -> pixel (0,0)
    }
}
