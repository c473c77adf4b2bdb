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
    /// <c>dh₀ += dz₀·Uᵀ</c> over the first <paramref name="gates"/> columns of U (the gates h₀ multiplies) and
    /// <c>dU += h₀ᵀ·dz₀</c>. Nothing without an initial state.
    /// </summary>
    private static void InitialStateGradients(ReadOnlySpan<float> initialH, Span<float> dInitialH, ReadOnlySpan<float> dz, int dzStride,
        ReadOnlySpan<float> recurrentKernel, Span<float> dRecurrentKernel, int batch, int units, int gates)
    {
        if (initialH.IsEmpty)
        {
            return;
        }

        int width = recurrentKernel.Length / Math.Max(units, 1);
        if (!dInitialH.IsEmpty)
        {
            StridedGemm.MultiplyTransposedB(dz, dzStride, recurrentKernel, width, dInitialH, units, batch, gates, units, accumulate: true);
        }

        if (!dRecurrentKernel.IsEmpty)
        {
            StridedGemm.MultiplyTransposedA(initialH, units, dz, dzStride, dRecurrentKernel, width, units, batch, gates, accumulate: true);
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
