using System;
using System.Collections.Generic;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

/// <summary>A convolution as a Keras user writes it; the geometry comes from <see cref="ConvGeometry"/>'s helpers.</summary>
internal sealed record ConvCase(int Batch, int H, int W, int C, int Filters, int KH, int KW, int SH, int SW, int DH, int DW, bool Same)
{
    public ConvGeometry Geometry
    {
        get
        {
            int oh = ConvGeometry.OutputLength(H, KH, SH, DH, Same), ow = ConvGeometry.OutputLength(W, KW, SW, DW, Same);
            return new ConvGeometry(H, W, C, oh, ow, Filters, KH, KW, SH, SW, DH, DW,
                Same ? ConvGeometry.PadBefore(H, oh, KH, SH, DH) : 0, Same ? ConvGeometry.PadBefore(W, ow, KW, SW, DW) : 0);
        }
    }

    /// <summary>A 1-D convolution over [batch, length, channels]: height 1 throughout.</summary>
    public static ConvCase OneD(int batch, int length, int c, int filters, int k, int s, int d, bool same)
        => new(batch, 1, length, c, filters, 1, k, 1, s, 1, d, same);

    public static readonly Dictionary<string, ConvCase> All = new()
    {
        ["3x3 valid"] = new(2, 5, 5, 2, 3, 3, 3, 1, 1, 1, 1, false),
        ["3x3 same, even pad total"] = new(2, 5, 5, 2, 3, 3, 3, 1, 1, 1, 1, true),
        ["3x3 stride 2 same, odd pad total (before 0)"] = new(2, 6, 6, 3, 2, 3, 3, 2, 2, 1, 1, true),
        ["3x3 stride 2 same, even pad total (before 1)"] = new(3, 5, 5, 2, 4, 3, 3, 2, 2, 1, 1, true),
        ["3x3 stride 2 valid"] = new(2, 7, 6, 2, 3, 3, 3, 2, 2, 1, 1, false),
        ["4x4 same, pad 1 before 2 after"] = new(2, 7, 7, 1, 2, 4, 4, 1, 1, 1, 1, true),
        ["2x3 kernel, strides (1, 2), same"] = new(2, 5, 7, 3, 2, 2, 3, 1, 2, 1, 1, true),
        ["3x2 kernel valid"] = new(2, 6, 5, 2, 3, 3, 2, 1, 1, 1, 1, false),
        ["dilation 2 same"] = new(2, 7, 7, 2, 2, 3, 3, 1, 1, 2, 2, true),
        ["dilation 2 valid, dilation (1, 2)"] = new(2, 7, 8, 2, 3, 3, 3, 1, 1, 1, 2, false),
        ["stride 3 past a 2x2 kernel (unreached pixels)"] = new(2, 8, 8, 2, 2, 2, 2, 3, 3, 1, 1, false),
        ["pointwise 1x1"] = new(3, 4, 4, 3, 5, 1, 1, 1, 1, 1, 1, false),
        ["1x1 stride 2"] = new(2, 5, 5, 3, 2, 1, 1, 2, 2, 1, 1, true),
        ["1-D k3 valid"] = OneD(3, 9, 3, 4, 3, 1, 1, false),
        ["1-D k3 stride 2 same"] = OneD(2, 9, 3, 2, 3, 2, 1, true),
        ["1-D k4 stride 2 same, even input"] = OneD(2, 10, 2, 3, 4, 2, 1, true),
        ["1-D dilation 2 same"] = OneD(2, 9, 2, 2, 3, 1, 2, true),

        // Small patches (at most 32 taps × channels) over 16 to 64 filters take the direct kernels (4-pixel blocks
        // inside, one pixel at a time at the padded edges) for the forward pass where the implicit GEMM does not (rows
        // of 7, as the stride-2 case).
        ["direct: 3x3 over one channel, 16 filters"] = new(2, 9, 11, 1, 16, 3, 3, 1, 1, 1, 1, false),
        ["direct: 3x3 same, 32 filters"] = new(2, 7, 10, 2, 32, 3, 3, 1, 1, 1, 1, true),
        ["direct: 3x3 stride 2 same, 48 filters"] = new(2, 9, 13, 3, 48, 3, 3, 2, 2, 1, 1, true),
        ["direct: dilation 2, 64 filters"] = new(2, 9, 12, 1, 64, 3, 3, 1, 1, 2, 2, false),
        ["direct: 1-D k5, 16 filters"] = OneD(2, 23, 3, 16, 5, 1, 1, true),
    };

