using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Threading;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>
    /// Runs the model on <see cref="Tensor{T}"/> inputs by position, as Keras's <c>predict</c> on tensors: each input's
    /// first axis is the samples and the others its shape (<c>[samples, 28, 28, 1]</c>); a rank-1 tensor is taken as the
    /// flat values. The outputs come back as tensors shaped <c>[samples, …]</c>.
    /// </summary>
    /// <param name="inputs">One tensor per input, in the model's order (dense or strided: it is read once).</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>One tensor per output: the samples first, then the output's shape (for an output whose length is known only
    /// at run time, as the lengths make it; <c>[samples, values]</c> when several axes are).</returns>
    /// <exception cref="ArgumentException">A tensor's rank or an axis does not fit its input.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public Tensor<float>[] Predict(Tensor<float>[] inputs, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        var flat = InputsOfTensors(inputs, nameof(inputs));
        float[][] outputs = PredictChecked(flat, batchSize, null, cancellationToken);
        var result = new Tensor<float>[outputs.Length];
        for (int j = 0; j < outputs.Length; j++)
        {
            // The layout holds the sizes for the lengths this call ran with.
            result[j] = System.Numerics.Tensors.Tensor.Create(outputs[j], OutputLengths(Description.Outputs[j], _layout.OutputSize(j), outputs[j].Length));
        }

        return result;
    }

    /// <summary>Trains on <see cref="Tensor{T}"/> inputs and targets by position, as Keras's <c>fit</c> on tensors (each
    /// tensor's first axis the samples; a rank-1 tensor is taken as the flat values, as sparse class indices are).</summary>
    /// <param name="x">One tensor per input, in the model's order.</param>
    /// <param name="y">One tensor per output, in the model's order (null for an output without a loss).</param>
    /// <param name="epochs">Passes over the training samples.</param>
    /// <param name="batchSize">Samples per step.</param>
    /// <param name="validationSplit">Fraction of the samples, from the end, held out for validation.</param>
    /// <param name="shuffle">Whether to shuffle the training samples before each epoch.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="verbose">0 silent, 1 progress bar per epoch, 2 one line per epoch.</param>
    /// <param name="callbacks">Hooks called as training goes.</param>
    /// <param name="sampleWeight">One weight per sample, or null.</param>
    /// <param name="cancellationToken">Stops between two steps; Fit returns the finished epochs.</param>
    /// <returns>The per-epoch losses and metrics.</returns>
    /// <exception cref="ArgumentException">A tensor's rank or an axis does not fit the model; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public History Fit(Tensor<float>[] x, Tensor<float>?[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        int? seed = null, int verbose = 1, IReadOnlyList<Callback>? callbacks = null, float[]? sampleWeight = null,
        CancellationToken cancellationToken = default)
        => FitChecked(InputsOfTensors(x, nameof(x)), TargetsOfTensors(y, nameof(y)), epochs, batchSize, validationSplit, shuffle, seed, verbose,
            null, null, null, 0, new FitExtras(callbacks, cancellationToken, null, 1, null, sampleWeight, null, null));

    /// <summary>Evaluates <see cref="Tensor{T}"/> inputs and targets by position, as the flat-array <c>Evaluate</c>.</summary>
    /// <param name="x">One tensor per input, in the model's order.</param>
    /// <param name="y">One tensor per output, in the model's order (null for an output without a loss).</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="sampleWeight">One weight per sample, or null.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The loss and metrics by Keras name.</returns>
    /// <exception cref="ArgumentException">A tensor's rank or an axis does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(Tensor<float>[] x, Tensor<float>?[] y, int batchSize = 32, int verbose = 0,
        float[]? sampleWeight = null, CancellationToken cancellationToken = default)
        => EvaluateChecked(InputsOfTensors(x, nameof(x)), TargetsOfTensors(y, nameof(y)), batchSize, verbose, null, null, null, cancellationToken,
            sampleWeight);

    private float[][] InputsOfTensors(Tensor<float>[] x, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(x, parameterName);
        var inputs = new float[x.Length][];
        for (int i = 0; i < x.Length && i < Description.Inputs.Count; i++)
        {
            inputs[i] = FlattenTensor(x[i] ?? throw new ArgumentException($"The tensor for input '{Description.Inputs[i].Name}' is null.", parameterName),
                Description.Inputs[i], $"input '{Description.Inputs[i].Name}'", parameterName);
        }

        return InputsByPosition(inputs, parameterName);
    }

    private float[]?[] TargetsOfTensors(Tensor<float>?[] y, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(y, parameterName);
        var targets = new float[]?[y.Length];
        for (int j = 0; j < y.Length && j < Description.Outputs.Count; j++)
        {
            targets[j] = y[j] is { } tensor ? FlattenTensor(tensor, Description.Outputs[j], $"output '{Description.Outputs[j].Name}'", parameterName) : null;
        }

        return TargetsByPosition(targets!, parameterName);
    }

    /// <summary>A tensor's values in row-major order, after checking its axes after the first against the tensor's shape
    /// (a run-time axis takes any length); a rank-1 tensor is the flat values.</summary>
    private static float[] FlattenTensor(Tensor<float> tensor, TensorInfo info, string what, string parameterName)
    {
        if (tensor.Rank > 1)
        {
            var shape = info.Shape;
            bool fits = tensor.Rank - 1 == shape.Count;
            for (int d = 1; fits && d < tensor.Rank; d++)
            {
                fits = shape[d - 1] < 0 || shape[d - 1] == tensor.Lengths[d];
            }

            if (!fits)
            {
                throw new ArgumentException(
                    $"The tensor for {what} has shape ({string.Join(", ", tensor.Lengths.ToArray())}), but {what} takes samples of shape {info.KerasShape}.",
                    parameterName);
            }
        }

        if (tensor.FlattenedLength > Array.MaxLength)
        {
            throw new ArgumentException($"The tensor for {what} holds {tensor.FlattenedLength} values, more than a .NET array holds.", parameterName);
        }

        var flat = new float[tensor.FlattenedLength];
        tensor.FlattenTo(flat);
        return flat;
    }

    /// <summary>An output's tensor shape: the samples (<paramref name="count"/> over <paramref name="size"/>, the floats per
    /// sample for this call's lengths), then its axes, a run-time one worked out from the size; <c>[samples, size]</c>
    /// when several axes are run-time ones.</summary>
    private static nint[] OutputLengths(TensorInfo info, int size, int count)
    {
        var shape = info.Shape;
        int samples = size == 0 ? 0 : count / size, unknown = 0, known = 1;
        foreach (int d in shape)
        {
            unknown += d < 0 ? 1 : 0;
            known *= d < 0 ? 1 : d;
        }

        if (unknown > 1)
        {
            return [samples, size];
        }

        var lengths = new nint[shape.Count + 1];
        lengths[0] = samples;
        for (int d = 0; d < shape.Count; d++)
        {
            lengths[d + 1] = shape[d] >= 0 ? shape[d] : size / known;
        }

        return lengths;
    }
}
