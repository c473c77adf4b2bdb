using System;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

public static partial class Recurrent
{
    /// <summary>Floats of LSTM cache per (sample, step): the gates i, f, g, o after their activations, c and h.</summary>
    private const int LstmSlot = 6;

    /// <summary>
    /// Keras's <c>LSTM</c>: per step, z = x·W + h·U + b split into i, f, g, o; i, f, o = σ(·), g = tanh(·);
    /// c = f ⊙ c + i ⊙ g; h = o ⊙ tanh(c).
    /// </summary>
    /// <param name="x">[batch, steps, inputSize].</param>
    /// <param name="kernel">[inputSize, 4·units], gates i, f, c, o.</param>
    /// <param name="recurrentKernel">[units, 4·units].</param>
    /// <param name="bias">[4·units], or empty for <c>use_bias=False</c>.</param>
    /// <param name="y">[batch, steps, units] when <paramref name="returnSequences"/>, else [batch, units] (the last h).</param>
    /// <param name="lastH">[batch, units], the last h (<c>return_state</c>), or empty.</param>
    /// <param name="lastC">[batch, units], the last c (<c>return_state</c>), or empty.</param>
    /// <param name="cache">batch·steps·6·units floats for <see cref="LstmBackward"/>: per (sample, step), i, f, g, o, c, h.</param>
    /// <param name="scratch">batch·steps·4·units floats of working space.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether <paramref name="y"/> holds every step's h or only the last.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">[batch, units], the state h before the first step processed (Keras's <c>initial_state</c>), or
    /// empty for zeros.</param>
    /// <param name="initialC">[batch, units], the cell state before it, or empty for zeros.</param>
    /// <param name="mask">[batch, steps], Keras's mask in the input's order (1 kept, 0 masked), or empty: a masked step
    /// carries the state over unchanged, and its output is the carried h (or zeros with <paramref name="zeroOutputForMask"/>).</param>
    /// <param name="zeroOutputForMask">Keras's <c>zero_output_for_mask</c> (Bidirectional sets it when returning sequences).</param>
    /// <param name="inputMasks">[batch, 4·inputSize], Keras's input dropout masks of a training step once <c>recurrent_dropout</c> is
    /// set (one per sample and gate i, f, c, o, shared by the steps: gate k reads x ⊙ m_k), or empty. <paramref name="scratch"/>
    /// then needs batch·steps·inputSize more floats.</param>
    /// <param name="stateMasks">[batch, 4·units], Keras's <c>recurrent_dropout</c> masks (gate k's recurrent product reads
    /// h ⊙ m_k; c and the h carried on are not dropped), or empty. <paramref name="scratch"/> then needs batch·units more
    /// floats (the larger of the two).</param>
    public static void LstmForward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> bias,
        Span<float> y, Span<float> lastH, Span<float> lastC, Span<float> cache, Span<float> scratch, int batch, int steps, int inputSize, int units,
        bool returnSequences, bool goBackwards = false, ReadOnlySpan<float> initialH = default, ReadOnlySpan<float> initialC = default,
        ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false, ReadOnlySpan<float> inputMasks = default, ReadOnlySpan<float> stateMasks = default)
    {
        CheckMask(mask.Length, batch, steps);
        int g4 = 4 * units, rows = batch * steps;
        CheckCommon(x.Length, kernel.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, inputSize, units, 4, LstmSlot * units);
        Optional(bias.Length, g4, "bias");
        CheckOutput(y.Length, batch, steps, units, returnSequences, "y");
        Optional(lastH.Length, (long)batch * units, "lastH");
        Optional(lastC.Length, (long)batch * units, "lastC");
        Optional(initialH.Length, (long)batch * units, "initialH");
        Optional(initialC.Length, (long)batch * units, "initialC");

        // z for every (sample, step) at once: x·W + b, to which each step adds h·U.
        Span<float> buffer = DropoutBuffer(scratch, inputMasks, stateMasks, batch, steps, inputSize, units, 4);
        Span<float> z = scratch[..(rows * g4)];
        ProjectMasked(x, kernel, bias, z, batch, steps, inputSize, 4, units, inputMasks, buffer);
        ReverseSteps(z, batch, steps, g4, timeMajor: false, goBackwards);
        LstmSteps(z, recurrentKernel, y, lastH, lastC, cache, batch, steps, units, returnSequences, timeMajor: false, initialH, initialC,
            mask, zeroOutputForMask, goBackwards, stateMasks, buffer);
    }

    /// <summary>
    /// <see cref="LstmForward"/> on an <c>Embedding</c>'s ids, with the input projection folded into the table: row
    /// <c>v</c> of <paramref name="folded"/> is <c>embeddings[v]·W + b</c> (see <see cref="Fold"/>), so each step's
    /// projection is one row lookup instead of a product. Ids are checked as <see cref="Embedding.Forward"/> checks them.
    /// </summary>
    /// <param name="ids">[batch, steps] ids, as floats.</param>
    /// <param name="folded">[vocabulary, 4·units].</param>
    /// <param name="vocabulary">Rows of <paramref name="folded"/>.</param>
    /// <param name="recurrentKernel">[units, 4·units].</param>
    /// <param name="y">As <see cref="LstmForward"/>'s.</param>
    /// <param name="lastH">As <see cref="LstmForward"/>'s.</param>
    /// <param name="lastC">As <see cref="LstmForward"/>'s.</param>
    /// <param name="cache">As <see cref="LstmForward"/>'s.</param>
    /// <param name="scratch">As <see cref="LstmForward"/>'s.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether <paramref name="y"/> holds every step's h or only the last.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">As <see cref="LstmForward"/>'s.</param>
    /// <param name="initialC">As <see cref="LstmForward"/>'s.</param>
    /// <param name="mask">As <see cref="LstmForward"/>'s.</param>
    /// <param name="zeroOutputForMask">As <see cref="LstmForward"/>'s.</param>
    public static void LstmForwardFolded(ReadOnlySpan<float> ids, ReadOnlySpan<float> folded, int vocabulary, ReadOnlySpan<float> recurrentKernel,
        Span<float> y, Span<float> lastH, Span<float> lastC, Span<float> cache, Span<float> scratch, int batch, int steps, int units,
        bool returnSequences, bool goBackwards = false, ReadOnlySpan<float> initialH = default, ReadOnlySpan<float> initialC = default,
        ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false)
    {
        CheckMask(mask.Length, batch, steps);
        int g4 = 4 * units, rows = batch * steps;
        CheckFolded(ids.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, units, 4, LstmSlot * units);
        CheckOutput(y.Length, batch, steps, units, returnSequences, "y");
        Optional(lastH.Length, (long)batch * units, "lastH");
        Optional(lastC.Length, (long)batch * units, "lastC");
        Optional(initialH.Length, (long)batch * units, "initialH");
        Optional(initialC.Length, (long)batch * units, "initialC");
        // Time-major: a step's rows are contiguous in z and in the cache, where batch-major puts them a whole sequence
        // apart (51 KB for 100 steps of 128 floats), which maps them onto a few cache sets. Only inference folds, so
        // nothing reads this cache back.
        Span<float> z = scratch[..(rows * g4)];
        Embedding.ForwardTimeMajor(ids, folded, z, batch, steps, g4, vocabulary);
        ReverseSteps(z, batch, steps, g4, timeMajor: true, goBackwards);
        LstmSteps(z, recurrentKernel, y, lastH, lastC, cache, batch, steps, units, returnSequences, timeMajor: true, initialH, initialC,
            mask, zeroOutputForMask, goBackwards, default, default);
    }

    /// <summary>
    /// The recurrence of <see cref="LstmForward"/> over projected inputs <paramref name="z"/> (overwritten). Rows of z
    /// and slots of the cache are batch-major ([batch, steps], what backward reads) or, for inference,
    /// <paramref name="timeMajor"/> ([steps, batch]).
    /// </summary>
    private static void LstmSteps(Span<float> z, ReadOnlySpan<float> recurrentKernel, Span<float> y, Span<float> lastH, Span<float> lastC,
        Span<float> cache, int batch, int steps, int units, bool returnSequences, bool timeMajor, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC,
        ReadOnlySpan<float> mask, bool zeroOutputForMask, bool goBackwards, ReadOnlySpan<float> stateMasks, Span<float> buffer)
    {
        int u = units, g4 = 4 * units, slot = LstmSlot * units;

        // Row (b, t) is b·sampleStride + t·stepStride.
        int sampleStride = timeMajor ? 1 : steps, stepStride = timeMajor ? batch : 1;
        for (int t = 0; t < steps; t++)
        {
            if (t > 0)
            {
                GateProducts(cache[((((t - 1) * stepStride) * slot) + (5 * u))..], sampleStride * slot, recurrentKernel, 4,
                    z[(t * stepStride * g4)..], sampleStride * g4, batch, u, 0, 4, stateMasks, buffer, accumulate: true);
            }
            else if (!initialH.IsEmpty)
            {
                GateProducts(initialH, u, recurrentKernel, 4, z, sampleStride * g4, batch, u, 0, 4, stateMasks, buffer, accumulate: true);
            }

            for (int b = 0; b < batch; b++)
            {
                int row = (b * sampleStride) + (t * stepStride);
                Span<float> s = cache.Slice(row * slot, slot);
                Gates.Lstm(z.Slice(row * g4, g4), t > 0 ? cache.Slice(((row - stepStride) * slot) + (4 * u), u)
                    : initialC.IsEmpty ? default : initialC.Slice(b * u, u), s, u);
                bool masked = IsMasked(mask, b, t, steps, goBackwards);
                if (masked)
                {
                    // A masked step carries c and h over (backward then passes their gradients straight through).
                    if (t > 0)
                    {
                        cache.Slice(((row - stepStride) * slot) + (4 * u), 2 * u).CopyTo(s.Slice(4 * u, 2 * u));
                    }
                    else
                    {
                        CopyOrClear(initialC.IsEmpty ? default : initialC.Slice(b * u, u), s.Slice(4 * u, u));
                        CopyOrClear(initialH.IsEmpty ? default : initialH.Slice(b * u, u), s.Slice(5 * u, u));
                    }
                }

                if (returnSequences)
                {
                    CopyOrClear(masked && zeroOutputForMask ? default : s.Slice(5 * u, u), y.Slice(((b * steps) + t) * u, u));
                }
            }
        }

        WriteLast(cache, slot, 5 * u, y, !returnSequences, lastH, batch, steps, u, timeMajor, initialH);
        WriteLast(cache, slot, 4 * u, default, false, lastC, batch, steps, u, timeMajor, initialC);
    }

    /// <summary>Accumulates the gradients of <see cref="LstmForward"/> (backpropagation through time).</summary>
    /// <param name="x">[batch, steps, inputSize], the forward input.</param>
    /// <param name="kernel">[inputSize, 4·units].</param>
    /// <param name="recurrentKernel">[units, 4·units].</param>
    /// <param name="cache">The cache <see cref="LstmForward"/> filled.</param>
    /// <param name="dy">The gradient of y, in y's layout.</param>
    /// <param name="dLastH">[batch, units], the gradient of the returned h, or empty.</param>
    /// <param name="dLastC">[batch, units], the gradient of the returned c, or empty.</param>
    /// <param name="dx">[batch, steps, inputSize], accumulated into, or empty to skip.</param>
    /// <param name="dKernel">[inputSize, 4·units], accumulated into, or empty to skip.</param>
    /// <param name="dRecurrentKernel">[units, 4·units], accumulated into, or empty to skip.</param>
    /// <param name="dBias">[4·units], accumulated into, or empty (no bias).</param>
    /// <param name="scratch">batch·steps·4·units floats of working space (need not be the forward's).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether y held every step's h or only the last.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">The forward's initial h, or empty.</param>
    /// <param name="initialC">The forward's initial c, or empty.</param>
    /// <param name="dInitialH">[batch, units], the initial h's gradient, accumulated into, or empty to skip.</param>
    /// <param name="dInitialC">[batch, units], the initial c's gradient, accumulated into, or empty to skip.</param>
    /// <param name="mask">The forward's mask, or empty.</param>
    /// <param name="zeroOutputForMask">The forward's.</param>
    /// <param name="inputMasks">The forward's input dropout masks, or empty.</param>
    /// <param name="stateMasks">The forward's recurrent dropout masks, or empty.</param>
    /// <param name="overwriteDx">Whether to write <paramref name="dx"/> (every element) instead of adding to it: the
    /// generated pass sets it when this layer is the first to write its input's gradient, which it then need not clear.</param>
    public static void LstmBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> cache,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dLastH, ReadOnlySpan<float> dLastC, Span<float> dx,
        Span<float> dKernel, Span<float> dRecurrentKernel, Span<float> dBias, Span<float> scratch, int batch, int steps, int inputSize, int units,
        bool returnSequences, bool goBackwards = false, ReadOnlySpan<float> initialH = default, ReadOnlySpan<float> initialC = default,
        Span<float> dInitialH = default, Span<float> dInitialC = default, ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false,
        ReadOnlySpan<float> inputMasks = default, ReadOnlySpan<float> stateMasks = default, bool overwriteDx = false)
    {
        int u = units, g4 = 4 * units, slot = LstmSlot * units, rows = batch * steps;
        CheckMask(mask.Length, batch, steps);
        ReadOnlySpan<float> zeroed = zeroOutputForMask ? mask : default;
        CheckCommon(x.Length, kernel.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, inputSize, units, 4, slot);
        CheckOutput(dy.Length, batch, steps, units, returnSequences, "dy");
        Optional(dLastH.Length, (long)batch * units, "dLastH");
        Optional(dLastC.Length, (long)batch * units, "dLastC");
        Optional(dx.Length, (long)rows * inputSize, "dx");
        Optional(dKernel.Length, (long)inputSize * g4, "dKernel");
        Optional(dRecurrentKernel.Length, (long)units * g4, "dRecurrentKernel");
        Optional(dBias.Length, g4, "dBias");
        Optional(initialH.Length, (long)batch * units, "initialH");
        Optional(initialC.Length, (long)batch * units, "initialC");
        Optional(dInitialH.Length, (long)batch * units, "dInitialH");
        Optional(dInitialC.Length, (long)batch * units, "dInitialC");
        Span<float> buffer = DropoutBuffer(scratch, inputMasks, stateMasks, batch, steps, inputSize, units, 4);
        if (rows == 0)
        {
            // No step: the initial state is the last state.
            AccumulateEmpty(dy, dLastH, dInitialH, batch, units, returnSequences);
            AccumulateEmpty(default, dLastC, dInitialC, batch, units, returnSequences: true);
            return;
        }

        // dz, the gradient of the pre-activations, per (sample, step). Before step t is processed, its slot holds
        // instead the gradients reaching h_t (first u floats) and c_t (next u floats); the slot of step t - 1 is free
        // until then, so the state gradients need no room of their own.
        Span<float> dz = scratch[..(rows * g4)];
        SeedLastState(dy, dLastH, dz, g4, batch, steps, u, returnSequences, zeroed, goBackwards);
        for (int b = 0; b < batch; b++)
        {
            Span<float> dc = dz.Slice((((b * steps) + steps - 1) * g4) + u, u);
            CopyOrClear(dLastC.IsEmpty ? default : dLastC.Slice(b * u, u), dc);
        }

        for (int t = steps - 1; t >= 0; t--)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (b * steps) + t;
                Span<float> d = dz.Slice(row * g4, g4);
                ReadOnlySpan<float> s = cache.Slice(row * slot, slot);
                ReadOnlySpan<float> cPrevious = t > 0 ? cache.Slice(((row - 1) * slot) + (4 * u), u) : initialC.IsEmpty ? default : initialC.Slice(b * u, u);
                Span<float> dcPrevious = t > 0 ? dz.Slice(((row - 1) * g4) + u, u) : dInitialC.IsEmpty ? default : dInitialC.Slice(b * u, u);
                if (IsMasked(mask, b, t, steps, goBackwards))
                {
                    // The state was carried over: its gradients go straight to the previous step's, the gates get none.
                    if (t > 0)
                    {
                        d[..(2 * u)].CopyTo(dz.Slice((row - 1) * g4, 2 * u));
                    }
                    else
                    {
                        AddTo(d[..u], dInitialH.IsEmpty ? default : dInitialH.Slice(b * u, u));
                        AddTo(d.Slice(u, u), dcPrevious);
                    }

                    d.Clear();
                    continue;
                }

                if (!mask.IsEmpty && t > 0)
                {
                    dz.Slice((row - 1) * g4, u).Clear(); // the recurrent product below accumulates into it
                }


                // tanh(c_t), vectorised, parked in dg's place: each j reads it before it writes dg[j].
                TensorPrimitives.Tanh(s.Slice(4 * u, u), d.Slice(2 * u, u));
                for (int j = 0; j < u; j++)
                {
                    float dh = d[j], dc = d[u + j], tanhC = d[(2 * u) + j];
                    float i = s[j], f = s[u + j], g = s[(2 * u) + j], o = s[(3 * u) + j];
                    dc += dh * o * (1f - (tanhC * tanhC));
                    float cp = cPrevious.IsEmpty ? 0f : cPrevious[j];
                    d[j] = dc * g * i * (1f - i);
                    d[u + j] = dc * cp * f * (1f - f);
                    d[(2 * u) + j] = dc * i * (1f - (g * g));
                    d[(3 * u) + j] = dh * tanhC * o * (1f - o);
                    if (t > 0)
                    {
                        dcPrevious[j] = dc * f;
                    }
                    else if (!dcPrevious.IsEmpty)
                    {
                        dcPrevious[j] += dc * f;
                    }
                }
            }

            if (t > 0)
            {
                // dh_{t-1} = dz_t·Uᵀ (+ the output's gradient), written over the first u floats of step t-1's slots.
                GateProductsBackward(dz[(t * g4)..], steps * g4, recurrentKernel, 4, dz[((t - 1) * g4)..], steps * g4,
                    batch, u, 0, 4, stateMasks, buffer, accumulate: !mask.IsEmpty);
                if (returnSequences)
                {
                    AddSequenceGradient(dy, dz, g4, t - 1, batch, steps, u, zeroed, goBackwards);
                }

                if (!dRecurrentKernel.IsEmpty)
                {
                    GateKernelGradient(cache[(((t - 1) * slot) + (5 * u))..], steps * slot, dz[(t * g4)..], steps * g4,
                        dRecurrentKernel, 4, batch, u, 0, 4, stateMasks, buffer);
                }
            }
        }

        // The initial state fed step 0: dh₀ += dz₀·Uᵀ, and U's gradient gets h₀ᵀ·dz₀.
        InitialStateGradients(initialH, dInitialH, dz, steps * g4, recurrentKernel, dRecurrentKernel, batch, u, 4, stateMasks, buffer);

        ReverseSteps(dz, batch, steps, g4, timeMajor: false, goBackwards); // back to the input's order
        AccumulateInputGradientsMasked(x, kernel, dz, dx, dKernel, dBias, batch, steps, inputSize, 4, u, inputMasks, buffer, overwriteDx);
    }

    /// <summary>The gradients of the input projection x·W + b of every step at once, from dz [rows, gates].</summary>
    private static void AccumulateInputGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> dz,
        Span<float> dx, Span<float> dKernel, Span<float> dBias, int rows, int inputSize, int gates, bool overwriteDx)
    {
        if (!dKernel.IsEmpty)
        {
            Gemm.MultiplyTransposedA(x, dz, dKernel, inputSize, rows, gates, accumulate: true);
        }

        if (!dx.IsEmpty)
        {
            Gemm.MultiplyTransposedB(dz, kernel, dx, rows, gates, inputSize, accumulate: !overwriteDx);
        }

        if (!dBias.IsEmpty)
        {
            TensorOps.AccumulateBiasGradient(dz, dBias, rows, gates);
        }
    }
}
