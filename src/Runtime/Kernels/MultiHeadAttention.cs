using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Unrolled.Kernels;

/// <summary>The sizes of one <see cref="MultiHeadAttention"/> call.</summary>
/// <param name="Batch">Samples.</param>
/// <param name="QuerySteps">Steps of the query (Tq).</param>
/// <param name="KeySteps">Steps of the key and the value (Tk).</param>
/// <param name="QueryFeatures">Features of the query.</param>
/// <param name="KeyFeatures">Features of the key.</param>
/// <param name="ValueFeatures">Features of the value.</param>
/// <param name="Heads">Attention heads (H).</param>
/// <param name="KeyDim">Features of each head's query and key projection.</param>
/// <param name="ValueDim">Features of each head's value projection.</param>
/// <param name="OutputFeatures">Features of the output.</param>
/// <param name="Causal">Whether query step i sees key steps 0..i only (Keras's <c>use_causal_mask</c>).</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct MultiHeadShape(int Batch, int QuerySteps, int KeySteps, int QueryFeatures, int KeyFeatures, int ValueFeatures,
    int Heads, int KeyDim, int ValueDim, int OutputFeatures, bool Causal)
{
    /// <summary>Floats of the projected queries (and keys) per step: heads × key dim.</summary>
    public int QueryWidth => Heads * KeyDim;

    /// <summary>Floats of the projected values (and the heads' combined output) per step: heads × value dim.</summary>
    public int ValueWidth => Heads * ValueDim;

    /// <summary>Floats of one head's scores: Tq × Tk.</summary>
    public int Scores => QuerySteps * KeySteps;

    internal void Check()
    {
        if (Batch < 0 || QuerySteps < 0 || KeySteps < 0 || QueryFeatures <= 0 || KeyFeatures <= 0 || ValueFeatures <= 0 || Heads <= 0 || KeyDim <= 0 ||
            ValueDim <= 0 || OutputFeatures <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Batch), $"MultiHeadAttention's sizes must be positive (steps and samples may be 0); got {this}.");
        }

        _ = checked((long)Batch * Heads * QuerySteps * KeySteps);
        _ = checked(Batch * Heads * QuerySteps * KeySteps); // the scores of a call are indexed by int
    }
}

