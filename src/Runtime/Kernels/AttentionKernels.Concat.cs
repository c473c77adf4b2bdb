using System;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

public static partial class AttentionKernels
{
    /// <summary>
    /// Keras's <c>Attention(score_mode="concat")</c>, per sample: S[i, j] = w · Σ_d tanh(s · (q[i, d] + k[j, d])), with the
    /// learned scalars w (<c>concat_score_weight</c>) and s (<c>scale</c>, 1 without use_scale); then as
    /// <see cref="AdditiveForward"/>: softmax over the keys, the weights times the values. The tanh terms are recomputed in
    /// backward rather than kept.
    /// </summary>
    /// <param name="q">[batch, tq, dim].</param>
    /// <param name="k">[batch, tv, dim].</param>
    /// <param name="v">[batch, tv, dv].</param>
    /// <param name="scale">The scalar s (one float), or empty for 1.</param>
    /// <param name="weight">The scalar w (one float).</param>
    /// <param name="weights">[batch, tq, tv], the softmax weights, kept for backward.</param>
    /// <param name="y">[batch, tq, dv].</param>
    /// <param name="batch">Samples.</param>
    /// <param name="tq">Query steps.</param>
    /// <param name="tv">Key and value steps.</param>
    /// <param name="dim">Query and key features.</param>
    /// <param name="dv">Value features.</param>
    /// <param name="dropped">As <see cref="Forward"/>'s.</param>
    /// <param name="dropoutRate">As <see cref="Forward"/>'s.</param>
    /// <param name="seed">As <see cref="Forward"/>'s.</param>
    /// <param name="queryMask">As <see cref="Forward"/>'s.</param>
    /// <param name="valueMask">As <see cref="Forward"/>'s.</param>
    /// <param name="causal">As <see cref="Forward"/>'s.</param>
    public static void ConcatForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> scale, ReadOnlySpan<float> weight,
        Span<float> weights, Span<float> y, int batch, int tq, int tv, int dim, int dv, Span<float> dropped = default, float dropoutRate = 0f, ulong seed = 0,
        ReadOnlySpan<float> queryMask = default, ReadOnlySpan<float> valueMask = default, bool causal = false)
    {
        Check(q.Length, k.Length, v.Length, weights.Length, y.Length, batch, tq, tv, dim, dv);
        float s = Scalar(scale, 1f, "scale"), w = Scalar(weight, float.NaN, "weight");
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < tq; i++)
            {
                var qi = q.Slice(((b * tq) + i) * dim, dim);
                var row = weights.Slice(((b * tq) + i) * tv, tv);
                for (int j = 0; j < tv; j++)
                {
                    var kj = k.Slice(((b * tv) + j) * dim, dim);
                    float sum = 0f;
                    for (int d = 0; d < dim; d++)
                    {
                        sum += MathF.Tanh(s * (qi[d] + kj[d]));
                    }

                    row[j] = w * sum;
                }
            }
        }

        Weigh(v, weights, y, batch, tq, tv, dv, dropped, dropoutRate, seed, queryMask, valueMask, causal);
    }

    /// <summary>Accumulates the gradients of <see cref="ConcatForward"/>'s inputs and scalars.</summary>
    /// <param name="dy">[batch, tq, dv], the output's gradient.</param>
    /// <param name="q">The forward's query.</param>
    /// <param name="k">The forward's key.</param>
    /// <param name="v">The forward's value.</param>
    /// <param name="scale">The scalar s, or empty.</param>
    /// <param name="weight">The scalar w.</param>
    /// <param name="weights">The softmax weights the forward kept.</param>
    /// <param name="dq">The query's gradient, or empty.</param>
    /// <param name="dk">The key's gradient, or empty (it may be <paramref name="dv"/>'s span when the key is the value).</param>
    /// <param name="dv">The value's gradient, or empty.</param>
    /// <param name="dScale">The scale's gradient (one float), or empty.</param>
    /// <param name="dWeight">The weight's gradient (one float), or empty.</param>
    /// <param name="scratch">At least tq·tv floats.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="tq">Query steps.</param>
    /// <param name="tv">Key and value steps.</param>
    /// <param name="dim">Query and key features.</param>
    /// <param name="dvLength">Value features.</param>
    /// <param name="dropped">As <see cref="Backward"/>'s.</param>
    /// <param name="dScores">As <see cref="Backward"/>'s.</param>
    public static void ConcatBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> weight, ReadOnlySpan<float> weights, Span<float> dq, Span<float> dk, Span<float> dv,
        Span<float> dScale, Span<float> dWeight, Span<float> scratch, int batch, int tq, int tv, int dim, int dvLength, ReadOnlySpan<float> dropped = default, ReadOnlySpan<float> dScores = default)
    {
        Check(q.Length, k.Length, v.Length, weights.Length, dy.Length, batch, tq, tv, dim, dvLength);
        float s = Scalar(scale, 1f, "scale"), w = Scalar(weight, float.NaN, "weight");
        int count = checked(tq * tv);
        if (scratch.Length < count)
        {
            throw new ArgumentException($"Attention's backward pass needs {count} floats of scratch; got {scratch.Length}.", nameof(scratch));
        }

        Span<float> dw = scratch[..count];
        double gradientScale = 0, gradientWeight = 0;
        for (int b = 0; b < batch; b++)
        {
            ScoreGradients(dy, v, weights, dv, dw, dropped, dScores, b, tq, tv, dvLength);

            // S = w·Σ_d t_d with t = tanh(s·(q_i + k_j)): dw += dS·Σ t; each term's pre-activation gets g = dS·w·(1 − t²),
            // which reaches s (times q + k) and q_i, k_j (times s).
            for (int i = 0; i < tq; i++)
            {
                var qi = q.Slice(((b * tq) + i) * dim, dim);
                for (int j = 0; j < tv; j++)
                {
                    float ds = dw[(i * tv) + j];
                    if (ds == 0f)
                    {
                        continue;
                    }

                    var kj = k.Slice(((b * tv) + j) * dim, dim);
                    for (int d = 0; d < dim; d++)
                    {
                        float sum = qi[d] + kj[d], t = MathF.Tanh(s * sum), g = ds * w * (1f - (t * t));
                        gradientWeight += ds * t;
                        gradientScale += g * sum;
                        if (!dq.IsEmpty)
                        {
                            dq[(((b * tq) + i) * dim) + d] += g * s;
                        }

                        if (!dk.IsEmpty)
                        {
                            dk[(((b * tv) + j) * dim) + d] += g * s;
                        }
                    }
                }
            }
        }

        if (!dScale.IsEmpty)
        {
            dScale[0] += (float)gradientScale;
        }

        if (!dWeight.IsEmpty)
        {
            dWeight[0] += (float)gradientWeight;
        }
    }

    /// <summary>A learned scalar's value: its one float, or <paramref name="absent"/> when it is empty (NaN: required).</summary>
    private static float Scalar(ReadOnlySpan<float> value, float absent, string name)
    {
        if (value.IsEmpty && float.IsNaN(absent))
        {
            throw new ArgumentException($"Attention's concat scores need the scalar '{name}'.", name);
        }

        return value.IsEmpty ? absent : value[0];
    }
}
