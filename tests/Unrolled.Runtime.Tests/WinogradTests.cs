using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Winograd F(2×2, 3×3) against the naive convolution in double: odd and even output sizes (ragged last tiles), valid
/// and same padding, channel counts that leave AVX-512, AVX2 and scalar remainders, with bias and each kind of
/// activation epilogue.
/// </summary>
public class WinogradTests
{
    public static TheoryData<int, int, int, int, int, bool> Cases() => new()
    {
        // batch, height, width, in channels, filters, same
        { 2, 9, 9, 32, 16, true },     // the toy ResNet's blocks, smaller: 5 × 5 tiles, the last row and column half outside
        { 3, 10, 8, 32, 32, false },   // valid: an 8 × 6 output, whole tiles
        { 2, 7, 5, 35, 17, true },     // 32 + 3 input channels, 16 + 1 filters: vector and scalar remainders
        { 1, 6, 11, 40, 24, false },   // 32 + 8 and 16 + 8: the AVX2 remainders
        { 5, 4, 4, 32, 16, false },    // a 2 × 2 output: one tile per image
        { 70, 5, 5, 32, 16, true },    // more tiles than one block holds
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesNaiveConvolution(int batch, int height, int width, int channels, int filters, bool same)
    {
        var g = new ConvCase(batch, height, width, channels, filters, 3, 3, 1, 1, 1, 1, same).Geometry;
        Assert.True(Winograd.Applies(g));
        float[] x = Random(batch * g.InputSize, 1), kernel = Random(9 * channels * filters, 2), bias = Random(filters, 3);
        double[] convolution = ConvKernelTests.NaiveForward(x, kernel, g, batch);
        float[] transformed = new float[Winograd.KernelLength(g)];
        Winograd.TransformKernel(kernel, transformed, channels, filters);
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
                string label = $"{activation}, bias {withBias}";
                AssertClose(z, zOut, label + ", z");
                if (activation != Activation.Linear)
                {
                    AssertClose(y, yOut, label + ", y");
                }

                // The activation may overwrite z in place, as the generated code asks when no pre-activation is kept.
                float[] inPlace = Random(z.Length, 6);
                Winograd.Forward(x, transformed, inPlace, g, batch, scratch, withBias ? bias : [], activation, inPlace);
                AssertClose(y, inPlace, label + ", in place");
            }
        }
    }

    [Fact]
    public void Refuses_what_it_does_not_compute_and_too_little_scratch()
    {
        var strided = new ConvCase(1, 8, 8, 16, 16, 3, 3, 2, 2, 1, 1, true).Geometry;
        var thin = new ConvCase(1, 8, 8, 16, 32, 3, 3, 1, 1, 1, 1, true).Geometry;
        var wide = new ConvCase(1, 8, 8, 16, 16, 5, 5, 1, 1, 1, 1, true).Geometry;
        Assert.False(Winograd.Applies(strided));
        Assert.False(Winograd.Applies(thin));
        Assert.False(Winograd.Applies(wide));
        Assert.Throws<ArgumentException>(() => Winograd.Forward(new float[8 * 8 * 16], new float[16 * 16 * 16], new float[16 * 16], strided, 1,
            new float[100_000], [], Activation.Linear, []));

        var g = new ConvCase(1, 8, 8, 32, 16, 3, 3, 1, 1, 1, 1, true).Geometry;
        var error = Assert.Throws<ArgumentException>(() => Winograd.Forward(new float[g.InputSize], new float[Winograd.KernelLength(g)],
            new float[g.OutputPixels * 16], g, 1, new float[Winograd.ScratchLength(g) - 1], [], Activation.Linear, []));
        Assert.Contains("scratch", error.Message);
    }

    [Fact]
    public void Allocates_nothing()
    {
        var g = new ConvCase(4, 9, 9, 32, 32, 3, 3, 1, 1, 1, 1, true).Geometry;
        float[] x = Random(4 * g.InputSize, 1), kernel = Random(9 * 32 * 32, 2), transformed = new float[Winograd.KernelLength(g)];
        float[] z = new float[4 * g.OutputPixels * 32], scratch = new float[Winograd.ScratchLength(g)];
        Assert.Equal(0, AllocatedBy(() =>
        {
            Winograd.TransformKernel(kernel, transformed, 32, 32);
            Winograd.Forward(x, transformed, z, g, 4, scratch, [], Activation.Relu, z);
        }));
    }
}
