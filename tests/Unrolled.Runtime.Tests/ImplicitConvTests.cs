using System;
using System.Collections.Generic;
using System.Linq;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// The implicit-GEMM convolution against the naive reference, forced onto every instruction set this machine runs:
/// a grid over input channels, filters (whole vectors and ragged tails), kernel shapes, strides, dilations, padding,
/// output widths that leave every mix of 8-, 4- and 1-position tiles, batch sizes and accumulation.
/// </summary>
public class ImplicitConvTests
{
    private const double Tolerance = 1e-4;

    private const float Marker = 12345f;

    private static readonly int[] InChannels = [1, 3, 16, 17, 32];
    private static readonly int[] Filters = [1, 5, 16, 32, 33, 64];
    private static readonly (int H, int W)[] Kernels = [(1, 1), (3, 3), (5, 5), (1, 7), (3, 2)];
    private static readonly int[] OutWidths = [1, 3, 6, 7, 9, 24];

    /// <summary>
    /// Every kernel × stride × dilation × padding × output width; input channels and filters cycle so that each 30
    /// consecutive cases hold every pair of them, batch and output height vary too.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, bool, int, int, int> Grid()
    {
        var data = new TheoryData<int, int, int, int, int, int, bool, int, int, int>();
        int i = 0;
        foreach (var (kh, kw) in Kernels)
        foreach (int stride in new[] { 1, 2 })
        foreach (int dilation in new[] { 1, 2 })
        foreach (bool same in new[] { false, true })
        foreach (int outWidth in OutWidths)
        {
            int cin = InChannels[i % InChannels.Length], filters = Filters[i / InChannels.Length % Filters.Length];
            int batch = i / 7 % 2 == 0 ? 1 : 3, outHeight = 1 + (i % 3);
            data.Add(cin, filters, kh, kw, stride, dilation, same, outWidth, outHeight, batch);
            i++;
        }

        return data;
    }