/// <summary>
/// Keras 3's <c>MultiHeadAttention</c> over sequences: the query, key and value are projected per head (Keras's
/// <c>EinsumDense</c> kernels [features, heads, dim] with biases [heads, dim], here read as [features, heads·dim]
/// matrices), each head computes softmax(q·kᵀ / √keyDim)·v over the key steps (with a causal mask, step i sees steps
/// 0..i), and the heads' outputs, side by side, are projected by the output kernel [heads, valueDim, out] read as
/// [heads·valueDim, out]. Projections keep the steps in rows, heads side by side; one head's matrices are strided
/// views of them. Backward kernels accumulate (+=) into inputs' and weights' gradients; an empty span is skipped.
/// Nothing is allocated.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class MultiHeadAttention
{
    /// <summary>Query rows per block of a causal head: each block computes only the keys it sees.</summary>
    private const int CausalBlock = 64;

    /// <summary>The forward pass, keeping what backward reads.</summary>
    /// <param name="s">The sizes.</param>
    /// <param name="query">[batch, Tq, queryFeatures].</param>
    /// <param name="value">[batch, Tk, valueFeatures].</param>
    /// <param name="key">[batch, Tk, keyFeatures] (the value's span when the call gives no key).</param>
    /// <param name="queryKernel">[queryFeatures, heads·keyDim].</param>
    /// <param name="queryBias">[heads·keyDim], or empty without biases.</param>
    /// <param name="keyKernel">[keyFeatures, heads·keyDim].</param>
    /// <param name="keyBias">[heads·keyDim], or empty.</param>
    /// <param name="valueKernel">[valueFeatures, heads·valueDim].</param>
    /// <param name="valueBias">[heads·valueDim], or empty.</param>
    /// <param name="outputKernel">[heads·valueDim, outputFeatures].</param>
    /// <param name="outputBias">[outputFeatures], or empty.</param>
    /// <param name="q">[batch, Tq, heads·keyDim]: the projected queries, scaled by 1/√keyDim (unscaled when the call fuses
    /// its heads, which scale the scores instead).</param>
    /// <param name="k">[batch, Tk, heads·keyDim]: the projected keys.</param>
    /// <param name="v">[batch, Tk, heads·valueDim]: the projected values.</param>
    /// <param name="probabilities">[batch, heads, Tq, Tk]: the attention weights (0 where masked). Without
    /// <paramref name="keepWeights"/>, work space of at least Tq·Tk floats, one head's, used where a head is not fused.</param>
    /// <param name="combined">[batch, Tq, heads·valueDim]: the heads' outputs, side by side.</param>
    /// <param name="y">[batch, Tq, outputFeatures].</param>
    /// <param name="dropped">In a training step with dropout on the attention weights: [batch, heads, Tq, Tk], receives
    /// the weights after dropout (what multiplies the values; backward reads the mask from it); otherwise empty.</param>
    /// <param name="dropoutRate">Keras's <c>dropout</c>: the fraction of attention weights zeroed, in [0, 1).</param>
    /// <param name="seed">The dropout masks' seed for this step (head h of sample b uses <c>seed + b·heads + h</c>).</param>
    /// <param name="queryMask">[batch, Tq], Keras's mask of the query, or empty.</param>
    /// <param name="valueMask">[batch, Tk], Keras's mask of the value, or empty.</param>
    /// <param name="keyMask">[batch, Tk], Keras's mask of a key given apart from the value, or empty. Keras's attention mask
    /// is their product (query ⊗ value ⊗ key, and the causal one): a masked score is −1e9 before the softmax and its
    /// weight 0 after, so a masked query's heads output zeros.</param>
    /// <param name="attentionMask">[batch, Tq, Tk], Keras's <c>attention_mask</c> (above 0.5 where query i may attend to key
    /// j), or empty; combined with the other masks the same way.</param>
    /// <param name="keepWeights">Whether <paramref name="probabilities"/> must receive the attention weights (a training
    /// pass, whose backward reads them, or a call that returns them). Without, a head's scores, softmax and weighted sum
    /// run a block of query rows at a time in the L1 cache and each output row is divided by its softmax sum once,
    /// instead of every weight (see <see cref="FusedHead"/>); <paramref name="probabilities"/> is then left as it was, or,
    /// where a head cannot be fused, holds the last head's weights.</param>
    public static void Forward(in MultiHeadShape s, ReadOnlySpan<float> query, ReadOnlySpan<float> value, ReadOnlySpan<float> key,
        ReadOnlySpan<float> queryKernel, ReadOnlySpan<float> queryBias, ReadOnlySpan<float> keyKernel, ReadOnlySpan<float> keyBias,
        ReadOnlySpan<float> valueKernel, ReadOnlySpan<float> valueBias, ReadOnlySpan<float> outputKernel, ReadOnlySpan<float> outputBias,
        Span<float> q, Span<float> k, Span<float> v, Span<float> probabilities, Span<float> combined, Span<float> y,
        Span<float> dropped = default, float dropoutRate = 0f, ulong seed = 0, ReadOnlySpan<float> queryMask = default,
        ReadOnlySpan<float> valueMask = default, ReadOnlySpan<float> keyMask = default, ReadOnlySpan<float> attentionMask = default,
        bool keepWeights = true)
    {
        bool masked = !queryMask.IsEmpty || !valueMask.IsEmpty || !keyMask.IsEmpty || !attentionMask.IsEmpty;
        if (!queryMask.IsEmpty && queryMask.Length < (long)s.Batch * s.QuerySteps || !valueMask.IsEmpty && valueMask.Length < (long)s.Batch * s.KeySteps
            || !keyMask.IsEmpty && keyMask.Length < (long)s.Batch * s.KeySteps || !attentionMask.IsEmpty && attentionMask.Length < (long)s.Batch * s.Scores)
        {
            throw new ArgumentException($"MultiHeadAttention's masks hold one value per (sample, step): [{s.Batch}, {s.QuerySteps}] for the query, " +
                                        $"[{s.Batch}, {s.KeySteps}] for the value and key; the attention mask one per (sample, query step, key step).");
        }

        s.Check();
        int rowsQ = s.Batch * s.QuerySteps, rowsK = s.Batch * s.KeySteps;
        Need(query, rowsQ, s.QueryFeatures, nameof(query));
        Need(value, rowsK, s.ValueFeatures, nameof(value));
        Need(key, rowsK, s.KeyFeatures, nameof(key));
        CheckWeights(s, queryKernel, queryBias, keyKernel, keyBias, valueKernel, valueBias, outputKernel, outputBias);
        Need(q, rowsQ, s.QueryWidth, nameof(q));
        Need(k, rowsK, s.QueryWidth, nameof(k));
        Need(v, rowsK, s.ValueWidth, nameof(v));
        Need(probabilities, keepWeights ? s.Batch * s.Heads : 1, s.Scores, nameof(probabilities));
        Need(combined, rowsQ, s.ValueWidth, nameof(combined));
        Need(y, rowsQ, s.OutputFeatures, nameof(y));
        if (!dropped.IsEmpty)
        {
            Need(dropped, s.Batch * s.Heads, s.Scores, nameof(dropped));
        }

        bool fuse = !keepWeights && dropped.IsEmpty && Fusable(s);
        Project(query, queryKernel, queryBias, q, rowsQ, s.QueryFeatures, s.QueryWidth);
        if (!fuse)
        {
            TensorPrimitives.Multiply(q[..(rowsQ * s.QueryWidth)], 1f / MathF.Sqrt(s.KeyDim), q); // the fused path scales the scores
        }

        Project(key, keyKernel, keyBias, k, rowsK, s.KeyFeatures, s.QueryWidth);
        Project(value, valueKernel, valueBias, v, rowsK, s.ValueFeatures, s.ValueWidth);

        int tq = s.QuerySteps, tk = s.KeySteps, hk = s.QueryWidth, hv = s.ValueWidth;
        for (int b = 0; b < s.Batch; b++)
        {
            for (int h = 0; h < s.Heads; h++)
            {
                // Weights not kept: one head's region serves every head in turn.
                var p = keepWeights ? probabilities.Slice(((b * s.Heads) + h) * s.Scores, s.Scores) : probabilities[..s.Scores];
                if (tq == 0 || tk == 0)
                {
                    continue;
                }

                if (fuse)
                {
                    FusedHead(s, b, q[((b * tq * hk) + (h * s.KeyDim))..], k[((b * tk * hk) + (h * s.KeyDim))..], v[((b * tk * hv) + (h * s.ValueDim))..],
                        combined[((b * tq * hv) + (h * s.ValueDim))..], masked, queryMask, valueMask, keyMask, attentionMask);
                    continue;
                }

                // With dropout (training), the values are weighted by the dropped weights, kept in their own region.
                var weights = dropped.IsEmpty ? p : dropped.Slice(((b * s.Heads) + h) * s.Scores, s.Scores);
                ulong headSeed = seed + (ulong)((b * s.Heads) + h);

                var qh = q[((b * tq * hk) + (h * s.KeyDim))..];
                var kh = k[((b * tk * hk) + (h * s.KeyDim))..];
                var vh = v[((b * tk * hv) + (h * s.ValueDim))..];
                var oh = combined[((b * tq * hv) + (h * s.ValueDim))..];
                if (s.Causal)
                {
                    // Keras adds −1e9 where the mask is off, which leaves exactly 0 after the softmax: the same as
                    // normalising over the visible prefix of each row and clearing the rest. So only the visible part is
                    // computed: a block of query rows [i0, i1) sees keys [0, i1), about half the products and exponentials.
                    for (int i0 = 0; i0 < tq; i0 += CausalBlock)
                    {
                        int i1 = Math.Min(i0 + CausalBlock, tq), visible = Math.Min(i1, tk);
                        var block = p[(i0 * tk)..];
                        StridedGemm.MultiplyTransposedB(qh[(i0 * hk)..], hk, kh, hk, block, tk, i1 - i0, s.KeyDim, visible, accumulate: false);
                        for (int i = i0; i < i1; i++)
                        {
                            int seen = Math.Min(i + 1, tk);
                            var row = p.Slice(i * tk, tk);
                            if (masked)
                            {
                                MaskedSoftmax(row[..seen], b, i, tq, tk, queryMask, valueMask, keyMask, attentionMask);
                            }
                            else
                            {
                                ActivationKernels.SoftmaxAlong(row[..seen], row, 1, seen, 1);
                            }

                            row[seen..].Clear();
                        }

                        if (!dropped.IsEmpty)
                        {
                            var rows = weights.Slice(i0 * tk, (i1 - i0) * tk);
                            Dropout.Forward(p.Slice(i0 * tk, (i1 - i0) * tk), rows, rows, dropoutRate, headSeed + ((ulong)i0 << 32));
                        }

                        StridedGemm.Multiply(weights[(i0 * tk)..], tk, vh, hv, oh[(i0 * hv)..], hv, i1 - i0, visible, s.ValueDim, accumulate: false);
                    }

                    continue;
                }

                // Scores of head h: its columns of the queries against its columns of the keys. (Transposing the head's
                // keys first, so that the product reads them in place, measured no faster for the text transformer.)
                StridedGemm.MultiplyTransposedB(qh, hk, kh, hk, p, tk, tq, s.KeyDim, tk, accumulate: false);
                if (masked)
                {
                    for (int i = 0; i < tq; i++)
                    {
                        MaskedSoftmax(p.Slice(i * tk, tk), b, i, tq, tk, queryMask, valueMask, keyMask, attentionMask);
                    }
                }
                else
                {
                    ActivationKernels.SoftmaxAlong(p, p, tq, tk, 1);
                }
                if (!dropped.IsEmpty)
                {
                    Dropout.Forward(p, weights, weights, dropoutRate, headSeed);
                }

                // The head's output, into its columns of the combined rows.
                StridedGemm.Multiply(weights, tk, vh, hv, oh, hv, tq, tk, s.ValueDim, accumulate: false);
            }
        }

        if (tq == 0 || tk == 0)
        {
            combined[..(rowsQ * hv)].Clear();
        }

        Project(combined, outputKernel, outputBias, y, rowsQ, hv, s.OutputFeatures);
    }

    /// <summary>
    /// Keras's masked softmax over one row of scores (query <paramref name="i"/> of sample <paramref name="b"/>, the
    /// first <c>row.Length</c> keys): masked scores become −1e9, then the softmax, then masked weights 0. A masked query,
    /// or one that sees no unmasked key, gets a row of zeros.
    /// </summary>
    private static void MaskedSoftmax(Span<float> row, int b, int i, int tq, int tk, ReadOnlySpan<float> queryMask, ReadOnlySpan<float> valueMask,
        ReadOnlySpan<float> keyMask, ReadOnlySpan<float> attentionMask)
    {
        ReadOnlySpan<float> allowed = attentionMask.IsEmpty ? default : attentionMask.Slice(((b * tq) + i) * tk, tk);
        if (!queryMask.IsEmpty && queryMask[(b * tq) + i] < 0.5f)
        {
            row.Clear();
            return;
        }

        bool any = false;
        for (int j = 0; j < row.Length; j++)
        {
            bool hidden = Hidden(j, b, tk, valueMask, keyMask, allowed);
            if (hidden)
            {
                row[j] = -1e9f;
            }
            else
            {
                any = true;
            }
        }

        if (!any)
        {
            row.Clear();
            return;
        }

        ActivationKernels.SoftmaxAlong(row, row, 1, row.Length, 1);
        for (int j = 0; j < row.Length; j++)
        {
            if (Hidden(j, b, tk, valueMask, keyMask, allowed))
            {
                row[j] = 0f; // exactly what exp(−1e9 − max) gives already, unless every score were that small
            }
        }

        static bool Hidden(int j, int b, int tk, ReadOnlySpan<float> valueMask, ReadOnlySpan<float> keyMask, ReadOnlySpan<float> allowed)
            => (!valueMask.IsEmpty && valueMask[(b * tk) + j] < 0.5f) || (!keyMask.IsEmpty && keyMask[(b * tk) + j] < 0.5f)
               || (!allowed.IsEmpty && allowed[j] < 0.5f);
    }

    /// <summary>
    /// Accumulates the gradients of <see cref="Forward"/>'s inputs and weights. The four work regions are written
    /// (not accumulated): the gradients of the projected queries, keys, values, scores and combined heads.
    /// </summary>
    /// <param name="s">The sizes.</param>
    /// <param name="dy">[batch, Tq, outputFeatures], the output's gradient.</param>
    /// <param name="query">The forward's query.</param>
    /// <param name="value">The forward's value.</param>
    /// <param name="key">The forward's key.</param>
    /// <param name="queryKernel">The query kernel.</param>
    /// <param name="keyKernel">The key kernel.</param>
    /// <param name="valueKernel">The value kernel.</param>
    /// <param name="outputKernel">The output kernel.</param>
    /// <param name="q">The scaled projected queries the forward kept.</param>
    /// <param name="k">The projected keys the forward kept.</param>
    /// <param name="v">The projected values the forward kept.</param>
    /// <param name="probabilities">The attention weights the forward kept.</param>
    /// <param name="combined">The combined heads the forward kept.</param>
    /// <param name="dq">Work: [batch, Tq, heads·keyDim].</param>
    /// <param name="dk">Work: [batch, Tk, heads·keyDim].</param>
    /// <param name="dv">Work: [batch, Tk, heads·valueDim].</param>
    /// <param name="dScores">Work: at least Tq·Tk floats.</param>
    /// <param name="dCombined">Work: [batch, Tq, heads·valueDim].</param>
    /// <param name="dQuery">The query's gradient, or empty.</param>
    /// <param name="dValue">The value's gradient, or empty (it may be another input's span when the tensors are one).</param>
    /// <param name="dKey">The key's gradient, or empty.</param>
    /// <param name="dQueryKernel">Gradient of the query kernel.</param>
    /// <param name="dQueryBias">Gradient of the query bias, or empty.</param>
    /// <param name="dKeyKernel">Gradient of the key kernel.</param>
    /// <param name="dKeyBias">Gradient of the key bias, or empty.</param>
    /// <param name="dValueKernel">Gradient of the value kernel.</param>
    /// <param name="dValueBias">Gradient of the value bias, or empty.</param>
    /// <param name="dOutputKernel">Gradient of the output kernel.</param>
    /// <param name="dOutputBias">Gradient of the output bias, or empty.</param>
    /// <param name="dropped">The dropped weights the forward kept when it applied dropout, or empty.</param>
    /// <param name="dProbabilities">[batch, heads, Tq, Tk], the gradient of the returned attention weights (a call with
    /// return_attention_scores), added to theirs before the softmax; or empty. It must not be <paramref name="dScores"/>.</param>
    public static void Backward(in MultiHeadShape s, ReadOnlySpan<float> dy, ReadOnlySpan<float> query, ReadOnlySpan<float> value, ReadOnlySpan<float> key,
        ReadOnlySpan<float> queryKernel, ReadOnlySpan<float> keyKernel, ReadOnlySpan<float> valueKernel, ReadOnlySpan<float> outputKernel,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> probabilities, ReadOnlySpan<float> combined,
        Span<float> dq, Span<float> dk, Span<float> dv, Span<float> dScores, Span<float> dCombined,
        Span<float> dQuery, Span<float> dValue, Span<float> dKey,
        Span<float> dQueryKernel, Span<float> dQueryBias, Span<float> dKeyKernel, Span<float> dKeyBias,
        Span<float> dValueKernel, Span<float> dValueBias, Span<float> dOutputKernel, Span<float> dOutputBias, ReadOnlySpan<float> dropped = default,
        ReadOnlySpan<float> dProbabilities = default)
    {
        if (!dProbabilities.IsEmpty)
        {
            Need(dProbabilities, s.Batch * s.Heads, s.Scores, nameof(dProbabilities));
        }

        s.Check();
        int rowsQ = s.Batch * s.QuerySteps, rowsK = s.Batch * s.KeySteps;
        int tq = s.QuerySteps, tk = s.KeySteps, hk = s.QueryWidth, hv = s.ValueWidth;
        Need(dy, rowsQ, s.OutputFeatures, nameof(dy));
        Need(query, rowsQ, s.QueryFeatures, nameof(query));
        Need(value, rowsK, s.ValueFeatures, nameof(value));
        Need(key, rowsK, s.KeyFeatures, nameof(key));
        CheckWeights(s, queryKernel, ReadOnlySpan<float>.Empty, keyKernel, ReadOnlySpan<float>.Empty, valueKernel, ReadOnlySpan<float>.Empty,
            outputKernel, ReadOnlySpan<float>.Empty);
        Need(q, rowsQ, hk, nameof(q));
        Need(k, rowsK, hk, nameof(k));
        Need(v, rowsK, hv, nameof(v));
        Need(probabilities, s.Batch * s.Heads, s.Scores, nameof(probabilities));
        Need(combined, rowsQ, hv, nameof(combined));
        Need(dq, rowsQ, hk, nameof(dq));
        Need(dk, rowsK, hk, nameof(dk));
        Need(dv, rowsK, hv, nameof(dv));
        Need(dScores, 1, s.Scores, nameof(dScores));
        Need(dCombined, rowsQ, hv, nameof(dCombined));
        if (!dQueryKernel.IsEmpty)
        {
            Need(dQueryKernel, s.QueryFeatures, hk, nameof(dQueryKernel));
        }

        if (!dKeyKernel.IsEmpty)
        {
            Need(dKeyKernel, s.KeyFeatures, hk, nameof(dKeyKernel));
        }

        if (!dValueKernel.IsEmpty)
        {
            Need(dValueKernel, s.ValueFeatures, hv, nameof(dValueKernel));
        }

        if (!dOutputKernel.IsEmpty)
        {
            Need(dOutputKernel, hv, s.OutputFeatures, nameof(dOutputKernel));
        }

        // Output projection: dWo += combinedᵀ·dy, dbo += Σ dy, dCombined = dy·Woᵀ.
        ProjectBack(dy, combined, outputKernel, dCombined, accumulateInput: false, dOutputKernel, dOutputBias, rowsQ, hv, s.OutputFeatures);

        dq[..(rowsQ * hk)].Clear();
        dk[..(rowsK * hk)].Clear();
        dv[..(rowsK * hv)].Clear();
        var dp = dScores[..s.Scores];
        if (tq > 0 && tk > 0)
        {
            for (int b = 0; b < s.Batch; b++)
            {
                for (int h = 0; h < s.Heads; h++)
                {
                    var p = probabilities.Slice(((b * s.Heads) + h) * s.Scores, s.Scores);
                    int atQ = (b * tq * hk) + (h * s.KeyDim), atK = (b * tk * hk) + (h * s.KeyDim);
                    int atO = (b * tq * hv) + (h * s.ValueDim), atV = (b * tk * hv) + (h * s.ValueDim);

                    // dP = dO·vᵀ, dv = Pᵀ·dO (head h's columns).
                    StridedGemm.MultiplyTransposedB(dCombined[atO..], hv, v[atV..], hv, dp, tk, tq, s.ValueDim, tk, accumulate: false);
                    var weights = dropped.IsEmpty ? p : dropped.Slice(((b * s.Heads) + h) * s.Scores, s.Scores);
                    StridedGemm.MultiplyTransposedA(weights, tk, dCombined[atO..], hv, dv[atV..], hv, tk, tq, s.ValueDim, accumulate: false);
                    if (!dropped.IsEmpty)
                    {
                        Dropout.BackwardFromOutput(weights, p, dp);
                    }

                    if (!dProbabilities.IsEmpty)
                    {
                        TensorPrimitives.Add(dp, dProbabilities.Slice(((b * s.Heads) + h) * s.Scores, s.Scores), dp);
                    }

                    // Through the softmax of each row, in place: dS = P ⊙ (dP − Σ P·dP); masked entries have P = 0.
                    ActivationKernels.Backward(Activation.Softmax, default, p, dp, tq, tk);

                    // dq = dS·k, dk = dSᵀ·q (q already scaled).
                    StridedGemm.Multiply(dp, tk, k[atK..], hk, dq[atQ..], hk, tq, tk, s.KeyDim, accumulate: false);
                    StridedGemm.MultiplyTransposedA(dp, tk, q[atQ..], hk, dk[atK..], hk, tk, tq, s.KeyDim, accumulate: false);
                }
            }
        }

        // The scale 1/√keyDim applied to the projected queries.
        TensorPrimitives.Multiply(dq[..(rowsQ * hk)], 1f / MathF.Sqrt(s.KeyDim), dq);

        ProjectBack(dq, query, queryKernel, dQuery, accumulateInput: true, dQueryKernel, dQueryBias, rowsQ, s.QueryFeatures, hk);
        ProjectBack(dk, key, keyKernel, dKey, accumulateInput: true, dKeyKernel, dKeyBias, rowsK, s.KeyFeatures, hk);
        ProjectBack(dv, value, valueKernel, dValue, accumulateInput: true, dValueKernel, dValueBias, rowsK, s.ValueFeatures, hv);
    }

    /// <summary>y[rows, n] = x[rows, k]·w[k, n] (+ bias).</summary>
    private static void Project(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int rows, int k, int n)
    {
        Gemm.Multiply(x[..(rows * k)], w[..(k * n)], y[..(rows * n)], rows, k, n, accumulate: false);
        if (!bias.IsEmpty)
        {
            TensorOps.AddBias(y, bias, rows, n);
        }
    }

    /// <summary>The gradients of <see cref="Project"/>: dw += xᵀ·dy, db += Σ dy, dx (+)= dy·wᵀ; each skipped when empty (a
    /// frozen layer's weights, an input nothing needs the gradient of).</summary>
    private static void ProjectBack(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> dx, bool accumulateInput,
        Span<float> dw, Span<float> db, int rows, int k, int n)
    {
        if (rows == 0)
        {
            if (!accumulateInput && !dx.IsEmpty)
            {
                dx.Clear();
            }

            return;
        }

        if (!dw.IsEmpty)
        {
            Gemm.MultiplyTransposedA(x[..(rows * k)], dy[..(rows * n)], dw[..(k * n)], k, rows, n, accumulate: true);
        }

        if (!db.IsEmpty)
        {
            TensorOps.AccumulateBiasGradient(dy, db, rows, n);
        }

        if (!dx.IsEmpty)
        {
            Need(dx, rows, k, nameof(dx));
            Gemm.MultiplyTransposedB(dy[..(rows * n)], w[..(k * n)], dx[..(rows * k)], rows, n, k, accumulate: accumulateInput);
        }
    }

    private static void CheckWeights(in MultiHeadShape s, ReadOnlySpan<float> wq, ReadOnlySpan<float> bq, ReadOnlySpan<float> wk, ReadOnlySpan<float> bk,
        ReadOnlySpan<float> wv, ReadOnlySpan<float> bv, ReadOnlySpan<float> wo, ReadOnlySpan<float> bo)
    {
        Need(wq, s.QueryFeatures, s.QueryWidth, "queryKernel");
        Need(wk, s.KeyFeatures, s.QueryWidth, "keyKernel");
        Need(wv, s.ValueFeatures, s.ValueWidth, "valueKernel");
        Need(wo, s.ValueWidth, s.OutputFeatures, "outputKernel");
        NeedOrEmpty(bq, s.QueryWidth, "queryBias");
        NeedOrEmpty(bk, s.QueryWidth, "keyBias");
        NeedOrEmpty(bv, s.ValueWidth, "valueBias");
        NeedOrEmpty(bo, s.OutputFeatures, "outputBias");
    }

    private static void Need(ReadOnlySpan<float> span, int rows, int cols, string name)
    {
        if (span.Length < (long)rows * cols)
        {
            throw new ArgumentException($"MultiHeadAttention needs {(long)rows * cols} floats ({rows} × {cols}) in '{name}'; got {span.Length}.", name);
        }
    }

    private static void NeedOrEmpty(ReadOnlySpan<float> span, int length, string name)
    {
        if (!span.IsEmpty && span.Length < length)
        {
            throw new ArgumentException($"MultiHeadAttention needs {length} floats in '{name}' (or none without biases); got {span.Length}.", name);
        }
    }
}
