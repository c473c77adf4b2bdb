using System;
using System.Collections.Generic;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

public class PoolingKernelTests
{
    /// <summary>Pooling layers as Keras users write them: (batch, h, w, channels, pool h, pool w, stride h, stride w, same).</summary>
    private static readonly Dictionary<string, (int Batch, int H, int W, int C, int PH, int PW, int SH, int SW, bool Same)> Shapes = new()
    {
        ["2x2 valid"] = (2, 4, 4, 3, 2, 2, 2, 2, false),
        ["2x2 valid, odd input drops the last row"] = (2, 5, 5, 2, 2, 2, 2, 2, false),
        ["2x2 same, odd input: last window half padding"] = (2, 5, 5, 2, 2, 2, 2, 2, true),
        ["3x3 stride 2 same, even pad total"] = (2, 5, 5, 2, 3, 3, 2, 2, true),
        ["3x3 stride 2 same, odd pad total"] = (2, 6, 6, 2, 3, 3, 2, 2, true),
        ["3x3 stride 1 same"] = (3, 4, 5, 2, 3, 3, 1, 1, true),
        ["2x3 pool, strides (1, 2), same"] = (2, 5, 7, 3, 2, 3, 1, 2, true),
        ["3x3 stride 2 valid"] = (2, 7, 7, 1, 3, 3, 2, 2, false),
        ["1-D pool 2"] = (3, 1, 9, 4, 1, 2, 1, 2, false),
        ["1-D pool 3 stride 2 same"] = (2, 1, 8, 3, 1, 3, 1, 2, true),
        // Channel counts that take each vector width of the max kernel and a scalar tail (16 + 8 + 3).
        ["3x3 stride 3 valid, 27 channels"] = (2, 7, 8, 27, 3, 3, 3, 3, false),
        ["3x3 stride 2 same, 32 channels"] = (2, 6, 5, 32, 3, 3, 2, 2, true),
    };

    [Fact]
    public void Max_pooling_backward_routes_a_tie_to_the_first_cell_in_every_channel_block()
    {
        // A 2×2 window whose four cells are equal in every one of 27 channels (vector blocks and scalar tail): each
        // channel's gradient goes to the top-left cell only, as Keras's first-max rule (and the scalar search) does.
        var g = new ConvGeometry(2, 2, 27, 1, 1, 27, 2, 2, 2, 2, 1, 1, 0, 0);
        var x = new float[4 * 27];
        Array.Fill(x, 0.5f);
        var y = new float[27];
        Pooling.MaxForward(x, y, g, 1);
        var dy = Random(27, 32);
        var dx = new float[x.Length];
        Pooling.MaxBackward(x, y, dy, dx, g, 1);
        for (int c = 0; c < 27; c++)
        {
            Assert.Equal(dy[c], dx[c]);
            Assert.Equal(0f, dx[27 + c]);
            Assert.Equal(0f, dx[(2 * 27) + c]);
            Assert.Equal(0f, dx[(3 * 27) + c]);
        }
    }

    [Fact]
    public void Max_pooling_propagates_NaN_in_every_channel_block()
    {
        // 27 channels: a NaN in channel 3 (512-bit block), 20 (256-bit block) and 26 (scalar tail) of one cell.
        var g = new ConvGeometry(2, 2, 27, 1, 1, 27, 2, 2, 2, 2, 1, 1, 0, 0);
        var x = Random(4 * 27, 31);
        foreach (int c in new[] { 3, 20, 26 })
        {
            x[(3 * 27) + c] = float.NaN;
        }

        var y = new float[27];
        Pooling.MaxForward(x, y, g, 1);
        for (int c = 0; c < 27; c++)
        {
            Assert.Equal(c is 3 or 20 or 26, float.IsNaN(y[c]));
        }
    }