    /// <summary>Every pair of input channels and filters on one padded 3×3 layer whose rows take all three tile sizes.</summary>
    public static TheoryData<int, int> ChannelPairs()
    {
        var data = new TheoryData<int, int>();
        foreach (int cin in InChannels)
        foreach (int filters in Filters)
        {
            data.Add(cin, filters);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void ForwardMatchesNaiveOnEveryPath(int cin, int filters, int kh, int kw, int stride, int dilation, bool same,
        int outWidth, int outHeight, int batch)
    {
        var c = Case(cin, filters, kh, kw, stride, dilation, same, outWidth, outHeight, batch);
        CheckForward(c, $"{c}");
    }

    [Theory]
    [MemberData(nameof(ChannelPairs))]
    public void The_batch_independent_scratch_bound_keeps_the_implicit_paths_and_the_answers(int cin, int filters)
    {
        // A 'same' layer (ring of padded rows) and its input gradient (flipped kernel copy), batch 9: the bound must be
        // enough for the implicit kernels with two threads' rings, and every kernel must still give the naive answer.
        foreach (var c in new[]
        {
            Case(cin, filters, 3, 3, 1, 1, same: true, outWidth: 13, outHeight: 4, batch: 9),
            Case(cin, filters, 5, 5, 1, 2, same: true, outWidth: 9, outHeight: 3, batch: 9),
        })
        {
            var g = c.Geometry;
            int bound = Conv2D.ScratchBound(g);
            // Winograd's tile blocks (when it applies: 3×3, stride 1, 16 or more channels with 4×4 tiles) are a fixed
            // 96 Ki floats plus one output tile, whatever the batch.
            int fixedPart = Math.Max(1 << 16, Winograd.Applies(g) ? Winograd.ScratchLength(g) : 0);
            Assert.True(bound < Conv2D.ScratchLength(g, c.Batch) || bound <= fixedPart, $"{c}: bound {bound} grows like the batch's im2col");
            var x = Random(c.Batch * g.InHeight * g.InWidth * g.InChannels, 1);
            var kernel = Random(g.PatchSize * g.OutChannels, 2);
            double[] expected = ConvKernelTests.NaiveForward(x, kernel, g, c.Batch);
            var y = new float[expected.Length];
            Assert.True(Conv2D.TryImplicitForward(GemmPaths.Best, x, kernel, y, g, c.Batch, new float[bound], accumulate: false), $"{c}: forward fell back");
            AssertClose(expected, y, $"{c} forward", Tolerance);

            var dy = Random(expected.Length, 3);
            var dx = new float[x.Length];
            var reference = new float[x.Length];
            Conv2D.Im2ColBackwardInput(dy, kernel, reference, g, c.Batch * g.OutputPixels, new float[Conv2D.ScratchLength(g, c.Batch)], accumulate: false);
            Conv2D.BackwardInput(dy, kernel, dx, g, c.Batch, new float[bound], accumulate: false);
            AssertClose(reference.Select(v => (double)v).ToArray(), dx, $"{c} input gradient", Tolerance);

            var dk = new float[kernel.Length];
            var dkReference = new float[kernel.Length];
            Conv2D.BackwardKernel(x, dy, dkReference, g, c.Batch, new float[Conv2D.ScratchLength(g, c.Batch)]);
            Conv2D.BackwardKernel(x, dy, dk, g, c.Batch, new float[bound]);
            AssertClose(dkReference.Select(v => (double)v).ToArray(), dk, $"{c} kernel gradient", Tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(ChannelPairs))]
    public void ForwardMatchesNaiveForEveryChannelPair(int cin, int filters)
    {
        var c = Case(cin, filters, 3, 3, 1, 1, same: true, outWidth: 13, outHeight: 4, batch: 2);
        CheckForward(c, $"{c}");
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void BackwardInputMatchesNaiveOnEveryPath(int cin, int filters, int kh, int kw, int stride, int dilation, bool same,
        int outWidth, int outHeight, int batch)
    {
        var c = Case(cin, filters, kh, kw, stride, dilation, same, outWidth, outHeight, batch);
        var g = c.Geometry;
        var dy = Random(batch * g.OutHeight * g.OutWidth * g.OutChannels, 4);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 5);
        double[] expected = ConvKernelTests.NaiveBackwardInput(dy, kernel, g, batch);
        foreach (GemmPath path in Paths())
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var dx = Random(expected.Length, 6);
                var before = (float[])dx.Clone();
                bool ran = Conv2D.TryImplicitBackwardInput(path, dy, kernel, dx, g, batch, Roomy(g, batch), accumulate);

                // The input gradient is a convolution only for stride 1; otherwise nothing may have been touched.
                Assert.Equal(stride == 1, ran);
                if (ran)
                {
                    AssertClose(accumulate ? Plus(before, expected) : expected, dx, $"{c} {path} acc={accumulate}", Tolerance);
                }
                else
                {
                    Assert.Equal(before, dx);
                }
            }
        }

        // And through the public entry point with the documented scratch, whichever way it goes.
        var result = Random(expected.Length, 7);
        var start = (float[])result.Clone();
        Conv2D.BackwardInput(dy, kernel, result, g, batch, new float[Conv2D.ScratchLength(g, batch)], accumulate: true);
        AssertClose(Plus(start, expected), result, $"{c} public", Tolerance);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void BackwardKernelMatchesNaiveOnEveryPath(int cin, int filters, int kh, int kw, int stride, int dilation, bool same,
        int outWidth, int outHeight, int batch)
    {
        var c = Case(cin, filters, kh, kw, stride, dilation, same, outWidth, outHeight, batch);
        var g = c.Geometry;
        var x = Random(batch * g.InputSize, 11);
        var dy = Random(batch * g.OutputSize, 12);
        double[] expected = ConvKernelTests.NaiveBackwardKernel(x, dy, g, batch);
        int bound = Conv2D.ScratchBound(g);

        // A pointwise convolution is a plain product (no scratch at all); the implicit kernels still handle it given room.
        int given = bound > 0 ? bound : Roomy(g, batch).Length;
        foreach (GemmPath path in Paths())
        {
            // Exactly the batch-independent bound, with a marked tail that must survive.
            var scratch = new float[given + 16];
            scratch.AsSpan(given).Fill(Marker);
            var dk = Random(expected.Length, 13);
            var before = (float[])dk.Clone();
            Assert.True(Conv2D.TryImplicitBackwardKernel(path, x, dy, dk, g, batch, scratch.AsSpan(0, given)), $"{c} {path} not taken");
            AssertClose(Plus(before, expected), dk, $"{c} {path}", Tolerance);
            Assert.All(scratch.AsSpan(given).ToArray(), v => Assert.Equal(Marker, v));
        }

        // And through the public entry point with the bound, whichever way it goes.
        var result = Random(expected.Length, 14);
        var start = (float[])result.Clone();
        Conv2D.BackwardKernel(x, dy, result, g, batch, new float[bound]);
        AssertClose(Plus(start, expected), result, $"{c} public", Tolerance);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void ScatterBackwardInputMatchesNaiveOnEveryPath(int cin, int filters, int kh, int kw, int stride, int dilation, bool same,
        int outWidth, int outHeight, int batch)
    {
        var c = Case(cin, filters, kh, kw, stride, dilation, same, outWidth, outHeight, batch);
        var g = c.Geometry;
        var dy = Random(batch * g.OutputSize, 15);
        var kernel = Random(g.PatchSize * g.OutChannels, 16);
        double[] expected = ConvKernelTests.NaiveBackwardInput(dy, kernel, g, batch);
        foreach (GemmPath path in Paths())
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var dx = Random(expected.Length, 17);
                var before = (float[])dx.Clone();
                bool ran = Conv2D.TryScatterBackwardInput(path, dy, kernel, dx, g, batch, Roomy(g, batch), accumulate);

                // Only input channels in whole vectors; otherwise nothing may have been touched.
                Assert.Equal(cin % VectorWidth(path) == 0, ran);
                if (ran)
                {
                    AssertClose(accumulate ? Plus(before, expected) : expected, dx, $"{c} {path} acc={accumulate}", Tolerance);
                }
                else
                {
                    Assert.Equal(before, dx);
                }
            }
        }

        // The public entry point with exactly the batch-independent bound (a marked tail must survive), whichever way it goes.
        int bound = Conv2D.ScratchBound(g);
        var scratch = new float[bound + 16];
        scratch.AsSpan(bound).Fill(Marker);
        var result = Random(expected.Length, 18);
        Conv2D.BackwardInput(dy, kernel, result, g, batch, scratch.AsSpan(0, bound), accumulate: false);
        AssertClose(expected, result, $"{c} public", Tolerance);
        Assert.All(scratch.AsSpan(bound).ToArray(), v => Assert.Equal(Marker, v));
    }

    /// <summary>The conv encoder's layers (batch 3) take the kernel-gradient GEMM and, where the selection says so, the
    /// scatter-form input gradient through the public entry points with the batch-independent bound: their results are
    /// bit for bit those of the forced paths.</summary>
    [Theory]
    [InlineData(28, 1, 16, false)] // input layer: no input gradient wanted; 1 channel is not a whole vector anyway
    [InlineData(26, 16, 32, true)]
    [InlineData(8, 32, 32, true)]
    [InlineData(6, 32, 16, true)]
    public void The_encoder_layers_take_the_new_paths(int size, int cin, int filters, bool scatter)
    {
        var c = new ConvCase(3, size, size, cin, filters, 3, 3, 1, 1, 1, 1, false);
        var g = c.Geometry;
        var x = Random(c.Batch * g.InputSize, 1);
        var kernel = Random(g.PatchSize * g.OutChannels, 2);
        var dy = Random(c.Batch * g.OutputSize, 3);
        var scratch = new float[Conv2D.ScratchBound(g)];
        var forced = new float[kernel.Length];
        var public_ = new float[kernel.Length];
        Assert.True(Conv2D.TryImplicitBackwardKernel(GemmPaths.Best, x, dy, forced, g, c.Batch, scratch));
        Conv2D.BackwardKernel(x, dy, public_, g, c.Batch, scratch);
        Assert.Equal(forced, public_);
        AssertClose(ConvKernelTests.NaiveBackwardKernel(x, dy, g, c.Batch), public_, $"{c} kernel gradient", Tolerance);
        if (scatter && GemmPaths.Best == GemmPath.Avx512)
        {
            var dxForced = new float[x.Length];
            var dxPublic = new float[x.Length];
            Assert.True(Conv2D.TryScatterBackwardInput(GemmPaths.Best, dy, kernel, dxForced, g, c.Batch, scratch, accumulate: false));
            Conv2D.BackwardInput(dy, kernel, dxPublic, g, c.Batch, scratch, accumulate: false);
            Assert.Equal(dxForced, dxPublic);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Kernel_gradient_and_scatter_input_gradient_split_over_two_threads_equal_one_thread(bool same)
    {
        // Large enough to be split; a ragged filter tail (40) and ragged patch rows (17 channels) for the kernel gradient;
        // 'same' padding needs a buffer of padded rows per thread. The scatter form takes whole vectors of channels.
        foreach (var c in new[]
        {
            new ConvCase(3, 20, 23, 17, 40, 3, 3, 1, 1, 1, 1, same),
            new ConvCase(4, 26, 26, 16, 32, 3, 3, 1, 1, 1, 1, same),
            new ConvCase(5, 17, 17, 32, 24, 3, 3, 2, 2, 1, 1, same),
        })
        {
            var g = c.Geometry;
            Assert.True((long)c.Batch * g.OutputPixels * g.PatchSize * g.OutChannels >= GemmWorker.Threshold);
            var x = Random(c.Batch * g.InputSize, 1);
            var kernel = Random(g.PatchSize * g.OutChannels, 2);
            var dy = Random(c.Batch * g.OutputSize, 3);
            var scratch = new float[Conv2D.ScratchBound(g) + (1 << 16)];
            bool scatter = g.InChannels % VectorWidth(GemmPaths.Best) == 0;
            (float[] Dk, float[] Dx) Run(bool keepOnThread)
            {
                GemmWorker.KeepOnThread = keepOnThread;
                try
                {
                    var dk = Random(kernel.Length, 4);
                    var dx = Random(x.Length, 5);
                    // Exactly the bound: it holds a buffer of padded rows for each thread.
                    Assert.True(Conv2D.TryImplicitBackwardKernel(GemmPaths.Best, x, dy, dk, g, c.Batch, scratch.AsSpan(0, Conv2D.ScratchBound(g))));
                    Assert.Equal(scatter, Conv2D.TryScatterBackwardInput(GemmPaths.Best, dy, kernel, dx, g, c.Batch, scratch, accumulate: true));
                    return (dk, dx);
                }
                finally
                {
                    GemmWorker.KeepOnThread = false;
                }
            }

            var one = Run(keepOnThread: true);
            var two = Run(keepOnThread: false);
            Assert.Equal(one.Dk, two.Dk);
            Assert.Equal(one.Dx, two.Dx);
            AssertClose(ConvKernelTests.NaiveBackwardKernel(x, dy, g, c.Batch), Minus(one.Dk, Random(kernel.Length, 4)), $"{c} split kernel gradient", Tolerance);
        }
    }

    [Fact]
    public void Kernel_gradient_and_scatter_input_gradient_allocate_nothing()
    {
        // Valid (read in place, scatter form) and 'same' (padded rows) with a ragged filter tail.
        foreach (var c in new[]
        {
            new ConvCase(2, 26, 26, 16, 32, 3, 3, 1, 1, 1, 1, false),
            new ConvCase(2, 9, 11, 17, 33, 3, 3, 1, 1, 1, 1, true),
        })
        {
            var g = c.Geometry;
            var x = Random(c.Batch * g.InputSize, 1);
            var kernel = Random(g.PatchSize * g.OutChannels, 2);
            var dy = Random(c.Batch * g.OutputSize, 3);
            var dk = new float[kernel.Length];
            var scratch = new float[Conv2D.ScratchBound(g)];
            Assert.True(Conv2D.TryImplicitBackwardKernel(GemmPaths.Best, x, dy, dk, g, c.Batch, scratch));
            Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardKernel(x, dy, dk, g, c.Batch, scratch)));
            Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardInput(dy, kernel, x, g, c.Batch, scratch, accumulate: false)));
            Assert.Equal(0, AllocatedBy(() => Conv2D.TryScatterBackwardInput(GemmPaths.Best, dy, kernel, x, g, c.Batch, scratch, accumulate: false)));
        }
    }

    [Fact]
    public void ForwardFallsBackWhenScratchIsShort()
    {
        // 'same' padding needs a ring of three padded rows (3 × 12 × 4 floats); with less, nothing is touched.
        var g = Case(4, 16, 3, 3, 1, 1, same: true, outWidth: 10, outHeight: 3, batch: 1).Geometry;
        var x = Random(g.InHeight * g.InWidth * g.InChannels, 1);
        var kernel = Random(g.PatchSize * g.OutChannels, 2);
        var y = new float[g.OutHeight * g.OutWidth * g.OutChannels];
        Assert.False(Conv2D.TryImplicitForward(GemmPaths.Best, x, kernel, y, g, 1, new float[(3 * 12 * 4) - 1], accumulate: false));
        Assert.All(y, v => Assert.Equal(0f, v));
        Assert.True(Conv2D.TryImplicitForward(GemmPaths.Best, x, kernel, y, g, 1, new float[3 * 12 * 4], accumulate: false));
        AssertClose(ConvKernelTests.NaiveForward(x, kernel, g, 1), y, "exact ring", Tolerance);
    }

    [Fact]
    public void ForwardAllocatesNothing()
    {
        // The encoder's second layer (valid, whole vectors) and a padded layer with a ragged filter tail.
        foreach (var c in new[]
        {
            new ConvCase(2, 26, 26, 16, 32, 3, 3, 1, 1, 1, 1, false),
            new ConvCase(2, 9, 11, 17, 33, 3, 3, 1, 1, 1, 1, true),
        })
        {
            var g = c.Geometry;
            var x = Random(c.Batch * g.InputSize, 1);
            var kernel = Random(g.PatchSize * g.OutChannels, 2);
            var y = new float[c.Batch * g.OutputSize];
            var scratch = new float[Conv2D.ScratchLength(g, c.Batch)];
            Assert.True(Conv2D.TryImplicitForward(GemmPaths.Best, x, kernel, y, g, c.Batch, scratch, accumulate: false));
            Assert.Equal(0, AllocatedBy(() => Conv2D.Forward(x, kernel, y, g, c.Batch, scratch, accumulate: false)));
            Assert.Equal(0, AllocatedBy(() => Conv2D.BackwardInput(y, kernel, x, g, c.Batch, scratch, accumulate: false)));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SplitOverTwoThreadsEqualsOneThread(bool accumulate)
    {
        // 'same' padding, so each thread needs its own ring of padded rows; large enough to be split; a ragged filter tail.
        var c = new ConvCase(3, 20, 23, 16, 40, 3, 3, 1, 1, 1, 1, true);
        var g = c.Geometry;
        Assert.True((long)c.Batch * g.OutputPixels * g.PatchSize * g.OutChannels >= GemmWorker.Threshold);
        var x = Random(c.Batch * g.InputSize, 1);
        var kernel = Random(g.PatchSize * g.OutChannels, 2);
        var dy = Random(c.Batch * g.OutputSize, 3);
        var scratch = new float[Conv2D.ScratchLength(g, c.Batch)];
        // One thread by keeping this thread's work on it (a thread-local switch: the global thread count is left alone,
        // since other tests measure allocations meanwhile), then split where two threads are allowed.
        (float[] Y, float[] Dx) Run(bool keepOnThread)
        {
            GemmWorker.KeepOnThread = keepOnThread;
            try
            {
                var y = Random(c.Batch * g.OutputSize, 4);
                var dx = Random(c.Batch * g.InputSize, 5);
                Assert.True(Conv2D.TryImplicitForward(GemmPaths.Best, x, kernel, y, g, c.Batch, scratch, accumulate));
                Assert.True(Conv2D.TryImplicitBackwardInput(GemmPaths.Best, dy, kernel, dx, g, c.Batch, scratch, accumulate));
                return (y, dx);
            }
            finally
            {
                GemmWorker.KeepOnThread = false;
            }
        }

        var one = Run(keepOnThread: true);
        var two = Run(keepOnThread: false);
        Assert.Equal(one.Y, two.Y);
        Assert.Equal(one.Dx, two.Dx);
        AssertClose(ConvKernelTests.NaiveForward(x, kernel, g, c.Batch), accumulate ? Minus(one.Y, Random(one.Y.Length, 4)) : one.Y,
            "split forward", Tolerance);
        var result = new float[c.Batch * g.OutputSize];
        Assert.Equal(0, AllocatedBy(() => Conv2D.Forward(x, kernel, result, g, c.Batch, scratch, accumulate)));
    }

    private static float[] Minus(float[] a, float[] b)
    {
        var d = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            d[i] = a[i] - b[i];
        }

        return d;
    }

    // Each of the entry point's paths: implicit GEMM (rows of 8+), im2col (rows of 7), pointwise, and a 3-channel
    // same layer; with and without bias, with in-place and separate activations.
    private static (string Name, ConvCase Case)[] EpilogueGeometries() =>
        [
            ("implicit", Case(16, 32, 3, 3, 1, 1, same: false, outWidth: 9, outHeight: 3, batch: 2)),
            ("im2col", Case(16, 33, 3, 3, 1, 1, same: false, outWidth: 7, outHeight: 2, batch: 2)),
            ("pointwise", Case(5, 16, 1, 1, 1, 1, same: false, outWidth: 6, outHeight: 2, batch: 3)),
            ("same 3 channels", Case(3, 5, 3, 3, 2, 1, same: true, outWidth: 9, outHeight: 4, batch: 1)),
        ];

    public static IEnumerable<object[]> EpilogueCases()
    {
        foreach (var (name, _) in EpilogueGeometries())
        {
            foreach (Activation activation in new[] { Activation.Linear, Activation.Relu, Activation.Swish, Activation.Softmax })
            {
                foreach (bool bias in new[] { false, true })
                {
                    yield return [name, activation, bias];
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(EpilogueCases))]
    public void Bias_and_activation_fused_into_the_forward_pass_match_separate_passes(string path, Activation activation, bool withBias)
    {
        var c = EpilogueGeometries().Single(e => e.Name == path).Case;
        var g = c.Geometry;
        int batch = c.Batch;
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 1);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 2);
        float[] bias = withBias ? Random(g.OutChannels, 4) : [];
        double[] conv = ConvKernelTests.NaiveForward(x, kernel, g, batch);
        var expectedZ = new float[conv.Length];
        for (int i = 0; i < conv.Length; i++)
        {
            expectedZ[i] = (float)conv[i] + (withBias ? bias[i % g.OutChannels] : 0f);
        }

        var expectedY = (float[])expectedZ.Clone();
        ActivationKernels.Forward(activation, expectedZ, expectedY, conv.Length / g.OutChannels, g.OutChannels);
        var scratch = new float[Conv2D.ScratchLength(g, batch)];

        // Separate output buffers (the pre-activation is kept, as Swish's backward needs).
        var z = Random(conv.Length, 5);
        var y = Random(conv.Length, 6);
        Conv2D.ForwardBiasActivation(x, kernel, z, g, batch, scratch, bias, activation, y);
        AssertClose(expectedZ.Select(v => (double)v).ToArray(), z, $"{path} {activation} bias={withBias} z", Tolerance);
        if (activation != Activation.Linear)
        {
            AssertClose(expectedY.Select(v => (double)v).ToArray(), y, $"{path} {activation} bias={withBias} y", Tolerance);
        }

        // In place: the activation overwrites the convolution's output.
        var inPlace = Random(conv.Length, 7);
        Conv2D.ForwardBiasActivation(x, kernel, inPlace, g, batch, scratch, bias, activation, inPlace);
        AssertClose(expectedY.Select(v => (double)v).ToArray(), inPlace, $"{path} {activation} bias={withBias} in place", Tolerance);
    }

    private static void CheckForward(ConvCase c, string label)
    {
        var g = c.Geometry;
        int batch = c.Batch;
        var x = Random(batch * g.InHeight * g.InWidth * g.InChannels, 1);
        var kernel = Random(g.KernelHeight * g.KernelWidth * g.InChannels * g.OutChannels, 2);
        double[] expected = ConvKernelTests.NaiveForward(x, kernel, g, batch);
        foreach (GemmPath path in Paths())
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var y = Random(expected.Length, 3);
                var before = (float[])y.Clone();
                Assert.True(Conv2D.TryImplicitForward(path, x, kernel, y, g, batch, Roomy(g, batch), accumulate), $"{label} {path} not taken");
                AssertClose(accumulate ? Plus(before, expected) : expected, y, $"{label} {path} acc={accumulate}", Tolerance);
            }
        }

        // The public entry point with the documented scratch, whichever way it goes.
        var result = Random(expected.Length, 8);
        var start = (float[])result.Clone();
        Conv2D.Forward(x, kernel, result, g, batch, new float[Conv2D.ScratchLength(g, batch)], accumulate: true);
        AssertClose(Plus(start, expected), result, $"{label} public", Tolerance);
    }

    /// <summary>The case with the requested output size: the input is as wide as that output needs, plus up to stride − 1
    /// columns (or rows) that valid padding leaves unread and same padding pads differently.</summary>
    private static ConvCase Case(int cin, int filters, int kh, int kw, int stride, int dilation, bool same, int outWidth,
        int outHeight, int batch)
    {
        int Input(int output, int k, int extra)
            => same ? ((output - 1) * stride) + 1 + extra : ((output - 1) * stride) + ((k - 1) * dilation) + 1 + extra;

        int extra = (outWidth + cin) % stride;
        var c = new ConvCase(batch, Input(outHeight, kh, extra), Input(outWidth, kw, extra), cin, filters, kh, kw, stride, stride,
            dilation, dilation, same);
        Assert.Equal(outWidth, c.Geometry.OutWidth);
        Assert.Equal(outHeight, c.Geometry.OutHeight);
        return c;
    }

    /// <summary>Scratch past anything the implicit kernels need for these small cases.</summary>
    private static float[] Roomy(in ConvGeometry g, int batch) => new float[Conv2D.ScratchLength(g, batch) + (1 << 16)];

    private static int VectorWidth(GemmPath path) => path switch
    {
        GemmPath.Avx512 => 16,
        GemmPath.Avx2Fma => 8,
        GemmPath.Vector128 => 4,
        _ => 1,
    };

    private static IEnumerable<GemmPath> Paths()
    {
        foreach (GemmPath path in Enum.GetValues<GemmPath>())
        {
            if (GemmPaths.IsSupported(path))
            {
                yield return path;
            }
        }
    }
}
