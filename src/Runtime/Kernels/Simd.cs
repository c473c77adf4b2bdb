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
    /// e^x for x ≤ 0 (or NaN), the domain a softmax row has once its maximum is subtracted: within 1.3 units in the last
    /// place of the exact value there (Cody–Waite reduction by ln 2, Cephes's degree-6 polynomial, AVX-512's scalef for
    /// 2ⁿ, which also gives the subnormal results), 0 below −104 where float's exponential underflows, NaN for NaN.
    /// Vector512.Exp computes in double and took 1.7× as long over the text transformer's scores; it is used where
    /// AVX-512F is missing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        if (!Avx512F.IsSupported)
        {
            return Vector512.Exp(x);
        }

        // Clamped at −104 (vmaxps returns its second operand, x, when x is NaN): e^−104 is below half the smallest
        // subnormal, so the scaling below rounds it, and everything under it, to 0 without a compare and a select.
        x = Avx512F.Max(Vector512.Create(-104f), x);
        var n = Avx512F.RoundScale(x * Vector512.Create(1.44269504088896341f), 0); // to nearest
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x); // ln 2 in two parts, the first exact
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        return Avx512F.Scale(p, n);
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
