using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>DepthwiseConv2D</c> (and <c>DepthwiseConv1D</c>): each input channel c is convolved with its own
/// <c>depth_multiplier</c> filters, giving output channels c·multiplier + m (TensorFlow's order). The kernel is
/// [KernelHeight, KernelWidth, InChannels, multiplier], so one tap's weights line up with one output pixel's channels.
/// Computed directly (no im2col: each output reads only its own channel). Backward kernels accumulate (+=).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DepthwiseConv2D
{
    /// <summary>y = depthwise_conv(x, kernel); <paramref name="y"/> is overwritten.</summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="kernel">Kernel, [KernelHeight, KernelWidth, InChannels, multiplier].</param>
    /// <param name="y">Output, [batch, OutHeight, OutWidth, InChannels·multiplier].</param>
    /// <param name="g">The geometry; OutChannels must be InChannels·multiplier.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="multiplier">Keras's <c>depth_multiplier</c>.</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, Span<float> y, in ConvGeometry g, int batch, int multiplier)
    {
        Check(g, batch, multiplier);
        x = x[..checked(batch * g.InputSize)];
        kernel = kernel[..checked(g.KernelHeight * g.KernelWidth * g.OutChannels)];
        y = y[..checked(batch * g.OutputSize)];
        int channels = g.InChannels, outChannels = g.OutChannels;
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
                    Span<float> row = y.Slice((s * g.OutputSize) + (((oy * g.OutWidth) + ox) * outChannels), outChannels);
                    row.Clear();
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        int iy = iy0 + (ky * g.DilationHeight);
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            int ix = ix0 + (kx * g.DilationWidth);
                            ReadOnlySpan<float> pixel = sample.Slice(((iy * g.InWidth) + ix) * channels, channels);
                            ReadOnlySpan<float> taps = kernel.Slice(((ky * g.KernelWidth) + kx) * outChannels, outChannels);
                            if (multiplier == 1)
                            {
                                TensorPrimitives.MultiplyAdd(pixel, taps, row, row);
                            }
                            else
                            {
                                for (int c = 0, o = 0; c < channels; c++)
                                {
                                    float v = pixel[c];
                                    for (int m = 0; m < multiplier; m++, o++)
                                    {
                                        row[o] += v * taps[o];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dx += the gradient of <see cref="Forward"/> with respect to x given dy.</summary>
    /// <param name="dy">Output gradient, [batch, OutHeight, OutWidth, InChannels·multiplier].</param>
    /// <param name="kernel">Kernel, [KernelHeight, KernelWidth, InChannels, multiplier].</param>
    /// <param name="dx">Input gradient, [batch, InHeight, InWidth, InChannels], accumulated into.</param>
    /// <param name="g">The geometry; OutChannels must be InChannels·multiplier.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="multiplier">Keras's <c>depth_multiplier</c>.</param>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> kernel, Span<float> dx, in ConvGeometry g, int batch, int multiplier)
    {
        Check(g, batch, multiplier);
        dy = dy[..checked(batch * g.OutputSize)];
        kernel = kernel[..checked(g.KernelHeight * g.KernelWidth * g.OutChannels)];
        dx = dx[..checked(batch * g.InputSize)];
        int channels = g.InChannels, outChannels = g.OutChannels;
        for (int s = 0; s < batch; s++)
        {
            Span<float> sample = dx.Slice(s * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                var (ky0, ky1) = ConvGeometry.InRange(iy0, g.DilationHeight, g.KernelHeight, g.InHeight);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    var (kx0, kx1) = ConvGeometry.InRange(ix0, g.DilationWidth, g.KernelWidth, g.InWidth);
                    ReadOnlySpan<float> row = dy.Slice((s * g.OutputSize) + (((oy * g.OutWidth) + ox) * outChannels), outChannels);
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        int iy = iy0 + (ky * g.DilationHeight);
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            int ix = ix0 + (kx * g.DilationWidth);
                            Span<float> pixel = sample.Slice(((iy * g.InWidth) + ix) * channels, channels);
                            ReadOnlySpan<float> taps = kernel.Slice(((ky * g.KernelWidth) + kx) * outChannels, outChannels);
                            if (multiplier == 1)
                            {
                                TensorPrimitives.MultiplyAdd(row, taps, pixel, pixel);
                            }
                            else
                            {
                                for (int c = 0, o = 0; c < channels; c++)
                                {
                                    float sum = 0;
                                    for (int m = 0; m < multiplier; m++, o++)
                                    {
                                        sum += row[o] * taps[o];
                                    }

                                    pixel[c] += sum;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dKernel += the gradient of <see cref="Forward"/> with respect to the kernel given dy.</summary>
    /// <param name="x">Input, [batch, InHeight, InWidth, InChannels].</param>
    /// <param name="dy">Output gradient, [batch, OutHeight, OutWidth, InChannels·multiplier].</param>
    /// <param name="dKernel">Kernel gradient, [KernelHeight, KernelWidth, InChannels, multiplier], accumulated into.</param>
    /// <param name="g">The geometry; OutChannels must be InChannels·multiplier.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="multiplier">Keras's <c>depth_multiplier</c>.</param>
    public static void BackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dKernel, in ConvGeometry g, int batch, int multiplier)
    {
        Check(g, batch, multiplier);
        x = x[..checked(batch * g.InputSize)];
        dy = dy[..checked(batch * g.OutputSize)];
        dKernel = dKernel[..checked(g.KernelHeight * g.KernelWidth * g.OutChannels)];
        int channels = g.InChannels, outChannels = g.OutChannels;
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
                    ReadOnlySpan<float> row = dy.Slice((s * g.OutputSize) + (((oy * g.OutWidth) + ox) * outChannels), outChannels);
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        int iy = iy0 + (ky * g.DilationHeight);
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            int ix = ix0 + (kx * g.DilationWidth);
                            ReadOnlySpan<float> pixel = sample.Slice(((iy * g.InWidth) + ix) * channels, channels);
                            Span<float> taps = dKernel.Slice(((ky * g.KernelWidth) + kx) * outChannels, outChannels);
                            if (multiplier == 1)
                            {
                                TensorPrimitives.MultiplyAdd(pixel, row, taps, taps);
                            }
                            else
                            {
                                for (int c = 0, o = 0; c < channels; c++)
                                {
                                    float v = pixel[c];
                                    for (int m = 0; m < multiplier; m++, o++)
                                    {
                                        taps[o] += v * row[o];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Check(in ConvGeometry g, int batch, int multiplier)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1);
        if (g.OutChannels != checked(g.InChannels * multiplier))
        {
            throw new ArgumentException(
                $"A depthwise convolution with {g.InChannels} input channels and multiplier {multiplier} has {g.InChannels * multiplier} output channels, not {g.OutChannels}.",
                nameof(g));
        }
    }
}
