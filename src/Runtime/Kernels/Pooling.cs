using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>MaxPooling1D/2D</c>, <c>AveragePooling1D/2D</c> and <c>GlobalMaxPooling1D/2D</c> over channels-last
/// tensors. The geometry's Kernel* fields hold the pool size and InChannels == OutChannels. Window cells in the padding
/// are ignored: max takes the maximum of the in-range cells and average divides by their number, as TensorFlow does for
/// <c>padding="same"</c>. Backward kernels accumulate (+=).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pooling
{
    /// <summary>y = the maximum over each window's in-range cells, per channel (−∞ for a window with none).</summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, channels].</param>
    /// <param name="y">Output, [batch, OutHeight, OutWidth, channels], overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    public static unsafe void MaxForward(ReadOnlySpan<float> x, Span<float> y, in ConvGeometry g, int batch)
    {
        Check(g, batch);
        x = x[..checked(batch * g.InputSize)];
        y = y[..checked(batch * g.OutputSize)];
        if (Halves.Worth((long)x.Length + y.Length))
        {
            // Samples are independent: two halves on two cores give one thread's result exactly.
            fixed (float* px = x, py = y)
            {
                var job = new SampleJob { X = px, Y = py, G = g };
                if (Halves.TryRun(&MaxForwardSamples, &job, batch))
                {
                    return;
                }
            }
        }

        MaxForwardRange(x, y, g, 0, batch);
    }

    private static unsafe void MaxForwardSamples(void* state, int first, int end, int part)
    {
        // Spans over samples [0, end): the range reads and writes only [first, end) of them.
        ref readonly SampleJob job = ref *(SampleJob*)state;
        MaxForwardRange(new ReadOnlySpan<float>(job.X, end * job.G.InputSize), new Span<float>(job.Y, end * job.G.OutputSize), job.G, first, end);
    }

    private static unsafe void MaxBackwardSamples(void* state, int first, int end, int part)
    {
        ref readonly SampleJob job = ref *(SampleJob*)state;
        MaxBackwardRange(new ReadOnlySpan<float>(job.X, end * job.G.InputSize), new ReadOnlySpan<float>(job.Y, end * job.G.OutputSize),
            new ReadOnlySpan<float>(job.Dy, end * job.G.OutputSize), new Span<float>(job.Dx, end * job.G.InputSize), job.G, first, end);
    }

    /// <summary>A pooling pass over samples split between two threads (<see cref="Halves"/>).</summary>
    private unsafe struct SampleJob
    {
        public float* X;
        public float* Y;
        public float* Dy;
        public float* Dx;
        public ConvGeometry G;
    }

    /// <summary>MaxForward on samples [first, end).</summary>
    private static void MaxForwardRange(ReadOnlySpan<float> x, Span<float> y, in ConvGeometry g, int first, int end)
    {
        int channels = g.InChannels;
        for (int s = first; s < end; s++)
        {
            ReadOnlySpan<float> sample = x.Slice(s * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                var (ky0, ky1) = ConvGeometry.InRange(iy0, g.DilationHeight, g.KernelHeight, g.InHeight);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
                    Span<float> row = y.Slice((s * g.OutputSize) + (((oy * g.OutWidth) + ox) * channels), channels);
                    if (ky0 == ky1 || kx0 == kx1)
                    {
                        row.Fill(float.NegativeInfinity);
                        continue;
                    }

                    MaxWindow(sample, row, g, iy0, ky0, ky1, ix0, kx0, kx1);
                }
            }
        }
    }

    /// <summary>
    /// One output pixel: per block of channels, the maximum over the window's cells kept in a register (Vector512.Max:
    /// NaN propagates, as TensorPrimitives.Max), then stored once. Calling a span primitive per cell cost more than the
    /// arithmetic (a 3×3 pool over 24×24×32 at batch 64 took 1.5 ms).
    /// </summary>
    private static void MaxWindow(ReadOnlySpan<float> sample, Span<float> row, in ConvGeometry g, int iy0, int ky0, int ky1, int ix0, int kx0, int kx1)
    {
        int channels = row.Length;
        ref float x0 = ref MemoryMarshal.GetReference(sample);
        ref float y0 = ref MemoryMarshal.GetReference(row);
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= channels; c += 16)
            {
                var m = Vector512.Create(float.NegativeInfinity);
                for (int ky = ky0; ky < ky1; ky++)
                {
                    int line = (iy0 + (ky * g.DilationHeight)) * g.InWidth;
                    for (int kx = kx0; kx < kx1; kx++)
                    {
                        int at = ((line + ix0 + (kx * g.DilationWidth)) * channels) + c;
                        m = Vector512.Max(m, Vector512.LoadUnsafe(ref x0, (nuint)at));
                    }
                }

                Vector512.StoreUnsafe(m, ref y0, (nuint)c);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= channels; c += 8)
            {
                var m = Vector256.Create(float.NegativeInfinity);
                for (int ky = ky0; ky < ky1; ky++)
                {
                    int line = (iy0 + (ky * g.DilationHeight)) * g.InWidth;
                    for (int kx = kx0; kx < kx1; kx++)
                    {
                        int at = ((line + ix0 + (kx * g.DilationWidth)) * channels) + c;
                        m = Vector256.Max(m, Vector256.LoadUnsafe(ref x0, (nuint)at));
                    }
                }

                Vector256.StoreUnsafe(m, ref y0, (nuint)c);
            }
        }

        for (; c < channels; c++)
        {
            float m = float.NegativeInfinity;
            for (int ky = ky0; ky < ky1; ky++)
            {
                int line = (iy0 + (ky * g.DilationHeight)) * g.InWidth;
                for (int kx = kx0; kx < kx1; kx++)
                {
                    m = Math.Max(m, sample[((line + ix0 + (kx * g.DilationWidth)) * channels) + c]);
                }
            }

            row[c] = m;
        }
    }

    /// <summary>
    /// dx += dy routed, per channel, to the first in-range cell of the window (row-major) whose x equals the pooled y.
    /// </summary>
    /// <param name="x">The forward input, [batch, InHeight, InWidth, channels].</param>
    /// <param name="y">The forward output of <see cref="MaxForward"/>, [batch, OutHeight, OutWidth, channels].</param>
    /// <param name="dy">Output gradient, as <paramref name="y"/>.</param>
    /// <param name="dx">Input gradient, as <paramref name="x"/>, accumulated into.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    public static unsafe void MaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, in ConvGeometry g, int batch)
    {
        Check(g, batch);
        x = x[..checked(batch * g.InputSize)];
        dx = dx[..checked(batch * g.InputSize)];
        y = y[..checked(batch * g.OutputSize)];
        dy = dy[..checked(batch * g.OutputSize)];
        if (Halves.Worth((2L * x.Length) + (2L * y.Length)))
        {
            fixed (float* px = x, py = y, pdy = dy, pdx = dx)
            {
                var job = new SampleJob { X = px, Y = py, Dy = pdy, Dx = pdx, G = g };
                if (Halves.TryRun(&MaxBackwardSamples, &job, batch))
                {
                    return;
                }
            }
        }

        MaxBackwardRange(x, y, dy, dx, g, 0, batch);
    }

    /// <summary>MaxBackward on samples [first, end).</summary>
    private static void MaxBackwardRange(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, in ConvGeometry g, int first, int end)
    {
        int channels = g.InChannels;
        for (int s = first; s < end; s++)
        {
            ReadOnlySpan<float> sample = x.Slice(s * g.InputSize, g.InputSize);
            Span<float> gradient = dx.Slice(s * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                var (ky0, ky1) = ConvGeometry.InRange(iy0, g.DilationHeight, g.KernelHeight, g.InHeight);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
                    int at = (s * g.OutputSize) + (((oy * g.OutWidth) + ox) * channels);
                    int c = RouteVectors(sample, gradient, y.Slice(at, channels), dy.Slice(at, channels), g, iy0, ky0, ky1, ix0, kx0, kx1);
                    for (; c < channels; c++)
                    {
                        int index = FirstMax(sample, y[at + c], g, iy0, ky0, ky1, ix0, kx0, kx1, c);
                        if (index >= 0)
                        {
                            gradient[index] += dy[at + c];
                        }
                    }
                }
            }
        }
    }

    /// <summary>y = the mean over each window's in-range cells, per channel (0 for a window with none).</summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, channels].</param>
    /// <param name="y">Output, [batch, OutHeight, OutWidth, channels], overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    public static void AverageForward(ReadOnlySpan<float> x, Span<float> y, in ConvGeometry g, int batch)
    {
        Check(g, batch);
        x = x[..checked(batch * g.InputSize)];
        y = y[..checked(batch * g.OutputSize)];
        int channels = g.InChannels;
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<float> sample = x.Slice(s * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                var (ky0, ky1) = ConvGeometry.InRange(iy0, g.DilationHeight, g.KernelHeight, g.InHeight);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
                    Span<float> row = y.Slice((s * g.OutputSize) + (((oy * g.OutWidth) + ox) * channels), channels);
                    int count = (ky1 - ky0) * (kx1 - kx0);
                    int c = AverageVectors(sample, row, g, iy0, ky0, ky1, ix0, kx0, kx1, count);
                    for (; c < channels; c++)
                    {
                        float sum = 0f;
                        for (int ky = ky0; ky < ky1; ky++)
                        {
                            int iy = iy0 + (ky * g.DilationHeight);
                            for (int kx = kx0; kx < kx1; kx++)
                            {
                                sum += sample[(((iy * g.InWidth) + ix0 + (kx * g.DilationWidth)) * channels) + c];
                            }
                        }

                        row[c] = count > 1 ? sum / count : sum;
                    }
                }
            }
        }
    }

    /// <summary>One output pixel of <see cref="AverageForward"/>, 16 channels at a time: the cells summed in a register in
    /// row-major order, then divided by their count. Returns the first channel left to the scalar code.</summary>
    private static int AverageVectors(ReadOnlySpan<float> sample, Span<float> row, in ConvGeometry g, int iy0, int ky0, int ky1, int ix0,
        int kx0, int kx1, int count)
    {
        int channels = row.Length, c = 0;
        if (!Vector512.IsHardwareAccelerated)
        {
            return 0;
        }

        ref float x0 = ref MemoryMarshal.GetReference(sample);
        for (; c + 16 <= channels; c += 16)
        {
            var sum = Vector512<float>.Zero;
            for (int ky = ky0; ky < ky1; ky++)
            {
                int line = (iy0 + (ky * g.DilationHeight)) * g.InWidth;
                for (int kx = kx0; kx < kx1; kx++)
                {
                    sum += Vector512.LoadUnsafe(ref x0, (nuint)(((line + ix0 + (kx * g.DilationWidth)) * channels) + c));
                }
            }

            if (count > 1)
            {
                sum /= Vector512.Create((float)count);
            }

            Vector512.StoreUnsafe(sum, ref MemoryMarshal.GetReference(row), (nuint)c);
        }

        return c;
    }

    /// <summary>dx += each dy spread evenly over its window's in-range cells.</summary>
    /// <param name="dy">Output gradient, [batch, OutHeight, OutWidth, channels].</param>
    /// <param name="dx">Input gradient, [batch, InHeight, InWidth, channels], accumulated into.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Samples.</param>
    public static void AverageBackward(ReadOnlySpan<float> dy, Span<float> dx, in ConvGeometry g, int batch)
    {
        Check(g, batch);
        dx = dx[..checked(batch * g.InputSize)];
        dy = dy[..checked(batch * g.OutputSize)];
        int channels = g.InChannels;
        for (int s = 0; s < batch; s++)
        {
            Span<float> gradient = dx.Slice(s * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                var (ky0, ky1) = ConvGeometry.InRange(iy0, g.DilationHeight, g.KernelHeight, g.InHeight);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
                    ReadOnlySpan<float> row = dy.Slice((s * g.OutputSize) + (((oy * g.OutWidth) + ox) * channels), channels);
                    int count = (ky1 - ky0) * (kx1 - kx0);
                    float share = count == 0 ? 0f : 1f / count;
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        int iy = iy0 + (ky * g.DilationHeight);
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            Span<float> pixel = gradient.Slice(((iy * g.InWidth) + ix0 + (kx * g.DilationWidth)) * channels, channels);
                            TensorPrimitives.MultiplyAdd(row, share, pixel, pixel);
                        }
                    }
                }
            }
        }
    }

    /// <summary>y[s, c] = max over l of x[s, l, c]: global max pooling, the spatial axes flattened into one of
    /// <paramref name="length"/> positions.</summary>
    /// <param name="x">Input, [batch, length, channels].</param>
    /// <param name="y">Output, [batch, channels], overwritten.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="length">Positions per sample (height·width for the 2-D layer).</param>
    /// <param name="channels">Channels.</param>
    public static void GlobalMaxForward(ReadOnlySpan<float> x, Span<float> y, int batch, int length, int channels)
    {
        CheckGlobal(batch, length, channels);
        x = x[..checked(batch * length * channels)];
        y = y[..checked(batch * channels)];
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<float> sample = x.Slice(s * length * channels, length * channels);
            Span<float> row = y.Slice(s * channels, channels);
            sample[..channels].CopyTo(row);
            for (int l = 1; l < length; l++)
            {
                TensorPrimitives.Max(row, sample.Slice(l * channels, channels), row);
            }
        }
    }

    /// <summary>dx += dy routed, per sample and channel, to the first position whose x equals the pooled y.</summary>
    /// <param name="x">The forward input, [batch, length, channels].</param>
    /// <param name="y">The forward output, [batch, channels].</param>
    /// <param name="dy">Output gradient, [batch, channels].</param>
    /// <param name="dx">Input gradient, [batch, length, channels], accumulated into.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="length">Positions per sample.</param>
    /// <param name="channels">Channels.</param>
    public static void GlobalMaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx,
        int batch, int length, int channels)
    {
        CheckGlobal(batch, length, channels);
        x = x[..checked(batch * length * channels)];
        dx = dx[..checked(batch * length * channels)];
        y = y[..checked(batch * channels)];
        dy = dy[..checked(batch * channels)];
        for (int s = 0; s < batch; s++)
        {
            int start = s * length * channels;
            for (int c = 0; c < channels; c++)
            {
                float max = y[(s * channels) + c];
                for (int l = 0, i = start + c; l < length; l++, i += channels)
                {
                    if (x[i] == max)
                    {
                        dx[i] += dy[(s * channels) + c];
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Flat index in the sample of the first in-range window cell of channel c equal to max, or −1.</summary>
    /// <summary>
    /// <see cref="MaxBackward"/> for one output pixel, 16 channels at a time: each lane's dy goes to the first cell (row-
    /// major) whose x equals the pooled y, found with a mask of lanes still waiting, as the scalar search does per
    /// channel. Returns the first channel left to the scalar code.
    /// </summary>
    private static int RouteVectors(ReadOnlySpan<float> sample, Span<float> gradient, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        in ConvGeometry g, int iy0, int ky0, int ky1, int ix0, int kx0, int kx1)
    {
        int channels = y.Length, c = 0;
        if (!Vector512.IsHardwareAccelerated)
        {
            return 0;
        }

        ref float x0 = ref MemoryMarshal.GetReference(sample);
        ref float dx0 = ref MemoryMarshal.GetReference(gradient);
        for (; c + 16 <= channels; c += 16)
        {
            var max = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(y), (nuint)c);
            var share = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(dy), (nuint)c);
            var waiting = Vector512<float>.AllBitsSet;
            for (int ky = ky0; ky < ky1 && waiting != Vector512<float>.Zero; ky++)
            {
                int line = (iy0 + (ky * g.DilationHeight)) * g.InWidth;
                for (int kx = kx0; kx < kx1; kx++)
                {
                    nuint index = (nuint)(((line + ix0 + (kx * g.DilationWidth)) * channels) + c);
                    var hit = Vector512.Equals(Vector512.LoadUnsafe(ref x0, index), max) & waiting;
                    if (hit != Vector512<float>.Zero)
                    {
                        var old = Vector512.LoadUnsafe(ref dx0, index);
                        Vector512.StoreUnsafe(Vector512.ConditionalSelect(hit, old + share, old), ref dx0, index);
                        waiting = Vector512.AndNot(waiting, hit);
                    }
                }
            }
        }

        return c;
    }

    private static int FirstMax(ReadOnlySpan<float> sample, float max, in ConvGeometry g, int iy0, int ky0, int ky1, int ix0,
        int kx0, int kx1, int c)
    {
        for (int ky = ky0; ky < ky1; ky++)
        {
            int line = (iy0 + (ky * g.DilationHeight)) * g.InWidth;
            for (int kx = kx0; kx < kx1; kx++)
            {
                int index = ((line + ix0 + (kx * g.DilationWidth)) * g.InChannels) + c;
                if (sample[index] == max)
                {
                    return index;
                }
            }
        }

        return -1;
    }

    private static void Check(in ConvGeometry g, int batch)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (g.InChannels != g.OutChannels)
        {
            throw new ArgumentException($"Pooling keeps the channels, but the geometry has {g.InChannels} in and {g.OutChannels} out.", nameof(g));
        }
    }

    private static void CheckGlobal(int batch, int length, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
    }
}
