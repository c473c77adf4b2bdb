using System;
using System.ComponentModel;
using System.Numerics.Tensors;

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
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, in ConvGeometry g, int batch)
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
                    if (ky0 == ky1 || kx0 == kx1)
                    {
                        row.Fill(float.NegativeInfinity);
                        continue;
                    }

                    bool first = true;
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        int iy = iy0 + (ky * g.DilationHeight);
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            ReadOnlySpan<float> pixel = sample.Slice(((iy * g.InWidth) + ix0 + (kx * g.DilationWidth)) * channels, channels);
                            if (first)
                            {
                                pixel.CopyTo(row);
                                first = false;
                            }
                            else
                            {
                                TensorPrimitives.Max(row, pixel, row);
                            }
                        }
                    }
                }
            }
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
    public static void MaxBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, in ConvGeometry g, int batch)
    {
        Check(g, batch);
        x = x[..checked(batch * g.InputSize)];
        dx = dx[..checked(batch * g.InputSize)];
        y = y[..checked(batch * g.OutputSize)];
        dy = dy[..checked(batch * g.OutputSize)];
        int channels = g.InChannels;
        for (int s = 0; s < batch; s++)
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
                    for (int c = 0; c < channels; c++)
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
                    row.Clear();
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        int iy = iy0 + (ky * g.DilationHeight);
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            TensorPrimitives.Add(row, sample.Slice(((iy * g.InWidth) + ix0 + (kx * g.DilationWidth)) * channels, channels), row);
                        }
                    }

                    int count = (ky1 - ky0) * (kx1 - kx0);
                    if (count > 1)
                    {
                        TensorPrimitives.Divide(row, count, row);
                    }
                }
            }
        }
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
