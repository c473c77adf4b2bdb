using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unrolled.Kernels;

/// <summary>
/// Element-wise loops for the short rows of small layers (bias rows of 10–100 floats), where the fixed cost of a
/// library call per row outweighs the work; these inline into the caller's row loop.
/// </summary>
internal static class Simd
{
    /// <summary>
    /// 2^t for t ≤ 0 (or NaN), the domain of a softmax row once its maximum is subtracted (and log₂e folded into its
    /// scale): t = n + f with n the nearest integer, 2^f by a degree-6 polynomial fitted on [−½, ½] (within 1.7 × 2⁻²⁴
    /// relative), and AVX-512's scalef for 2ⁿ, which also rounds the subnormal results; 0 from −150 down, NaN for NaN.
    /// Against e^x by Cody–Waite reduction this drops the multiply by log₂e and the two-part reduction (t − n is exact):
    /// 8 floating-point operations a vector instead of 12 (.NET's Vector512.Exp computes in double and took 1.7× as long
    /// over the text transformer's scores). Without AVX-512F, <see cref="Exp2NonPositivePortable"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2NonPositive(Vector512<float> t)
    {
        if (!Avx512F.IsSupported)
        {
            return Exp2NonPositivePortable(t);
        }

        // vmaxps returns its second operand, t, when t is NaN; 2^−150 is half the smallest subnormal and rounds to 0.
        t = Avx512F.Max(Vector512.Create(-150f), t);
        var n = Avx512F.RoundScale(t, 0); // to nearest
        var f = t - n;                   // exact: n is within ½ of t
        return Avx512F.Scale(Exp2Fraction(f), n);
    }

    /// <summary>
    /// <see cref="Exp2NonPositive"/> without AVX-512's roundscale and scalef (the softmax rows take it only where
    /// Vector512 is emulated): the same polynomial, and 2ⁿ as two normal powers of two 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), so that
    /// a subnormal result is rounded once.
    /// </summary>
    internal static Vector512<float> Exp2NonPositivePortable(Vector512<float> t)
    {
        t = Vector512.Max(Vector512.Create(-150f), t); // NaN stays NaN
        var n = Vector512.Round(t);
        var f = t - n;
        var p = Exp2Fraction(f);
        var whole = Vector512.ConvertToInt32(n);
        var half = Vector512.ShiftRightArithmetic(whole, 1);
        var bias = Vector512.Create(127);
        var first = Vector512.ShiftLeft(half + bias, 23).AsSingle();
        var second = Vector512.ShiftLeft(whole - half + bias, 23).AsSingle();
        return p * first * second;
    }

    /// <summary>2^f for f in [−½, ½]: the degree-6 polynomial fitted to it (within 1.7 × 2⁻²⁴ relative), by Horner's rule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp2Fraction(Vector512<float> f)
    {
        var p = Vector512.Create(1.535336196e-4f);
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(1.3398875017e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(9.6184369177e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(5.5503323674e-2f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(2.4022647738e-1f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(6.9314718246e-1f));
        return Vector512.FusedMultiplyAdd(p, f, Vector512<float>.One);
    }

    /// <summary>destination[i] = a[i] + b[i] for i &lt; length; destination may be a or b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref float a, ref float b, ref float destination, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512.LoadUnsafe(ref a, (nuint)i) + Vector512.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref destination, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref a, (nuint)i) + Vector256.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref destination, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref destination, i) = Unsafe.Add(ref a, i) + Unsafe.Add(ref b, i);
        }
    }

    /// <summary>gradient[i] = y[i] &gt; 0 ? gradient[i] : 0 (ReLU's backward, from its output).</summary>
    public static void MaskPositive(ReadOnlySpan<float> y, Span<float> gradient)
    {
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float gr = ref MemoryMarshal.GetReference(gradient);
        int length = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref yr, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref gr, (nuint)i) & mask).StoreUnsafe(ref gr, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref gr, (nuint)i) & mask).StoreUnsafe(ref gr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref gr, i) = Unsafe.Add(ref yr, i) > 0f ? Unsafe.Add(ref gr, i) : 0f;
        }
    }
}
