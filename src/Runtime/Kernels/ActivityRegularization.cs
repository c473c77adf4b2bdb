using System;
using System.ComponentModel;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>activity_regularizer</c>: a layer's output y adds (l1·Σ|y| + l2·Σy²) / batch to the loss (Keras 3 divides
/// by the output's leading axis), and its gradient to the output's. Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ActivityRegularization
{
    /// <summary>l1·Σ|y| + l2·Σy² (in double).</summary>
    /// <param name="y">The layer's output, flat.</param>
    /// <param name="l1">The L1 factor.</param>
    /// <param name="l2">The L2 factor.</param>
    /// <returns>The penalty, before the division by the batch.</returns>
    public static double Penalty(ReadOnlySpan<float> y, double l1, double l2)
    {
        double absolute = 0, squares = 0;
        foreach (float v in y)
        {
            absolute += Math.Abs(v);
            squares += (double)v * v;
        }

        return (l1 * absolute) + (l2 * squares);
    }

    /// <summary>Adds the penalty's gradient divided by the batch, l1·sign(y) / batch + 2·l2·y / batch, to dy.</summary>
    /// <param name="y">The layer's output, flat.</param>
    /// <param name="dy">Its gradient, accumulated into.</param>
    /// <param name="l1">The L1 factor.</param>
    /// <param name="l2">The L2 factor.</param>
    /// <param name="batch">The output's leading axis (the rows the layer ran on).</param>
    public static void AddGradient(ReadOnlySpan<float> y, Span<float> dy, double l1, double l2, int batch)
    {
        float a = (float)(l1 / batch), b = (float)(2 * l2 / batch);
        for (int i = 0; i < y.Length; i++)
        {
            dy[i] += (a * MathF.Sign(y[i])) + (b * y[i]);
        }
    }
}
