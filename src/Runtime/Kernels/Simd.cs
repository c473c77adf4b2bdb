using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>
/// Element-wise loops for the short rows of small layers (bias rows of 10–100 floats), where the fixed cost of a
/// library call per row outweighs the work; these inline into the caller's row loop.
/// </summary>
internal static class Simd
{
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
