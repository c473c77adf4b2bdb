using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>Dot</c> layer (<c>batch_dot</c>) over any pair of axes: per sample, the sum over the contracted axis of
/// every pair of the two inputs' free elements, optionally of L2-normalised inputs (<c>normalize=True</c>: cosine
/// similarity). Backward kernels accumulate (+=).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DotKernels
{
    /// <summary>Keras's <c>l2_normalize</c> epsilon: the squared norm is clamped below at 1e-12.</summary>
    private const float Epsilon = 1e-12f;

    /// <summary>
    /// Per sample, <c>y[(o, i), (t, j)] = Σₖ a[o, k, i] · b[t, k, j]</c>: Keras's <c>batch_dot</c> over any pair of axes,
    /// with each input viewed around its contracted axis as [outer, k, inner] and the output as
    /// [a's outer × inner, b's outer × inner], the free axes of <paramref name="a"/> then those of <paramref name="b"/>,
    /// each in its order.
    /// </summary>
    /// <param name="a">[batch, aOuter, k, aInner].</param>
    /// <param name="b">[batch, bOuter, k, bInner].</param>
    /// <param name="y">[batch, aOuter · aInner, bOuter · bInner].</param>
    /// <param name="batch">Samples.</param>
    /// <param name="aOuter">Elements of <paramref name="a"/>'s axes before the contracted one (the batch axis excluded).</param>
    /// <param name="k">The contracted axis's length.</param>
    /// <param name="aInner">Elements of <paramref name="a"/>'s axes after the contracted one.</param>
    /// <param name="bOuter">Elements of <paramref name="b"/>'s axes before the contracted one.</param>
    /// <param name="bInner">Elements of <paramref name="b"/>'s axes after the contracted one.</param>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int batch, int aOuter, int k, int aInner, int bOuter, int bInner)
    {
        var g = new Geometry(batch, aOuter, k, aInner, bOuter, bInner);
        g.Check(a.Length, b.Length, y.Length);
        for (int s = 0; s < batch; s++)
        {
            var x1 = a.Slice(s * g.ASize, g.ASize);
            var x2 = b.Slice(s * g.BSize, g.BSize);
            var out1 = y.Slice(s * g.YSize, g.YSize);
            for (int o = 0; o < g.ASlices; o++)
            {
                for (int t = 0; t < g.BSlices; t++)
                {
                    // Y block = A_o · B_t.
                    StridedGemm.General(x1[g.AStart(o)..], g.ARow, g.AColumn, x2[g.BStart(t)..], g.BRow, g.BColumn,
                        out1[g.YStart(o, t)..], g.Q, 1, g.ARows, k, g.BColumns, accumulate: false);
                }
            }
        }
    }

    /// <summary>Accumulates the gradients of <see cref="Forward"/>'s inputs; an empty destination is skipped.</summary>
    /// <param name="dy">[batch, aOuter · aInner, bOuter · bInner], the output's gradient.</param>
    /// <param name="a">[batch, aOuter, k, aInner].</param>
    /// <param name="b">[batch, bOuter, k, bInner].</param>
    /// <param name="da">Shaped as <paramref name="a"/>, accumulated into, or empty.</param>
    /// <param name="db">Shaped as <paramref name="b"/>, accumulated into, or empty.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="aOuter">Elements of <paramref name="a"/>'s axes before the contracted one (the batch axis excluded).</param>
    /// <param name="k">The contracted axis's length.</param>
    /// <param name="aInner">Elements of <paramref name="a"/>'s axes after the contracted one.</param>
    /// <param name="bOuter">Elements of <paramref name="b"/>'s axes before the contracted one.</param>
    /// <param name="bInner">Elements of <paramref name="b"/>'s axes after the contracted one.</param>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> da, Span<float> db,
        int batch, int aOuter, int k, int aInner, int bOuter, int bInner)
    {
        var g = new Geometry(batch, aOuter, k, aInner, bOuter, bInner);
        g.Check(a.Length, b.Length, dy.Length);
        if (!da.IsEmpty)
        {
            g.Check(da.Length, b.Length, dy.Length);
        }

        if (!db.IsEmpty)
        {
            g.Check(a.Length, db.Length, dy.Length);
        }

        for (int s = 0; s < batch; s++)
        {
            var x1 = a.Slice(s * g.ASize, g.ASize);
            var x2 = b.Slice(s * g.BSize, g.BSize);
            var gy = dy.Slice(s * g.YSize, g.YSize);
            for (int o = 0; o < g.ASlices; o++)
            {
                for (int t = 0; t < g.BSlices; t++)
                {
                    var block = gy[g.YStart(o, t)..];
                    if (!da.IsEmpty)
                    {
                        // dA_o(i, p) += Σⱼ dY(i, j) · B_t(p, j), written through A's own strides.
                        StridedGemm.General(block, g.Q, 1, x2[g.BStart(t)..], g.BColumn, g.BRow,
                            da.Slice(s * g.ASize, g.ASize)[g.AStart(o)..], g.ARow, g.AColumn, g.ARows, g.BColumns, k, accumulate: true);
                    }

                    if (!db.IsEmpty)
                    {
                        // dB_t(p, j) += Σᵢ A_o(i, p) · dY(i, j), written through B's own strides.
                        StridedGemm.General(x1[g.AStart(o)..], g.AColumn, g.ARow, block, g.Q, 1,
                            db.Slice(s * g.BSize, g.BSize)[g.BStart(t)..], g.BRow, g.BColumn, k, g.ARows, g.BColumns, accumulate: true);
                    }
                }
            }
        }
    }

    /// <summary><c>ops.matmul</c>: y[i] = a[i]·b[i] for each of <paramref name="count"/> matrices.</summary>
    /// <param name="a">[count, m, k].</param>
    /// <param name="b">[count, k, n].</param>
    /// <param name="y">[count, m, n].</param>
    /// <param name="count">Matrices: samples times the leading axes.</param>
    /// <param name="m">Rows of each product.</param>
    /// <param name="k">The contracted length.</param>
    /// <param name="n">Columns of each product.</param>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int count, int m, int k, int n)
    {
        var (sa, sb, sy) = CheckMatMul(a.Length, b.Length, y.Length, count, m, k, n);
        for (int i = 0; i < count; i++)
        {
            Gemm.Multiply(a.Slice(i * sa, sa), b.Slice(i * sb, sb), y.Slice(i * sy, sy), m, k, n, accumulate: false);
        }
    }

    /// <summary>Accumulates <see cref="MatMul"/>'s input gradients: da += dy·bᵀ, db += aᵀ·dy; an empty one is skipped.</summary>
    /// <param name="dy">[count, m, n].</param>
    /// <param name="a">[count, m, k].</param>
    /// <param name="b">[count, k, n].</param>
    /// <param name="da">[count, m, k], or empty.</param>
    /// <param name="db">[count, k, n], or empty.</param>
    /// <param name="count">Matrices.</param>
    /// <param name="m">Rows of each product.</param>
    /// <param name="k">The contracted length.</param>
    /// <param name="n">Columns of each product.</param>
    public static void MatMulBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> da, Span<float> db,
        int count, int m, int k, int n)
    {
        var (sa, sb, sy) = CheckMatMul(a.Length, b.Length, dy.Length, count, m, k, n);
        CheckMatMul(da.IsEmpty ? a.Length : da.Length, db.IsEmpty ? b.Length : db.Length, dy.Length, count, m, k, n);
        for (int i = 0; i < count; i++)
        {
            var g = dy.Slice(i * sy, sy);
            if (!da.IsEmpty)
            {
                Gemm.MultiplyTransposedB(g, b.Slice(i * sb, sb), da.Slice(i * sa, sa), m, n, k, accumulate: true);
            }

            if (!db.IsEmpty)
            {
                Gemm.MultiplyTransposedA(a.Slice(i * sa, sa), g, db.Slice(i * sb, sb), k, m, n, accumulate: true);
            }
        }
    }

    /// <summary>
    /// <see cref="MatMul"/> with the leading axes broadcast as NumPy's (and Keras's <c>ops.matmul</c>): per sample, the
    /// output's <paramref name="outer"/> matrices, matrix <c>i</c> reading A's matrix <c>Σ index_d · aStrides[d]</c> and B's
    /// likewise, a stride of 0 repeating a matrix along an axis it lacks or has of length 1.
    /// </summary>
    /// <param name="a">[batch, A's matrices, m, k].</param>
    /// <param name="b">[batch, B's matrices, k, n].</param>
    /// <param name="y">[batch, the output's matrices, m, n].</param>
    /// <param name="batch">Samples (rows of the batch).</param>
    /// <param name="outer">The output's leading axes (per sample).</param>
    /// <param name="aStrides">For each leading axis, A's step in matrices (0 where broadcast).</param>
    /// <param name="bStrides">For each leading axis, B's step in matrices (0 where broadcast).</param>
    /// <param name="aMatrices">A's matrices per sample.</param>
    /// <param name="bMatrices">B's matrices per sample.</param>
    /// <param name="m">Rows of each product.</param>
    /// <param name="k">The contracted length.</param>
    /// <param name="n">Columns of each product.</param>
    public static void MatMulBroadcast(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int batch, ReadOnlySpan<int> outer,
        ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, int aMatrices, int bMatrices, int m, int k, int n)
    {
        int count = CheckBroadcast(outer, aStrides, bStrides, aMatrices, bMatrices);
        var (sa, sb, sy) = CheckMatMul(a.Length, b.Length, y.Length, 0, m, k, n);
        CheckMatMul(a.Length / Math.Max(aMatrices, 1), b.Length / Math.Max(bMatrices, 1), y.Length / Math.Max(count, 1), batch, m, k, n);
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < count; i++)
            {
                var (ia, ib) = Sources(i, outer, aStrides, bStrides);
                Gemm.Multiply(a.Slice(((s * aMatrices) + ia) * sa, sa), b.Slice(((s * bMatrices) + ib) * sb, sb), y.Slice(((s * count) + i) * sy, sy),
                    m, k, n, accumulate: false);
            }
        }
    }

    /// <summary>Accumulates <see cref="MatMulBroadcast"/>'s input gradients (a broadcast matrix sums the gradients of every
    /// product it took part in); an empty one is skipped.</summary>
    /// <param name="dy">[batch, the output's matrices, m, n].</param>
    /// <param name="a">The forward's A.</param>
    /// <param name="b">The forward's B.</param>
    /// <param name="da">A's gradient, or empty.</param>
    /// <param name="db">B's gradient, or empty.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="outer">The output's leading axes.</param>
    /// <param name="aStrides">A's steps, as the forward's.</param>
    /// <param name="bStrides">B's steps, as the forward's.</param>
    /// <param name="aMatrices">A's matrices per sample.</param>
    /// <param name="bMatrices">B's matrices per sample.</param>
    /// <param name="m">Rows of each product.</param>
    /// <param name="k">The contracted length.</param>
    /// <param name="n">Columns of each product.</param>
    public static void MatMulBroadcastBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> da, Span<float> db,
        int batch, ReadOnlySpan<int> outer, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, int aMatrices, int bMatrices, int m, int k, int n)
    {
        int count = CheckBroadcast(outer, aStrides, bStrides, aMatrices, bMatrices);
        var (sa, sb, sy) = CheckMatMul(a.Length, b.Length, dy.Length, 0, m, k, n);
        CheckMatMul(a.Length / Math.Max(aMatrices, 1), b.Length / Math.Max(bMatrices, 1), dy.Length / Math.Max(count, 1), batch, m, k, n);
        CheckMatMul(da.IsEmpty ? a.Length : da.Length, db.IsEmpty ? b.Length : db.Length, dy.Length, 0, m, k, n);
        if ((!da.IsEmpty && da.Length < (long)batch * aMatrices * sa) || (!db.IsEmpty && db.Length < (long)batch * bMatrices * sb))
        {
            throw new ArgumentException($"MatMul's input gradients need {(long)batch * aMatrices * sa} and {(long)batch * bMatrices * sb} floats; got {da.Length} and {db.Length}.");
        }

        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < count; i++)
            {
                var (ia, ib) = Sources(i, outer, aStrides, bStrides);
                var g = dy.Slice(((s * count) + i) * sy, sy);
                if (!da.IsEmpty)
                {
                    Gemm.MultiplyTransposedB(g, b.Slice(((s * bMatrices) + ib) * sb, sb), da.Slice(((s * aMatrices) + ia) * sa, sa), m, n, k, accumulate: true);
                }

                if (!db.IsEmpty)
                {
                    Gemm.MultiplyTransposedA(a.Slice(((s * aMatrices) + ia) * sa, sa), g, db.Slice(((s * bMatrices) + ib) * sb, sb), k, m, n, accumulate: true);
                }
            }
        }
    }

    /// <summary>Which of A's and B's matrices output matrix <paramref name="index"/> reads.</summary>
    private static (int A, int B) Sources(int index, ReadOnlySpan<int> outer, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
    {
        int ia = 0, ib = 0;
        for (int d = outer.Length - 1; d >= 0; d--)
        {
            int position = index % outer[d];
            index /= outer[d];
            ia += position * aStrides[d];
            ib += position * bStrides[d];
        }

        return (ia, ib);
    }

    private static int CheckBroadcast(ReadOnlySpan<int> outer, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, int aMatrices, int bMatrices)
    {
        if (aStrides.Length != outer.Length || bStrides.Length != outer.Length || aMatrices < 1 || bMatrices < 1)
        {
            throw new ArgumentException($"MatMul's broadcast needs one stride per leading axis ({outer.Length}) for each input; got {aStrides.Length} and {bStrides.Length}.");
        }

        int count = 1;
        long lastA = 0, lastB = 0;
        for (int d = 0; d < outer.Length; d++)
        {
            if (outer[d] < 1 || aStrides[d] < 0 || bStrides[d] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(outer), "MatMul's leading axes must be positive and its strides not negative.");
            }

            count = checked(count * outer[d]);
            lastA += (long)(outer[d] - 1) * aStrides[d];
            lastB += (long)(outer[d] - 1) * bStrides[d];
        }

        if (lastA >= aMatrices || lastB >= bMatrices)
        {
            throw new ArgumentException($"MatMul's strides reach matrix {lastA} of A's {aMatrices} and {lastB} of B's {bMatrices}.");
        }

        return count;
    }

    private static (int A, int B, int Y) CheckMatMul(int aLength, int bLength, int yLength, int count, int m, int k, int n)
    {
        if (count < 0 || m < 0 || k < 0 || n < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "MatMul's sizes must not be negative.");
        }

        int sa = checked(m * k), sb = checked(k * n), sy = checked(m * n);
        if (aLength < (long)count * sa || bLength < (long)count * sb || yLength < (long)count * sy)
        {
            throw new ArgumentException($"MatMul of {count} × [{m}, {k}]·[{k}, {n}] needs {(long)count * sa}, {(long)count * sb} and {(long)count * sy} floats; " +
                $"got {aLength}, {bLength} and {yLength}.");
        }

        return (sa, sb, sy);
    }

    /// <summary>
    /// How one sample's inputs are read as matrices. A's rows are its free elements in order: when nothing follows the
    /// contracted axis (aInner = 1) that is one matrix [aOuter, k] (rows k apart); otherwise one matrix [aInner, k] per
    /// outer index (rows adjacent, the contracted axis aInner apart). B likewise, its columns being its free elements.
    /// </summary>
    private readonly record struct Geometry(int Batch, int AOuter, int K, int AInner, int BOuter, int BInner)
    {
        public int ASize => checked(AOuter * K * AInner);

        public int BSize => checked(BOuter * K * BInner);

        /// <summary>Columns of a sample's output: b's free elements.</summary>
        public int Q => checked(BOuter * BInner);

        public int YSize => checked(AOuter * AInner * Q);

        public int ASlices => AInner == 1 ? 1 : AOuter;

        public int ARows => AInner == 1 ? AOuter : AInner;

        public int ARow => AInner == 1 ? K : 1;

        public int AColumn => AInner == 1 ? 1 : AInner;

        public int BSlices => BInner == 1 ? 1 : BOuter;

        public int BColumns => BInner == 1 ? BOuter : BInner;

        public int BRow => BInner == 1 ? 1 : BInner;

        public int BColumn => BInner == 1 ? K : 1;

        public int AStart(int o) => o * K * AInner;

        public int BStart(int t) => t * K * BInner;

        public int YStart(int o, int t) => (o * ARows * Q) + (t * BColumns);

        public void Check(int aLength, int bLength, int yLength)
        {
            if (Batch < 0 || AOuter < 0 || K < 0 || AInner < 0 || BOuter < 0 || BInner < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Batch), $"Dot's sizes must not be negative; got {this}.");
            }

            if (aLength < (long)Batch * ASize || bLength < (long)Batch * BSize || yLength < (long)Batch * YSize)
            {
                throw new ArgumentException($"Dot over {this} needs {(long)Batch * ASize}, {(long)Batch * BSize} and {(long)Batch * YSize} floats; " +
                    $"got {aLength}, {bLength} and {yLength}.");
            }
        }
    }

    /// <summary>Each line of <paramref name="x"/> along its middle axis divided by its L2 norm (clamped as Keras's
    /// <c>l2_normalize</c>): <c>Dot(normalize: true)</c>.</summary>
    /// <param name="x">[outer, n, inner].</param>
    /// <param name="y">[outer, n, inner], the normalised lines.</param>
    /// <param name="outer">Elements before the normalised axis.</param>
    /// <param name="n">The normalised axis's length.</param>
    /// <param name="inner">Elements after it.</param>
    public static void L2Normalize(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner)
    {
        if (inner != 1)
        {
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int start = (o * n * inner) + i;
                    float squares = 0f;
                    for (int k = 0; k < n; k++)
                    {
                        squares += x[start + (k * inner)] * x[start + (k * inner)];
                    }

                    float factor = 1f / MathF.Sqrt(MathF.Max(squares, Epsilon));
                    for (int k = 0; k < n; k++)
                    {
                        y[start + (k * inner)] = x[start + (k * inner)] * factor;
                    }
                }
            }

            return;
        }

        int rows = outer;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * n, n);
            float scale = 1f / MathF.Sqrt(MathF.Max(TensorPrimitives.SumOfSquares(row), Epsilon));
            TensorPrimitives.Multiply(row, scale, y.Slice(r * n, n));
        }
    }

    /// <summary>Accumulates into <paramref name="dx"/> the gradient through the strided <see cref="L2Normalize"/>.</summary>
    /// <param name="x">[outer, n, inner], the input.</param>
    /// <param name="y">[outer, n, inner], the normalised lines.</param>
    /// <param name="dy">The gradient with respect to <paramref name="y"/>.</param>
    /// <param name="dx">Accumulated into.</param>
    /// <param name="outer">Elements before the normalised axis.</param>
    /// <param name="n">The normalised axis's length.</param>
    /// <param name="inner">Elements after it.</param>
    public static void L2NormalizeBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int n, int inner)
    {
        if (inner != 1)
        {
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int start = (o * n * inner) + i;
                    float squares = 0f, projection = 0f;
                    for (int k = 0; k < n; k++)
                    {
                        int at = start + (k * inner);
                        squares += x[at] * x[at];
                        projection += y[at] * dy[at];
                    }

                    // As the rows below: linear where the norm is clamped, (dy − y (y·dy)) / |x| elsewhere.
                    float inverse = 1f / MathF.Sqrt(MathF.Max(squares, Epsilon));
                    bool clamped = squares <= Epsilon;
                    for (int k = 0; k < n; k++)
                    {
                        int at = start + (k * inner);
                        dx[at] += (clamped ? dy[at] : dy[at] - (y[at] * projection)) * inverse;
                    }
                }
            }

            return;
        }

        int rows = outer;
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
