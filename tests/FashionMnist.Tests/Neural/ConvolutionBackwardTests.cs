using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// The convolution's backward kernels (<c>Conv2D.InputGradient.cs</c>) against the reference path they replace (bit for
/// bit where the sums keep their order), against the definition evaluated naively in double, and on a case small
/// enough to check by hand.
/// </summary>
public class ConvolutionBackwardTests
{
    public static TheoryData<int, int, int, int, int, int, string, int> Shapes => new()
    {
        // channels, height, width, filters, kernel h, kernel w, padding, batch
        { 32, 13, 13, 8, 3, 3, "Valid", 7 },   // cnn3 conv2's input: 13-wide rows, one chunk
        { 16, 5, 5, 12, 3, 3, "Valid", 40 },   // conv3: 5x5 inputs, many images per group
        { 3, 28, 28, 4, 3, 3, "Same", 3 },     // cnn-deep: 28-wide rows = two chunks, padded borders
        { 2, 7, 35, 3, 3, 5, "Same", 2 },      // three chunks, non-square kernel, odd padding
        { 2, 6, 9, 3, 2, 4, "Valid", 3 },      // even kernel
        { 5, 4, 4, 2, 1, 1, "Valid", 2 },      // 1x1 kernel: the fold is a copy
        { 2, 4, 4, 3, 4, 4, "Valid", 2 },      // kernel = input: 1x1 output
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Row_fold_input_gradient_equals_the_column_fold_bit_for_bit_and_the_definition(int channels, int height, int width, int filters,
        int kh, int kw, string paddingName, int n)
    {
        var padding = Enum.Parse<Padding>(paddingName);
        var shape = new Shape(channels, height, width);
        Conv2D Build(bool rowFold) =>
            (Conv2D)new Sequential().Input(shape).Add(new Conv2D(filters, kh, kw, 1, padding) { RowFoldAllowed = rowFold }).Build(4).Layers[0];
        Conv2D fast = Build(true), reference = Build(false);
        var rng = new SplitMix64(17);
        float[] x = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        int outSize = fast.OutputShape.Size;
        float[] y = new float[n * outSize];
        float[] dy = Enumerable.Range(0, n * outSize).Select(_ => (float)rng.NextGaussian()).ToArray();
        // Stale values in dx must not leak into the result (the row fold overwrites instead of clearing and adding).
        float[] dxFast = Enumerable.Repeat(float.NaN, n * shape.Size).ToArray(), dxReference = new float[n * shape.Size];
        fast.Forward(x, y, n, new PassInfo(true, 1));
        fast.Backward(x, y, dy, dxFast, n);
        reference.Backward(x, y, dy, dxReference, n);
        Assert.Equal(dxReference.Select(BitConverter.SingleToInt32Bits), dxFast.Select(BitConverter.SingleToInt32Bits));

        int oh = fast.OutputShape.Height, ow = fast.OutputShape.Width;
        int padTop = padding == Padding.Same ? (oh - 1 + kh - height) / 2 : 0, padLeft = padding == Padding.Same ? (ow - 1 + kw - width) / 2 : 0;
        float[] w = fast.Weights.Value;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                for (int iy = 0; iy < height; iy++)
                    for (int ix = 0; ix < width; ix++)
                    {
                        double sum = 0, size = 0;
                        for (int f = 0; f < filters; f++)
                            for (int ki = 0; ki < kh; ki++)
                                for (int kj = 0; kj < kw; kj++)
                                {
                                    int oy = iy + padTop - ki, ox = ix + padLeft - kj;
                                    if ((uint)oy >= (uint)oh || (uint)ox >= (uint)ow) continue;
                                    double product = (double)w[((f * channels + c) * kh + ki) * kw + kj] * dy[i * outSize + (f * oh + oy) * ow + ox];
                                    sum += product;
                                    size += Math.Abs(product);
                                }
                        float actual = dxFast[i * shape.Size + (c * height + iy) * width + ix];
                        Assert.True(Math.Abs(actual - sum) <= 1e-6 * (size + 1), $"image {i} ({c},{iy},{ix}): {actual} vs {sum}");
                    }
    }

    public static TheoryData<int, int, int, int, string, int, bool> DirectShapes => new()
    {
        // channels, height, width, filters, padding, batch, fused ReLU
        { 32, 28, 28, 32, "Same", 3, false },   // cnn-deep's 28x28 conv: 838 extended pixels, an overlapping last block
        { 16, 28, 28, 32, "Same", 2, true },    // ReLU folded in (masked dy)
        { 64, 14, 14, 64, "Same", 3, false },   // cnn-deep's 14x14 convs: 222 extended pixels, a last block of 32
        { 32, 14, 14, 64, "Same", 2, true },
        { 8, 30, 30, 32, "Valid", 3, true },    // valid: dy sits 2 rows and columns inside its zero border
        { 8, 31, 45, 64, "Same", 2, false },    // 47-wide extended rows, not square
    };

    [Theory]
    [MemberData(nameof(DirectShapes))]
    public void Direct_input_gradient_equals_the_gemm_and_fold_bit_for_bit(int channels, int height, int width, int filters,
        string paddingName, int n, bool relu)
    {
        var padding = Enum.Parse<Padding>(paddingName);
        var shape = new Shape(channels, height, width);
        Conv2D Build(bool direct)
        {
            var conv = (Conv2D)new Sequential().Input(shape).Add(new Conv2D(filters, 3, 3, 1, padding, Initializer.He, useBias: false)
                { DirectInputGradientAllowed = direct }).Build(6).Layers[0];
            conv.FusedReLU = relu;
            return conv;
        }
        Conv2D fast = Build(true), reference = Build(false);
        Assert.True(fast.UseDirectInputGradient);
        Assert.False(reference.UseDirectInputGradient);
        var rng = new SplitMix64(23);
        float[] x = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        int outSize = fast.OutputShape.Size;
        float[] y = new float[n * outSize];
        // Exact zeros in dy (as a ReLU or dropout leaves them) exercise the sign-of-zero argument.
        float[] dy = Enumerable.Range(0, n * outSize).Select(i => i % 5 == 0 ? 0f : (float)rng.NextGaussian()).ToArray();
        float[] dxFast = Enumerable.Repeat(float.NaN, n * shape.Size).ToArray(), dxReference = new float[n * shape.Size];
        fast.Forward(x, y, n, new PassInfo(true, 1));
        for (int step = 0; step < 2; step++) // the second pass reuses the zero-bordered buffers
        {
            fast.Backward(x, y, dy, dxFast, n);
            reference.Backward(x, y, dy, dxReference, n);
            Assert.Equal(dxReference.Select(BitConverter.SingleToInt32Bits), dxFast.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(reference.Weights.Gradient.Select(BitConverter.SingleToInt32Bits), fast.Weights.Gradient.Select(BitConverter.SingleToInt32Bits));
            Array.Reverse(dy);
        }
    }

    [Fact]
    public void Direct_input_gradient_is_left_to_the_gemm_where_its_blocks_would_waste_pixels()
    {
        Conv2D Conv(int channels, int size) => (Conv2D)new Sequential().Input(new Shape(channels, size, size))
            .Conv2D(32, 3, padding: Padding.Same, bias: false).Build(1).Layers[0];
        Assert.True(Conv(32, 28).UseDirectInputGradient);  // 848 pixels computed for 784
        Assert.True(Conv(64, 14).UseDirectInputGradient);  // 224 for 196 (a last block of 32)
        Assert.False(Conv(64, 7).UseDirectInputGradient);  // 96 for 49
        Assert.False(Conv(12, 28).UseDirectInputGradient); // channels not in blocks of 8
    }

    [Fact]
    public void Input_gradient_of_a_2x2_kernel_by_hand()
    {
        // One 3x3 image, one 2x2 filter [1 2; 3 4], valid: dL/dy = [1 0; 0 1] puts the kernel at (0,0) and at (1,1).
        var conv = (Conv2D)new Sequential().Input(new Shape(1, 3, 3)).Add(new Conv2D(1, 2, 2)).Build(1).Layers[0];
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        new float[] { 1, 2, 3, 4 }.CopyTo(conv.Weights.Value, 0);
        float[] y = new float[4], dx = new float[9];
        conv.Forward(x, y, 1, new PassInfo(true, 1));
        conv.Backward(x, y, [1, 0, 0, 1], dx, 1);
        Assert.Equal([1, 2, 0, 3, 5, 2, 0, 3, 4], dx);
        // dL/dW = x[0..1, 0..1] + x[1..2, 1..2] = [1+5, 2+6; 4+8, 5+9].
        Assert.Equal([6, 8, 12, 14], conv.Weights.Gradient);
    }
}

/// <summary>
/// The weight gradient's tap kernel (<c>Conv2D.WeightGradient.cs</c>: dy transposed, 12 taps x 32 filters of
/// accumulators, no im2col) against im2col + GEMM (float tolerance: the sums are grouped differently) and the
/// definition in double, on the zoo's shapes and on edge cases: kernel rows not a multiple of 4, 'same' padding,
/// images bigger than a register-block pass, fused ReLU, no bias.
/// </summary>
public class TapWeightGradientTests
{
    public static TheoryData<int, int, int, int, int, string, int, bool, bool> Shapes => new()
    {
        // channels, height, width, filters, kernel h, padding, batch, relu, bias
        { 32, 13, 13, 64, 3, "Valid", 7, true, true },    // cnn3 conv2: 11x11 outputs, several images per block
        { 64, 5, 5, 128, 3, "Valid", 40, true, true },    // conv3: 3x3 outputs, 28 images per block, 4 filter blocks
        { 3, 28, 28, 32, 3, "Same", 3, false, false },    // cnn-deep's first block: 9 rows of 28 per pass, padded; 9 kernel rows
        { 5, 7, 7, 64, 3, "Same", 30, true, false },      // 7x7, chunk of 20 images then 10
        { 1, 9, 12, 32, 5, "Same", 2, false, true },      // 5 kernel rows (not a multiple of 4), 5x3 kernel
        { 2, 6, 3, 32, 3, "Valid", 2, true, true },       // 1-wide output rows
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tap_kernel_weight_gradient_matches_im2col_and_the_definition(int channels, int height, int width, int filters, int kh,
        string paddingName, int n, bool relu, bool bias)
    {
        var padding = Enum.Parse<Padding>(paddingName);
        var shape = new Shape(channels, height, width);
        Sequential Build(bool tap)
        {
            var network = new Sequential().Input(shape).Add(new Conv2D(filters, kh, 3, 1, padding, Initializer.He, bias) { TapKernelAllowed = tap, DirectAllowed = false });
            return (relu ? network.ReLU() : network).Build(6);
        }
        Sequential fast = Build(true), reference = Build(false);
        var conv = (Conv2D)fast.Layers[0];
        var rng = new SplitMix64(23);
        float[] x = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] gradient = Enumerable.Range(0, n * fast.OutputShape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        var pass = new PassInfo(true, 1);
        float[] y = fast.Forward(x, n, pass).AsSpan(0, n * fast.OutputShape.Size).ToArray();
        reference.Forward(x, n, pass);
        fast.Backward(x, gradient, n);
        reference.Backward(x, gradient, n);
        var fastParameters = fast.Parameters.ToList();
        var referenceParameters = reference.Parameters.ToList();
        for (int t = 0; t < fastParameters.Count; t++)
        {
            float[] a = fastParameters[t].Gradient, b = referenceParameters[t].Gradient;
            for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 1e-4f + 1e-5f * Math.Abs(b[i]));
        }

        int oh = conv.OutputShape.Height, ow = conv.OutputShape.Width, kernelSize = channels * kh * 3;
        int padTop = padding == Padding.Same ? (kh - 1) / 2 : 0, padLeft = padding == Padding.Same ? 1 : 0;
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < channels; c++)
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < 3; kj++)
                    {
                        double sum = 0, size = 0;
                        for (int i = 0; i < n; i++)
                            for (int oy = 0; oy < oh; oy++)
                                for (int ox = 0; ox < ow; ox++)
                                {
                                    int iy = oy + ki - padTop, ix = ox + kj - padLeft, at = i * filters * oh * ow + (f * oh + oy) * ow + ox;
                                    if ((uint)iy >= (uint)height || (uint)ix >= (uint)width || (relu && !(y[at] > 0f))) continue;
                                    double product = (double)gradient[at] * x[i * shape.Size + (c * height + iy) * width + ix];
                                    sum += product;
                                    size += Math.Abs(product);
                                }
                        float actual = conv.Weights.Gradient[f * kernelSize + (c * kh + ki) * 3 + kj];
                        Assert.True(Math.Abs(actual - sum) <= 1e-5 * (size + 1), $"filter {f} tap ({c},{ki},{kj}): {actual} vs {sum}");
                    }
    }

    [Fact]
    public void Weight_gradient_of_a_single_output_pixel_by_hand()
    {
        // A 3x3 image and a valid 3x3 kernel give one output pixel per filter: dW[f, t] = dy_f * x_t, dbias[f] = dy_f.
        var conv = (Conv2D)new Sequential().Input(new Shape(1, 3, 3)).Add(new Conv2D(32, 3, 3) { DirectAllowed = false }).Build(1).Layers[0];
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        float[] y = new float[32], dy = Enumerable.Range(1, 32).Select(f => (float)f).ToArray();
        conv.Forward(x, y, 1, new PassInfo(true, 1));
        conv.Backward(x, y, dy, null, 1);
        for (int f = 0; f < 32; f++)
        {
            Assert.Equal(Enumerable.Range(1, 9).Select(t => (float)((f + 1) * t)), conv.Weights.Gradient.AsSpan(f * 9, 9).ToArray());
            Assert.Equal(f + 1, conv.Bias!.Gradient[f]);
        }
    }
}
