using System;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

public static partial class Recurrent
{
    /// <summary>Keras's <c>SimpleRNN</c>: per step, h = tanh(x·W + h·U + b).</summary>
    /// <param name="x">[batch, steps, inputSize].</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="bias">[units], or empty for <c>use_bias=False</c>.</param>
    /// <param name="y">[batch, steps, units] when <paramref name="returnSequences"/>, else [batch, units] (the last h).</param>
    /// <param name="lastH">[batch, units], the last h (<c>return_state</c>), or empty.</param>
    /// <param name="cache">batch·steps·units floats for <see cref="SimpleRnnBackward"/>: every step's h.</param>
    /// <param name="scratch">batch·steps·4·units floats of working space.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether <paramref name="y"/> holds every step's h or only the last.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">[batch, units], the state before the first step processed (Keras's <c>initial_state</c>), or
    /// empty for zeros.</param>
    /// <param name="mask">[batch, steps], Keras's mask in the input's order (1 kept, 0 masked), or empty: a masked step
    /// carries the state over, and its output is the carried h (or zeros with <paramref name="zeroOutputForMask"/>).</param>
    /// <param name="zeroOutputForMask">Keras's <c>zero_output_for_mask</c> (Bidirectional sets it when returning sequences).</param>
    /// <param name="inputMasks">[batch, inputSize], Keras's input dropout mask of a training step (one per sample, shared by the
    /// steps), or empty. <paramref name="scratch"/> then needs batch·steps·inputSize more floats.</param>
    /// <param name="stateMasks">[batch, units], Keras's <c>recurrent_dropout</c> mask (the recurrent product reads h ⊙ m), or
    /// empty. <paramref name="scratch"/> then needs batch·units more floats (the larger of the two).</param>
    public static void SimpleRnnForward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> bias,
        Span<float> y, Span<float> lastH, Span<float> cache, Span<float> scratch, int batch, int steps, int inputSize, int units,
        bool returnSequences, bool goBackwards = false, ReadOnlySpan<float> initialH = default,
        ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false, ReadOnlySpan<float> inputMasks = default, ReadOnlySpan<float> stateMasks = default)
    {
        CheckMask(mask.Length, batch, steps);
        int rows = batch * steps;
        CheckCommon(x.Length, kernel.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, inputSize, units, 1, units);
        Optional(bias.Length, units, "bias");
        CheckOutput(y.Length, batch, steps, units, returnSequences, "y");
        Optional(lastH.Length, (long)batch * units, "lastH");
        Optional(initialH.Length, (long)batch * units, "initialH");
        Span<float> buffer = DropoutBuffer(scratch, inputMasks, stateMasks, batch, steps, inputSize, units, 1);

        Span<float> z = scratch[..(rows * units)];
        ProjectMasked(x, kernel, bias, z, batch, steps, inputSize, 1, units, inputMasks, buffer);
        ReverseSteps(z, batch, steps, units, timeMajor: false, goBackwards);
        SimpleRnnSteps(z, recurrentKernel, y, lastH, cache, batch, steps, units, returnSequences, timeMajor: false, initialH, mask, zeroOutputForMask, goBackwards,
            stateMasks, buffer);
    }

    /// <summary>
    /// <see cref="SimpleRnnForward"/> on an <c>Embedding</c>'s ids, with the input projection folded into the table:
    /// row <c>v</c> of <paramref name="folded"/> is <c>embeddings[v]·W + b</c> (see <see cref="Fold"/>). Ids are
    /// checked as <see cref="Embedding.Forward"/> checks them.
    /// </summary>
    /// <param name="ids">[batch, steps] ids, as floats.</param>
    /// <param name="folded">[vocabulary, units].</param>
    /// <param name="vocabulary">Rows of <paramref name="folded"/>.</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="y">As <see cref="SimpleRnnForward"/>'s.</param>
    /// <param name="lastH">As <see cref="SimpleRnnForward"/>'s.</param>
    /// <param name="cache">As <see cref="SimpleRnnForward"/>'s.</param>
    /// <param name="scratch">As <see cref="SimpleRnnForward"/>'s.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether <paramref name="y"/> holds every step's h or only the last.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">As <see cref="SimpleRnnForward"/>'s.</param>
    /// <param name="mask">As <see cref="SimpleRnnForward"/>'s.</param>
    /// <param name="zeroOutputForMask">As <see cref="SimpleRnnForward"/>'s.</param>
    public static void SimpleRnnForwardFolded(ReadOnlySpan<float> ids, ReadOnlySpan<float> folded, int vocabulary, ReadOnlySpan<float> recurrentKernel,
        Span<float> y, Span<float> lastH, Span<float> cache, Span<float> scratch, int batch, int steps, int units, bool returnSequences, bool goBackwards = false,
        ReadOnlySpan<float> initialH = default, ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false)
    {
        CheckMask(mask.Length, batch, steps);
        int rows = batch * steps;
        CheckFolded(ids.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, units, 1, units);
        CheckOutput(y.Length, batch, steps, units, returnSequences, "y");
        Optional(lastH.Length, (long)batch * units, "lastH");
        Optional(initialH.Length, (long)batch * units, "initialH");
        // Time-major, as the folded LSTM: a step's rows are contiguous (only inference folds, so nothing reads the cache back).
        Span<float> z = scratch[..(rows * units)];
        Embedding.ForwardTimeMajor(ids, folded, z, batch, steps, units, vocabulary);
        ReverseSteps(z, batch, steps, units, timeMajor: true, goBackwards);
        SimpleRnnSteps(z, recurrentKernel, y, lastH, cache, batch, steps, units, returnSequences, timeMajor: true, initialH, mask, zeroOutputForMask, goBackwards, default, default);
    }

    /// <summary>The recurrence of <see cref="SimpleRnnForward"/> over the projected inputs <paramref name="z"/> (overwritten).</summary>
    private static void SimpleRnnSteps(Span<float> z, ReadOnlySpan<float> recurrentKernel, Span<float> y, Span<float> lastH, Span<float> cache,
        int batch, int steps, int units, bool returnSequences, bool timeMajor, ReadOnlySpan<float> initialH, ReadOnlySpan<float> mask,
        bool zeroOutputForMask, bool goBackwards, ReadOnlySpan<float> stateMasks, Span<float> buffer)
    {
        int u = units;

        // Row (b, t) of z and of the cache is b·sampleStride + t·stepStride: batch-major, or time-major for inference.
        int sampleStride = timeMajor ? 1 : steps, stepStride = timeMajor ? batch : 1;
        for (int t = 0; t < steps; t++)
        {
            if (t > 0)
            {
                GateProducts(cache[((t - 1) * stepStride * u)..], sampleStride * u, recurrentKernel, 1, z[(t * stepStride * u)..],
                    sampleStride * u, batch, u, 0, 1, stateMasks, buffer, accumulate: true);
            }
            else if (!initialH.IsEmpty)
            {
                GateProducts(initialH, u, recurrentKernel, 1, z, sampleStride * u, batch, u, 0, 1, stateMasks, buffer, accumulate: true);
            }

            for (int b = 0; b < batch; b++)
            {
                int row = (b * sampleStride) + (t * stepStride);
                Span<float> h = cache.Slice(row * u, u);
                TensorPrimitives.Tanh(z.Slice(row * u, u), h);
                bool masked = IsMasked(mask, b, t, steps, goBackwards);
                if (masked)
                {
                    // A masked step carries h over (backward then passes its gradient straight through).
                    CopyOrClear(t > 0 ? cache.Slice((row - stepStride) * u, u) : initialH.IsEmpty ? default : initialH.Slice(b * u, u), h);
                }

                if (returnSequences)
                {
                    CopyOrClear(masked && zeroOutputForMask ? default : h, y.Slice(((b * steps) + t) * u, u));
                }
            }
        }

        WriteLast(cache, u, 0, y, !returnSequences, lastH, batch, steps, u, timeMajor, initialH);
    }

    /// <summary>Accumulates the gradients of <see cref="SimpleRnnForward"/> (backpropagation through time).</summary>
    /// <param name="x">[batch, steps, inputSize], the forward input.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="cache">The cache <see cref="SimpleRnnForward"/> filled.</param>
    /// <param name="dy">The gradient of y, in y's layout.</param>
    /// <param name="dLastH">[batch, units], the gradient of the returned h, or empty.</param>
    /// <param name="dx">[batch, steps, inputSize], accumulated into, or empty to skip.</param>
    /// <param name="dKernel">[inputSize, units], accumulated into, or empty to skip.</param>
    /// <param name="dRecurrentKernel">[units, units], accumulated into, or empty to skip.</param>
    /// <param name="dBias">[units], accumulated into, or empty (no bias).</param>
    /// <param name="scratch">batch·steps·4·units floats of working space (need not be the forward's).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">Units.</param>
    /// <param name="returnSequences">Whether y held every step's h or only the last.</param>
    /// <param name="goBackwards">Keras's <c>go_backwards</c>: process the steps from the last to the first; the output sequence and the
    /// cache are in that order (Keras returns the sequence reversed).</param>
    /// <param name="initialH">The forward's initial state, or empty.</param>
    /// <param name="dInitialH">[batch, units], its gradient, accumulated into, or empty to skip.</param>
    /// <param name="mask">The forward's mask, or empty.</param>
    /// <param name="zeroOutputForMask">The forward's.</param>
    /// <param name="inputMasks">The forward's input dropout mask, or empty.</param>
    /// <param name="stateMasks">The forward's recurrent dropout mask, or empty.</param>
    /// <param name="overwriteDx">Whether to write <paramref name="dx"/> (every element) instead of adding to it: the
    /// generated pass sets it when this layer is the first to write its input's gradient, which it then need not clear.</param>
    public static void SimpleRnnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrentKernel, ReadOnlySpan<float> cache,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dLastH, Span<float> dx, Span<float> dKernel, Span<float> dRecurrentKernel, Span<float> dBias,
        Span<float> scratch, int batch, int steps, int inputSize, int units, bool returnSequences, bool goBackwards = false,
        ReadOnlySpan<float> initialH = default, Span<float> dInitialH = default, ReadOnlySpan<float> mask = default, bool zeroOutputForMask = false,
        ReadOnlySpan<float> inputMasks = default, ReadOnlySpan<float> stateMasks = default, bool overwriteDx = false)
    {
        CheckMask(mask.Length, batch, steps);
        ReadOnlySpan<float> zeroed = zeroOutputForMask ? mask : default;
        int u = units, rows = batch * steps;
        CheckCommon(x.Length, kernel.Length, recurrentKernel.Length, cache.Length, scratch.Length, batch, steps, inputSize, units, 1, units);
        CheckOutput(dy.Length, batch, steps, units, returnSequences, "dy");
        Optional(dLastH.Length, (long)batch * units, "dLastH");
        Optional(dx.Length, (long)rows * inputSize, "dx");
        Optional(dKernel.Length, (long)inputSize * u, "dKernel");
        Optional(dRecurrentKernel.Length, (long)units * u, "dRecurrentKernel");
        Optional(dBias.Length, u, "dBias");
        Optional(initialH.Length, (long)batch * units, "initialH");
        Optional(dInitialH.Length, (long)batch * units, "dInitialH");
        Span<float> buffer = DropoutBuffer(scratch, inputMasks, stateMasks, batch, steps, inputSize, units, 1);
        if (rows == 0)
        {
            AccumulateEmpty(dy, dLastH, dInitialH, batch, units, returnSequences); // no step: the initial state is the last
            return;
        }

        // dz [rows, u]: each step's slots hold the gradient reaching h_t until the step turns it into dz in place.
        Span<float> dz = scratch[..(rows * u)];
        SeedLastState(dy, dLastH, dz, u, batch, steps, u, returnSequences, zeroed, goBackwards);
        for (int t = steps - 1; t >= 0; t--)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (b * steps) + t;
                Span<float> d = dz.Slice(row * u, u);
                ReadOnlySpan<float> h = cache.Slice(row * u, u);
                if (IsMasked(mask, b, t, steps, goBackwards))
                {
                    // h was carried over: its gradient goes straight to h_{t-1}'s, the step's product gets none.
                    if (t > 0)
                    {
                        d.CopyTo(dz.Slice((row - 1) * u, u));
                    }
                    else
                    {
                        AddTo(d, dInitialH.IsEmpty ? default : dInitialH.Slice(b * u, u));
                    }

                    d.Clear();
                    continue;
                }

                if (!mask.IsEmpty && t > 0)
                {
                    dz.Slice((row - 1) * u, u).Clear(); // the recurrent product below accumulates into it
                }

                for (int j = 0; j < u; j++)
                {
                    d[j] *= 1f - (h[j] * h[j]);
                }
            }

            if (t > 0)
            {
                GateProductsBackward(dz[(t * u)..], steps * u, recurrentKernel, 1, dz[((t - 1) * u)..], steps * u,
                    batch, u, 0, 1, stateMasks, buffer, accumulate: !mask.IsEmpty);
                if (returnSequences)
                {
                    AddSequenceGradient(dy, dz, u, t - 1, batch, steps, u, zeroed, goBackwards);
                }

                if (!dRecurrentKernel.IsEmpty)
                {
                    GateKernelGradient(cache[((t - 1) * u)..], steps * u, dz[(t * u)..], steps * u,
                        dRecurrentKernel, 1, batch, u, 0, 1, stateMasks, buffer);
                }
            }
        }

        InitialStateGradients(initialH, dInitialH, dz, steps * u, recurrentKernel, dRecurrentKernel, batch, u, 1, stateMasks, buffer);
        ReverseSteps(dz, batch, steps, u, timeMajor: false, goBackwards); // back to the input's order
        AccumulateInputGradientsMasked(x, kernel, dz, dx, dKernel, dBias, batch, steps, inputSize, 1, u, inputMasks, buffer, overwriteDx);
    }
}
