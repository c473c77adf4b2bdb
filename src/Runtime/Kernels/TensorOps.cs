using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Unrolled.Kernels;

/// <summary>Element-wise and slicing helpers for generated layers (bias, <c>Add</c>, <c>Concatenate</c>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TensorOps
{
    /// <summary>Adds <paramref name="bias"/> to every row of <paramref name="y"/> [rows, cols].</summary>
    /// <param name="y">The rows, updated in place.</param>
    /// <param name="bias">The bias, <paramref name="cols"/> floats.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    public static void AddBias(Span<float> y, ReadOnlySpan<float> bias, int rows, int cols)
    {
        bias = bias[..cols];
        y = y[..checked(rows * cols)];
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float start = ref MemoryMarshal.GetReference(y);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref start, r * cols);
            Simd.Add(ref row, ref b, ref row, cols);
        }
    }

    /// <summary>Adds the column sums of <paramref name="dy"/> [rows, cols] to <paramref name="db"/>: the bias gradient.</summary>
    /// <param name="dy">The gradient with respect to the layer's output.</param>
    /// <param name="db">The bias gradient, <paramref name="cols"/> floats, accumulated into.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    public static void AccumulateBiasGradient(ReadOnlySpan<float> dy, Span<float> db, int rows, int cols)
    {
        db = db[..cols];
        dy = dy[..checked(rows * cols)];
        ref float sum = ref MemoryMarshal.GetReference(db);
        ref float start = ref MemoryMarshal.GetReference(dy);
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && cols % 16 == 0 && cols <= 64)
        {
            // The sums stay in registers over all rows (a convolution's bias over tens of thousands of positions): the
            // same additions in the same order as below, without a store and reload of db per row.
            ColumnSums(ref start, ref sum, rows, cols);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            Simd.Add(ref sum, ref Unsafe.Add(ref start, r * cols), ref sum, cols);
        }
    }

    private static void ColumnSums(ref float dy, ref float db, int rows, int cols)
    {
        var zero = System.Runtime.Intrinsics.Vector512<float>.Zero;
        int vectors = cols / 16;
        var s0 = System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref db);
        var s1 = vectors > 1 ? System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref db, 16) : zero;
        var s2 = vectors > 2 ? System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref db, 32) : zero;
        var s3 = vectors > 3 ? System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref db, 48) : zero;
        for (int r = 0; r < rows; r++)
        {
            nuint at = (nuint)r * (nuint)cols;
            s0 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref dy, at);
            if (vectors > 1)
            {
                s1 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref dy, at + 16);
                if (vectors > 2)
                {
                    s2 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref dy, at + 32);
                    if (vectors > 3)
                    {
                        s3 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref dy, at + 48);
                    }
                }
            }
        }

        System.Runtime.Intrinsics.Vector512.StoreUnsafe(s0, ref db);
        if (vectors > 1)
        {
            System.Runtime.Intrinsics.Vector512.StoreUnsafe(s1, ref db, 16);
        }

        if (vectors > 2)
        {
            System.Runtime.Intrinsics.Vector512.StoreUnsafe(s2, ref db, 32);
        }

        if (vectors > 3)
        {
            System.Runtime.Intrinsics.Vector512.StoreUnsafe(s3, ref db, 48);
        }
    }

    /// <summary>Sets <paramref name="values"/> to zero; a large span (a megabyte or more) is cleared in two halves on two cores.</summary>
    /// <param name="values">The floats to clear.</param>
    public static void Clear(Span<float> values) => Halves.Clear(values);

    /// <summary>destination = a + b, element-wise; <paramref name="destination"/> may be <paramref name="a"/> or <paramref name="b"/>.</summary>
    /// <param name="a">The first operand.</param>
    /// <param name="b">The second operand, as long as <paramref name="a"/>.</param>
    /// <param name="destination">The sum, as long as <paramref name="a"/>.</param>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
        => TensorPrimitives.Add(a, b[..a.Length], destination[..a.Length]);

    /// <summary>destination += source, element-wise.</summary>
    /// <param name="source">The values to add.</param>
    /// <param name="destination">The accumulator, at least as long as <paramref name="source"/>.</param>
    public static void Accumulate(ReadOnlySpan<float> source, Span<float> destination)
    {
        Span<float> target = destination[..source.Length];
        TensorPrimitives.Add(target, source, target);
    }

    /// <summary>
    /// Concatenation: copies <paramref name="source"/> [outer, sourceInner] into columns
    /// [<paramref name="destinationOffset"/>, <paramref name="destinationOffset"/> + sourceInner) of
    /// <paramref name="destination"/> [outer, destinationInner].
    /// </summary>
    /// <param name="source">One input of the concatenation.</param>
    /// <param name="destination">The concatenated tensor.</param>
    /// <param name="outer">Product of the axes before the concatenation axis (including the batch).</param>
    /// <param name="sourceInner">The source's size from the concatenation axis on.</param>
    /// <param name="destinationInner">The destination's size from the concatenation axis on.</param>
    /// <param name="destinationOffset">Where the source starts inside a destination row.</param>
    public static void CopySlices(ReadOnlySpan<float> source, Span<float> destination, int outer, int sourceInner,
        int destinationInner, int destinationOffset)
    {
        CheckSlices(sourceInner, destinationInner, destinationOffset);
        for (int o = 0; o < outer; o++)
        {
            source.Slice(o * sourceInner, sourceInner).CopyTo(destination.Slice((o * destinationInner) + destinationOffset, sourceInner));
        }
    }

    /// <summary>Backward of <see cref="CopySlices"/>: sourceGradient[o, i] += destinationGradient[o, destinationOffset + i].</summary>
    /// <param name="destinationGradient">The gradient of the concatenated tensor.</param>
    /// <param name="sourceGradient">The gradient of one input, accumulated into.</param>
    /// <param name="outer">Product of the axes before the concatenation axis (including the batch).</param>
    /// <param name="sourceInner">The source's size from the concatenation axis on.</param>
    /// <param name="destinationInner">The destination's size from the concatenation axis on.</param>
    /// <param name="destinationOffset">Where the source starts inside a destination row.</param>
    public static void AccumulateSlices(ReadOnlySpan<float> destinationGradient, Span<float> sourceGradient, int outer,
        int sourceInner, int destinationInner, int destinationOffset)
    {
        CheckSlices(sourceInner, destinationInner, destinationOffset);
        // Slicing the whole extents once bounds-checks every row the loop touches.
        sourceGradient = sourceGradient[..checked(outer * sourceInner)];
        destinationGradient = destinationGradient[..checked(outer * destinationInner)];
        ref float source = ref MemoryMarshal.GetReference(sourceGradient);
        ref float destination = ref MemoryMarshal.GetReference(destinationGradient);
        for (int o = 0; o < outer; o++)
        {
            ref float target = ref Unsafe.Add(ref source, o * sourceInner);
            Simd.Add(ref target, ref Unsafe.Add(ref destination, (o * destinationInner) + destinationOffset), ref target, sourceInner);
        }
    }

    private static void CheckSlices(int sourceInner, int destinationInner, int destinationOffset)
    {
        if (sourceInner < 0 || destinationOffset < 0 || destinationOffset + sourceInner > destinationInner)
        {
            throw new ArgumentOutOfRangeException(nameof(destinationOffset),
                $"A slice of {sourceInner} at offset {destinationOffset} does not fit in rows of {destinationInner}.");
        }
    }

    /// <summary>
    /// Keras's <c>Permute</c>: each sample's axes reordered, <c>y[…i_order[0]…] = x[…]</c>: output axis j is input axis
    /// <paramref name="order"/>[j].
    /// </summary>
    /// <param name="x">[batch, shape…].</param>
    /// <param name="y">[batch, shape reordered…].</param>
    /// <param name="batch">Samples.</param>
    /// <param name="shape">The input's per-sample shape (at most 8 axes).</param>
    /// <param name="order">For each output axis, the input axis it takes (0-based); a permutation.</param>
    public static void Permute(ReadOnlySpan<float> x, Span<float> y, int batch, ReadOnlySpan<int> shape, ReadOnlySpan<int> order)
        => Reorder(x, y, batch, shape, order, backward: false);

    /// <summary>Accumulates <see cref="Permute"/>'s input gradient: the output's gradient put back in the input's order.</summary>
    /// <param name="dy">The output's gradient.</param>
    /// <param name="dx">The input's gradient, accumulated into.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="shape">The input's per-sample shape.</param>
    /// <param name="order">As <see cref="Permute"/>'s.</param>
    public static void PermuteBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, ReadOnlySpan<int> shape, ReadOnlySpan<int> order)
        => Reorder(dy, dx, batch, shape, order, backward: true);

    /// <summary>Reverses the middle axis of [outer, length, inner] (Keras's <c>ops.flip</c>): y[o, length − 1 − t, i] = x[o, t, i].</summary>
    /// <param name="x">[outer, length, inner].</param>
    /// <param name="y">The same shape; not <paramref name="x"/>.</param>
    /// <param name="outer">Blocks: samples times the axes before the reversed one.</param>
    /// <param name="length">The reversed axis.</param>
    /// <param name="inner">Floats after it.</param>
    public static void Flip(ReadOnlySpan<float> x, Span<float> y, int outer, int length, int inner)
    {
        CheckFlip(x.Length, y.Length, outer, length, inner);
        for (int o = 0; o < outer; o++)
        {
            for (int t = 0; t < length; t++)
            {
                x.Slice((((o * length) + t) * inner), inner).CopyTo(y.Slice((((o * length) + length - 1 - t) * inner), inner));
            }
        }
    }

    /// <summary>Accumulates <see cref="Flip"/>'s input gradient: dx += the output's gradient flipped back.</summary>
    /// <param name="dy">The output's gradient, [outer, length, inner].</param>
    /// <param name="dx">The input's gradient, accumulated into.</param>
    /// <param name="outer">Blocks.</param>
    /// <param name="length">The reversed axis.</param>
    /// <param name="inner">Floats after it.</param>
    public static void FlipBackward(ReadOnlySpan<float> dy, Span<float> dx, int outer, int length, int inner)
    {
        CheckFlip(dy.Length, dx.Length, outer, length, inner);
        for (int o = 0; o < outer; o++)
        {
            for (int t = 0; t < length; t++)
            {
                var target = dx.Slice((((o * length) + t) * inner), inner);
                TensorPrimitives.Add(target, dy.Slice((((o * length) + length - 1 - t) * inner), inner), target);
            }
        }
    }

    private static void CheckFlip(int xLength, int yLength, int outer, int length, int inner)
    {
        if (outer < 0 || length < 0 || inner < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outer), "Sizes must not be negative.");
        }

        long size = (long)outer * length * inner;
        if (xLength < size || yLength < size)
        {
            throw new ArgumentException($"Flipping [{outer}, {length}, {inner}] needs {size} floats in and out; got {xLength} and {yLength}.");
        }
    }

    private static void Reorder(ReadOnlySpan<float> source, Span<float> target, int batch, ReadOnlySpan<int> shape, ReadOnlySpan<int> order, bool backward)
    {
        int rank = shape.Length;
        if (rank == 0 || rank > 8 || order.Length != rank)
        {
            throw new ArgumentException($"Permute needs 1 to 8 axes and one order entry per axis; got {rank} axes and {order.Length} entries.", nameof(order));
        }

        Span<int> inputStride = stackalloc int[rank];
        Span<int> stride = stackalloc int[rank];
        Span<int> extent = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        int seen = 0;
        long size = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(shape[i]);
            inputStride[i] = (int)size;
            size *= shape[i];
        }

        for (int j = 0; j < rank; j++)
        {
            int axis = order[j];
            if (axis < 0 || axis >= rank || (seen & (1 << axis)) != 0)
            {
                throw new ArgumentException($"Permute's order must list each of the {rank} axes once; got axis {axis} at {j}.", nameof(order));
            }

            seen |= 1 << axis;
            stride[j] = inputStride[axis];
            extent[j] = shape[axis];
        }

        if (source.Length < batch * size || target.Length < batch * size)
        {
            throw new ArgumentException($"Permute over {batch} samples of {size} values needs {batch * size} floats; got {source.Length} and {target.Length}.");
        }

        // Walk the output in order; the odometer keeps the matching input offset (forward reads it, backward adds to it).
        int per = (int)size;
        for (int b = 0; b < batch; b++)
        {
            int start = b * per, offset = 0;
            index.Clear();
            for (int j = 0; j < per; j++)
            {
                if (backward)
                {
                    target[start + offset] += source[start + j];
                }
                else
                {
                    target[start + j] = source[start + offset];
                }

                for (int axis = rank - 1; axis >= 0; axis--)
                {
                    offset += stride[axis];
                    if (++index[axis] < extent[axis])
                    {
                        break;
                    }

                    offset -= stride[axis] * extent[axis];
                    index[axis] = 0;
                }
            }
        }
    }
}
