using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's dot-product <c>Attention</c>, per sample: S = scale · q·kᵀ [tq, tv], W = softmax over each row of S, y = W·v.
/// Backward kernels accumulate (+=); an empty gradient is skipped. Nothing is allocated.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class AttentionKernels
{
    /// <summary>The forward pass, keeping the softmax weights (and with a scale the unscaled scores) for backward.</summary>
    /// <param name="q">[batch, tq, dim].</param>
    /// <param name="k">[batch, tv, dim].</param>
    /// <param name="v">[batch, tv, dv].</param>
    /// <param name="scale">The learned scalar (one float), or empty for none.</param>
    /// <param name="raw">[batch, tq, tv], the unscaled scores, written when there is a scale; otherwise empty.</param>
    /// <param name="weights">[batch, tq, tv], the softmax weights.</param>
    /// <param name="y">[batch, tq, dv].</param>
    /// <param name="batch">Samples.</param>
    /// <param name="tq">Query steps.</param>
    /// <param name="tv">Key and value steps.</param>
    /// <param name="dim">Query and key features.</param>
    /// <param name="dv">Value features.</param>
    /// <param name="dropped">In a training step with dropout: [batch, tq, tv], receives the weights after dropout (what
    /// multiplies the values); otherwise empty.</param>
    /// <param name="dropoutRate">Keras's <c>dropout</c>, in [0, 1).</param>
    /// <param name="seed">The dropout mask's seed for this step.</param>
    /// <param name="queryMask">[batch, tq], Keras's mask of the query, or empty: a masked query's output is zeros.</param>
    /// <param name="valueMask">[batch, tv], Keras's mask of the value, or empty: a masked step's score has 1e9 subtracted.</param>
    /// <param name="causal">Keras's <c>use_causal_mask</c>: query step i sees key steps 0..i only (the later keys' scores
    /// have 1e9 subtracted, as a masked value's).</param>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> scale, Span<float> raw,
        Span<float> weights, Span<float> y, int batch, int tq, int tv, int dim, int dv, Span<float> dropped = default, float dropoutRate = 0f,
        ulong seed = 0, ReadOnlySpan<float> queryMask = default, ReadOnlySpan<float> valueMask = default, bool causal = false)
    {
        Check(q.Length, k.Length, v.Length, weights.Length, y.Length, batch, tq, tv, dim, dv);
        int s = checked(tq * tv);
        if (!scale.IsEmpty && raw.Length < (long)batch * s)
        {
            throw new ArgumentException($"Attention with a scale keeps {(long)batch * s} unscaled scores; got room for {raw.Length}.", nameof(raw));
        }

        // Scores for every sample at once (Dot's kernel: the query's rows against the key's rows).
        DotKernels.Forward(q, k, scale.IsEmpty ? weights : raw, batch, tq, dim, 1, tv, 1);
        if (!scale.IsEmpty)
        {
            TensorPrimitives.Multiply(raw[..(batch * s)], scale[0], weights);
        }

        Weigh(v, weights, y, batch, tq, tv, dv, dropped, dropoutRate, seed, queryMask, valueMask, causal);
    }

    /// <summary>Accumulates the gradients of <see cref="Forward"/>'s inputs and scale.</summary>
    /// <param name="dy">[batch, tq, dv], the output's gradient.</param>
    /// <param name="q">The forward's query.</param>
    /// <param name="k">The forward's key.</param>
    /// <param name="v">The forward's value.</param>
    /// <param name="scale">The scale, or empty.</param>
    /// <param name="raw">The unscaled scores the forward kept, or empty.</param>
    /// <param name="weights">The softmax weights the forward kept.</param>
    /// <param name="dq">The query's gradient, or empty.</param>
    /// <param name="dk">The key's gradient, or empty (it may be <paramref name="dv"/>'s span when the key is the value).</param>
    /// <param name="dv">The value's gradient, or empty.</param>
    /// <param name="dScale">The scale's gradient (one float), or empty.</param>
    /// <param name="scratch">At least tq·tv floats.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="tq">Query steps.</param>
    /// <param name="tv">Key and value steps.</param>
    /// <param name="dim">Query and key features.</param>
    /// <param name="dvLength">Value features.</param>
    /// <param name="dropped">The dropped weights the forward kept when it applied dropout, or empty.</param>
    /// <param name="dScores">[batch, tq, tv], the gradient of the weights a call returned (Keras's
    /// <c>return_attention_scores</c>: after dropout when there is dropout), or empty.</param>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> raw, ReadOnlySpan<float> weights, Span<float> dq, Span<float> dk, Span<float> dv, Span<float> dScale, Span<float> scratch,
        int batch, int tq, int tv, int dim, int dvLength, ReadOnlySpan<float> dropped = default, ReadOnlySpan<float> dScores = default)
    {
        Check(q.Length, k.Length, v.Length, weights.Length, dy.Length, batch, tq, tv, dim, dvLength);
        int s = checked(tq * tv);
        if (scratch.Length < s)
        {
            throw new ArgumentException($"Attention's backward pass needs {s} floats of scratch; got {scratch.Length}.", nameof(scratch));
        }

        float factor = scale.IsEmpty ? 1f : scale[0];
        Span<float> dw = scratch[..s];
        for (int b = 0; b < batch; b++)
        {
            // dW = dy·vᵀ (and dv += Wᵀ·dy), back through dropout and the softmax: dS.
            ScoreGradients(dy, v, weights, dv, dw, dropped, dScores, b, tq, tv, dvLength);

            if (!dScale.IsEmpty)
            {
                dScale[0] += TensorPrimitives.Dot(dw, raw.Slice(b * s, s));
            }

            // Unscaled: dS_raw = scale · dS; dq += dS_raw·k, dk += dS_rawᵀ·q.
            if (factor != 1f)
            {
                TensorPrimitives.Multiply(dw, factor, dw);
            }

            if (!dq.IsEmpty)
            {
                Gemm.Multiply(dw, k.Slice(b * tv * dim, tv * dim), dq.Slice(b * tq * dim, tq * dim), tq, tv, dim, accumulate: true);
            }

            if (!dk.IsEmpty)
            {
                Gemm.MultiplyTransposedA(dw, q.Slice(b * tq * dim, tq * dim), dk.Slice(b * tv * dim, tv * dim), tv, tq, dim, accumulate: true);
            }
        }
    }

    /// <summary>
    /// Keras's <c>AdditiveAttention</c> (Bahdanau-style), per sample: S[i, j] = Σ_d scale[d] · tanh(q[i, d] + k[j, d])
    /// (scale 1 without use_scale), W = softmax over each row of S, y = W·v. The tanh terms are recomputed in backward
    /// rather than kept (they would be tq·tv·dim floats per sample).
    /// </summary>
    /// <param name="q">[batch, tq, dim].</param>
    /// <param name="k">[batch, tv, dim].</param>
    /// <param name="v">[batch, tv, dv].</param>
    /// <param name="scale">[dim], or empty for ones.</param>
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
    public static void AdditiveForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> scale,
        Span<float> weights, Span<float> y, int batch, int tq, int tv, int dim, int dv, Span<float> dropped = default, float dropoutRate = 0f, ulong seed = 0,
        ReadOnlySpan<float> queryMask = default, ReadOnlySpan<float> valueMask = default, bool causal = false)
    {
        Check(q.Length, k.Length, v.Length, weights.Length, y.Length, batch, tq, tv, dim, dv);
        CheckScale(scale.Length, dim);
        // The tanh terms a block of features at a time, on the stack.
        Span<float> buffer = stackalloc float[Math.Min(Math.Max(dim, 1), TermBlock)];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < tq; i++)
            {
                var qi = q.Slice(((b * tq) + i) * dim, dim);
                var row = weights.Slice(((b * tq) + i) * tv, tv);
                for (int j = 0; j < tv; j++)
                {
                    var kj = k.Slice(((b * tv) + j) * dim, dim);
                    float score = 0f;
                    for (int d = 0; d < dim; d += TermBlock)
                    {
                        int n = Math.Min(TermBlock, dim - d);
                        var term = buffer[..n];
                        TensorPrimitives.Add(qi.Slice(d, n), kj.Slice(d, n), term);
                        TensorPrimitives.Tanh(term, term);
                        score += scale.IsEmpty ? TensorPrimitives.Sum(term) : TensorPrimitives.Dot(term, scale.Slice(d, n));
                    }

                    row[j] = score;
                }
            }
        }

        Weigh(v, weights, y, batch, tq, tv, dv, dropped, dropoutRate, seed, queryMask, valueMask, causal);
    }

    /// <summary>From the scores in <paramref name="weights"/> on: the value and causal masks, the softmax over the keys,
    /// dropout, the weights times the values, the query mask.</summary>
    private static void Weigh(ReadOnlySpan<float> v, Span<float> weights, Span<float> y, int batch, int tq, int tv, int dv, Span<float> dropped,
        float dropoutRate, ulong seed, ReadOnlySpan<float> queryMask, ReadOnlySpan<float> valueMask, bool causal)
    {
        if (!valueMask.IsEmpty || causal)
        {
            Masking.HideKeys(weights, valueMask, batch, tq, tv, causal);
        }

        ActivationKernels.SoftmaxAlong(weights, weights, batch * tq, tv, 1);
        DotKernels.MatMul(Drop(weights, dropped, batch * tq * tv, dropoutRate, seed), v, y, batch, tq, tv, dv);
        if (!queryMask.IsEmpty)
        {
            Masking.ZeroRows(y, queryMask, batch * tq, dv);
        }
    }

    /// <summary>Accumulates the gradients of <see cref="AdditiveForward"/>'s inputs and scale.</summary>
    /// <param name="dy">[batch, tq, dv], the output's gradient.</param>
    /// <param name="q">The forward's query.</param>
    /// <param name="k">The forward's key.</param>
    /// <param name="v">The forward's value.</param>
    /// <param name="scale">The scale, or empty.</param>
    /// <param name="weights">The softmax weights the forward kept.</param>
    /// <param name="dq">The query's gradient, or empty.</param>
    /// <param name="dk">The key's gradient, or empty (it may be <paramref name="dv"/>'s span when the key is the value).</param>
    /// <param name="dv">The value's gradient, or empty.</param>
    /// <param name="dScale">The scale's gradient ([dim]), or empty.</param>
    /// <param name="scratch">At least tq·tv floats.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="tq">Query steps.</param>
    /// <param name="tv">Key and value steps.</param>
    /// <param name="dim">Query and key features.</param>
    /// <param name="dvLength">Value features.</param>
    /// <param name="dropped">As <see cref="Backward"/>'s.</param>
    /// <param name="dScores">As <see cref="Backward"/>'s.</param>
    public static void AdditiveBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> weights, Span<float> dq, Span<float> dk, Span<float> dv, Span<float> dScale,
        Span<float> scratch, int batch, int tq, int tv, int dim, int dvLength, ReadOnlySpan<float> dropped = default, ReadOnlySpan<float> dScores = default)
    {
        Check(q.Length, k.Length, v.Length, weights.Length, dy.Length, batch, tq, tv, dim, dvLength);
        CheckScale(scale.Length, dim);
        int s = checked(tq * tv);
        if (scratch.Length < s)
        {
            throw new ArgumentException($"AdditiveAttention's backward pass needs {s} floats of scratch; got {scratch.Length}.", nameof(scratch));
        }

        Span<float> buffer = stackalloc float[Math.Min(Math.Max(dim, 1), TermBlock)];
        Span<float> dw = scratch[..s];
        for (int b = 0; b < batch; b++)
        {
            ScoreGradients(dy, v, weights, dv, dw, dropped, dScores, b, tq, tv, dvLength);

            // S = Σ_d scale_d·t_d with t = tanh(q_i + k_j): dscale += dS·t, and q_i, k_j get dS·scale·(1 − t²).
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
                    for (int d = 0; d < dim; d += TermBlock)
                    {
                        int n = Math.Min(TermBlock, dim - d);
                        var term = buffer[..n];
                        TensorPrimitives.Add(qi.Slice(d, n), kj.Slice(d, n), term);
                        TensorPrimitives.Tanh(term, term);
                        if (!dScale.IsEmpty)
                        {
                            TensorPrimitives.MultiplyAdd(term, ds, dScale.Slice(d, n), dScale.Slice(d, n));
                        }

                        // term ← ds · scale · (1 − t²)
                        TensorPrimitives.MultiplyAdd(term, term, -1f, term);
                        TensorPrimitives.Multiply(term, -ds, term);
                        if (!scale.IsEmpty)
                        {
                            TensorPrimitives.Multiply(term, scale.Slice(d, n), term);
                        }

                        if (!dq.IsEmpty)
                        {
                            var target = dq.Slice((((b * tq) + i) * dim) + d, n);
                            TensorPrimitives.Add(target, term, target);
                        }

                        if (!dk.IsEmpty)
                        {
                            var target = dk.Slice((((b * tv) + j) * dim) + d, n);
                            TensorPrimitives.Add(target, term, target);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Sample <paramref name="b"/>'s gradient of the scores into <paramref name="dw"/> [tq, tv]: dW = dy·vᵀ (and
    /// dv += Wᵀ·dy), plus the returned scores' own gradient, back through dropout, then through the softmax:
    /// dS = W ⊙ (dW − Σ W·dW).</summary>
    private static void ScoreGradients(ReadOnlySpan<float> dy, ReadOnlySpan<float> v, ReadOnlySpan<float> weights, Span<float> dv, Span<float> dw,
        ReadOnlySpan<float> dropped, ReadOnlySpan<float> dScores, int b, int tq, int tv, int dvLength)
    {
        int s = tq * tv;
        var w = weights.Slice(b * s, s);
        var g = dy.Slice(b * tq * dvLength, tq * dvLength);
        Gemm.MultiplyTransposedB(g, v.Slice(b * tv * dvLength, tv * dvLength), dw, tq, dvLength, tv, accumulate: false);
        if (!dScores.IsEmpty)
        {
            TensorPrimitives.Add(dw, dScores.Slice(b * s, s), dw);
        }
        var used = dropped.IsEmpty ? w : dropped.Slice(b * s, s);
        if (!dv.IsEmpty)
        {
            Gemm.MultiplyTransposedA(used, g, dv.Slice(b * tv * dvLength, tv * dvLength), tv, tq, dvLength, accumulate: true);
        }

        if (!dropped.IsEmpty)
        {
            Dropout.BackwardFromOutput(used, w, dw);
        }

        ActivationKernels.Backward(Activation.Softmax, default, w, dw, tq, tv);
    }

    /// <summary>The weights that multiply the values: with dropout (a training step), the weights dropped into
    /// <paramref name="dropped"/>; with a region but rate 0 (returned scores when predicting), the weights copied there;
    /// otherwise the weights themselves.</summary>
    private static ReadOnlySpan<float> Drop(Span<float> weights, Span<float> dropped, int count, float rate, ulong seed)
    {
        if (dropped.IsEmpty)
        {
            return weights;
        }

        if (dropped.Length < count)
        {
            throw new ArgumentException($"Dropout on the attention weights keeps {count} dropped weights; got room for {dropped.Length}.", nameof(dropped));
        }

        if (rate == 0f)
        {
            weights[..count].CopyTo(dropped); // returned scores when predicting: the weights themselves
        }
        else
        {
            Dropout.Forward(weights[..count], dropped[..count], dropped[..count], rate, seed);
        }

        return dropped;
    }

    /// <summary>Features of the tanh terms computed at a time (1 KiB of stack).</summary>
    private const int TermBlock = 256;

    private static void CheckScale(int length, int dim)
    {
        if (length != 0 && length < dim)
        {
            throw new ArgumentException($"AdditiveAttention's scale needs {dim} floats (or none without use_scale); got {length}.", "scale");
        }
    }

    private static void Check(int q, int k, int v, int weights, int y, int batch, int tq, int tv, int dim, int dv)
    {
        if (batch < 0 || tq < 0 || tv < 0 || dim < 0 || dv < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), "Attention's sizes must not be negative.");
        }

        if (q < (long)batch * tq * dim || k < (long)batch * tv * dim || v < (long)batch * tv * dv || weights < (long)batch * tq * tv || y < (long)batch * tq * dv)
        {
            throw new ArgumentException($"Attention over {batch} samples of query [{tq}, {dim}], key [{tv}, {dim}] and value [{tv}, {dv}]: a span is too short " +
                $"(got {q}, {k}, {v}, {weights} and {y} floats).");
        }
    }
}
