using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's masks: one float per step of a sequence, 1 kept and 0 masked, computed from an <c>Embedding(mask_zero)</c>'s
/// ids or a <c>Masking</c> layer's input and merged by OR; and the <c>Masking</c> layer itself. Nothing is allocated.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Masking
{
    /// <summary>mask[r] = 1 when some of row r's <paramref name="width"/> values differs from <paramref name="value"/>,
    /// else 0 (width 1: ids, <c>ids != 0</c>; the features: Keras's <c>Masking</c>).</summary>
    /// <param name="x">[rows, width].</param>
    /// <param name="value">The padding value.</param>
    /// <param name="mask">[rows], written.</param>
    /// <param name="rows">Rows (steps of every sample).</param>
    /// <param name="width">Values per row.</param>
    public static void NotEqual(ReadOnlySpan<float> x, float value, Span<float> mask, int rows, int width)
    {
        Check(x.Length, (long)rows * width, "x");
        Check(mask.Length, rows, "mask");
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * width, width);
            float kept = 0f;
            for (int j = 0; j < row.Length; j++)
            {
                if (row[j] != value)
                {
                    kept = 1f;
                    break;
                }
            }

            mask[r] = kept;
        }
    }

    /// <summary>mask = mask OR other, elementwise (Keras's merges of masked inputs).</summary>
    /// <param name="other">[count].</param>
    /// <param name="mask">[count], updated.</param>
    /// <param name="count">Values.</param>
    public static void Or(ReadOnlySpan<float> other, Span<float> mask, int count)
    {
        Check(other.Length, count, "other");
        Check(mask.Length, count, "mask");
        TensorPrimitives.Max(mask[..count], other[..count], mask);
    }

    /// <summary>Keras's <c>Masking</c>: y = x on kept rows, 0 on masked ones.</summary>
    /// <param name="x">[rows, width].</param>
    /// <param name="mask">[rows].</param>
    /// <param name="y">[rows, width], written.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Values per row.</param>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> y, int rows, int width)
    {
        Check(x.Length, (long)rows * width, "x");
        Check(mask.Length, rows, "mask");
        Check(y.Length, (long)rows * width, "y");
        x[..(rows * width)].CopyTo(y);
        ZeroRows(y, mask, rows, width);
    }

    /// <summary>Accumulates <see cref="Apply"/>'s input gradient: dx += dy on kept rows.</summary>
    /// <param name="dy">[rows, width].</param>
    /// <param name="mask">[rows].</param>
    /// <param name="dx">[rows, width], accumulated into.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Values per row.</param>
    public static void ApplyBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx, int rows, int width)
    {
        Check(dy.Length, (long)rows * width, "dy");
        Check(mask.Length, rows, "mask");
        Check(dx.Length, (long)rows * width, "dx");
        for (int r = 0; r < rows; r++)
        {
            if (mask[r] >= 0.5f)
            {
                Span<float> d = dx.Slice(r * width, width);
                TensorPrimitives.Add(d, dy.Slice(r * width, width), d);
            }
        }
    }

    /// <summary>
    /// Keras's <c>GlobalAveragePooling1D</c> of a masked sequence: each sample's mean over its kept steps. A sample with no
    /// kept step averages to zeros (Keras divides by zero there and returns NaN).
    /// </summary>
    /// <param name="x">[batch, length, channels].</param>
    /// <param name="mask">[batch, length].</param>
    /// <param name="y">[batch, channels], written.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="length">Steps.</param>
    /// <param name="channels">Channels.</param>
    public static void MeanForward(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> y, int batch, int length, int channels)
    {
        CheckMean(x.Length, mask.Length, y.Length, batch, length, channels);
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = y.Slice(b * channels, channels);
            row.Clear();
            int kept = 0;
            for (int t = 0; t < length; t++)
            {
                if (mask[(b * length) + t] >= 0.5f)
                {
                    TensorPrimitives.Add(row, x.Slice(((b * length) + t) * channels, channels), row);
                    kept++;
                }
            }

            if (kept > 0)
            {
                TensorPrimitives.Multiply(row, 1f / kept, row);
            }
        }
    }

    /// <summary>Accumulates <see cref="MeanForward"/>'s input gradient: dy / kept on each kept step.</summary>
    /// <param name="dy">[batch, channels].</param>
    /// <param name="mask">[batch, length].</param>
    /// <param name="dx">[batch, length, channels], accumulated into.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="length">Steps.</param>
    /// <param name="channels">Channels.</param>
    public static void MeanBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx, int batch, int length, int channels)
    {
        CheckMean(dx.Length, mask.Length, dy.Length, batch, length, channels);
        for (int b = 0; b < batch; b++)
        {
            int kept = 0;
            for (int t = 0; t < length; t++)
            {
                kept += mask[(b * length) + t] >= 0.5f ? 1 : 0;
            }

            if (kept == 0)
            {
                continue;
            }

            float scale = 1f / kept;
            ReadOnlySpan<float> d = dy.Slice(b * channels, channels);
            for (int t = 0; t < length; t++)
            {
                if (mask[(b * length) + t] >= 0.5f)
                {
                    Span<float> target = dx.Slice(((b * length) + t) * channels, channels);
                    TensorPrimitives.MultiplyAdd(d, scale, target, target);
                }
            }
        }
    }

    /// <summary>Subtracts 1e9 from the scores of hidden keys (once, however many reasons hide one), as Keras's attention
    /// layers do: keys whose value mask is off, and with <paramref name="causal"/> the keys after the query's step.</summary>
    /// <param name="scores">[batch, tq, tv], updated.</param>
    /// <param name="valueMask">[batch, tv], or empty for no value mask.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="tq">Query steps.</param>
    /// <param name="tv">Key steps.</param>
    /// <param name="causal">Keras's <c>use_causal_mask</c>: query step i sees key steps 0..i only.</param>
    public static void HideKeys(Span<float> scores, ReadOnlySpan<float> valueMask, int batch, int tq, int tv, bool causal = false)
    {
        Check(scores.Length, (long)batch * tq * tv, "scores");
        if (!valueMask.IsEmpty || !causal)
        {
            Check(valueMask.Length, (long)batch * tv, "valueMask");
        }

        for (int b = 0; b < batch; b++)
        {
            var keys = valueMask.IsEmpty ? valueMask : valueMask.Slice(b * tv, tv);
            for (int i = 0; i < tq; i++)
            {
                var row = scores.Slice(((b * tq) + i) * tv, tv);
                for (int j = 0; j < tv; j++)
                {
                    if ((causal && j > i) || (!keys.IsEmpty && keys[j] < 0.5f))
                    {
                        row[j] -= 1e9f;
                    }
                }
            }
        }
    }

    /// <summary>Copies one input's mask into a concatenation's: row r's <paramref name="inner"/> values land at
    /// r·<paramref name="total"/> + <paramref name="offset"/> (Keras's Concatenate of masked sequences).</summary>
    /// <param name="piece">[outer, inner], one input's mask.</param>
    /// <param name="destination">[outer, total], the concatenation's mask.</param>
    /// <param name="outer">Rows: the batch times the axes before the concatenation's.</param>
    /// <param name="inner">Values per row of this input.</param>
    /// <param name="total">Values per row of the concatenation.</param>
    /// <param name="offset">Where this input's values start in a row.</param>
    public static void ConcatBlock(ReadOnlySpan<float> piece, Span<float> destination, int outer, int inner, int total, int offset)
    {
        if (outer < 0 || inner < 0 || offset < 0 || offset > total - inner)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"A block of {inner} values at {offset} does not fit rows of {total}.");
        }

        Check(piece.Length, (long)outer * inner, "piece");
        Check(destination.Length, (long)outer * total, "destination");
        for (int r = 0; r < outer; r++)
        {
            piece.Slice(r * inner, inner).CopyTo(destination.Slice((r * total) + offset, inner));
        }
    }

    /// <summary>Clears the masked rows of x (a masked query's output; backward, its gradient).</summary>
    /// <param name="x">[rows, width], updated.</param>
    /// <param name="mask">[rows].</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Values per row.</param>
    public static void ZeroRows(Span<float> x, ReadOnlySpan<float> mask, int rows, int width)
    {
        Check(x.Length, (long)rows * width, "x");
        Check(mask.Length, rows, "mask");
        for (int r = 0; r < rows; r++)
        {
            if (mask[r] < 0.5f)
            {
                x.Slice(r * width, width).Clear();
            }
        }
    }

    private static void CheckMean(int xLength, int maskLength, int yLength, int batch, int length, int channels)
    {
        if (batch < 0 || length < 0 || channels < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"Sizes must not be negative (batch = {batch}, length = {length}, channels = {channels}).");
        }

        Check(xLength, (long)batch * length * channels, "x");
        Check(maskLength, (long)batch * length, "mask");
        Check(yLength, (long)batch * channels, "y");
    }

    private static void Check(int length, long required, string name)
    {
        if (length < required)
        {
            throw new ArgumentException($"'{name}' needs {required} floats but holds {length}.", name);
        }
    }
}
