using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>UpSampling2D</c> with <c>interpolation="nearest"</c> (and <c>UpSampling1D</c> with height 1): every
/// input pixel becomes a sizeH × sizeW block of copies, channels-last. Backward kernels accumulate (+=).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Resize
{
    /// <summary>y[s, i·sizeH + a, j·sizeW + b, c] = x[s, i, j, c].</summary>
    /// <param name="x">Input, [batch, height, width, channels].</param>
    /// <param name="y">Output, [batch, height·sizeH, width·sizeW, channels], overwritten.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="height">Input rows.</param>
    /// <param name="width">Input columns.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="sizeH">Row repeat factor.</param>
    /// <param name="sizeW">Column repeat factor.</param>
    public static void UpSampleForward(ReadOnlySpan<float> x, Span<float> y, int batch, int height, int width, int channels, int sizeH, int sizeW)
    {
        Check(batch, height, width, channels, sizeH, sizeW);
        int rowIn = width * channels, rowOut = checked(rowIn * sizeW), rows = batch * height;
        x = x[..checked(rows * rowIn)];
        y = y[..checked(rows * sizeH * rowOut)];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> source = x.Slice(r * rowIn, rowIn);
            Span<float> first = y.Slice(r * sizeH * rowOut, rowOut);
            for (int j = 0, o = 0; j < width; j++)
            {
                ReadOnlySpan<float> pixel = source.Slice(j * channels, channels);
                for (int b = 0; b < sizeW; b++, o += channels)
                {
                    pixel.CopyTo(first.Slice(o, channels));
                }
            }

            // The other rows of the block repeat the first.
            for (int a = 1; a < sizeH; a++)
            {
                first.CopyTo(y.Slice(((r * sizeH) + a) * rowOut, rowOut));
            }
        }
    }

    /// <summary>dx[s, i, j, c] += the sum of dy over the pixel's block.</summary>
    /// <param name="dy">Output gradient, [batch, height·sizeH, width·sizeW, channels].</param>
    /// <param name="dx">Input gradient, [batch, height, width, channels], accumulated into.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="height">Input rows.</param>
    /// <param name="width">Input columns.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="sizeH">Row repeat factor.</param>
    /// <param name="sizeW">Column repeat factor.</param>
    public static void UpSampleBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, int height, int width, int channels, int sizeH, int sizeW)
    {
        Check(batch, height, width, channels, sizeH, sizeW);
        int rowIn = width * channels, rowOut = checked(rowIn * sizeW), rows = batch * height;
        dx = dx[..checked(rows * rowIn)];
        dy = dy[..checked(rows * sizeH * rowOut)];
        for (int r = 0; r < rows; r++)
        {
            Span<float> target = dx.Slice(r * rowIn, rowIn);
            for (int a = 0; a < sizeH; a++)
            {
                ReadOnlySpan<float> source = dy.Slice(((r * sizeH) + a) * rowOut, rowOut);
                for (int j = 0, o = 0; j < width; j++)
                {
                    Span<float> pixel = target.Slice(j * channels, channels);
                    for (int b = 0; b < sizeW; b++, o += channels)
                    {
                        TensorPrimitives.Add(pixel, source.Slice(o, channels), pixel);
                    }
                }
            }
        }
    }

    private static void Check(int batch, int height, int width, int channels, int sizeH, int sizeW)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeH, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeW, 1);
    }
}
