using System;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

public static partial class Recurrent
{
    /// <summary>
    /// Floats of GRU cache per (sample, step): z, r, hh (the candidate), then h_{t-1}·U_h + b_hh when reset_after
    /// (r ⊙ h_{t-1} when not), then h_t.
    /// </summary>
    private const int GruSlot = 5;

    /// <summary>
    /// Keras's <c>GRU</c>, gates z, r, h: z = σ(x·W_z + h·U_z + b_z), r likewise, h' = z ⊙ h + (1 − z) ⊙ hh with
    /// hh = tanh(x·W_h + b_xh + r ⊙ (h·U_h + b_hh)) when <paramref name="resetAfter"/> (Keras's default), else
    /// hh = tanh(x·W_h + (r ⊙ h)·U_h + b_h).
    /// </summary>
    /// <param name="x">[batch, steps, inputSize].</param>
    /// <param name="kernel">[inputSize, 3·units], gates z, r, h.</param>
    /// <param name="recurrentKernel">[units, 3·units].</param>
    /// <param name="bias">[2, 3·units] (input bias row, then recurrent bias row) when <paramref name="resetAfter"/>,
    /// else [3·units]; or empty for <c>use_bias=False</c>.</param>
    /// <param name="y">[batch, steps, units] when <paramref name="returnSequences"/>, else [batch, units] (the last h).</param>
    /// <param name="lastH">[batch, units], the last h (<c>return_state</c>), or empty.</param>
    /// <param name="cache">batch·steps·5·units floats for <see cref="GruBackward"/>: per (sample, step), z, r, hh,
    /// h_{t-1}·U_h + b_hh (or r ⊙ h_{t-1} without reset_after), h.</param>
    /// <param name="scratch">batch·steps·4·units floats of working space.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether <paramref name="y"/> holds every step's h or only the last.</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>: apply the reset gate after the recurrent product.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">[batch, units], the state before the first step processed (Keras's <c>initial_state</c>), or
    /// empty for zeros.</param>
    /// <param name="mask">[batch, steps], Keras's mask in the input's order (1 kept, 0 masked), or empty: a masked step
    /// carries the state over, and its output is the carried h (or zeros with <paramref name="zeroOutputForMask"/>).</param>
    /// <param name="zeroOutputForMask">Keras's <c>zero_output_for_mask</c> (Bidirectional sets it when returning sequences).</param>
    /// <param name="inputMasks">[batch, 3·inputSize], Keras's input dropout masks of a training step once <c>recurrent_dropout</c> is
    /// set (one per sample and gate z, r, h, shared by the steps), or empty. <paramref name="scratch"/> then needs
    /// batch·steps·inputSize more floats.</param>
    /// <param name="stateMasks">[batch, 3·units], Keras's <c>recurrent_dropout</c> masks: gate k's recurrent product reads
    /// h ⊙ m_k (without reset_after, hh's reads r ⊙ h ⊙ m_h); the blend z ⊙ h + (1 − z) ⊙ hh keeps the undropped h. Or
    /// empty. <paramref name="scratch"/> then needs batch·units more floats (the larger of the two).</param>
    public static void GruForward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> bias,
        Span<float> y, Span<float> lastH, Span<float> cache, Span<float> scratch, int batch, int steps, int inputSize, int units,
        bool returnSequences, bool resetAfter, bool goBackwards = false, ReadOnlySpan<float> initialH = default,
        ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false, ReadOnlySpan<float> inputMasks = default, ReadOnlySpan<float> stateMasks = default)
    {
        CheckMask(mask.Length, batch, steps);
        int g3 = 3 * units, rows = batch * steps;
        CheckCommon(x.Length, kernel.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, inputSize, units, 3, GruSlot * units);
        Optional(bias.Length, resetAfter ? 2 * g3 : g3, "bias");
        CheckOutput(y.Length, batch, steps, units, returnSequences, "y");
        Optional(lastH.Length, (long)batch * units, "lastH");
        Optional(initialH.Length, (long)batch * units, "initialH");
        ReadOnlySpan<float> inputBias = bias.IsEmpty ? default : bias[..g3];
        ReadOnlySpan<float> recurrentBias = bias.IsEmpty || !resetAfter ? default : bias.Slice(g3, g3);

        // The input side of every (sample, step) at once: x·W + b_x.
        Span<float> buffer = DropoutBuffer(scratch, inputMasks, stateMasks, batch, steps, inputSize, units, 3);
        Span<float> p = scratch[..(rows * g3)];
        ProjectMasked(x, kernel, inputBias, p, batch, steps, inputSize, 3, units, inputMasks, buffer);
        ReverseSteps(p, batch, steps, g3, timeMajor: false, goBackwards);
        GruSteps(p, recurrentKernel, recurrentBias, y, lastH, cache, batch, steps, units, returnSequences, resetAfter, timeMajor: false, initialH, mask, zeroOutputForMask, goBackwards,
            stateMasks, buffer);
    }

    /// <summary>
    /// <see cref="GruForward"/> on an <c>Embedding</c>'s ids, with the input projection folded into the table: row
    /// <c>v</c> of <paramref name="folded"/> is <c>embeddings[v]·W + b_x</c> (see <see cref="Fold"/>; the input bias
    /// row). Ids are checked as <see cref="Embedding.Forward"/> checks them.
    /// </summary>
    /// <param name="ids">[batch, steps] ids, as floats.</param>
    /// <param name="folded">[vocabulary, 3·units].</param>
    /// <param name="vocabulary">Rows of <paramref name="folded"/>.</param>
    /// <param name="recurrentKernel">[units, 3·units].</param>
    /// <param name="bias">The layer's whole bias, as <see cref="GruForward"/> takes it (only the recurrent row is read
    /// here: the input row is in the table), or empty.</param>
    /// <param name="y">As <see cref="GruForward"/>'s.</param>
    /// <param name="lastH">As <see cref="GruForward"/>'s.</param>
    /// <param name="cache">As <see cref="GruForward"/>'s.</param>
    /// <param name="scratch">As <see cref="GruForward"/>'s.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether <paramref name="y"/> holds every step's h or only the last.</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">As <see cref="GruForward"/>'s.</param>
    /// <param name="mask">As <see cref="GruForward"/>'s.</param>
    /// <param name="zeroOutputForMask">As <see cref="GruForward"/>'s.</param>
    public static void GruForwardFolded(ReadOnlySpan<float> ids, ReadOnlySpan<float> folded, int vocabulary, ReadOnlySpan<float> recurrentKernel,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> lastH, Span<float> cache, Span<float> scratch, int batch, int steps, int units,
        bool returnSequences, bool resetAfter, bool goBackwards = false, ReadOnlySpan<float> initialH = default,
        ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false)
    {
        CheckMask(mask.Length, batch, steps);
        int g3 = 3 * units, rows = batch * steps;
        CheckFolded(ids.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, units, 3, GruSlot * units);
        Optional(bias.Length, resetAfter ? 2 * g3 : g3, "bias");
        CheckOutput(y.Length, batch, steps, units, returnSequences, "y");
        Optional(lastH.Length, (long)batch * units, "lastH");
        Optional(initialH.Length, (long)batch * units, "initialH");
        ReadOnlySpan<float> recurrentBias = bias.IsEmpty || !resetAfter ? default : bias.Slice(g3, g3);
        // Time-major, as the folded LSTM: a step's rows are contiguous (only inference folds, so nothing reads the cache back).
        Span<float> p = scratch[..(rows * g3)];
        Embedding.ForwardTimeMajor(ids, folded, p, batch, steps, g3, vocabulary);
        ReverseSteps(p, batch, steps, g3, timeMajor: true, goBackwards);
        GruSteps(p, recurrentKernel, recurrentBias, y, lastH, cache, batch, steps, units, returnSequences, resetAfter, timeMajor: true, initialH, mask, zeroOutputForMask, goBackwards,
            default, default);
    }

    /// <summary>The recurrence of <see cref="GruForward"/> over the projected inputs <paramref name="p"/>.</summary>
    private static void GruSteps(ReadOnlySpan<float> p, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> recurrentBias, Span<float> y,
        Span<float> lastH, Span<float> cache, int batch, int steps, int units, bool returnSequences, bool resetAfter, bool timeMajor,
        ReadOnlySpan<float> initialH, ReadOnlySpan<float> mask, bool zeroOutputForMask, bool goBackwards, ReadOnlySpan<float> stateMasks, Span<float> buffer)
    {
        int u = units, g3 = 3 * units, slot = GruSlot * units;

        // Row (b, t) of p and of the cache is b·sampleStride + t·stepStride: batch-major, or time-major for inference.
        int sampleStride = timeMajor ? 1 : steps, stepStride = timeMajor ? batch : 1;
        for (int t = 0; t < steps; t++)
        {
            // The recurrent products land in the step's own cache slots (z and r in place, h·U_h in hh's place), so
            // they need no other room; rows of one step are sampleStride slots apart.
            // h_{t-1}: the previous step's h in the cache, or the initial state (rows units apart) before step 0.
            bool hasPrevious = t > 0 || !initialH.IsEmpty;
            ReadOnlySpan<float> hPrevious = t > 0 ? cache[((((t - 1) * stepStride) * slot) + (4 * u))..] : initialH;
            int previousStride = t > 0 ? sampleStride * slot : u;
            if (hasPrevious)
            {
                GateProducts(hPrevious, previousStride, recurrentKernel, 3, cache[(t * stepStride * slot)..], sampleStride * slot,
                    batch, u, 0, resetAfter ? 3 : 2, stateMasks, buffer, accumulate: false);
            }

            for (int b = 0; b < batch; b++)
            {
                int row = (b * sampleStride) + (t * stepStride);
                Span<float> s = cache.Slice(row * slot, slot);
                ReadOnlySpan<float> pr = p.Slice(row * g3, g3);
                Span<float> zr = s[..(2 * u)], hh = s.Slice(2 * u, u), extra = s.Slice(3 * u, u);
                if (!hasPrevious)
                {
                    s[..g3].Clear();
                }

                if (resetAfter && !recurrentBias.IsEmpty)
                {
                    TensorPrimitives.Add(s[..g3], recurrentBias, s[..g3]);
                }

                TensorPrimitives.Add(zr, pr[..(2 * u)], zr);
                TensorPrimitives.Sigmoid(zr, zr);
                ReadOnlySpan<float> r = s.Slice(u, u);
                if (resetAfter)
                {
                    hh.CopyTo(extra); // h·U_h + b_hh, which backward needs
                    TensorPrimitives.Multiply(r, extra, hh);
                    Finish(pr.Slice(2 * u, u), s, hasPrevious ? hPrevious.Slice(b * previousStride, u) : default, u);
                }
                else if (hasPrevious)
                {
                    TensorPrimitives.Multiply(r, hPrevious.Slice(b * previousStride, u), extra);
                    if (!stateMasks.IsEmpty)
                    {
                        TensorPrimitives.Multiply(extra, stateMasks.Slice(((b * 3) + 2) * u, u), extra); // r ⊙ (h ⊙ m_h)
                    }
                }
                else
                {
                    extra.Clear();
                }
            }

            if (!resetAfter)
            {
                // hh's pre-activation: (r ⊙ h_{t-1})·U_h.
                if (hasPrevious)
                {
                    StridedGemm.Multiply(cache[((t * stepStride * slot) + (3 * u))..], sampleStride * slot, recurrentKernel[(2 * u)..], g3,
                        cache[((t * stepStride * slot) + (2 * u))..], sampleStride * slot, batch, u, u, accumulate: false);
                }

                for (int b = 0; b < batch; b++)
                {
                    int row = (b * sampleStride) + (t * stepStride);
                    Finish(p.Slice((row * g3) + (2 * u), u), cache.Slice(row * slot, slot),
                        hasPrevious ? hPrevious.Slice(b * previousStride, u) : default, u);
                }
            }

            for (int b = 0; b < batch; b++)
            {
                int row = (b * sampleStride) + (t * stepStride);
                bool masked = IsMasked(mask, b, t, steps, goBackwards);
                if (masked)
                {
                    // A masked step carries h over (backward then passes its gradient straight through).
                    CopyOrClear(hasPrevious ? hPrevious.Slice(b * previousStride, u) : default, cache.Slice((row * slot) + (4 * u), u));
                }

                if (returnSequences)
                {
                    CopyOrClear(masked && zeroOutputForMask ? default : cache.Slice((row * slot) + (4 * u), u), y.Slice(((b * steps) + t) * u, u));
                }
            }
        }

        WriteLast(cache, slot, 4 * u, y, !returnSequences, lastH, batch, steps, u, timeMajor, initialH);

        // hh = tanh(x·W_h + b + the recurrent part already in hh's place); h = z ⊙ h_{t-1} + (1 − z) ⊙ hh.
        static void Finish(ReadOnlySpan<float> inputPart, Span<float> s, ReadOnlySpan<float> hPrevious, int u)
        {
            ReadOnlySpan<float> z = s[..u];
            Span<float> hh = s.Slice(2 * u, u), h = s.Slice(4 * u, u);
            TensorPrimitives.Add(hh, inputPart, hh);
            TensorPrimitives.Tanh(hh, hh);
            if (hPrevious.IsEmpty)
            {
                TensorPrimitives.Multiply(z, hh, h);
                TensorPrimitives.Subtract(hh, h, h);
            }
            else
            {
                TensorPrimitives.Subtract(hPrevious, hh, h);
                TensorPrimitives.MultiplyAdd(h, z, hh, h);
            }
        }
    }

    /// <summary>Accumulates the gradients of <see cref="GruForward"/> (backpropagation through time).</summary>
    /// <param name="x">[batch, steps, inputSize], the forward input.</param>
    /// <param name="kernel">[inputSize, 3·units].</param>
    /// <param name="recurrentKernel">[units, 3·units].</param>
    /// <param name="cache">The cache <see cref="GruForward"/> filled.</param>
    /// <param name="dy">The gradient of y, in y's layout.</param>
    /// <param name="dLastH">[batch, units], the gradient of the returned h, or empty.</param>
    /// <param name="dx">[batch, steps, inputSize], accumulated into, or empty to skip.</param>
    /// <param name="dKernel">[inputSize, 3·units], accumulated into, or empty to skip.</param>
    /// <param name="dRecurrentKernel">[units, 3·units], accumulated into, or empty to skip.</param>
    /// <param name="dBias">The bias's gradient in its layout, accumulated into, or empty (no bias).</param>
    /// <param name="scratch">batch·steps·4·units floats of working space (need not be the forward's).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether y held every step's h or only the last.</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>, as in the forward pass.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">The forward's initial state, or empty.</param>
    /// <param name="dInitialH">[batch, units], its gradient, accumulated into, or empty to skip.</param>
    /// <param name="mask">The forward's mask, or empty.</param>
    /// <param name="zeroOutputForMask">The forward's.</param>
    /// <param name="inputMasks">The forward's input dropout masks, or empty.</param>
    /// <param name="stateMasks">The forward's recurrent dropout masks, or empty.</param>
    /// <param name="overwriteDx">Whether to write <paramref name="dx"/> (every element) instead of adding to it: the
    /// generated pass sets it when this layer is the first to write its input's gradient, which it then need not clear.</param>
    public static void GruBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> cache,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dLastH, Span<float> dx, Span<float> dKernel, Span<float> dRecurrentKernel, Span<float> dBias,
        Span<float> scratch, int batch, int steps, int inputSize, int units, bool returnSequences, bool resetAfter, bool goBackwards = false,
        ReadOnlySpan<float> initialH = default, Span<float> dInitialH = default, ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false,
        ReadOnlySpan<float> inputMasks = default, ReadOnlySpan<float> stateMasks = default, bool overwriteDx = false)
    {
        CheckMask(mask.Length, batch, steps);
        ReadOnlySpan<float> zeroed = zeroOutputForMask ? mask : default;
        int u = units, g3 = 3 * units, slot = GruSlot * units, rows = batch * steps;
        CheckCommon(x.Length, kernel.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, inputSize, units, 3, slot);
        CheckOutput(dy.Length, batch, steps, units, returnSequences, "dy");
        Optional(dLastH.Length, (long)batch * units, "dLastH");
        Optional(dx.Length, (long)rows * inputSize, "dx");
        Optional(dKernel.Length, (long)inputSize * g3, "dKernel");
        Optional(dRecurrentKernel.Length, (long)units * g3, "dRecurrentKernel");
        Optional(dBias.Length, resetAfter ? 2 * g3 : g3, "dBias");
        Optional(initialH.Length, (long)batch * units, "initialH");
        Optional(dInitialH.Length, (long)batch * units, "dInitialH");
        Span<float> buffer = DropoutBuffer(scratch, inputMasks, stateMasks, batch, steps, inputSize, units, 3);
        if (rows == 0)
        {
            AccumulateEmpty(dy, dLastH, dInitialH, batch, units, returnSequences); // no step: the initial state is the last
            return;
        }

        // dp [rows, 3u]: the gradient of the input side's pre-activations (z, r, hh). Before step t is processed, the
        // first u floats of its slots hold the gradient reaching h_t instead. e [rows, u]: the gradient of
        // h_{t-1}·U_h + b_hh (reset_after), or of r ⊙ h_{t-1}.
        Span<float> dp = scratch[..(rows * g3)], e = scratch.Slice(rows * g3, rows * u);
        SeedLastState(dy, dLastH, dp, g3, batch, steps, u, returnSequences, zeroed, goBackwards);
        for (int t = steps - 1; t >= 0; t--)
        {
            // h_{t-1}: the previous step's h in the cache, or the initial state before step 0. Its gradient goes to the
            // previous step's slots (written, then accumulated), or into the initial state's gradient (accumulated).
            bool hasPrevious = t > 0 || !initialH.IsEmpty;
            ReadOnlySpan<float> hPrevious = t > 0 ? cache[(((t - 1) * slot) + (4 * u))..] : initialH;
            int previousStride = t > 0 ? steps * slot : u;
            Span<float> dhRows = t > 0 ? dp[((t - 1) * g3)..] : dInitialH;
            int dhStride = t > 0 ? steps * g3 : u;
            for (int b = 0; b < batch; b++)
            {
                int row = (b * steps) + t;
                Span<float> d = dp.Slice(row * g3, g3), er = e.Slice(row * u, u);
                ReadOnlySpan<float> s = cache.Slice(row * slot, slot);
                ReadOnlySpan<float> hp = hasPrevious ? hPrevious.Slice(b * previousStride, u) : default;
                Span<float> dhPrevious = dhRows.IsEmpty ? default : dhRows.Slice(b * dhStride, u);
                if (IsMasked(mask, b, t, steps, goBackwards))
                {
                    // h was carried over: its gradient goes straight to h_{t-1}'s, the gates get none.
                    if (t > 0)
                    {
                        d[..u].CopyTo(dhPrevious);
                    }
                    else
                    {
                        AddTo(d[..u], dhPrevious);
                    }

                    d.Clear();
                    er.Clear();
                    continue;
                }

                for (int j = 0; j < u; j++)
                {
                    float dh = d[j], z = s[j], r = s[u + j], hh = s[(2 * u) + j];
                    float h0 = hasPrevious ? hp[j] : 0f;
                    float dhh = dh * (1f - z) * (1f - (hh * hh));
                    d[j] = dh * (h0 - hh) * z * (1f - z);
                    d[(2 * u) + j] = dhh;
                    if (resetAfter)
                    {
                        d[u + j] = dhh * s[(3 * u) + j] * r * (1f - r);
                        er[j] = dhh * r;
                    }
                    else if (!hasPrevious)
                    {
                        d[u + j] = 0f; // r only scales h_{-1} = 0
                    }

                    if (t > 0)
                    {
                        dhPrevious[j] = dh * z;
                    }
                    else if (!dhPrevious.IsEmpty)
                    {
                        dhPrevious[j] += dh * z;
                    }
                }
            }

            if (!hasPrevious)
            {
                break;
            }

            int dpStride = steps * g3, eStride = steps * u;
            if (!resetAfter)
            {
                // The gradient of r ⊙ h_{t-1} is dhh·U_hᵀ; it reaches r and h_{t-1}.
                StridedGemm.MultiplyTransposedB(dp[((t * g3) + (2 * u))..], dpStride, recurrentKernel[(2 * u)..], g3,
                    e[(t * u)..], eStride, batch, u, u, accumulate: false);
                for (int b = 0; b < batch; b++)
                {
                    int row = (b * steps) + t;
                    Span<float> d = dp.Slice(row * g3, g3), dhPrevious = dhRows.IsEmpty ? default : dhRows.Slice(b * dhStride, u);
                    ReadOnlySpan<float> er = e.Slice(row * u, u), r = cache.Slice((row * slot) + u, u);
                    ReadOnlySpan<float> hp = hPrevious.Slice(b * previousStride, u);
                    ReadOnlySpan<float> mh = stateMasks.IsEmpty ? default : stateMasks.Slice(((b * 3) + 2) * u, u);
                    for (int j = 0; j < u; j++)
                    {
                        float m = mh.IsEmpty ? 1f : mh[j]; // r multiplied h ⊙ m_h
                        d[u + j] = er[j] * hp[j] * m * r[j] * (1f - r[j]);
                        if (!dhPrevious.IsEmpty)
                        {
                            dhPrevious[j] += er[j] * r[j] * m;
                        }
                    }
                }
            }

            // dh_{t-1} += [dz, dr]·U_zrᵀ, plus (h·U_h + b_hh)'s gradient·U_hᵀ with reset_after.
            if (!dhRows.IsEmpty)
            {
                GateProductsBackward(dp[(t * g3)..], dpStride, recurrentKernel, 3, dhRows, dhStride, batch, u, 0, 2, stateMasks, buffer, accumulate: true);
                if (resetAfter)
                {
                    GateProductsBackward(e[(t * u)..], eStride, recurrentKernel, 3, dhRows, dhStride, batch, u, 2, 1, stateMasks, buffer, accumulate: true);
                }
            }

            if (returnSequences && t > 0)
            {
                AddSequenceGradient(dy, dp, g3, t - 1, batch, steps, u, zeroed, goBackwards);
            }

            if (!dRecurrentKernel.IsEmpty)
            {
                GateKernelGradient(hPrevious, previousStride, dp[(t * g3)..], dpStride, dRecurrentKernel, 3, batch, u, 0, 2, stateMasks, buffer);
                if (resetAfter)
                {
                    GateKernelGradient(hPrevious, previousStride, e[(t * u)..], eStride, dRecurrentKernel, 3, batch, u, 2, 1, stateMasks, buffer);
                }
                else
                {
                    StridedGemm.MultiplyTransposedA(cache[((t * slot) + (3 * u))..], steps * slot, dp[((t * g3) + (2 * u))..], dpStride,
                        dRecurrentKernel[(2 * u)..], g3, u, batch, u, accumulate: true);
                }
            }
        }

        ReverseSteps(dp, batch, steps, g3, timeMajor: false, goBackwards); // back to the input's order (the bias sums ignore it)
        AccumulateInputGradientsMasked(x, kernel, dp, dx, dKernel, dBias.IsEmpty ? default : dBias[..g3], batch, steps, inputSize, 3, u, inputMasks, buffer, overwriteDx);
        if (resetAfter && !dBias.IsEmpty)
        {
            // The recurrent bias: z's and r's gradients are the input bias's; h's is e's.
            Span<float> recurrentBias = dBias.Slice(g3, g3);
            for (int row = 0; row < rows; row++)
            {
                TensorPrimitives.Add(recurrentBias[..(2 * u)], dp.Slice(row * g3, 2 * u), recurrentBias[..(2 * u)]);
            }

            TensorOps.AccumulateBiasGradient(e, recurrentBias[(2 * u)..], rows, u);
        }
    }
}
