using System;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

public class DepthwiseKernelTests
{
    /// <summary>Every convolution case (its filters ignored), with depth multipliers 1 and 2.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in ConvCase.All.Keys)
        {
            data.Add(name, 1);
            data.Add(name, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelsMatchNaive(string name, int multiplier)
    {
        var (g, batch) = Load(name, multiplier);
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 1);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.OutChannels, 2);
        var dy = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 3);

        var y = Random(dy.Length, 4); // garbage that Forward must overwrite
        DepthwiseConv2D.Forward(x, kernel, y, g, batch, multiplier);
        AssertClose(Naive(x, kernel, g, batch, multiplier, Pass.Forward, dy), y, $"{name} m={multiplier} forward");

        var dx = Random(x.Length, 5);
        var dxBefore = (float[])dx.Clone();
        DepthwiseConv2D.BackwardInput(dy, kernel, dx, g, batch, multiplier);
        AssertClose(Plus(dxBefore, Naive(x, kernel, g, batch, multiplier, Pass.Input, dy)), dx, $"{name} m={multiplier} dx");

        var dKernel = Random(kernel.Length, 6);
        var dKernelBefore = (float[])dKernel.Clone();
        DepthwiseConv2D.BackwardKernel(x, dy, dKernel, g, batch, multiplier);
        AssertClose(Plus(dKernelBefore, Naive(x, kernel, g, batch, multiplier, Pass.Kernel, dy)), dKernel, $"{name} m={multiplier} dKernel");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardKernelsMatchFiniteDifferences(string name, int multiplier)
    {
        var (g, batch) = Load(name, multiplier);
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 7);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.OutChannels, 8);
        var r = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 9);
        var y = new float[r.Length];
        double Loss()
        {
            DepthwiseConv2D.Forward(x, kernel, y, g, batch, multiplier);
            return Dot(y, r);
        }

        var dx = new float[x.Length];
        DepthwiseConv2D.BackwardInput(r, kernel, dx, g, batch, multiplier);
        AssertGradient(x, dx, Loss, $"{name} m={multiplier} dx");
        var dKernel = new float[kernel.Length];
        DepthwiseConv2D.BackwardKernel(x, r, dKernel, g, batch, multiplier);
        AssertGradient(kernel, dKernel, Loss, $"{name} m={multiplier} dKernel");
    }

    [Fact]
    public void OutputChannelsAreChannelTimesMultiplierPlusM()
    {
        // One pixel, two channels, multiplier 3, a 1x1 kernel: y[c * 3 + m] = x[c] * k[c, m].
        var g = new ConvGeometry(1, 1, 2, 1, 1, 6, 1, 1, 1, 1, 1, 1, 0, 0);
        var y = new float[6];
        DepthwiseConv2D.Forward([2, 10], [1, 2, 3, 4, 5, 6], y, g, 1, 3);
        Assert.Equal(new float[] { 2, 4, 6, 40, 50, 60 }, y);
    }

    [Fact]
    public void RejectsChannelsThatDoNotMatchTheMultiplier()
    {
        var g = new ConvGeometry(3, 3, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0);
        var ex = Assert.Throws<ArgumentException>(() => DepthwiseConv2D.Forward(new float[18], new float[4], new float[27], g, 1, 2));
        Assert.Contains("4 output channels", ex.Message);
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        foreach (int multiplier in new[] { 1, 2 })
        {
            var (g, batch) = Load("dilation 2 same", multiplier);
            var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 5);
            var kernel = Random(g.KernelHeight * g.KernelWidth * g.OutChannels, 6);
            var y = new float[batch * g.OutHeight * g.OutWidth * g.OutChannels];
            Assert.Equal(0, AllocatedBy(() => DepthwiseConv2D.Forward(x, kernel, y, g, batch, multiplier)));
            Assert.Equal(0, AllocatedBy(() => DepthwiseConv2D.BackwardInput(y, kernel, x, g, batch, multiplier)));
            Assert.Equal(0, AllocatedBy(() => DepthwiseConv2D.BackwardKernel(x, y, kernel, g, batch, multiplier)));
        }
    }

    private enum Pass { Forward, Input, Kernel }

    private static (ConvGeometry Geometry, int Batch) Load(string name, int multiplier)
    {
        var (g, batch) = ConvKernelTests.Load(name);
        return (g with { OutChannels = g.InChannels * multiplier }, batch);
    }

    /// <summary>The depthwise sum written out in double: the forward output, or the gradient of x or the kernel for dy.</summary>
    private static double[] Naive(float[] x, float[] k, ConvGeometry g, int batch, int multiplier, Pass pass, float[] dy)
    {
        var result = new double[pass switch
        {
            Pass.Forward => dy.Length,
            Pass.Input => x.Length,
            _ => k.Length,
        }];
        for (int s = 0; s < batch; s++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            int iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
            int ix = (ox * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
            if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
            {
                continue;
            }

            for (int c = 0; c < g.InChannels; c++)
            for (int m = 0; m < multiplier; m++)
            {
                int xi = (((((s * g.InHeight) + iy) * g.InWidth) + ix) * g.InChannels) + c;
                int yi = (((((s * g.OutHeight) + oy) * g.OutWidth) + ox) * g.OutChannels) + (c * multiplier) + m;
                int ki = (((((ky * g.KernelWidth) + kx) * g.InChannels) + c) * multiplier) + m;
                switch (pass)
                {
                    case Pass.Forward: result[yi] += (double)x[xi] * k[ki]; break;
                    case Pass.Input: result[xi] += (double)dy[yi] * k[ki]; break;
                    default: result[ki] += (double)x[xi] * dy[yi]; break;
                }
            }
        }

        return result;
    }
}
