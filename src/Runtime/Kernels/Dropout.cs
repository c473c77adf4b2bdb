using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>Dropout</c> in training (inverted dropout): each element is zeroed with probability <c>rate</c> and the
/// survivors are scaled by 1 / (1 − rate), so inference is the identity. The mask comes from a counter-based
/// generator: element i's draw is a SplitMix64 hash of the mixed <c>seed</c> plus i, so a seed gives the same mask on every
/// machine and for any length's prefix. Nothing is allocated.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Dropout
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>y = x ⊙ mask with mask[i] = 0 with probability <paramref name="rate"/>, else 1 / (1 − rate).</summary>
    /// <param name="x">The input (any shape, flat).</param>
    /// <param name="y">The output, as long as <paramref name="x"/>; may be <paramref name="x"/> itself.</param>
    /// <param name="mask">Receives the mask for <see cref="Backward"/>, as long as <paramref name="x"/>.</param>
    /// <param name="rate">The fraction to drop, in [0, 1).</param>
    /// <param name="seed">The mask's seed; use a different one for every training step.</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float rate, ulong seed)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        int count = x.Length;
        y = y[..count];
        mask = mask[..count];
        Draw(mask, rate, seed);
        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary>
    /// Draws a dropout mask, as <see cref="Forward"/> draws it: each value 0 with probability <paramref name="rate"/>,
    /// else 1 / (1 − rate). Recurrent layers with <c>recurrent_dropout</c> draw their per-gate masks with it.
    /// </summary>
    /// <param name="mask">Written, every value.</param>
    /// <param name="rate">The fraction dropped, in [0, 1).</param>
    /// <param name="seed">The mask's seed for this step.</param>
    public static void DrawMask(Span<float> mask, float rate, ulong seed)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        Draw(mask, rate, seed);
    }

    /// <summary>Fills a mask: each value 0 with probability <paramref name="rate"/>, else 1 / (1 − rate).</summary>
    private static void Draw(Span<float> mask, float rate, ulong seed)
    {
        // Element i is kept when the top 32 bits of its hash, as a uniform draw in [0, 1), are at least rate.
        ulong threshold = (ulong)Math.Ceiling(rate * 4294967296.0);
        float keep = 1f / (1f - rate);
        // Mixing the seed first keeps structured seeds (0, 1, 2, … per step) from giving shifted copies of one stream.
        ulong state = Mix(seed ^ 0x6A09E667F3BCC909UL);
        for (int i = 0; i < mask.Length; i++)
        {
            state += Golden;
            mask[i] = (Mix(state) >> 32) >= threshold ? keep : 0f;
        }
    }

    /// <summary>
    /// Keras's dropout on a recurrent layer's inputs: one mask per (sample, feature), drawn as <see cref="Forward"/> draws
    /// it, shared by every step (Keras's <c>get_dropout_mask</c> of the first step): y[b, t, f] = x[b, t, f] · mask[b, f].
    /// </summary>
    /// <param name="x">[batch, steps, features].</param>
    /// <param name="y">[batch, steps, features], written.</param>
    /// <param name="mask">[batch, features], written: 0 or 1 / (1 − rate).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Steps.</param>
    /// <param name="features">Features per step.</param>
    /// <param name="rate">The fraction dropped, in [0, 1).</param>
    /// <param name="seed">The mask's seed for this step.</param>
    public static void AcrossSteps(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, int batch, int steps, int features, float rate, ulong seed)
    {
        CheckAcrossSteps(x.Length, y.Length, mask.Length, batch, steps, features);
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        Draw(mask[..(batch * features)], rate, seed);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> m = mask.Slice(b * features, features);
            for (int t = 0; t < steps; t++)
            {
                int at = ((b * steps) + t) * features;
                TensorPrimitives.Multiply(x.Slice(at, features), m, y.Slice(at, features));
            }
        }
    }

    /// <summary>Accumulates <see cref="AcrossSteps"/>'s input gradient: dx[b, t, f] += dy[b, t, f] · mask[b, f].</summary>
    /// <param name="dy">[batch, steps, features].</param>
    /// <param name="mask">The mask <see cref="AcrossSteps"/> wrote.</param>
    /// <param name="dx">[batch, steps, features], accumulated into.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Steps.</param>
    /// <param name="features">Features per step.</param>
    public static void AcrossStepsBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx, int batch, int steps, int features)
    {
        CheckAcrossSteps(dy.Length, dx.Length, mask.Length, batch, steps, features);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> m = mask.Slice(b * features, features);
            for (int t = 0; t < steps; t++)
            {
                int at = ((b * steps) + t) * features;
                Span<float> target = dx.Slice(at, features);
                TensorPrimitives.MultiplyAdd(dy.Slice(at, features), m, target, target);
            }
        }
    }

    private static void CheckAcrossSteps(int xLength, int yLength, int maskLength, int batch, int steps, int features)
    {
        long values = (long)batch * steps * features;
        if (batch < 0 || steps < 0 || features < 0 || xLength < values || yLength < values || maskLength < (long)batch * features)
        {
            throw new ArgumentException($"Dropout across {steps} steps needs [{batch}, {steps}, {features}] inputs and outputs and a " +
                                        $"[{batch}, {features}] mask; got {xLength}, {yLength} and {maskLength} floats.");
        }
    }

    /// <summary>dx += dy ⊙ mask.</summary>
    /// <param name="dy">The output's gradient.</param>
    /// <param name="mask">The mask <see cref="Forward"/> wrote.</param>
    /// <param name="dx">The input's gradient, accumulated into.</param>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx)
    {
        int count = dy.Length;
        Span<float> target = dx[..count];
        TensorPrimitives.MultiplyAdd(dy, mask[..count], target, target);
    }

    /// <summary>
    /// In place, the gradient of <see cref="Forward"/>'s output turned into its input's, where the mask was not kept but
    /// the output was (the attention layers keep their dropped weights, not the mask): an element was kept, scaled by
    /// 1 / (1 − rate), where its output is not 0, and the factor is the output over the input; elsewhere the gradient
    /// stops. An element whose input is 0 has output 0, so it never divides by 0.
    /// </summary>
    /// <param name="y">The forward's output (the dropped values).</param>
    /// <param name="x">The forward's input.</param>
    /// <param name="gradient">The output's gradient in, the input's out.</param>
    public static void BackwardFromOutput(ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> gradient)
    {
        for (int i = 0; i < gradient.Length; i++)
        {
            gradient[i] = y[i] != 0f ? gradient[i] * (y[i] / x[i]) : 0f;
        }
    }

    /// <summary>SplitMix64's output function: a bijective mix of all 64 bits.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
