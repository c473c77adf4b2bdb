using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Forward and backward element-wise kernels of Keras's merge layers (<c>Subtract</c>, <c>Multiply</c>,
/// <c>Average</c>, <c>Maximum</c>, <c>Minimum</c>), over tensors of one shape. Backward kernels accumulate (+=).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MergeOps
{
    /// <summary><paramref name="destination"/> = <paramref name="a"/> − <paramref name="b"/>.</summary>
    /// <param name="a">The minuend.</param>
    /// <param name="b">The subtrahend.</param>
    /// <param name="destination">The difference.</param>
    public static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
        => TensorPrimitives.Subtract(a, b[..a.Length], destination[..a.Length]);

    /// <summary><paramref name="destination"/> = <paramref name="a"/> × <paramref name="b"/> element-wise.</summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="destination">The product (may be <paramref name="a"/>).</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
        => TensorPrimitives.Multiply(a, b[..a.Length], destination[..a.Length]);

    /// <summary><paramref name="destination"/> = max(<paramref name="a"/>, <paramref name="b"/>) element-wise.</summary>
    /// <param name="a">The first operand.</param>
    /// <param name="b">The second operand.</param>
    /// <param name="destination">The maximum (may be <paramref name="a"/>).</param>
    public static void Maximum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
        => TensorPrimitives.Max(a, b[..a.Length], destination[..a.Length]);

    /// <summary><paramref name="destination"/> = min(<paramref name="a"/>, <paramref name="b"/>) element-wise.</summary>
    /// <param name="a">The first operand.</param>
    /// <param name="b">The second operand.</param>
    /// <param name="destination">The minimum (may be <paramref name="a"/>).</param>
    public static void Minimum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
        => TensorPrimitives.Min(a, b[..a.Length], destination[..a.Length]);

    /// <summary>Multiplies <paramref name="values"/> by <paramref name="factor"/> in place.</summary>
    /// <param name="values">The values.</param>
    /// <param name="factor">The factor.</param>
    public static void Scale(Span<float> values, float factor) => TensorPrimitives.Multiply(values, factor, values);

    /// <summary><paramref name="destination"/> += <paramref name="factor"/> × <paramref name="source"/>.</summary>
    /// <param name="source">The gradient to add.</param>
    /// <param name="destination">The gradient accumulated into.</param>
    /// <param name="factor">The scale (−1 for the subtrahend, 1/n for an average).</param>
    public static void AccumulateScaled(ReadOnlySpan<float> source, Span<float> destination, float factor)
        => TensorPrimitives.MultiplyAdd(source, factor, destination[..source.Length], destination[..source.Length]);

    /// <summary><paramref name="destination"/> += <paramref name="gradient"/> × <paramref name="other"/> (a product's gradient).</summary>
    /// <param name="gradient">The gradient with respect to the product.</param>
    /// <param name="other">The product of the other factors.</param>
    /// <param name="destination">The factor's gradient, accumulated into.</param>
    public static void AccumulateProduct(ReadOnlySpan<float> gradient, ReadOnlySpan<float> other, Span<float> destination)
        => TensorPrimitives.MultiplyAdd(gradient, other[..gradient.Length], destination[..gradient.Length], destination[..gradient.Length]);

    /// <summary>
    /// Routes a maximum's or minimum's gradient to the input that produced each element: where
    /// <paramref name="input"/> equals <paramref name="output"/> and no earlier input has claimed the element (ties go
    /// to the first input, as Keras's pairwise reduction does), <paramref name="destination"/> += gradient and the
    /// element is marked in <paramref name="claimed"/> (all zero before the first input).
    /// </summary>
    /// <param name="gradient">The gradient with respect to the output.</param>
    /// <param name="input">This input's values.</param>
    /// <param name="output">The layer's output.</param>
    /// <param name="claimed">Marks of elements already routed; updated.</param>
    /// <param name="destination">This input's gradient, accumulated into (empty to only mark).</param>
    public static void AccumulateSelected(ReadOnlySpan<float> gradient, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        Span<float> claimed, Span<float> destination)
    {
        int n = gradient.Length;
        input = input[..n];
        output = output[..n];
        claimed = claimed[..n];
        bool accumulate = !destination.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            if (claimed[i] == 0f && input[i] == output[i])
            {
                claimed[i] = 1f;
                if (accumulate)
                {
                    destination[i] += gradient[i];
                }
            }
        }
    }
}
