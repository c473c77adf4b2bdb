using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unrolled.Kernels;

public static partial class MultiHeadAttention
{
    /// <summary>Query rows per block of the fused path: their scores (rows × Tk) stay in L1 from the product through the
    /// softmax to the weighted sum.</summary>
    private const int FusedRows = 8;

    /// <summary>Stack the fused path may take: one head's keys transposed (keyDim × Tk, rounded up to whole vectors) and
    /// a block's scores. 64 KiB: 200 keys of 32 take 8,320 floats, 512 keys of 16 take 12,288. With the GEMM driver's
    /// tiles under it (16 KiB more for a value dim that is not a whole number of vectors) a call needs about 84 KiB of
    /// the caller's stack.</summary>
    private const int FusedStackFloats = 16384;

    /// <summary>Whether <see cref="FusedHead"/> can run these sizes here: AVX-512, and the keys and a block of scores fit
    /// its stack. Longer sequences keep the three passes over the probabilities' region.</summary>
    private static bool Fusable(in MultiHeadShape s)
        => GemmPaths.Best == GemmPath.Avx512 && (long)Padded(s.KeySteps) * (s.KeyDim + FusedRows) <= FusedStackFloats;

    private static int Padded(int steps) => (steps + 15) & ~15;

    /// <summary>
    /// One head of one sample when the attention weights need not be kept (a prediction): the head's keys are
    /// transposed once onto the stack, then for each block of <see cref="FusedRows"/> query rows the scores q·kᵀ go into
    /// a stack tile, each row becomes exp(score − row max) in place (Keras's masks: the masked softmax, already
    /// normalised), the tile multiplies the values into the head's output rows, and each row is divided by its sum.
    /// Against the three passes over a Tq × Tk region in L2, the scores never leave L1 and the softmax's scaling pass
    /// over Tk weights becomes one over valueDim outputs. A causal block computes only the keys it sees, as
    /// <see cref="Forward"/> does.
    /// </summary>
    [SkipLocalsInit] // the transposed keys and the tile are written before they are read
    private static unsafe void FusedHead(in MultiHeadShape s, int b, ReadOnlySpan<float> qh, ReadOnlySpan<float> kh, ReadOnlySpan<float> vh,
        Span<float> oh, bool masked, ReadOnlySpan<float> queryMask, ReadOnlySpan<float> valueMask, ReadOnlySpan<float> keyMask,
        ReadOnlySpan<float> attentionMask)
    {
        int tq = s.QuerySteps, tk = s.KeySteps, kd = s.KeyDim, vd = s.ValueDim, hk = s.QueryWidth, hv = s.ValueWidth;
        int width = Padded(tk);
        float* kt = stackalloc float[kd * width];
        float* tile = stackalloc float[FusedRows * width];
        float* inverse = stackalloc float[FusedRows];
        fixed (float* pq = qh, pk = kh, pv = vh, po = oh)
        {
            Transpose(pk, hk, kt, width, tk, kd);
            float scale = 1f / MathF.Sqrt(kd);
            for (int i0 = 0; i0 < tq; i0 += FusedRows)
            {
                int rows = Math.Min(FusedRows, tq - i0);
                int visible = s.Causal ? Math.Min(i0 + rows, tk) : tk;
                GemmDriver<Avx512Ops, Vector512<float>>.Run(pq + ((nint)i0 * hk), hk, 1, kt, width, tile, width, rows, kd, Padded(visible), accumulate: false);
                for (int r = 0; r < rows; r++)
                {
                    int i = i0 + r, seen = s.Causal ? Math.Min(i + 1, tk) : tk;
                    var row = new Span<float>(tile + ((nint)r * width), visible);
                    if (masked)
                    {
                        TensorPrimitives.Multiply(row[..seen], scale, row);
                        MaskedSoftmax(row[..seen], b, i, tq, tk, queryMask, valueMask, keyMask, attentionMask);
                        inverse[r] = 1f;
                    }
                    else
                    {
                        inverse[r] = 1f / ActivationKernels.ShiftedExponentials(row[..seen], row, scale);
                    }

                    row[seen..].Clear();
                }

                float* out0 = po + ((nint)i0 * hv);
                GemmDriver<Avx512Ops, Vector512<float>>.Run(tile, width, 1, pv, hv, out0, hv, rows, visible, vd, accumulate: false);
                for (int r = 0; r < rows; r++)
                {
                    var output = new Span<float>(out0 + ((nint)r * hv), vd);
                    TensorPrimitives.Multiply(output, inverse[r], output);
                }
            }
        }
    }

    /// <summary>
    /// kt[p, j] = k[j, p] for a head's keys (<paramref name="steps"/> rows <paramref name="hk"/> apart, <paramref name="dim"/>
    /// floats each) into rows of <paramref name="width"/> floats, zero past the last step so that a block's last vector of
    /// scores reads no stale floats. Blocks of 8 × 8 are transposed in registers (24 shuffles for 64 floats; AVX2's gathers
    /// took three times as long and scalar copies twice as long for the text transformer's keys); the edges are copied.
    /// </summary>
    private static unsafe void Transpose(float* k, int hk, float* kt, int width, int steps, int dim)
    {
        int whole = Avx.IsSupported ? steps & ~7 : 0, deep = Avx.IsSupported ? dim & ~7 : 0;
        for (int j = 0; j < whole; j += 8)
        {
            float* rows = k + ((nint)j * hk);
            for (int p = 0; p < deep; p += 8)
            {
                Transpose8(rows + p, hk, kt + ((nint)p * width) + j, width);
            }
        }

        for (int j = 0; j < steps; j++)
        {
            float* row = k + ((nint)j * hk);
            for (int p = j < whole ? deep : 0; p < dim; p++)
            {
                kt[((nint)p * width) + j] = row[p];
            }
        }

        for (int p = 0; p < dim; p++)
        {
            new Span<float>(kt + ((nint)p * width) + steps, width - steps).Clear();
        }
    }

    /// <summary>Writes the transpose of the 8 × 8 block at <paramref name="source"/> (rows <paramref name="sourceRow"/>
    /// apart) to <paramref name="destination"/> (rows <paramref name="destinationRow"/> apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8(float* source, nint sourceRow, float* destination, nint destinationRow)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceRow);
        var r2 = Avx.LoadVector256(source + (2 * sourceRow));
        var r3 = Avx.LoadVector256(source + (3 * sourceRow));
        var r4 = Avx.LoadVector256(source + (4 * sourceRow));
        var r5 = Avx.LoadVector256(source + (5 * sourceRow));
        var r6 = Avx.LoadVector256(source + (6 * sourceRow));
        var r7 = Avx.LoadVector256(source + (7 * sourceRow));

        // Pairs of rows interleaved, then quadruples, then the 128-bit halves exchanged.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + destinationRow, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + (2 * destinationRow), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + (3 * destinationRow), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + (4 * destinationRow), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + (5 * destinationRow), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + (6 * destinationRow), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + (7 * destinationRow), Avx.Permute2x128(u3, u7, 0x31));
    }
}
