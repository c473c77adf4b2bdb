using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unrolled.Kernels;

/// <summary>
/// Forward and backward passes of Keras 3's activations over a [rows, cols] block (softmax runs over each row;
/// every other activation is element-wise). Called by generated layers.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ActivationKernels
{
    private const float SeluAlpha = 1.6732632423543772f;
    private const float SeluScale = 1.0507009873554805f;

    /// <summary>Whether <see cref="Backward"/> needs the pre-activation <c>z</c> (true for Swish and GELU, whose
    /// derivatives cannot be recovered from the output alone); the generator keeps <c>z</c> only then.</summary>
    /// <param name="activation">The activation.</param>
    /// <returns>True when <c>z</c> must be kept for the backward pass.</returns>
    public static bool NeedsPreActivation(Activation activation) => activation is Activation.Swish or Activation.Gelu;

    /// <summary>y = activation(z). <paramref name="y"/> may be the same span as <paramref name="z"/> (in place).</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="z">Pre-activations, rows × cols.</param>
    /// <param name="y">Outputs, rows × cols.</param>
    /// <param name="rows">Rows (samples, times any inner axes but the last).</param>
    /// <param name="cols">Size of the last axis (the softmax axis).</param>
    public static unsafe void Forward(Activation activation, ReadOnlySpan<float> z, Span<float> y, int rows, int cols)
    {
        int count = checked(rows * cols);
        z = z[..count];
        y = y[..count];
        if (activation != Activation.Linear && Halves.Worth(2L * count))
        {
            fixed (float* pz = z, py = y)
            {
                var job = new RowJob { Activation = activation, Z = pz, Y = py, Rows = rows, Cols = cols };
                if (Halves.TryRun(&ForwardRows, &job, Units(activation, rows, count)))
                {
                    return;
                }
            }
        }

        ForwardCore(activation, z, y, rows, cols);
    }

    /// <summary>
    /// The units a pass is split in: rows for the softmax (it normalises within a row), otherwise blocks of
    /// <see cref="Halves.BlockFloats"/> elements, so that each element meets the same vector or scalar code as on one
    /// thread (the halves start on a whole number of vectors) and the result is bit-identical.
    /// </summary>
    private static int Units(Activation activation, int rows, int count) => activation == Activation.Softmax ? rows : Halves.Blocks(count);

    /// <summary>The (first element, elements, rows) of units [first, end) of a split pass.</summary>
    private static (int Start, int Length, int Rows) Piece(in RowJob job, int first, int end)
    {
        if (job.Activation == Activation.Softmax)
        {
            return (first * job.Cols, (end - first) * job.Cols, end - first);
        }

        // Element-wise: the rows argument is only used by the softmax, so one row of all the elements serves.
        var (start, length) = Halves.BlockRange(first, end, job.Rows * job.Cols);
        return (start, length, 1);
    }

    private static unsafe void ForwardRows(void* state, int first, int end, int part)
    {
        ref readonly RowJob job = ref *(RowJob*)state;
        var (start, length, rows) = Piece(job, first, end);
        ForwardCore(job.Activation, new ReadOnlySpan<float>(job.Z + start, length), new Span<float>(job.Y + start, length), rows, length / rows);
    }

    private static unsafe void BackwardRows(void* state, int first, int end, int part)
    {
        ref readonly RowJob job = ref *(RowJob*)state;
        var (start, length, rows) = Piece(job, first, end);
        BackwardCore(job.Activation, job.Z == null ? default : new ReadOnlySpan<float>(job.Z + start, length),
            job.Y == null ? default : new ReadOnlySpan<float>(job.Y + start, length), new Span<float>(job.G + start, length), rows, length / rows);
    }

    /// <summary>A pass split between two threads (<see cref="Halves"/>); a pointer is null for an empty span.</summary>
    private unsafe struct RowJob
    {
        public Activation Activation;
        public float* Z;
        public float* Y;
        public float* G;
        public int Rows;
        public int Cols;
    }

    private static void ForwardCore(Activation activation, ReadOnlySpan<float> z, Span<float> y, int rows, int cols)
    {
        int count = rows * cols;
        switch (activation)
        {
            case Activation.Linear:
                z.CopyTo(y); // memmove semantics: a no-op in place
                break;
            case Activation.Relu:
                TensorPrimitives.Max(z, 0f, y);
                break;
            case Activation.Relu6:
                TensorPrimitives.Max(z, 0f, y);
                TensorPrimitives.Min(y, 6f, y);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(z, y);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(z, y);
                break;
            case Activation.Exponential:
                TensorPrimitives.Exp(z, y);
                break;
            case Activation.Softmax:
                Softmax(z, y, rows, cols);
                break;
            default:
                for (int i = 0; i < count; i++)
                {
                    y[i] = Scalar(activation, z[i]);
                }

                break;
        }
    }

    /// <summary>
    /// Turns dL/dy into dL/dz in place. <paramref name="y"/> holds the outputs of <see cref="Forward"/>;
    /// <paramref name="z"/> is read only when <see cref="NeedsPreActivation"/> is true, and may be empty otherwise.
    /// </summary>
    /// <param name="activation">The activation.</param>
    /// <param name="z">Pre-activations (Swish and GELU only).</param>
    /// <param name="y">Outputs of the forward pass.</param>
    /// <param name="gradient">dL/dy on entry, dL/dz on exit.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Size of the last axis.</param>
    public static unsafe void Backward(Activation activation, ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> gradient, int rows, int cols)
    {
        int count = checked(rows * cols);
        gradient = gradient[..count];
        if (activation == Activation.Linear)
        {
            return;
        }

        bool pre = NeedsPreActivation(activation);
        z = pre ? z[..count] : default;
        y = pre ? default : y[..count];
        if (Halves.Worth(3L * count))
        {
            fixed (float* pz = z, py = y, pg = gradient)
            {
                var job = new RowJob { Activation = activation, Z = pz, Y = py, G = pg, Rows = rows, Cols = cols };
                if (Halves.TryRun(&BackwardRows, &job, Units(activation, rows, count)))
                {
                    return;
                }
            }
        }

        BackwardCore(activation, z, y, gradient, rows, cols);
    }

    private static void BackwardCore(Activation activation, ReadOnlySpan<float> z, ReadOnlySpan<float> y, Span<float> gradient, int rows, int cols)
    {
        int count = rows * cols;
        if (NeedsPreActivation(activation))
        {
            for (int i = 0; i < count; i++)
            {
                gradient[i] *= PreActivationDerivative(activation, z[i]);
            }

            return;
        }

        switch (activation)
        {
            case Activation.Relu:
                ReluBackward(y, gradient);
                break;
            case Activation.Sigmoid:
                SigmoidBackward(y, gradient);
                break;
            case Activation.Tanh:
                TanhBackward(y, gradient);
                break;
            case Activation.Exponential:
                TensorPrimitives.Multiply(gradient, y, gradient);
                break;
            case Activation.Softmax:
                SoftmaxBackward(y, gradient, rows, cols);
                break;
            default:
                for (int i = 0; i < count; i++)
                {
                    gradient[i] *= OutputDerivative(activation, y[i]);
                }

                break;
        }
    }

    /// <summary>The element-wise activations without a vectorised library routine, in float as Keras computes them.</summary>
    internal static float Scalar(Activation activation, float x) => activation switch
    {
        Activation.Elu => x > 0f ? x : (float)SpecialFunctions.ExpM1(x),
        Activation.Selu => x > 0f ? SeluScale * x : (float)(SeluScale * SeluAlpha * SpecialFunctions.ExpM1(x)),
        Activation.HardSigmoid => Math.Clamp(x + 3f, 0f, 6f) / 6f,
        // Stable log(1 + e^x): for large x the naive form overflows, for very negative x it loses everything.
        Activation.Softplus => MathF.Max(x, 0f) + (float)Math.Log(1.0 + Math.Exp(-Math.Abs((double)x))),
        Activation.Softsign => x / (1f + MathF.Abs(x)),
        Activation.Swish => (float)(x / (1.0 + Math.Exp(-(double)x))),
        Activation.Gelu => (float)(x * SpecialFunctions.NormalCdf(x)),
        Activation.Relu => MathF.Max(x, 0f),
        Activation.Relu6 => MathF.Min(MathF.Max(x, 0f), 6f),
        Activation.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-(double)x))),
        Activation.Tanh => MathF.Tanh(x),
        Activation.Exponential => MathF.Exp(x),
        Activation.Linear => x,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Softmax is not element-wise."),
    };

    /// <summary>dy/dz written in terms of y, for activations whose derivative y determines.</summary>
    private static float OutputDerivative(Activation activation, float y) => activation switch
    {
        // y > 0 exactly when z > 0 (the kinks sit at 0); below, ELU's derivative e^z equals y + 1.
        Activation.Relu6 => y > 0f && y < 6f ? 1f : 0f,
        Activation.Elu => y > 0f ? 1f : y + 1f,
        Activation.Selu => y > 0f ? SeluScale : y + (SeluScale * SeluAlpha),
        Activation.HardSigmoid => y > 0f && y < 1f ? 1f / 6f : 0f,
        // softplus'(z) = sigmoid(z) = 1 - e^-y.
        Activation.Softplus => (float)-SpecialFunctions.ExpM1(-(double)y),
        // softsign'(z) = 1 / (1 + |z|)² and 1 - |y| = 1 / (1 + |z|).
        Activation.Softsign => (1f - MathF.Abs(y)) * (1f - MathF.Abs(y)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    private static float PreActivationDerivative(Activation activation, float z)
    {
        double x = z;
        if (activation == Activation.Swish)
        {
            double s = 1.0 / (1.0 + Math.Exp(-x));
            return (float)(s * (1.0 + (x * (1.0 - s))));
        }

        return (float)(SpecialFunctions.NormalCdf(x) + (x * SpecialFunctions.NormalPdf(x)));
    }

    /// <summary>
    /// One softmax row of at least 16 floats in three passes over 16-float vectors (max; exp(x − max) stored and summed;
    /// scaled) instead of five library calls: attention's score rows (hundreds of keys, thousands of rows) spent most of
    /// their time in the calls' setup. <paramref name="y"/> may be <paramref name="z"/>.
    /// </summary>
    private static void SoftmaxRow512(ReadOnlySpan<float> z, Span<float> y)
    {
        float sum = ShiftedExponentials512(z, y, 1f);
        int n = z.Length, main = n & ~15, tail = n - main;
        ref float yr = ref MemoryMarshal.GetReference(y);
        var scale = Vector512.Create(1f / sum);
        for (int j = 0; j < main; j += 16)
        {
            (Vector512.LoadUnsafe(ref yr, (nuint)j) * scale).StoreUnsafe(ref yr, (nuint)j);
        }

        if (tail != 0)
        {
            var v = Vector512.LoadUnsafe(ref yr, (nuint)(n - 16));
            Vector512.ConditionalSelect(Fresh(tail), v * scale, v).StoreUnsafe(ref yr, (nuint)(n - 16));
        }
    }

    /// <summary>
    /// The numerators of a softmax row of <paramref name="scale"/>·z: y = exp(scale·(z − max z)), returning their sum (the
    /// maximum's own numerator is 1 to within 0.2 %, so the sum is not below 0.99 unless the row holds NaN). Rows of 16 floats or more go through 16-float vectors, the last, partial vector
    /// being the row's last 16 floats again with the lanes already done masked out of the sum; shorter rows through
    /// scalars. <paramref name="y"/> may be <paramref name="z"/>. The fused attention of <see cref="MultiHeadAttention"/>
    /// divides its weighted sums by the returned sum instead of every weight, and passes 1/√keyDim as the scale instead of
    /// scaling the queries.
    /// </summary>
    /// <param name="z">The row.</param>
    /// <param name="y">Receives the numerators.</param>
    /// <param name="scale">A positive factor applied to the row before the softmax (so the maximum is unchanged).</param>
    internal static float ShiftedExponentials(ReadOnlySpan<float> z, Span<float> y, float scale)
    {
        if (z.Length >= 16 && Vector512.IsHardwareAccelerated)
        {
            return ShiftedExponentials512(z, y, scale);
        }

        float max = float.NegativeInfinity;
        foreach (float v in z)
        {
            max = v > max || float.IsNaN(v) ? v : max;
        }

        float sum = 0f;
        for (int i = 0; i < z.Length; i++)
        {
            float e = MathF.Exp((z[i] - max) * scale);
            y[i] = e;
            sum += e;
        }

        return sum;
    }

    private static float ShiftedExponentials512(ReadOnlySpan<float> z, Span<float> y, float scale)
    {
        int n = z.Length;
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int main = n & ~15, tail = n - main;
        // vmaxps in two chains: Vector512.Max orders NaN and signed zeros as IEEE 754-2019 does, three dependent
        // instructions a vector (vrangeps and two vfixupimmps) that made this pass as slow as the exponentials. A NaN
        // score is lost from the maximum here but not from the row: exp(NaN − max) is NaN, and so is the sum.
        var max = Vector512.Create(float.NegativeInfinity);
        var max2 = max;
        int j2 = 0;
        for (; j2 + 32 <= main; j2 += 32)
        {
            max = Avx512F.Max(max, Vector512.LoadUnsafe(ref zr, (nuint)j2));
            max2 = Avx512F.Max(max2, Vector512.LoadUnsafe(ref zr, (nuint)(j2 + 16)));
        }

        if (j2 < main)
        {
            max = Avx512F.Max(max, Vector512.LoadUnsafe(ref zr, (nuint)j2));
        }

        if (tail != 0)
        {
            max2 = Avx512F.Max(max2, Vector512.LoadUnsafe(ref zr, (nuint)(n - 16))); // overlapping lanes change nothing
        }

        max = Avx512F.Max(max, max2);

        // exp(scale·(z − max)) = 2^t with c = scale·log₂e. Near 0, t = c·z − c·max in one rounding: the rounding of c·max
        // shifts every t of the row alike and cancels in the softmax's ratio (the maximum's own t is within 2⁻⁸ of 0), and
        // t's own rounding (|t|·2⁻²⁴) moves a numerator by at most 2⁻²⁴/e ≈ 2.2e-8. Where c·max is large that rounding is
        // not small (above 2³¹ it exceeds 128, and every numerator would overflow or vanish), so t = (z − max)·c there.
        float log2Scale = scale * 1.44269504088896341f, m = HorizontalMax(max), shift = -m * log2Scale;
        return MathF.Abs(shift) <= 65536f
            ? Numerators512<NearShift>(ref zr, ref yr, n, log2Scale, shift, m)
            : Numerators512<FarShift>(ref zr, ref yr, n, log2Scale, shift, m);
    }

    /// <summary>Writes 2^t for each of the row's floats and returns their sum, t as <typeparamref name="TShift"/> says.</summary>
    private static float Numerators512<TShift>(ref float zr, ref float yr, int n, float log2Scale, float shift, float max)
        where TShift : struct, IShift
    {
        int main = n & ~15, tail = n - main;
        var c = Vector512.Create(log2Scale);
        var s = Vector512.Create(shift);
        var m = Vector512.Create(max);

        // z's last 16 floats, read before the stores below reach them (y may be z).
        var last = tail != 0 ? Vector512.LoadUnsafe(ref zr, (nuint)(n - 16)) : default;
        var sum = Vector512<float>.Zero;
        for (int j = 0; j < main; j += 16)
        {
            var e = Simd.Exp2NonPositive(TShift.Exponent(Vector512.LoadUnsafe(ref zr, (nuint)j), c, s, m));
            e.StoreUnsafe(ref yr, (nuint)j);
            sum += e;
        }

        if (tail != 0)
        {
            var fresh = Fresh(tail);
            var e = Simd.Exp2NonPositive(TShift.Exponent(last, c, s, m));
            sum += Vector512.ConditionalSelect(fresh, e, Vector512<float>.Zero);
            Vector512.ConditionalSelect(fresh, e, Vector512.LoadUnsafe(ref yr, (nuint)(n - 16))).StoreUnsafe(ref yr, (nuint)(n - 16));
        }

        return Vector512.Sum(sum);
    }

    /// <summary>How a softmax row's exponent t is formed from a score z, the scale c (log₂e folded in), the shift −c·max
    /// and the maximum.</summary>
    private interface IShift
    {
        static abstract Vector512<float> Exponent(Vector512<float> z, Vector512<float> c, Vector512<float> shift, Vector512<float> max);
    }

    /// <summary>t = c·z − c·max in one fused multiply-add, for rows whose c·max is small.</summary>
    private readonly struct NearShift : IShift
    {
        public static Vector512<float> Exponent(Vector512<float> z, Vector512<float> c, Vector512<float> shift, Vector512<float> max)
            => Vector512.FusedMultiplyAdd(z, c, shift);
    }

    /// <summary>t = (z − max)·c, for rows whose c·max is too large to round once for the row.</summary>
    private readonly struct FarShift : IShift
    {
        public static Vector512<float> Exponent(Vector512<float> z, Vector512<float> c, Vector512<float> shift, Vector512<float> max)
            => (z - max) * c;
    }

    /// <summary>The lanes of a row's last 16 floats that lie past its last whole vector (<paramref name="tail"/> of them).</summary>
    private static Vector512<float> Fresh(int tail)
        => Vector512.GreaterThanOrEqual(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(16 - tail)).AsSingle();

    private static float HorizontalMax(Vector512<float> v)
    {
        var m = Avx.Max(v.GetLower(), v.GetUpper());
        var q = Sse.Max(m.GetLower(), m.GetUpper());
        q = Sse.Max(q, Sse.Shuffle(q, q, 0b01_00_11_10));
        q = Sse.Max(q, Sse.Shuffle(q, q, 0b10_11_00_01));
        return q.ToScalar();
    }

    /// <summary>Below this row width a plain loop beats five vectorised library calls per row (classifier heads).</summary>
    private const int NarrowRow = 32;

    /// <summary>
    /// The softmax along the middle axis of [outer, length, inner] (Keras's <c>Softmax(axis)</c>): each line of
    /// <paramref name="length"/> values, <paramref name="inner"/> apart, becomes exp(x − max) / Σ exp(x − max).
    /// </summary>
    /// <param name="x">[outer, length, inner].</param>
    /// <param name="y">The same shape; it may be <paramref name="x"/>.</param>
    /// <param name="outer">Lines' blocks: samples times the axes before the normalised one.</param>
    /// <param name="length">The normalised axis.</param>
    /// <param name="inner">Elements after it.</param>
    public static void SoftmaxAlong(ReadOnlySpan<float> x, Span<float> y, int outer, int length, int inner)
    {
        long size = CheckAlong(x.Length, y.Length, outer, length, inner, "y");
        if (inner == 1)
        {
            Softmax(x[..(int)size], y, outer, length);
            return;
        }

        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * length * inner) + i;
                float max = float.NegativeInfinity;
                for (int k = 0; k < length; k++)
                {
                    max = MathF.Max(max, x[start + (k * inner)]);
                }

                float sum = 0f;
                for (int k = 0; k < length; k++)
                {
                    float e = MathF.Exp(x[start + (k * inner)] - max);
                    y[start + (k * inner)] = e;
                    sum += e;
                }

                float scale = 1f / sum;
                for (int k = 0; k < length; k++)
                {
                    y[start + (k * inner)] *= scale;
                }
            }
        }
    }

    /// <summary>Accumulates the gradient through <see cref="SoftmaxAlong"/>: dx += y ⊙ (dy − Σ y·dy) along each line.</summary>
    /// <param name="y">The softmax's output, [outer, length, inner].</param>
    /// <param name="dy">Its gradient.</param>
    /// <param name="dx">The input's gradient, accumulated into.</param>
    /// <param name="outer">Lines' blocks.</param>
    /// <param name="length">The normalised axis.</param>
    /// <param name="inner">Elements after it.</param>
    public static void SoftmaxAlongBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int length, int inner)
    {
        CheckAlong(y.Length, dy.Length, outer, length, inner, "dy");
        CheckAlong(y.Length, dx.Length, outer, length, inner, "dx");
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * length * inner) + i;
                float dot = 0f;
                for (int k = 0; k < length; k++)
                {
                    dot += y[start + (k * inner)] * dy[start + (k * inner)];
                }

                for (int k = 0; k < length; k++)
                {
                    int at = start + (k * inner);
                    dx[at] += y[at] * (dy[at] - dot);
                }
            }
        }
    }

    private static long CheckAlong(int xLength, int yLength, int outer, int length, int inner, string name)
    {
        if (outer < 0 || length < 0 || inner < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outer), "Sizes must not be negative.");
        }

        long size = (long)outer * length * inner;
        if (xLength < size || yLength < size)
        {
            throw new ArgumentException($"The softmax over [{outer}, {length}, {inner}] needs {size} floats; got {xLength} and {yLength}.", name);
        }

        return size;
    }

    private static void Softmax(ReadOnlySpan<float> z, Span<float> y, int rows, int cols)
    {
        if (cols < NarrowRow)
        {
            NarrowSoftmax(z, y, rows, cols);
            return;
        }

        if (Vector512.IsHardwareAccelerated)
        {
            for (int r = 0; r < rows; r++)
            {
                SoftmaxRow512(z.Slice(r * cols, cols), y.Slice(r * cols, cols));
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> zr = z.Slice(r * cols, cols);
            Span<float> yr = y.Slice(r * cols, cols);
            // Subtracting the row maximum keeps exp from overflowing; it cancels in the ratio.
            float max = TensorPrimitives.Max(zr);
            TensorPrimitives.Subtract(zr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            float sum = TensorPrimitives.Sum(yr);
            TensorPrimitives.Multiply(yr, 1f / sum, yr);
        }
    }

    private static void NarrowSoftmax(ReadOnlySpan<float> z, Span<float> y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> zr = z.Slice(r * cols, cols);
            Span<float> yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            foreach (float v in zr)
            {
                max = v > max || float.IsNaN(v) ? v : max;
            }

            float sum = 0;
            for (int i = 0; i < cols; i++)
            {
                float e = MathF.Exp(zr[i] - max);
                yr[i] = e;
                sum += e;
            }

            float inverse = 1f / sum;
            for (int i = 0; i < cols; i++)
            {
                yr[i] *= inverse;
            }
        }
    }

    private static void SoftmaxBackward(ReadOnlySpan<float> y, Span<float> gradient, int rows, int cols)
    {
        if (cols < NarrowRow)
        {
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> yr = y.Slice(r * cols, cols);
                Span<float> gr = gradient.Slice(r * cols, cols);
                float dot = 0;
                for (int i = 0; i < cols; i++)
                {
                    dot += gr[i] * yr[i];
                }

                for (int i = 0; i < cols; i++)
                {
                    gr[i] = yr[i] * (gr[i] - dot);
                }
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> yr = y.Slice(r * cols, cols);
            Span<float> gr = gradient.Slice(r * cols, cols);
            // dz_i = y_i (g_i - Σ_j g_j y_j)
            float dot = TensorPrimitives.Dot(gr, yr);
            TensorPrimitives.Subtract(gr, dot, gr);
            TensorPrimitives.Multiply(gr, yr, gr);
        }
    }

    private static void ReluBackward(ReadOnlySpan<float> y, Span<float> gradient) => Simd.MaskPositive(y, gradient);

    private static void SigmoidBackward(ReadOnlySpan<float> y, Span<float> gradient)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var yv = new Vector<float>(y[i..]);
                (new Vector<float>(gradient[i..]) * yv * (Vector<float>.One - yv)).CopyTo(gradient[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            gradient[i] *= y[i] * (1f - y[i]);
        }
    }

    private static void TanhBackward(ReadOnlySpan<float> y, Span<float> gradient)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var yv = new Vector<float>(y[i..]);
                (new Vector<float>(gradient[i..]) * (Vector<float>.One - (yv * yv))).CopyTo(gradient[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            gradient[i] *= 1f - (y[i] * y[i]);
        }
    }
}
