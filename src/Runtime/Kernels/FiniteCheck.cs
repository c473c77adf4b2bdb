using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>Whether a buffer holds only finite values, checked once per training step on the weights' gradient.</summary>
internal static class FiniteCheck
{
    /// <summary>
    /// True when no element is NaN or ±∞. Uses x − x, which is 0 for every finite x and NaN otherwise, summed per lane:
    /// one subtraction and one addition per vector, far cheaper than a general sum (which could also overflow).
    /// </summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int i = 0;
        bool finite = true;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= values.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref start, (nuint)i);
                acc += v - v;
            }

            finite = Vector512.EqualsAll(acc, Vector512<float>.Zero);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                acc += v - v;
            }

            finite = Vector256.EqualsAll(acc, Vector256<float>.Zero);
        }

        float rest = 0;
        for (; i < values.Length; i++)
        {
            rest += values[i] - values[i];
        }

        return finite && rest == 0;
    }
}