    public static TheoryData<string> Cases() => new(Shapes.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxMatchesNaive(string name)
    {
        var (g, batch) = Load(name);
        var x = Random(batch * g.InputSize, 1);
        var (expected, argmax) = NaiveMax(x, g, batch);
        var y = Random(expected.Length, 2);
        Pooling.MaxForward(x, y, g, batch);
        AssertClose(expected, y, $"{name} forward", 0);

        var dy = Random(y.Length, 3);
        var dx = Random(x.Length, 4);
        var want = Array.ConvertAll(dx, v => (double)v);
        for (int o = 0; o < dy.Length; o++)
        {
            want[argmax[o]] += dy[o];
        }

        Pooling.MaxBackward(x, y, dy, dx, g, batch);
        AssertClose(want, dx, $"{name} backward");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AverageMatchesNaive(string name)
    {
        var (g, batch) = Load(name);
        var x = Random(batch * g.InputSize, 5);
        var (expected, _) = NaiveAverage(x, null, g, batch);
        var y = Random(expected.Length, 6);
        Pooling.AverageForward(x, y, g, batch);
        AssertClose(expected, y, $"{name} forward");

        var dy = Random(y.Length, 7);
        var dx = Random(x.Length, 8);
        var before = (float[])dx.Clone();
        var (_, gradient) = NaiveAverage(x, dy, g, batch);
        Pooling.AverageBackward(dy, dx, g, batch);
        AssertClose(Plus(before, gradient), dx, $"{name} backward");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardKernelsMatchFiniteDifferences(string name)
    {
        var (g, batch) = Load(name);
        var x = Distinct(batch * g.InputSize, 9);
        var r = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 10);
        var y = new float[r.Length];

        double MaxLoss()
        {
            Pooling.MaxForward(x, y, g, batch);
            return Dot(y, r);
        }

        Pooling.MaxForward(x, y, g, batch);
        var dx = new float[x.Length];
        Pooling.MaxBackward(x, y, r, dx, g, batch);
        // Steps under half the 0.01 spacing never change which cell wins.
        AssertGradient(x, dx, MaxLoss, $"{name} max", step: 2e-3f);

        double AverageLoss()
        {
            Pooling.AverageForward(x, y, g, batch);
            return Dot(y, r);
        }

        dx = new float[x.Length];
        Pooling.AverageBackward(r, dx, g, batch);
        AssertGradient(x, dx, AverageLoss, $"{name} average");
    }

    [Fact]
    public void MaxRoutesTiesToTheFirstCellOnly()
    {
        // One 2x2 window, one channel, all four cells equal: the whole gradient goes to the top-left cell.
        var g = new ConvGeometry(2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 0, 0);
        float[] x = [3, 3, 3, 3];
        var y = new float[1];
        Pooling.MaxForward(x, y, g, 1);
        var dx = new float[] { 1, 1, 1, 1 };
        Pooling.MaxBackward(x, y, [5], dx, g, 1);
        Assert.Equal(new float[] { 6, 1, 1, 1 }, dx);

        // Per channel, the first in-range cell holding the max wins; the second window hangs past the input.
        var s = new ConvGeometry(1, 3, 2, 1, 2, 2, 1, 2, 1, 2, 1, 1, 0, 0);
        float[] xs = [1, 7, 4, 7, 4, 0];
        var ys = new float[4];
        Pooling.MaxForward(xs, ys, s, 1);
        Assert.Equal(new float[] { 4, 7, 4, 0 }, ys);
        var dxs = new float[6];
        Pooling.MaxBackward(xs, ys, [1, 2, 3, 4], dxs, s, 1);
        Assert.Equal(new float[] { 0, 2, 1, 0, 3, 4 }, dxs);
    }

    [Fact]
    public void SameAverageDividesByInRangeCells()
    {
        // 1-D, pool 2, stride 2, same on 3 values: windows {1, 2} and {3, pad}; TF gives 1.5 and 3 (not 1.5).
        var g = new ConvGeometry(1, 3, 1, 1, 2, 1, 1, 2, 1, 2, 1, 1, 0, 0);
        var y = new float[2];
        Pooling.AverageForward([1, 2, 3], y, g, 1);
        Assert.Equal(new float[] { 1.5f, 3 }, y);
        var dx = new float[3];
        Pooling.AverageBackward([2, 4], dx, g, 1);
        Assert.Equal(new float[] { 1, 1, 4 }, dx);
    }

    [Fact]
    public void GlobalMaxMatchesNaiveAndFiniteDifferences()
    {
        const int batch = 3, length = 7, channels = 4;
        var x = Distinct(batch * length * channels, 11);
        x[(1 * length * channels) + (2 * channels) + 1] = x[(1 * length * channels) + (5 * channels) + 1] = 9f; // a tie
        var y = Random(batch * channels, 12);
        Pooling.GlobalMaxForward(x, y, batch, length, channels);
        var expected = new double[y.Length];
        var argmax = new int[y.Length];
        for (int s = 0; s < batch; s++)
        for (int c = 0; c < channels; c++)
        {
            double best = double.NegativeInfinity;
            for (int l = 0; l < length; l++)
            {
                int i = (((s * length) + l) * channels) + c;
                if (x[i] > best)
                {
                    (best, argmax[(s * channels) + c]) = (x[i], i);
                }
            }

            expected[(s * channels) + c] = best;
        }

        AssertClose(expected, y, "global max forward", 0);
        var dy = Random(y.Length, 13);
        var dx = Random(x.Length, 14);
        var want = Array.ConvertAll(dx, v => (double)v);
        for (int o = 0; o < dy.Length; o++)
        {
            want[argmax[o]] += dy[o];
        }

        int firstTie = (1 * length * channels) + (2 * channels) + 1, secondTie = (1 * length * channels) + (5 * channels) + 1;
        float secondBefore = dx[secondTie];
        Pooling.GlobalMaxBackward(x, y, dy, dx, batch, length, channels);
        AssertClose(want, dx, "global max backward");
        Assert.Equal(secondBefore, dx[secondTie]); // the later of two equal maxima gets nothing
        Assert.Equal(firstTie, argmax[(1 * channels) + 1]);

        var fresh = Distinct(x.Length, 15);
        double Loss()
        {
            Pooling.GlobalMaxForward(fresh, y, batch, length, channels);
            return Dot(y, dy);
        }

        Pooling.GlobalMaxForward(fresh, y, batch, length, channels);
        var gradient = new float[x.Length];
        Pooling.GlobalMaxBackward(fresh, y, dy, gradient, batch, length, channels);
        AssertGradient(fresh, gradient, Loss, "global max", step: 2e-3f);
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        var (g, batch) = Load("3x3 stride 2 same, odd pad total");
        var x = Random(batch * g.InputSize, 1);
        var y = new float[batch * g.OutHeight * g.OutWidth * g.OutChannels];
        var dx = new float[x.Length];
        Pooling.MaxForward(x, y, g, batch);
        Assert.Equal(0, AllocatedBy(() => Pooling.MaxForward(x, y, g, batch)));
        Assert.Equal(0, AllocatedBy(() => Pooling.MaxBackward(x, y, y, dx, g, batch)));
        Assert.Equal(0, AllocatedBy(() => Pooling.AverageForward(x, y, g, batch)));
        Assert.Equal(0, AllocatedBy(() => Pooling.AverageBackward(y, dx, g, batch)));
        var gy = new float[batch * 2];
        Assert.Equal(0, AllocatedBy(() => Pooling.GlobalMaxForward(x, gy, batch, 36, 2)));
        Assert.Equal(0, AllocatedBy(() => Pooling.GlobalMaxBackward(x, gy, gy, dx, batch, 36, 2)));
    }

    private static (ConvGeometry Geometry, int Batch) Load(string name)
    {
        var (batch, h, w, c, ph, pw, sh, sw, same) = Shapes[name];
        int oh = ConvGeometry.OutputLength(h, ph, sh, 1, same), ow = ConvGeometry.OutputLength(w, pw, sw, 1, same);
        return (new ConvGeometry(h, w, c, oh, ow, c, ph, pw, sh, sw, 1, 1,
            same ? ConvGeometry.PadBefore(h, oh, ph, sh, 1) : 0, same ? ConvGeometry.PadBefore(w, ow, pw, sw, 1) : 0), batch);
    }

    /// <summary>Visits each output element's in-range window cells, row-major, as (output index, input index).</summary>
    private static void ForEachCell(ConvGeometry g, int batch, Action<int, int> visit)
    {
        for (int s = 0; s < batch; s++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        for (int c = 0; c < g.InChannels; c++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            int iy = (oy * g.StrideHeight) - g.PadTop + ky, ix = (ox * g.StrideWidth) - g.PadLeft + kx;
            if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
            {
                visit((((((s * g.OutHeight) + oy) * g.OutWidth) + ox) * g.OutChannels) + c,
                    (((((s * g.InHeight) + iy) * g.InWidth) + ix) * g.InChannels) + c);
            }
        }
    }

    private static (double[] Y, int[] Argmax) NaiveMax(float[] x, ConvGeometry g, int batch)
    {
        var y = new double[batch * g.OutHeight * g.OutWidth * g.OutChannels];
        Array.Fill(y, double.NegativeInfinity);
        var argmax = new int[y.Length];
        ForEachCell(g, batch, (o, i) =>
        {
            if (x[i] > y[o]) // strictly greater: the first of equal values wins
            {
                (y[o], argmax[o]) = (x[i], i);
            }
        });
        return (y, argmax);
    }

    /// <summary>The mean over in-range cells, and, given dy, each cell's share of it.</summary>
    private static (double[] Y, double[] Dx) NaiveAverage(float[] x, float[]? dy, ConvGeometry g, int batch)
    {
        var count = new int[batch * g.OutHeight * g.OutWidth * g.OutChannels];
        ForEachCell(g, batch, (o, _) => count[o]++);
        var y = new double[count.Length];
        var dx = new double[x.Length];
        ForEachCell(g, batch, (o, i) =>
        {
            y[o] += x[i] / (double)count[o];
            if (dy is not null)
            {
                dx[i] += dy[o] / (double)count[o];
            }
        });
        return (y, dx);
    }
}
