using Unrolled.Generator.Model;

namespace Unrolled.Generator.Shapes;

/// <summary>Keras's (NumPy's) broadcasting of per-sample shapes, for merges and operations on two tensors.</summary>
internal static class Broadcasting
{
    /// <summary>The broadcast of two per-sample shapes, or null when they are incompatible: aligned on the right, each
    /// pair of dimensions equal or one of them 1.</summary>
    public static EquatableArray<int>? Broadcast(EquatableArray<int> a, EquatableArray<int> b)
    {
        int rank = System.Math.Max(a.Count, b.Count);
        var dims = new int[rank];
        for (int i = 1; i <= rank; i++)
        {
            int x = i <= a.Count ? a[a.Count - i] : 1, y = i <= b.Count ? b[b.Count - i] : 1;
            if (x != y && x != 1 && y != 1)
            {
                return null; // includes a run-time length against another size: they might differ
            }

            dims[rank - i] = x == 1 ? y : x;
        }

        return dims.ToEquatableArray();
    }

    /// <summary>The first axis (Keras's numbering, batch 0) on which two shapes of one rank differ, or -1.</summary>
    public static int FirstDifferentAxis(EquatableArray<int> a, EquatableArray<int> b)
    {
        if (a.Count != b.Count)
        {
            return -1;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>Why two shapes with run-time lengths do not combine, for a Keras user who expects a run-time check.</summary>
    public static string RunTimeHint(TensorShape a, TensorShape b)
        => a.IsStatic && b.IsStatic ? string.Empty
            : a.Keras == b.Keras
                ? "; both print None there, but their sizes are computed differently from the run-time lengths (for example by windows " +
                  "with valid padding on one path and same padding on the other), so they may differ"
                : "; a None axis is known only at run time, so it matches only 1 or the same input's None axis, never a fixed size or another input's length";
}