    public static TheoryData<string> Names() => new(All.Keys);
}

public class ConvKernelTests
{
    /// <summary>Floats after the documented scratch length, filled with a marker that must survive.</summary>
    private const int Tail = 16;

    private const float Marker = 12345f;

    public static TheoryData<string> ConvCases() => ConvCase.Names();

    [Fact]
    public void OutputLengthAndPadBeforeMatchTensorFlow()
    {
        Assert.Equal(26, ConvGeometry.OutputLength(28, 3, 1, 1, same: false));
        Assert.Equal(28, ConvGeometry.OutputLength(28, 3, 1, 1, same: true));
        Assert.Equal(1, ConvGeometry.PadBefore(28, 28, 3, 1, 1));
        Assert.Equal(0, ConvGeometry.PadBefore(28, 26, 3, 1, 1));

        // Input 5, kernel 3, stride 2, SAME: 3 outputs, total pad 2, one before.
        Assert.Equal(3, ConvGeometry.OutputLength(5, 3, 2, 1, same: true));
        Assert.Equal(1, ConvGeometry.PadBefore(5, 3, 3, 2, 1));

        // Input 4, kernel 3, stride 2, SAME: 2 outputs, total pad 1, all of it after.
        Assert.Equal(2, ConvGeometry.OutputLength(4, 3, 2, 1, same: true));
        Assert.Equal(0, ConvGeometry.PadBefore(4, 2, 3, 2, 1));

        // Input 10, kernel 4, stride 3, SAME: 4 outputs, total pad 3 = 1 before + 2 after.
        Assert.Equal(4, ConvGeometry.OutputLength(10, 4, 3, 1, same: true));
        Assert.Equal(1, ConvGeometry.PadBefore(10, 4, 4, 3, 1));

        // Dilation 2 widens a 3-tap kernel to 5: valid 7 -> 3; SAME pads 4, 2 before.
        Assert.Equal(3, ConvGeometry.OutputLength(7, 3, 1, 2, same: false));
        Assert.Equal(2, ConvGeometry.PadBefore(7, 7, 3, 1, 2));

        // Valid with a stride that leaves a remainder: floor((8 - 3) / 2) + 1 = 3, and no padding.
        Assert.Equal(3, ConvGeometry.OutputLength(8, 3, 2, 1, same: false));
        Assert.Equal(0, ConvGeometry.PadBefore(8, 3, 3, 2, 1));

        // A window longer than the input leaves nothing (not a negative length, nor 1 from truncating division).
        Assert.Equal(0, ConvGeometry.OutputLength(2, 3, 2, 1, same: false));
        Assert.Equal(0, ConvGeometry.OutputLength(4, 3, 1, 2, same: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConvGeometry.OutputLength(4, 3, 0, 1, same: true));
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ForwardMatchesNaive(string name)
    {
        var (g, batch) = Load(name);
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 1);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 2);
        double[] expected = NaiveForward(x, kernel, g, batch);
        foreach (int scratchLength in ScratchLengths(g, batch))
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var y = Random(expected.Length, 3);
                var before = (float[])y.Clone();
                var scratch = Scratch(scratchLength);
                Conv2D.Forward(x, kernel, y, g, batch, Given(scratch, scratchLength, g, batch), accumulate);
                AssertClose(accumulate ? Plus(before, expected) : expected, y, $"{name} scratch {scratchLength} acc={accumulate}");
                AssertMarkerKept(scratch, scratchLength);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void BackwardInputMatchesNaive(string name)
    {
        var (g, batch) = Load(name);
        var dy = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 4);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 5);
        double[] expected = NaiveBackwardInput(dy, kernel, g, batch);
        foreach (int scratchLength in ScratchLengths(g, batch))
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var dx = Random(expected.Length, 6);
                var before = (float[])dx.Clone();
                var scratch = Scratch(scratchLength);
                Conv2D.BackwardInput(dy, kernel, dx, g, batch, Given(scratch, scratchLength, g, batch), accumulate);
                AssertClose(accumulate ? Plus(before, expected) : expected, dx, $"{name} scratch {scratchLength} acc={accumulate}");
                AssertMarkerKept(scratch, scratchLength);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void BackwardKernelMatchesNaiveAndAccumulates(string name)
    {
        var (g, batch) = Load(name);
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 7);
        var dy = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 8);
        double[] expected = NaiveBackwardKernel(x, dy, g, batch);
        foreach (int scratchLength in ScratchLengths(g, batch))
        {
            var dKernel = Random(expected.Length, 9);
            var before = (float[])dKernel.Clone();
            var scratch = Scratch(scratchLength);
            Conv2D.BackwardKernel(x, dy, dKernel, g, batch, Given(scratch, scratchLength, g, batch));
            AssertClose(Plus(before, expected), dKernel, $"{name} scratch {scratchLength}");
            AssertMarkerKept(scratch, scratchLength);
        }
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void BackwardKernelsMatchFiniteDifferences(string name)
    {
        var (g, batch) = Load(name);
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 10);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 11);
        var r = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 12);
        var y = new float[r.Length];
        var scratch = new float[Conv2D.ScratchLength(g, batch)];
        double Loss()
        {
            Conv2D.Forward(x, kernel, y, g, batch, scratch, accumulate: false);
            return Dot(y, r);
        }

        var dx = new float[x.Length];
        Conv2D.BackwardInput(r, kernel, dx, g, batch, scratch, accumulate: false);
        AssertGradient(x, dx, Loss, $"{name} dx");
        var dKernel = new float[kernel.Length];
        Conv2D.BackwardKernel(x, r, dKernel, g, batch, scratch);
        AssertGradient(kernel, dKernel, Loss, $"{name} dKernel");
    }

    [Fact]
    public void BackwardInputIsConv2DTranspose()
    {
        // Keras: Conv2DTranspose(1, 2, strides=2) with an all-ones kernel turns each input pixel into a 2x2 block.
        var g = new ConvGeometry(4, 4, 1, 2, 2, 1, 2, 2, 2, 2, 1, 1, 0, 0);
        float[] input = [1, 2, 3, 4];
        var output = new float[16];
        Conv2D.BackwardInput(input, [1, 1, 1, 1], output, g, 1, new float[Conv2D.ScratchLength(g, 1)], accumulate: false);
        Assert.Equal(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, output);
    }

    [Fact]
    public void ScratchLengthIsTheDocumentedSize()
    {
        var g = ConvCase.All["3x3 same, even pad total"].Geometry;
        Assert.Equal(4 * 5 * 5 * 3 * 3 * 2, Conv2D.ScratchLength(g, 4));
        Assert.Equal(0, Conv2D.ScratchLength(ConvCase.All["pointwise 1x1"].Geometry, 4));
        var ex = Assert.Throws<ArgumentException>(() =>
            Conv2D.Forward(new float[50], new float[54], new float[75], g, 1, new float[17], accumulate: false));
        Assert.Equal("scratch", ex.ParamName);
        Assert.Contains("18", ex.Message);
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        var (g, batch) = Load("3x3 stride 2 same, even pad total (before 1)");
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 1);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 2);
        var y = new float[batch * g.OutHeight * g.OutWidth * g.OutChannels];
        var dx = new float[x.Length];
        var dKernel = new float[kernel.Length];
        var scratch = new float[Conv2D.ScratchLength(g, batch)];
        Assert.Equal(0, AllocatedBy(() => Conv2D.Forward(x, kernel, y, g, batch, scratch, accumulate: false)));
        Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardInput(y, kernel, dx, g, batch, scratch, accumulate: false)));
        Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardKernel(x, y, dKernel, g, batch, scratch)));

        var (p, pb) = Load("pointwise 1x1");
        var px = Random(pb * p.InHeight * p.InWidth * p.InChannels, 3);
        var pk = Random(p.InChannels * p.OutChannels, 4);
        var py = new float[pb * p.OutHeight * p.OutWidth * p.OutChannels];
        Assert.Equal(0, AllocatedBy(() => Conv2D.Forward(px, pk, py, p, pb, Span<float>.Empty, accumulate: true)));
        Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardInput(py, pk, px, p, pb, Span<float>.Empty, accumulate: true)));
        Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardKernel(px, py, pk, p, pb, Span<float>.Empty)));
    }

    internal static (ConvGeometry Geometry, int Batch) Load(string name)
    {
        ConvCase c = ConvCase.All[name];
        return (c.Geometry, c.Batch);
    }

    /// <summary>The documented length (one pass), and one of a few patch rows (several chunks), unless pointwise.</summary>
    private static int[] ScratchLengths(in ConvGeometry g, int batch)
    {
        int full = Conv2D.ScratchLength(g, batch);
        return full == 0 ? [0] : [full, 3 * g.KernelHeight * g.KernelWidth * g.InChannels];
    }

    private static Span<float> Given(float[] scratch, int length, in ConvGeometry g, int batch)
    {
        // The full length comes with the marked tail (the kernel must not use it); a short one is exact.
        return length == Conv2D.ScratchLength(g, batch) ? scratch : scratch.AsSpan(0, length);
    }

    /// <summary>Scratch of the given length plus a marked tail: the kernels may use all they are given, so the tail
    /// shows whether they ever go past the documented length. Given less, they must still fit in it.</summary>
    private static float[] Scratch(int length)
    {
        var scratch = new float[length + Tail];
        scratch.AsSpan().Fill(Marker);
        return scratch;
    }

    private static void AssertMarkerKept(float[] scratch, int length)
    {
        for (int i = length; i < scratch.Length; i++)
        {
            Assert.True(scratch[i] == Marker, $"scratch[{i}] past the {length} floats given was overwritten");
        }
    }

    private static bool Tap(in ConvGeometry g, int oy, int ox, int ky, int kx, out int iy, out int ix)
    {
        iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
        ix = (ox * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
        return iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
    }

    private static int In(in ConvGeometry g, int s, int iy, int ix, int c) => (((((s * g.InHeight) + iy) * g.InWidth) + ix) * g.InChannels) + c;

    private static int Out(in ConvGeometry g, int s, int oy, int ox, int o) => (((((s * g.OutHeight) + oy) * g.OutWidth) + ox) * g.OutChannels) + o;

    private static int Weight(in ConvGeometry g, int ky, int kx, int c, int o) => (((((ky * g.KernelWidth) + kx) * g.InChannels) + c) * g.OutChannels) + o;

    /// <summary>y[s, oy, ox, o] = Σ x[s, iy, ix, c] · k[ky, kx, c, o] over the in-range taps, in double.</summary>
    internal static double[] NaiveForward(float[] x, float[] k, ConvGeometry g, int batch)
    {
        var y = new double[batch * g.OutHeight * g.OutWidth * g.OutChannels];
        for (int s = 0; s < batch; s++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            if (!Tap(g, oy, ox, ky, kx, out int iy, out int ix))
            {
                continue;
            }

            for (int c = 0; c < g.InChannels; c++)
            for (int o = 0; o < g.OutChannels; o++)
            {
                y[Out(g, s, oy, ox, o)] += (double)x[In(g, s, iy, ix, c)] * k[Weight(g, ky, kx, c, o)];
            }
        }

        return y;
    }

    internal static double[] NaiveBackwardInput(float[] dy, float[] k, ConvGeometry g, int batch)
    {
        var dx = new double[batch * g.InHeight * g.InWidth * g.InChannels];
        for (int s = 0; s < batch; s++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            if (!Tap(g, oy, ox, ky, kx, out int iy, out int ix))
            {
                continue;
            }

            for (int c = 0; c < g.InChannels; c++)
            for (int o = 0; o < g.OutChannels; o++)
            {
                dx[In(g, s, iy, ix, c)] += (double)dy[Out(g, s, oy, ox, o)] * k[Weight(g, ky, kx, c, o)];
            }
        }

        return dx;
    }

    internal static double[] NaiveBackwardKernel(float[] x, float[] dy, ConvGeometry g, int batch)
    {
        var dk = new double[g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels];
        for (int s = 0; s < batch; s++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            if (!Tap(g, oy, ox, ky, kx, out int iy, out int ix))
            {
                continue;
            }

            for (int c = 0; c < g.InChannels; c++)
            for (int o = 0; o < g.OutChannels; o++)
            {
                dk[Weight(g, ky, kx, c, o)] += (double)x[In(g, s, iy, ix, c)] * dy[Out(g, s, oy, ox, o)];
            }
        }

        return dk;
    }
}
