using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>Dot</c> layer over the last axis: per sample, <c>y[p, q] = Σₙ a[p, n] · b[q, n]</c>, optionally on
/// L2-normalised inputs (<c>normalize=True</c>: cosine similarity). Backward kernels accumulate (+=).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DotKernels
{
    /// <summary>Keras's <c>l2_normalize</c> epsilon: the squared norm is clamped below at 1e-12.</summary>
    private const float Epsilon = 1e-12f;

    /// <summary>Per sample, <paramref name="y"/>[p, q] = a[p, :] · b[q, :].</summary>
    /// <param name="a">[batch, p, n].</param>
    /// <param name="b">[batch, q, n].</param>
    /// <param name="y">[batch, p, q].</param>
    /// <param name="batch">Samples.</param>
    /// <param name="p">Rows of <paramref name="a"/> per sample.</param>
    /// <param name="q">Rows of <paramref name="b"/> per sample.</param>
    /// <param name="n">The contracted axis.</param>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int batch, int p, int q, int n)
    {
        for (int s = 0; s < batch; s++)
        {
            Gemm.MultiplyTransposedB(a.Slice(s * p * n, p * n), b.Slice(s * q * n, q * n), y.Slice(s * p * q, p * q), p, n, q, accumulate: false);
        }
    }

    /// <summary>Accumulates the gradients of <see cref="Forward"/>'s inputs; an empty destination is skipped.</summary>
    /// <param name="dy">[batch, p, q], the output's gradient.</param>
    /// <param name="a">[batch, p, n].</param>
    /// <param name="b">[batch, q, n].</param>
    /// <param name="da">[batch, p, n], accumulated into, or empty.</param>
    /// <param name="db">[batch, q, n], accumulated into, or empty.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="p">Rows of <paramref name="a"/> per sample.</param>
    /// <param name="q">Rows of <paramref name="b"/> per sample.</param>
    /// <param name="n">The contracted axis.</param>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> da, Span<float> db,
        int batch, int p, int q, int n)
    {
        for (int s = 0; s < batch; s++)
        {
            var g = dy.Slice(s * p * q, p * q);
            if (!da.IsEmpty)
            {
                Gemm.Multiply(g, b.Slice(s * q * n, q * n), da.Slice(s * p * n, p * n), p, q, n, accumulate: true);
            }

            if (!db.IsEmpty)
            {
                Gemm.MultiplyTransposedA(g, a.Slice(s * p * n, p * n), db.Slice(s * q * n, q * n), q, p, n, accumulate: true);
            }
        }
    }

    /// <summary>Each row of <paramref name="x"/> divided by its L2 norm (clamped as Keras's <c>l2_normalize</c>).</summary>
    /// <param name="x">[rows, n].</param>
    /// <param name="y">[rows, n], the normalised rows.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="n">Row length.</param>
    public static void L2Normalize(ReadOnlySpan<float> x, Span<float> y, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * n, n);
            float scale = 1f / MathF.Sqrt(MathF.Max(TensorPrimitives.SumOfSquares(row), Epsilon));
            TensorPrimitives.Multiply(row, scale, y.Slice(r * n, n));
        }
    }

    /// <summary>Accumulates into <paramref name="dx"/> the gradient through <see cref="L2Normalize"/>.</summary>
    /// <param name="x">[rows, n], the input.</param>
    /// <param name="y">[rows, n], the normalised rows.</param>
    /// <param name="dy">[rows, n], the gradient with respect to <paramref name="y"/>.</param>
    /// <param name="dx">[rows, n], accumulated into.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="n">Row length.</param>
    public static void L2NormalizeBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            var gr = dy.Slice(r * n, n);
            var outRow = dx.Slice(r * n, n);
            float squared = TensorPrimitives.SumOfSquares(xr);
            float inverse = 1f / MathF.Sqrt(MathF.Max(squared, Epsilon));
            if (squared <= Epsilon)
            {
                // The norm is clamped: y = x / sqrt(eps) is linear in x.
                TensorPrimitives.MultiplyAdd(gr, inverse, outRow, outRow);
                continue;
            }

            // d(x/|x|) = (dy - y (y·dy)) / |x|
            float projection = TensorPrimitives.Dot(yr, gr);
            for (int i = 0; i < n; i++)
            {
                outRow[i] += (gr[i] - yr[i] * projection) * inverse;
            }
        }
    }
}
