using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Winograd F(2×2, 3×3) and F(4×4, 3×3) against the naive convolution in double: odd and even output sizes (ragged last
/// tiles), valid and same padding, channel counts that leave AVX-512, AVX2 and scalar remainders, with bias and each kind
/// of activation epilogue.
/// </summary>
public class WinogradTests
{
    public static TheoryData<int, int, int, int, int, bool, int> Cases() => new()
    {
        // batch, height, width, in channels, filters, same, tile size. 2×2 tiles (outputs of up to about 6 × 6):
        { 2, 7, 7, 32, 16, false, 2 },   // a 5 × 5 output: the last row and column of tiles half outside
        { 2, 5, 6, 35, 17, true, 2 },    // 32 + 3 input channels, 16 + 1 filters: vector and scalar remainders; padded borders
        { 1, 8, 8, 40, 24, false, 2 },   // 32 + 8 and 16 + 8: the AVX2 remainders
        { 5, 4, 4, 32, 16, false, 2 },   // a 2 × 2 output: one tile per image
        { 70, 5, 5, 32, 16, true, 2 },   // more tiles than one block holds
        // 4×4 tiles:
        { 2, 26, 26, 16, 32, false, 4 }, // the conv encoder's second layer: 6 × 6 whole tiles of a 24 × 24 output
        { 2, 9, 9, 32, 16, true, 4 },    // the toy ResNet's blocks, smaller: 3 × 3 tiles, the last three quarters outside
        { 1, 11, 13, 19, 17, true, 4 },  // 16 + 3 input channels, 16 + 1 filters, ragged both ways
        { 1, 14, 10, 24, 40, false, 4 }, // 16 + 8 and 32 + 8: the AVX2 remainders
        { 9, 10, 10, 64, 64, true, 4 },  // more tiles than one block holds
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesNaiveConvolution(int batch, int height, int width, int channels, int filters, bool same, int tile)
    {
        var g = new ConvCase(batch, height, width, channels, filters, 3, 3, 1, 1, 1, 1, same).Geometry;
        Assert.True(Winograd.Applies(g));
        Assert.Equal(tile, Winograd.TileSize(g));
        bool large = tile == 4;
        float[] x = Random(batch * g.InputSize, 1), kernel = Random(9 * channels * filters, 2), bias = Random(filters, 3);
        double[] convolution = ConvKernelTests.NaiveForward(x, kernel, g, batch);
        float[] transformed = new float[Winograd.KernelLength(g)];
        Winograd.TransformKernel(kernel, transformed, g);
        float[] scratch = new float[Winograd.ScratchLength(g)];
        Assert.True(Conv2D.ScratchBound(g) >= scratch.Length); // the planned scratch holds Winograd's

        foreach (var activation in new[] { Activation.Linear, Activation.Relu, Activation.Sigmoid })
        {
            foreach (bool withBias in new[] { false, true })
            {
                double[] z = convolution.Select((v, i) => v + (withBias ? bias[i % filters] : 0)).ToArray();
                double[] y = activation switch
                {
                    Activation.Relu => z.Select(v => Math.Max(v, 0)).ToArray(),
                    Activation.Sigmoid => z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(),
                    _ => z,
                };
                float[] zOut = Random(z.Length, 4), yOut = Random(z.Length, 5);
                Array.Fill(scratch, float.NaN); // nothing may be read before it is written
                Winograd.Forward(x, transformed, zOut, g, batch, scratch, withBias ? bias : [], activation, yOut);
                string label = $"{(large ? "4×4" : "2×2")} tiles, {activation}, bias {withBias}";
                double scale = 1 + z.Max(Math.Abs); // the activations' slopes are at most 1: y's rounding is at most z's
                AssertNear(z, zOut, large, scale, label + ", z");
                if (activation != Activation.Linear)
                {
                    AssertNear(y, yOut, large, scale, label + ", y");
                }

                // The activation may overwrite z in place, as the generated code asks when no pre-activation is kept.
                float[] inPlace = Random(z.Length, 6);
                Winograd.Forward(x, transformed, inPlace, g, batch, scratch, withBias ? bias : [], activation, inPlace);
                AssertNear(y, inPlace, large, scale, label + ", in place");
            }
        }
    }

    /// <summary>
    /// 2×2 tiles: within 1e-5 of each output (relative above 1). 4×4 tiles scale by up to 8 in their transforms, so their
    /// rounding is bounded by the outputs' magnitude, not by each output's: within 1e-5 of the largest convolution output (before the activation), and not
    /// looser, so a wrong transform coefficient (an error of the order of the outputs) still fails.
    /// </summary>
    private static void AssertNear(double[] expected, float[] actual, bool large, double scale, string label)
    {
        if (!large)
        {
            AssertClose(expected, actual, label);
            return;
        }

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"{label}: element {i}: expected {expected[i]}, got {actual[i]} (scale {scale})");
        }
    }

    [Theory]
    [InlineData(6, 6, 2)]     // 9 tiles × 16 = 144 products per channel pair either way: the cheaper transforms win
    [InlineData(24, 24, 4)]   // 576 against 1,296
    [InlineData(9, 9, 4)]     // 324 against 400
    [InlineData(2, 2, 2)]     // one small tile
    [InlineData(5, 7, 4)]     // 144 against 192: ragged 4×4 tiles still need fewer
    [InlineData(5, 6, 2)]     // 144 either way
    public void Chooses_the_tile_that_needs_fewer_products(int outHeight, int outWidth, int expected)
    {
        var g = new ConvGeometry(outHeight + 2, outWidth + 2, 32, outHeight, outWidth, 32, 3, 3, 1, 1, 1, 1, 0, 0);
        Assert.Equal(expected, Winograd.TileSize(g));
        Assert.Equal((expected == 4 ? 36 : 16) * 32 * 32, Winograd.KernelLength(g));
    }
    [Fact]
    public void Refuses_what_it_does_not_compute_and_too_little_scratch()
    {
        var strided = new ConvCase(1, 8, 8, 16, 16, 3, 3, 2, 2, 1, 1, true).Geometry;
        var thin = new ConvCase(1, 6, 6, 16, 32, 3, 3, 1, 1, 1, 1, true).Geometry;          // 16 channels, but 2×2 tiles
        var narrow = new ConvCase(1, 26, 26, 8, 32, 3, 3, 1, 1, 1, 1, false).Geometry;      // 4×4 tiles, but 8 channels
        var few = new ConvCase(1, 26, 26, 16, 8, 3, 3, 1, 1, 1, 1, false).Geometry;         // 8 filters
        var wide = new ConvCase(1, 8, 8, 16, 16, 5, 5, 1, 1, 1, 1, true).Geometry;
        Assert.False(Winograd.Applies(strided));
        Assert.False(Winograd.Applies(thin));
        Assert.Equal(2, Winograd.TileSize(thin));
        Assert.False(Winograd.Applies(narrow));
        Assert.False(Winograd.Applies(few));
        Assert.True(Winograd.Applies(new ConvCase(1, 26, 26, 16, 32, 3, 3, 1, 1, 1, 1, false).Geometry));
        Assert.False(Winograd.Applies(wide));
        Assert.Throws<ArgumentException>(() => Winograd.Forward(new float[8 * 8 * 16], new float[16 * 16 * 16], new float[16 * 16], strided, 1,
            new float[100_000], [], Activation.Linear, []));

        var g = new ConvCase(1, 8, 8, 32, 16, 3, 3, 1, 1, 1, 1, true).Geometry;
        var error = Assert.Throws<ArgumentException>(() => Winograd.Forward(new float[g.InputSize], new float[Winograd.KernelLength(g)],
            new float[g.OutputPixels * 16], g, 1, new float[Winograd.ScratchLength(g) - 1], [], Activation.Linear, []));
        Assert.Contains("scratch", error.Message);
    }

    [Theory]
    [InlineData(9)]   // 4×4 tiles
    [InlineData(6)]   // 2×2 tiles
    public void Allocates_nothing(int size)
    {
        var g = new ConvCase(4, size, size, 32, 32, 3, 3, 1, 1, 1, 1, true).Geometry;
        Assert.Equal(size == 9 ? 4 : 2, Winograd.TileSize(g));
        float[] x = Random(4 * g.InputSize, 1), kernel = Random(9 * 32 * 32, 2), transformed = new float[Winograd.KernelLength(g)];
        float[] z = new float[4 * g.OutputPixels * 32], scratch = new float[Winograd.ScratchLength(g)];
        Assert.Equal(0, AllocatedBy(() =>
        {
            Winograd.TransformKernel(kernel, transformed, g);
            Winograd.Forward(x, transformed, z, g, 4, scratch, [], Activation.Relu, z);
        }));
    }
}
