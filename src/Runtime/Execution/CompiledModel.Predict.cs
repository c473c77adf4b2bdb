using System;
using System.Collections.Generic;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Runs the model on flat row-major arrays given by position, as Keras's <c>predict</c>.</summary>
    /// <param name="inputs">One flat array per input, in the model's order, each a whole number of samples.</param>
    /// <param name="batchSize">Samples per forward pass; at least 1. A batch size larger than the samples is taken as their
    /// number, as Keras does.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callbacks">Callbacks whose predict hooks run around the call and each batch (the batches then run in
    /// order on this thread); null for none.</param>
    /// <returns>One flat array per output, in the model's order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or a workspace for the batch
    /// would exceed the largest .NET array (the message gives the largest batch size that fits).</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model, or an output for all of them would exceed the
    /// largest .NET array.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public float[][] Predict(float[][] inputs, int batchSize = 32, int[]? lengths = null, System.Threading.CancellationToken cancellationToken = default,
        IReadOnlyList<Callback>? callbacks = null)
        => PredictChecked(InputsByPosition(inputs, nameof(inputs)), batchSize, lengths, cancellationToken, callbacks);

    /// <summary>
    /// Runs the model on arrays of any supported type by position, as Keras's <c>predict</c> on NumPy arrays: <c>int[]</c>
    /// token ids, <c>double[]</c>, or rectangular arrays such as <c>float[samples, 28, 28]</c> (converted once, checked
    /// against the inputs' shapes): <c>model.Predict([ids, features])</c>.
    /// </summary>
    /// <param name="inputs">One array per input, in the model's order.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="lengths">For a model with run-time lengths: their values, or null to work them out.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callbacks">Callbacks whose predict hooks run around the call and each batch (the batches then run in
    /// order on this thread); null for none.</param>
    /// <returns>One flat array per output, in the model's order.</returns>
    /// <exception cref="ArgumentException">An array's type or shape does not fit its input, or an id is too large.</exception>
    public float[][] Predict(Array[] inputs, int batchSize = 32, int[]? lengths = null, System.Threading.CancellationToken cancellationToken = default,
        IReadOnlyList<Callback>? callbacks = null)
        => PredictChecked(InputsOfAnyType(inputs, nameof(inputs)), batchSize, lengths, cancellationToken, callbacks);

    /// <summary>Runs the model on flat row-major arrays given by input name, as Keras's <c>predict</c> with a dictionary.</summary>
    /// <param name="inputs">Flat arrays keyed by input name; every input.</param>
    /// <param name="batchSize">Samples per forward pass; at least 1. A batch size larger than the samples is taken as their
    /// number, as Keras does.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <param name="callbacks">Callbacks whose predict hooks run around the call and each batch (the batches then run in
    /// order on this thread); null for none.</param>
    /// <returns>Flat arrays keyed by output name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or a workspace for the batch
    /// would exceed the largest .NET array (the message gives the largest batch size that fits).</exception>
    /// <exception cref="ArgumentException">The arrays or names do not fit the model, or an output for all of them would
    /// exceed the largest .NET array.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public IReadOnlyDictionary<string, float[]> Predict(IReadOnlyDictionary<string, float[]> inputs, int batchSize = 32, int[]? lengths = null,
        System.Threading.CancellationToken cancellationToken = default, IReadOnlyList<Callback>? callbacks = null)
    {
        float[][] outputs = PredictChecked(InputsByName(inputs, nameof(inputs)), batchSize, lengths, cancellationToken, callbacks);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int j = 0; j < outputs.Length; j++)
        {
            result.Add(Description.Outputs[j].Name, outputs[j]);
        }

        return result;
    }

    /// <summary>Predicts batches taken one at a time from <paramref name="next"/> until none is left: alone, every batch
    /// in order; two threads sharing the counter share the work by their actual speed, not by halves.</summary>
    private void PredictShared(Workspace workspace, float[][] inputs, float[][] outputs, int[] next, int samples, int batchSize,
        System.Threading.CancellationToken cancellationToken)
    {
        int batches = BatchCount(samples, batchSize);
        for (int b = System.Threading.Interlocked.Increment(ref next[0]) - 1; b < batches; b = System.Threading.Interlocked.Increment(ref next[0]) - 1)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return; // the caller throws once both threads have stopped
            }

            int done = b * batchSize;
            PredictBatch(workspace, inputs, outputs, done, Math.Min(batchSize, samples - done));
        }
    }

    /// <summary>Predicts the batches in order on this thread, calling the predict hooks around each, as Keras's predict.</summary>
    private void PredictWithHooks(Workspace workspace, float[][] inputs, float[][] outputs, int samples, int batchSize, int batches,
        CallbackList hooks, System.Threading.CancellationToken cancellationToken)
    {
        var logs = new Logs();
        hooks.PredictBegin(logs);
        for (int b = 0; b < batches; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            logs.Clear();
            hooks.PredictBatchBegin(b, logs);
            int done = b * batchSize;
            PredictBatch(workspace, inputs, outputs, done, Math.Min(batchSize, samples - done));
            logs.Clear();
            hooks.PredictBatchEnd(b, logs);
        }

        logs.Clear();
        hooks.PredictEnd(logs);
    }

    private void PredictBatch(Workspace workspace, float[][] inputs, float[][] outputs, int done, int batch)
    {
        LoadInputs(workspace, inputs, done, batch);
        Forward(workspace, batch, training: false);
        for (int j = 0; j < outputs.Length; j++)
        {
            int size = _layout.OutputSize(j);
            workspace.Values(_layout.OutputOffset(j), batch * size).CopyTo(outputs[j].AsSpan(done * size, batch * size));
        }
    }

    private float[][] PredictChecked(float[][] inputs, int batchSize, int[]? lengths, System.Threading.CancellationToken cancellationToken = default,
        IReadOnlyList<Callback>? callbacks = null)
    {
        CheckBatchSize(batchSize);
        int[] resolved = ResolveLengths(inputs, null, null, lengths);
        Enter();
        try
        {
            UseLengths(resolved);
            int samples = ValidateData(inputs, null, null, nameof(inputs), nameof(inputs));
            var outputs = new float[Description.Outputs.Count][];
            for (int j = 0; j < outputs.Length; j++)
            {
                outputs[j] = NewOutput(samples, _layout.OutputSize(j), Description.Outputs[j].Name, nameof(inputs));
            }

            if (samples == 0)
            {
                return outputs;
            }

            // Keras clamps a batch larger than the data to the data.
            batchSize = Math.Min(batchSize, samples);
            var workspace = PredictWorkspaceFor(batchSize);
            int batches = BatchCount(samples, batchSize);

            // Whatever is derived from the weights (a folded projection) is decided once for the whole call, so every
            // batch runs the same way whichever thread takes it, and the outputs do not depend on timing.
            BeginBatches(workspace, samples);
            try
            {
                if (callbacks is { Count: > 0 })
                {
                    PredictWithHooks(workspace, inputs, outputs, samples, batchSize, batches, new CallbackList(this, callbacks, Console.Out), cancellationToken);
                }
                else
                {
                    PredictBatches(workspace, inputs, outputs, samples, batchSize, batches, cancellationToken);
                }
            }
            finally
            {
                EndBatches();
            }

            cancellationToken.ThrowIfCancellationRequested();

            return outputs;
        }
        finally
        {
            Exit();
        }
    }

    private void PredictBatches(Workspace workspace, float[][] inputs, float[][] outputs, int samples, int batchSize, int batches,
        System.Threading.CancellationToken cancellationToken)
    {
        if (Kernels.Threading.MaxThreads > 1 && Environment.ProcessorCount > 1 && batches >= 4)
        {
            // Two cores: a pool thread with a workspace of its own takes batches too, from a shared counter, so a
            // core slowed by other work takes fewer. Every sample is computed exactly as on one thread, so the
            // outputs are identical.
            var second = _secondPredictWorkspace is { } w && w.Capacity >= batchSize && w.ActivationCapacity >= _layout.PredictActivationSize
                && w.ScratchCapacity >= _layout.ScratchSize
                ? w
                : _secondPredictWorkspace = NewWorkspace(null, batchSize, new(_layout.PredictActivationSize, _layout.ScratchSize, 0, 0),
                    training: false, randomState: 0);
            int[] next = new int[1];
            var other = System.Threading.Tasks.Task.Run(() =>
            {
                Kernels.GemmWorker.KeepOnThread = true;
                try
                {
                    PredictShared(second, inputs, outputs, next, samples, batchSize, cancellationToken);
                }
                finally
                {
                    Kernels.GemmWorker.KeepOnThread = false;
                }
            });
            Kernels.GemmWorker.KeepOnThread = true;
            try
            {
                PredictShared(workspace, inputs, outputs, next, samples, batchSize, cancellationToken);
            }
            finally
            {
                Kernels.GemmWorker.KeepOnThread = false;
                other.GetAwaiter().GetResult();
            }
        }
        else
        {
            PredictShared(workspace, inputs, outputs, new int[1], samples, batchSize, cancellationToken);
        }
    }
}
