using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Kernels for the elementary tensor operations a Lambda is built from, with their derivatives. Backward kernels
/// accumulate (+=) into the input gradients; an empty gradient span is skipped.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class OpKernels
{
    /// <summary>y = op(x).</summary>
    /// <param name="op">The operation.</param>
    /// <param name="x">The input.</param>
    /// <param name="y">The output (may be <paramref name="x"/>).</param>
    public static void Unary(UnaryOp op, ReadOnlySpan<float> x, Span<float> y)
    {
        y = y[..x.Length];
        switch (op)
        {
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }

    /// <summary>dx += dy · op′(x), using y = op(x) where that is cheaper.</summary>
    /// <param name="op">The operation.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The output's gradient.</param>
    /// <param name="dx">The input's gradient, accumulated into.</param>
    public static void UnaryBackward(UnaryOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dy.Length;
        x = x[..n];
        y = y[..n];
        dx = dx[..n];
        for (int i = 0; i < n; i++)
        {
            dx[i] += dy[i] * op switch
            {
                UnaryOp.Abs => x[i] > 0 ? 1f : x[i] < 0 ? -1f : 0f,
                UnaryOp.Exp => y[i],
                UnaryOp.Log => 1f / x[i],
                UnaryOp.Sqrt => 0.5f / y[i],
                UnaryOp.Square => 2f * x[i],
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        }
    }

    /// <summary>y = scale · x + shift (a tensor combined with constants: <c>1 - x</c>, <c>x / 2</c>, <c>-x</c>).</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output (may be <paramref name="x"/>).</param>
    /// <param name="scale">The factor.</param>
    /// <param name="shift">The offset.</param>
    public static void Affine(ReadOnlySpan<float> x, Span<float> y, float scale, float shift)
    {
        y = y[..x.Length];
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Add(y, shift, y);
    }

    /// <summary>
    /// Per sample, y[o, i] = scale · Σₐ x[o, a, i]: a sum (scale 1) or mean (scale 1/length) over one axis, the
    /// per-sample shape seen as [outer, length, inner].
    /// </summary>
    /// <param name="x">[rows·outer, length, inner] where rows is the batch.</param>
    /// <param name="y">[rows·outer, inner].</param>
    /// <param name="outer">Batch times the product of the axes before the reduced one.</param>
    /// <param name="length">The reduced axis's length.</param>
    /// <param name="inner">The product of the axes after it.</param>
    /// <param name="scale">1 for a sum, 1/length for a mean.</param>
    public static void Reduce(ReadOnlySpan<float> x, Span<float> y, int outer, int length, int inner, float scale)
    {
        for (int o = 0; o < outer; o++)
        {
            var row = y.Slice(o * inner, inner);
            row.Clear();
            for (int a = 0; a < length; a++)
            {
                TensorPrimitives.Add(row, x.Slice((o * length + a) * inner, inner), row);
            }

            if (scale != 1f)
            {
                TensorPrimitives.Multiply(row, scale, row);
            }
        }
    }

    /// <summary>dx[o, a, i] += scale · dy[o, i], the gradient of <see cref="Reduce"/>.</summary>
    /// <param name="dy">[outer, inner].</param>
    /// <param name="dx">[outer, length, inner], accumulated into.</param>
    /// <param name="outer">As in <see cref="Reduce"/>.</param>
    /// <param name="length">As in <see cref="Reduce"/>.</param>
    /// <param name="inner">As in <see cref="Reduce"/>.</param>
    /// <param name="scale">As in <see cref="Reduce"/>.</param>
    public static void ReduceBackward(ReadOnlySpan<float> dy, Span<float> dx, int outer, int length, int inner, float scale)
    {
        for (int o = 0; o < outer; o++)
        {
            var g = dy.Slice(o * inner, inner);
            for (int a = 0; a < length; a++)
            {
                var target = dx.Slice((o * length + a) * inner, inner);
                TensorPrimitives.MultiplyAdd(g, scale, target, target);
            }
        }
    }

    /// <summary>
    /// Per sample, y = op(a, b) with right-aligned broadcasting: the shapes (batch axis excluded) are padded with
    /// leading 1s to <paramref name="yShape"/>'s rank, and an axis of length 1 repeats.
    /// </summary>
    /// <param name="op">The operation.</param>
    /// <param name="a">[batch, aShape].</param>
    /// <param name="aShape">a's per-sample shape.</param>
    /// <param name="b">[batch, bShape].</param>
    /// <param name="bShape">b's per-sample shape.</param>
    /// <param name="y">[batch, yShape].</param>
    /// <param name="yShape">The broadcast shape.</param>
    /// <param name="batch">Samples.</param>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<int> aShape, ReadOnlySpan<float> b, ReadOnlySpan<int> bShape,
        Span<float> y, ReadOnlySpan<int> yShape, int batch)
    {
        int ySize = Size(yShape), aSize = Size(aShape), bSize = Size(bShape);
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < ySize; i++)
            {
                float u = a[s * aSize + Map(i, yShape, aShape)];
                float v = b[s * bSize + Map(i, yShape, bShape)];
                y[s * ySize + i] = op switch
                {
                    BinaryOp.Add => u + v,
                    BinaryOp.Subtract => u - v,
                    BinaryOp.Multiply => u * v,
                    BinaryOp.Divide => u / v,
                    BinaryOp.Maximum => MathF.Max(u, v),
                    BinaryOp.Minimum => MathF.Min(u, v),
                    _ => throw new ArgumentOutOfRangeException(nameof(op)),
                };
            }
        }
    }

    /// <summary>The gradients of <see cref="Binary"/>, summed over every broadcast repetition.</summary>
    /// <param name="op">The operation.</param>
    /// <param name="dy">[batch, yShape], the output's gradient.</param>
    /// <param name="a">[batch, aShape].</param>
    /// <param name="aShape">a's per-sample shape.</param>
    /// <param name="b">[batch, bShape].</param>
    /// <param name="bShape">b's per-sample shape.</param>
    /// <param name="da">a's gradient, accumulated into, or empty.</param>
    /// <param name="db">b's gradient, accumulated into, or empty.</param>
    /// <param name="yShape">The broadcast shape.</param>
    /// <param name="batch">Samples.</param>
    public static void BinaryBackward(BinaryOp op, ReadOnlySpan<float> dy, ReadOnlySpan<float> a, ReadOnlySpan<int> aShape,
        ReadOnlySpan<float> b, ReadOnlySpan<int> bShape, Span<float> da, Span<float> db, ReadOnlySpan<int> yShape, int batch)
    {
        int ySize = Size(yShape), aSize = Size(aShape), bSize = Size(bShape);
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < ySize; i++)
            {
                int ia = s * aSize + Map(i, yShape, aShape), ib = s * bSize + Map(i, yShape, bShape);
                float g = dy[s * ySize + i], u = a[ia], v = b[ib];
                var (ga, gb) = op switch
                {
                    BinaryOp.Add => (g, g),
                    BinaryOp.Subtract => (g, -g),
                    BinaryOp.Multiply => (g * v, g * u),
                    BinaryOp.Divide => (g / v, -g * u / (v * v)),
                    BinaryOp.Maximum => u >= v ? (g, 0f) : (0f, g),
                    BinaryOp.Minimum => u <= v ? (g, 0f) : (0f, g),
                    _ => throw new ArgumentOutOfRangeException(nameof(op)),
                };
                if (!da.IsEmpty)
                {
                    da[ia] += ga;
                }

                if (!db.IsEmpty)
                {
                    db[ib] += gb;
                }
            }
        }
    }

    /// <summary>
    /// Routes a broadcasting maximum's or minimum's gradient: for each output element not yet claimed whose value
    /// equals this input's (broadcast) value, the gradient goes to that input element and the element is claimed.
    /// Called for the inputs in order, so ties go to the first, as Keras's pairwise reduction does.
    /// </summary>
    /// <param name="dy">[batch, yShape], the output's gradient.</param>
    /// <param name="x">This input, [batch, xShape].</param>
    /// <param name="xShape">Its per-sample shape.</param>
    /// <param name="y">The output, [batch, yShape].</param>
    /// <param name="yShape">The output's per-sample shape.</param>
    /// <param name="claimed">[batch, yShape] marks, all zero before the first input; updated.</param>
    /// <param name="dx">This input's gradient, accumulated into, or empty to only claim.</param>
    /// <param name="batch">Samples.</param>
    public static void AccumulateSelected(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<int> xShape, ReadOnlySpan<float> y,
        ReadOnlySpan<int> yShape, Span<float> claimed, Span<float> dx, int batch)
    {
        int ySize = Size(yShape), xSize = Size(xShape);
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < ySize; i++)
            {
                int at = s * ySize + i, from = s * xSize + Map(i, yShape, xShape);
                if (claimed[at] == 0f && x[from] == y[at])
                {
                    claimed[at] = 1f;
                    if (!dx.IsEmpty)
                    {
                        dx[from] += dy[at];
                    }
                }
            }
        }
    }

    private static int Size(ReadOnlySpan<int> shape)
    {
        int size = 1;
        foreach (int d in shape)
        {
            size *= d;
        }

        return size;
    }

    /// <summary>The flat index into an operand of <paramref name="shape"/> for flat output index <paramref name="index"/>.</summary>
    private static int Map(int index, ReadOnlySpan<int> outputShape, ReadOnlySpan<int> shape)
    {
        int result = 0, stride = 1;
        for (int axis = outputShape.Length - 1, own = shape.Length - 1; axis >= 0; axis--, own--)
        {
            int coordinate = index % outputShape[axis];
            index /= outputShape[axis];
            if (own >= 0)
            {
                if (shape[own] != 1)
                {
                    result += coordinate * stride;
                }

                stride *= shape[own];
            }
        }

        return result;
    }
}
