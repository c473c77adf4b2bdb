using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras 3's recurrent layers (<c>LSTM</c>, <c>GRU</c>, <c>SimpleRNN</c>) with their default activations (tanh, and
/// sigmoid for the gates), a zero initial state, no masking, and <c>go_backwards</c> either way. Sequences are batch-major,
/// x [batch, steps, inputSize]; kernels are [inputSize, gates·units] and recurrent kernels [units, gates·units] with
/// the gates side by side in Keras's order. The input projection of every step is one matrix product over
/// batch × steps rows; then each step multiplies the whole batch's previous state by the recurrent kernel.
/// Forward passes fill a cache that their backward pass reads; backward passes accumulate (+=) into the gradients,
/// and an empty gradient span is skipped. Nothing is allocated.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Recurrent
{
    /// <summary>
    /// For <c>go_backwards</c>: reverses the order of each sample's steps in <paramref name="rows"/>, in place, when
    /// <paramref name="goBackwards"/> (otherwise nothing). The forward passes reverse the input projections of every
    /// step once they are computed, so the recurrence runs over them first to last as usual and leaves the output and
    /// the cache in processing order, as Keras returns them; the backward passes reverse the projections' gradients
    /// back before the input's gradient and the kernel's are taken.
    /// </summary>
    /// <param name="rows">[batch, steps, width] (batch-major) or [steps, batch, width] (time-major).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="width">Floats per row.</param>
    /// <param name="timeMajor">Whether a step's rows are contiguous.</param>
    /// <param name="goBackwards">Whether to reverse at all.</param>
    private static void ReverseSteps(Span<float> rows, int batch, int steps, int width, bool timeMajor, bool goBackwards)
    {
        if (!goBackwards)
        {
            return;
        }

        // Batch-major: sample b's step t is row b·steps + t; time-major: a step is one block of batch rows.
        int blocks = timeMajor ? 1 : batch, length = timeMajor ? batch * width : width, stride = timeMajor ? 0 : steps * width;
        for (int b = 0; b < blocks; b++)
        {
            for (int t = 0; t < steps / 2; t++)
            {
                Span<float> early = rows.Slice((b * stride) + (t * length), length);
                Span<float> late = rows.Slice((b * stride) + ((steps - 1 - t) * length), length);
                for (int i = 0; i < length; i++)
                {
                    (early[i], late[i]) = (late[i], early[i]);
                }
            }
        }
    }

    /// <summary>Copies the last step's state (the <paramref name="offset"/>-th float of each cache slot) to the
    /// non-sequence output and to the returned state; for an empty sequence, the initial state (or zeros). The cache is batch-major
    /// ([batch, steps] slots) unless <paramref name="timeMajor"/> ([steps, batch]).</summary>
    private static void WriteLast(ReadOnlySpan<float> cache, int slot, int offset, Span<float> y, bool writeY, Span<float> last,
        int batch, int steps, int units, bool timeMajor = false, ReadOnlySpan<float> initial = default)
    {
        for (int b = 0; b < batch; b++)
        {
            int row = timeMajor ? ((steps - 1) * batch) + b : (b * steps) + steps - 1;
            ReadOnlySpan<float> state = steps > 0 ? cache.Slice((row * slot) + offset, units) : initial.IsEmpty ? default : initial.Slice(b * units, units);
            if (writeY)
            {
                CopyOrClear(state, y.Slice(b * units, units));
            }

            if (!last.IsEmpty)
            {
                CopyOrClear(state, last.Slice(b * units, units));
            }
        }
    }

    /// <summary>Whether processing step <paramref name="t"/> of sample <paramref name="b"/> is masked: Keras's mask is in
    /// the input's order ([batch, steps], 1 kept and 0 masked), and <c>go_backwards</c> processes it reversed.</summary>
    private static bool IsMasked(ReadOnlySpan<float> mask, int b, int t, int steps, bool goBackwards)
        => !mask.IsEmpty && mask[(b * steps) + (goBackwards ? steps - 1 - t : t)] < 0.5f;

    /// <summary>Checks a mask that may be empty (no masking) or must hold one value per (sample, step).</summary>
    private static void CheckMask(int length, int batch, int steps) => Optional(length, (long)batch * steps, "mask");

    /// <summary>destination += source, unless destination is empty.</summary>
    private static void AddTo(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (!destination.IsEmpty)
        {
            TensorPrimitives.Add(destination, source, destination);
        }
    }

    private static void CopyOrClear(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.IsEmpty)
        {
            destination.Clear();
        }
        else
        {
            source.CopyTo(destination);
        }
    }

    /// <summary>
    /// Writes the gradient reaching the last step's state into the first <paramref name="units"/> floats of each
    /// sample's last gradient slot: the output's gradient (its last step when it is a sequence) plus the returned
    /// state's.
    /// </summary>
    private static void SeedLastState(ReadOnlySpan<float> dy, ReadOnlySpan<float> dLastH, Span<float> gradient, int slot,
        int batch, int steps, int units, bool returnSequences, ReadOnlySpan<float> zeroedSteps = default, bool goBackwards = false)
    {
        for (int b = 0; b < batch; b++)
        {
            int row = (b * steps) + steps - 1;
            Span<float> dh = gradient.Slice(row * slot, units);
            if (returnSequences && IsMasked(zeroedSteps, b, steps - 1, steps, goBackwards))
            {
                dh.Clear(); // the output was zeros there (zero_output_for_mask)
            }
            else
            {
                dy.Slice((returnSequences ? row : b) * units, units).CopyTo(dh);
            }

            if (!dLastH.IsEmpty)
            {
                TensorPrimitives.Add(dh, dLastH.Slice(b * units, units), dh);
            }
        }
    }

    /// <summary>
    /// The gradients from an initial state h₀ that fed step 0 (before <see cref="ReverseSteps"/> puts the rows back):
    /// <c>dh₀ += dz₀·Uᵀ</c> over the <paramref name="gates"/> gates of U and <c>dU += h₀ᵀ·dz₀</c>, each gate through its
    /// recurrent dropout mask when there are masks. Nothing without an initial state.
    /// </summary>
    private static void InitialStateGradients(ReadOnlySpan<float> initialH, Span<float> dInitialH, ReadOnlySpan<float> dz, int dzStride,
        ReadOnlySpan<float> recurrentKernel, Span<float> dRecurrentKernel, int batch, int units, int gates,
        ReadOnlySpan<float> stateMasks = default, Span<float> buffer = default)
    {
        if (initialH.IsEmpty)
        {
            return;
        }

        if (!dInitialH.IsEmpty)
        {
            GateProductsBackward(dz, dzStride, recurrentKernel, gates, dInitialH, units, batch, units, 0, gates, stateMasks, buffer, accumulate: true);
        }

        if (!dRecurrentKernel.IsEmpty)
        {
            GateKernelGradient(initialH, units, dz, dzStride, dRecurrentKernel, gates, batch, units, 0, gates, stateMasks, buffer);
        }
    }

    /// <summary>For a sequence of no steps the initial state is the last: its gradient is the last state's (and, for
    /// h, the output's when the output is the last h).</summary>
    private static void AccumulateEmpty(ReadOnlySpan<float> dy, ReadOnlySpan<float> dLast, Span<float> dInitial, int batch, int units, bool returnSequences)
    {
        if (dInitial.IsEmpty)
        {
            return;
        }

        int n = batch * units;
        if (!dLast.IsEmpty)
        {
            TensorPrimitives.Add(dInitial[..n], dLast[..n], dInitial);
        }

        if (!returnSequences && !dy.IsEmpty)
        {
            TensorPrimitives.Add(dInitial[..n], dy[..n], dInitial);
        }
    }

    /// <summary>Adds step <paramref name="t"/> of a sequence output's gradient to the state gradient of that step
    /// (the first <paramref name="units"/> floats of each sample's gradient slot).</summary>
    private static void AddSequenceGradient(ReadOnlySpan<float> dy, Span<float> gradient, int slot, int t, int batch, int steps, int units,
        ReadOnlySpan<float> zeroedSteps = default, bool goBackwards = false)
    {
        for (int b = 0; b < batch; b++)
        {
            if (IsMasked(zeroedSteps, b, t, steps, goBackwards))
            {
                continue; // the output was zeros there (zero_output_for_mask)
            }

            int row = (b * steps) + t;
            Span<float> dh = gradient.Slice(row * slot, units);
            TensorPrimitives.Add(dh, dy.Slice(row * units, units), dh);
        }
    }

    /// <summary>Checks the sizes shared by every recurrent kernel; spans may be longer than needed.</summary>
    private static void CheckCommon(int xLength, int kernelLength, int recurrentLength, int cacheLength, int scratchLength,
        int batch, int steps, int inputSize, int units, int gates, int cacheSlot)
    {
        if (batch < 0 || steps < 0 || inputSize < 0 || units < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch),
                $"Sizes must not be negative (batch = {batch}, steps = {steps}, inputSize = {inputSize}, units = {units}).");
        }

        long rows = (long)batch * steps;
        Need(xLength, rows * inputSize, "x");
        Need(kernelLength, (long)inputSize * gates * units, "kernel");
        Need(recurrentLength, (long)units * gates * units, "recurrentKernel");
        Need(cacheLength, rows * cacheSlot, "cache");
        Need(scratchLength, rows * 4 * units, "scratch");
    }

    /// <summary>Checks the sizes of a folded forward pass (ids in place of x, no input kernel).</summary>
    private static void CheckFolded(int idsLength, int recurrentLength, int cacheLength, int scratchLength,
        int batch, int steps, int units, int gates, int cacheSlot)
    {
        CheckCommon(idsLength, 0, recurrentLength, cacheLength, scratchLength, batch, steps, 0, units, gates, cacheSlot);
        Need(idsLength, (long)batch * steps, "ids");
    }

    /// <summary>x·W (+ b) for every (sample, step) at once: the input side of a recurrent layer.</summary>
    private static void Project(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, Span<float> z,
        int rows, int inputSize, int width)
    {
        Gemm.Multiply(x, kernel, z, rows, inputSize, width, accumulate: false);
        if (!bias.IsEmpty)
        {
            TensorOps.AddBias(z, bias, rows, width);
        }
    }

    /// <summary>
    /// The input side with Keras's per-gate input dropout (<c>recurrent_dropout</c> switches LSTM and GRU to one mask per
    /// gate): gate k's columns of z are (x ⊙ m_k)·W_k (+ b_k), with m_k sample b's mask for gate k, the same at every
    /// step. Without masks (<paramref name="inputMasks"/> empty; otherwise [batch, gates·inputSize]), <see cref="Project"/>.
    /// <paramref name="buffer"/> holds rows·inputSize floats when masked.
    /// </summary>
    private static void ProjectMasked(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, Span<float> z,
        int batch, int steps, int inputSize, int gates, int units, ReadOnlySpan<float> inputMasks, Span<float> buffer)
    {
        int rows = batch * steps, width = gates * units;
        if (inputMasks.IsEmpty)
        {
            Project(x, kernel, bias, z, rows, inputSize, width);
            return;
        }

        for (int k = 0; k < gates; k++)
        {
            ScaleSteps(x, inputMasks, buffer, batch, steps, inputSize, gates, k);
            StridedGemm.Multiply(buffer, inputSize, kernel[(k * units)..], width, z[(k * units)..], width, rows, inputSize, units, accumulate: false);
        }

        if (!bias.IsEmpty)
        {
            TensorOps.AddBias(z, bias, rows, width);
        }
    }

    /// <summary>The gradients of <see cref="ProjectMasked"/>: per gate, dW_k += (x ⊙ m_k)ᵀ·dz_k and dx += (dz_k·W_kᵀ) ⊙ m_k.</summary>
    private static void AccumulateInputGradientsMasked(ReadOnlySpan<float> x, ReadOnlySpan<float> kernel, ReadOnlySpan<float> dz,
        Span<float> dx, Span<float> dKernel, Span<float> dBias, int batch, int steps, int inputSize, int gates, int units,
        ReadOnlySpan<float> inputMasks, Span<float> buffer, bool overwriteDx)
    {
        int rows = batch * steps, width = gates * units;
        if (inputMasks.IsEmpty)
        {
            AccumulateInputGradients(x, kernel, dz, dx, dKernel, dBias, rows, inputSize, width, overwriteDx);
            return;
        }

        if (overwriteDx)
        {
            dx.Clear(); // each gate's product is added below
        }

        for (int k = 0; k < gates; k++)
        {
            if (!dKernel.IsEmpty)
            {
                ScaleSteps(x, inputMasks, buffer, batch, steps, inputSize, gates, k);
                StridedGemm.MultiplyTransposedA(buffer, inputSize, dz[(k * units)..], width, dKernel[(k * units)..], width, inputSize, rows, units, accumulate: true);
            }

            if (!dx.IsEmpty)
            {
                StridedGemm.MultiplyTransposedB(dz[(k * units)..], width, kernel[(k * units)..], width, buffer, inputSize, rows, units, inputSize, accumulate: false);
                for (int row = 0; row < rows; row++)
                {
                    var target = dx.Slice(row * inputSize, inputSize);
                    TensorPrimitives.MultiplyAdd(buffer.Slice(row * inputSize, inputSize), inputMasks.Slice((((row / steps) * gates) + k) * inputSize, inputSize), target, target);
                }
            }
        }

        if (!dBias.IsEmpty)
        {
            TensorOps.AccumulateBiasGradient(dz, dBias, rows, width);
        }
    }

    /// <summary>buffer[b, t] = x[b, t] ⊙ sample b's mask of gate <paramref name="gate"/>.</summary>
    private static void ScaleSteps(ReadOnlySpan<float> x, ReadOnlySpan<float> masks, Span<float> buffer, int batch, int steps, int width, int gates, int gate)
    {
        for (int b = 0; b < batch; b++)
        {
            var m = masks.Slice(((b * gates) + gate) * width, width);
            for (int t = 0; t < steps; t++)
            {
                int row = (b * steps) + t;
                TensorPrimitives.Multiply(x.Slice(row * width, width), m, buffer.Slice(row * width, width));
            }
        }
    }

    /// <summary>buffer[b] = h[b] ⊙ sample b's state mask of gate <paramref name="gate"/> (rows of h <paramref name="hStride"/> apart).</summary>
    private static void ScaleState(ReadOnlySpan<float> h, int hStride, ReadOnlySpan<float> masks, Span<float> buffer, int batch, int units, int gates, int gate)
    {
        for (int b = 0; b < batch; b++)
        {
            TensorPrimitives.Multiply(h.Slice(b * hStride, units), masks.Slice(((b * gates) + gate) * units, units), buffer.Slice(b * units, units));
        }
    }

    /// <summary>
    /// The recurrent products of gates <paramref name="first"/> .. first + count − 1: z_k (+)= (h ⊙ m_k)·U_k with Keras's
    /// recurrent dropout masks, one per gate (LSTM, GRU) or one (SimpleRNN); without masks the one product h·U over those
    /// gates. <paramref name="z"/> starts at gate <paramref name="first"/>'s columns; U is [units, gates·units].
    /// </summary>
    private static void GateProducts(ReadOnlySpan<float> h, int hStride, ReadOnlySpan<float> recurrentKernel, int gates, Span<float> z, int zStride,
        int batch, int units, int first, int count, ReadOnlySpan<float> stateMasks, Span<float> buffer, bool accumulate)
    {
        int width = gates * units;
        if (stateMasks.IsEmpty)
        {
            StridedGemm.Multiply(h, hStride, recurrentKernel[(first * units)..], width, z, zStride, batch, units, count * units, accumulate);
            return;
        }

        for (int k = first; k < first + count; k++)
        {
            ScaleState(h, hStride, stateMasks, buffer, batch, units, gates, k);
            StridedGemm.Multiply(buffer, units, recurrentKernel[(k * units)..], width, z[((k - first) * units)..], zStride, batch, units, units, accumulate);
        }
    }

    /// <summary>The state's gradient from <see cref="GateProducts"/>: dh (+)= Σ_k (dz_k·U_kᵀ) ⊙ m_k, or dz·Uᵀ without masks.</summary>
    private static void GateProductsBackward(ReadOnlySpan<float> dz, int dzStride, ReadOnlySpan<float> recurrentKernel, int gates, Span<float> dh, int dhStride,
        int batch, int units, int first, int count, ReadOnlySpan<float> stateMasks, Span<float> buffer, bool accumulate)
    {
        int width = gates * units;
        if (stateMasks.IsEmpty)
        {
            StridedGemm.MultiplyTransposedB(dz, dzStride, recurrentKernel[(first * units)..], width, dh, dhStride, batch, count * units, units, accumulate);
            return;
        }

        for (int k = first; k < first + count; k++)
        {
            StridedGemm.MultiplyTransposedB(dz[((k - first) * units)..], dzStride, recurrentKernel[(k * units)..], width, buffer, units, batch, units, units, accumulate: false);
            for (int b = 0; b < batch; b++)
            {
                var target = dh.Slice(b * dhStride, units);
                var m = stateMasks.Slice(((b * gates) + k) * units, units);
                if (accumulate || k > first)
                {
                    TensorPrimitives.MultiplyAdd(buffer.Slice(b * units, units), m, target, target);
                }
                else
                {
                    TensorPrimitives.Multiply(buffer.Slice(b * units, units), m, target);
                }
            }
        }
    }

    /// <summary>The recurrent kernel's gradient from <see cref="GateProducts"/>: dU_k += (h ⊙ m_k)ᵀ·dz_k, or hᵀ·dz without
    /// masks. <paramref name="dRecurrentKernel"/> is the whole [units, gates·units] gradient.</summary>
    private static void GateKernelGradient(ReadOnlySpan<float> h, int hStride, ReadOnlySpan<float> dz, int dzStride, Span<float> dRecurrentKernel, int gates,
        int batch, int units, int first, int count, ReadOnlySpan<float> stateMasks, Span<float> buffer)
    {
        int width = gates * units;
        if (stateMasks.IsEmpty)
        {
            StridedGemm.MultiplyTransposedA(h, hStride, dz, dzStride, dRecurrentKernel[(first * units)..], width, units, batch, count * units, accumulate: true);
            return;
        }

        for (int k = first; k < first + count; k++)
        {
            ScaleState(h, hStride, stateMasks, buffer, batch, units, gates, k);
            StridedGemm.MultiplyTransposedA(buffer, units, dz[((k - first) * units)..], dzStride, dRecurrentKernel[(k * units)..], width, units, batch, units, accumulate: true);
        }
    }

    /// <summary>Checks the recurrent dropout masks (each empty, or one per sample and gate) and returns the buffer the
    /// per-gate products work in: scratch after its first rows·4·units floats.</summary>
    private static Span<float> DropoutBuffer(Span<float> scratch, ReadOnlySpan<float> inputMasks, ReadOnlySpan<float> stateMasks,
        int batch, int steps, int inputSize, int units, int gates)
    {
        Optional(inputMasks.Length, (long)batch * gates * inputSize, "inputMasks");
        Optional(stateMasks.Length, (long)batch * gates * units, "stateMasks");
        long need = Math.Max(inputMasks.IsEmpty ? 0 : (long)batch * steps * inputSize, stateMasks.IsEmpty ? 0 : (long)batch * units);
        if (need == 0)
        {
            return default;
        }

        long start = (long)batch * steps * 4 * units;
        Need(scratch.Length, start + need, "scratch");
        return scratch.Slice((int)start, (int)need);
    }

    /// <summary>
    /// Folds a recurrent layer's input projection into the <c>Embedding</c> table that feeds it:
    /// <c>folded[v] = embeddings[v]·kernel + bias</c> for every id <c>v</c>. An id's projection is then a row lookup
    /// (<see cref="LstmForwardFolded"/>, <see cref="GruForwardFolded"/>, <see cref="SimpleRnnForwardFolded"/>).
    /// </summary>
    /// <param name="embeddings">[vocabulary, dim].</param>
    /// <param name="kernel">[dim, width], the layer's input kernel.</param>
    /// <param name="bias">[width], the input side's bias, or empty.</param>
    /// <param name="folded">[vocabulary, width], written.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="dim">Embedding width.</param>
    /// <param name="width">Gates × units.</param>
    public static void Fold(ReadOnlySpan<float> embeddings, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, Span<float> folded,
        int vocabulary, int dim, int width)
    {
        Need(embeddings.Length, (long)vocabulary * dim, "embeddings");
        Need(kernel.Length, (long)dim * width, "kernel");
        Optional(bias.Length, width, "bias");
        Need(folded.Length, (long)vocabulary * width, "folded");
        Project(embeddings, kernel, bias, folded, vocabulary, dim, width);
    }

    /// <summary>Checks an output's or its gradient's size: [batch, steps, units] for sequences, else [batch, units].</summary>
    private static void CheckOutput(int length, int batch, int steps, int units, bool returnSequences, string name)
        => Need(length, (long)batch * (returnSequences ? steps : 1) * units, name);

    /// <summary>Checks a span that may be empty (then skipped) or must hold <paramref name="required"/> floats.</summary>
    private static void Optional(int length, long required, string name)
    {
        if (length != 0)
        {
            Need(length, required, name);
        }
    }

    private static void Need(int length, long required, string name)
    {
        if (length < required)
        {
            throw new ArgumentException($"'{name}' needs {required} floats but holds {length}.", name);
        }
    }
}
