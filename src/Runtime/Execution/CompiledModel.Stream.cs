using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Unrolled;

/// <summary>
/// One batch of a stream for <c>Fit</c> and <c>Evaluate</c> over data that does not fit in memory (Keras: an element of
/// a <c>tf.data.Dataset</c>, or a <c>PyDataset</c>'s item): flat row-major arrays of any number of samples.
/// </summary>
/// <param name="Inputs">One array per input, in the model's order.</param>
/// <param name="Targets">One array per output, in the model's order (null for an output without a loss).</param>
/// <param name="SampleWeight">One weight per sample, or null.</param>
/// <param name="Lengths">For a model with run-time lengths: this batch's lengths, or null to work them out from the
/// arrays' sizes.</param>
public sealed record DataBatch(float[][] Inputs, float[]?[] Targets, float[]? SampleWeight = null, int[]? Lengths = null);

public abstract partial class CompiledModel
{
    /// <summary>
    /// Trains on a stream of batches, as Keras's <c>fit</c> on a dataset or generator: each epoch enumerates
    /// <paramref name="data"/> afresh (or, with <paramref name="stepsPerEpoch"/>, takes that many batches and carries on
    /// where it stopped, starting over when the stream ends), so only the batches in flight are in memory. Batches may
    /// differ in size and, for a model with run-time lengths, in lengths.
    /// </summary>
    /// <param name="data">The training batches; enumerated once per pass.</param>
    /// <param name="epochs">The last epoch.</param>
    /// <param name="validationData">Batches evaluated after each epoch (<c>val_loss</c>, …), or null.</param>
    /// <param name="stepsPerEpoch">Batches per epoch, or null for one pass over the stream.</param>
    /// <param name="validationFreq">Validate every this many epochs.</param>
    /// <param name="initialEpoch">The epoch to resume from.</param>
    /// <param name="verbose">0 silent, 1 or 2 one line per epoch (the number of steps is not known in advance).</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="callbacks">Hooks called as training goes.</param>
    /// <param name="prefetch">Whether the next batch is read on another thread while the current one trains (so the stream's
    /// reading and parsing overlap with training, on the second core); the stream is then enumerated on that thread.</param>
    /// <param name="cancellationToken">Stops between two steps; Fit returns the finished epochs.</param>
    /// <returns>The per-epoch losses and metrics.</returns>
    /// <exception cref="ArgumentException">A batch does not fit the model: the message names the batch (by its index in
    /// the epoch), the input or output and the sizes; the steps before it are kept.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public History Fit(IEnumerable<DataBatch> data, int epochs = 1, IEnumerable<DataBatch>? validationData = null, int? stepsPerEpoch = null,
        int validationFreq = 1, int initialEpoch = 0, int verbose = 1, TextWriter? output = null, IReadOnlyList<Callback>? callbacks = null,
        bool prefetch = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        RefuseInCallbacks("Fit");
        var compiled = RequireCompiled();
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (initialEpoch < 0 || initialEpoch > epochs)
        {
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"initialEpoch must lie in [0, epochs = {epochs}].");
        }

        if (stepsPerEpoch is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "stepsPerEpoch must be at least 1, or null for one pass.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(validationFreq, 1);
        CheckVerbose(verbose);
        Enter();
        try
        {
            return FitStream(compiled, data, epochs, validationData, stepsPerEpoch, validationFreq, initialEpoch, verbose, output ?? Console.Out,
                callbacks, prefetch, cancellationToken);
        }
        finally
        {
            compiled.Epoch = 0;
            compiled.Weighting = null;
            ExitUnlessLost();
        }
    }

    /// <summary>
    /// Trains on an asynchronous stream of batches (a database cursor, a network source): as
    /// <see cref="Fit(IEnumerable{DataBatch}, int, IEnumerable{DataBatch}?, int?, int, int, int, TextWriter?, IReadOnlyList{Callback}?, bool, CancellationToken)"/>,
    /// the stream awaited on the read-ahead thread.
    /// </summary>
    /// <param name="data">The training batches.</param>
    /// <param name="epochs">The last epoch.</param>
    /// <param name="stepsPerEpoch">Batches per epoch, or null for one pass over the stream.</param>
    /// <param name="verbose">0 silent, 1 or 2 one line per epoch.</param>
    /// <param name="output">Where progress goes.</param>
    /// <param name="callbacks">Hooks called as training goes.</param>
    /// <param name="cancellationToken">Stops between two steps (and the stream's reading); Fit returns the finished epochs.</param>
    /// <returns>The per-epoch losses and metrics.</returns>
    /// <exception cref="ArgumentException">A batch does not fit the model (the message names it).</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public History Fit(IAsyncEnumerable<DataBatch> data, int epochs = 1, int? stepsPerEpoch = null, int verbose = 1, TextWriter? output = null,
        IReadOnlyList<Callback>? callbacks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Fit(new AsyncBatches(data, cancellationToken), epochs, null, stepsPerEpoch, 1, 0, verbose, output, callbacks, prefetch: true, cancellationToken);
    }

    /// <summary>An asynchronous stream read synchronously (on the read-ahead thread), enumerable once per pass.</summary>
    private sealed class AsyncBatches(IAsyncEnumerable<DataBatch> source, CancellationToken cancellationToken) : IEnumerable<DataBatch>
    {
        public IEnumerator<DataBatch> GetEnumerator()
        {
            IEnumerable<DataBatch> blocking;
            try
            {
                blocking = source.ToBlockingEnumerable(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            using var enumerator = blocking.GetEnumerator();
            while (true)
            {
                try
                {
                    if (!enumerator.MoveNext())
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break; // Fit sees the token and returns its finished epochs
                }

                yield return enumerator.Current;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Evaluates a stream of batches, as Keras's <c>evaluate</c> on a dataset: the losses and metrics over all of them.</summary>
    /// <param name="data">The batches.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The loss and metrics by Keras name.</returns>
    /// <exception cref="ArgumentException">A batch does not fit the model (the message names it), or the stream is empty.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<DataBatch> data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var compiled = RequireCompiled();
        Enter();
        try
        {
            var totals = EvaluateStream(compiled, data, "the stream", cancellationToken)
                ?? throw new ArgumentException("The stream holds no batch to evaluate.", nameof(data));
            var result = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (key, value) in totals.ToLogs(string.Empty))
            {
                result.Add(key, value);
            }

            return result;
        }
        finally
        {
            Exit();
        }
    }

    private History FitStream(CompiledTraining compiled, IEnumerable<DataBatch> data, int epochs, IEnumerable<DataBatch>? validationData,
        int? stepsPerEpoch, int validationFreq, int initialEpoch, int verbose, TextWriter writer, IReadOnlyList<Callback>? callbacks, bool prefetch,
        CancellationToken cancellationToken)
    {
        var hooks = new CallbackList(this, callbacks, writer);
        var history = new History();
        History = history;
        StopTraining = false;
        ResumeEpoch = null;
        var batchLogs = new Logs();
        var lastLogs = new Logs();
        hooks.SetParameters(new TrainingParameters(epochs, stepsPerEpoch ?? 0, verbose));
        hooks.TrainBegin(new Logs());
        if (ResumeEpoch is int resume)
        {
            initialEpoch = Math.Clamp(Math.Max(initialEpoch, resume), 0, epochs);
        }

        BatchReader? reader = null;
        try
        {
            for (int epoch = initialEpoch + 1; epoch <= epochs && !StopTraining; epoch++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    history.Cancelled = true;
                    break;
                }

                if (stepsPerEpoch is null || reader is null)
                {
                    reader?.Dispose();
                    reader = new BatchReader(data, prefetch);
                }

                compiled.Train.Reset();
                compiled.Epoch = epoch;
                hooks.EpochBegin(epoch - 1, new Logs());
                int steps = 0;
                bool cancelled = false;
                while ((stepsPerEpoch is null || steps < stepsPerEpoch) && !StopTraining)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        cancelled = true;
                        break;
                    }

                    if (!reader.TryNext(out var batch))
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            cancelled = true; // the stream stopped because of the token
                            break;
                        }

                        reader.Dispose();
                        reader = null; // a new pass starts with the next epoch
                        break;
                    }

                    int samples = LoadStreamBatch(compiled, batch, steps, epoch, training: true);
                    compiled.Step = steps + 1;
                    hooks.TrainBatchBegin(steps, batchLogs);
                    TrainStep(TrainingWorkspaceFor(samples), samples);
                    if (!hooks.IsEmpty)
                    {
                        compiled.Train.Fill(batchLogs);
                        hooks.TrainBatchEnd(steps, batchLogs);
                    }

                    steps++;
                }

                if (cancelled)
                {
                    history.Cancelled = true;
                    break;
                }

                if (steps == 0)
                {
                    if (epoch == initialEpoch + 1 || stepsPerEpoch is null)
                    {
                        throw new ArgumentException($"The training stream yielded no batch in epoch {epoch}.", nameof(data));
                    }

                    epoch--; // the stream ended exactly at an epoch's end: the next pass fills this epoch
                    continue;
                }

                var logs = new Logs(compiled.Train.ToLogs(string.Empty));
                if (validationData is not null && epoch % validationFreq == 0)
                {
                    hooks.TestBegin(new Logs());
                    var totals = EvaluateStream(compiled, validationData, "validationData", cancellationToken, hooks);
                    if (totals is not null)
                    {
                        var results = totals.ToLogs(string.Empty);
                        hooks.TestEnd(new Logs(results));
                        AddValidation(logs, results);
                    }
                }

                hooks.EpochEnd(epoch - 1, logs);
                history.Add(System.Linq.Enumerable.ToList(logs));
                if (verbose > 0)
                {
                    writer.WriteLine($"Epoch {epoch}/{epochs} - {steps} steps - {string.Join(" - ", System.Linq.Enumerable.Select(logs, p => $"{p.Key}: {p.Value:0.0000}"))}");
                }

                lastLogs = logs;
            }
        }
        finally
        {
            reader?.Dispose();
        }

        EndFit(compiled, hooks, lastLogs);
        return history;
    }

    /// <summary>Checks a stream's batch, takes its lengths, and loads it into the training or prediction workspace.</summary>
    /// <returns>Its number of samples.</returns>
    private int LoadStreamBatch(CompiledTraining compiled, DataBatch batch, int index, int epoch, bool training, string source = "training stream")
    {
        int samples;
        try
        {
            ArgumentNullException.ThrowIfNull(batch, "batch");
            var inputs = InputsByPosition(batch.Inputs, "Inputs");
            var targets = batch.Targets is null ? throw new ArgumentException("Targets is null.", "Targets") : batch.Targets;
            if (targets.Length != Description.Outputs.Count)
            {
                throw new ArgumentException($"{targets.Length} target arrays were given but the model has {Description.Outputs.Count} outputs: {OutputList()}.",
                    "Targets");
            }

            UseLengths(ResolveLengths(inputs, targets, compiled, batch.Lengths));
            samples = ValidateData(inputs, targets, compiled, "Inputs", "Targets");
            if (samples == 0)
            {
                throw new ArgumentException("The batch holds no samples.", "Inputs");
            }

            compiled.Weighting = SampleWeighting.Create(batch.SampleWeight, null, samples, compiled, Description);
            compiled.Weighting?.Gather(0, samples);
            var workspace = training ? TrainingWorkspaceFor(samples) : PredictWorkspaceFor(samples);
            LoadInputs(workspace, inputs, 0, samples);
            if (training)
            {
                LoadTargets(workspace, compiled, targets, 0, samples);
            }
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Batch {index} of the {source} (epoch {epoch}): {e.Message}", e.ParamName, e);
        }

        return samples;
    }

    /// <summary>The losses and metrics over every batch of a stream, through the inference forward pass; null when empty.</summary>
    private LossTotals? EvaluateStream(CompiledTraining compiled, IEnumerable<DataBatch> data, string source, CancellationToken cancellationToken,
        CallbackList? hooks = null)
    {
        LossTotals? totals = null;
        int index = 0;
        foreach (var batch in data)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int samples = LoadStreamBatch(compiled, batch, index, compiled.Epoch, training: false, source);
            var weighting = compiled.Weighting;
            compiled.Weighting = null;
            totals = EvaluateRange(PredictWorkspaceFor(samples), compiled, batch.Inputs, batch.Targets, 0, samples, samples, null, cancellationToken,
                weighting, totals, hooks, firstStep: index);
            index++;
        }

        return totals;
    }

    /// <summary>
    /// Reads a stream's batches in order, with the next one read ahead on another thread while the current one trains
    /// (a bounded queue of two); an exception the stream throws surfaces on the training thread, where it would have.
    /// </summary>
    private sealed class BatchReader : IDisposable
    {
        private readonly IEnumerator<DataBatch>? _direct;
        private readonly BlockingCollection<DataBatch>? _queue;
        private readonly CancellationTokenSource? _stop;
        private readonly Task? _producer;
        private Exception? _failure;

        public BatchReader(IEnumerable<DataBatch> data, bool prefetch)
        {
            if (!prefetch)
            {
                _direct = data.GetEnumerator();
                return;
            }

            _queue = new BlockingCollection<DataBatch>(boundedCapacity: 2);
            _stop = new CancellationTokenSource();
            var stop = _stop.Token;
            _producer = Task.Run(() =>
            {
                try
                {
                    foreach (var batch in data)
                    {
                        _queue.Add(batch, stop);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    _failure = e;
                }
                finally
                {
                    _queue.CompleteAdding();
                }
            });
        }

        public bool TryNext(out DataBatch batch)
        {
            if (_direct is not null)
            {
                bool more = _direct.MoveNext();
                batch = more ? _direct.Current : null!;
                return more;
            }

            if (_queue!.TryTake(out batch!, Timeout.Infinite))
            {
                return true;
            }

            if (_failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_failure).Throw();
            }

            return false;
        }

        public void Dispose()
        {
            _direct?.Dispose();
            if (_queue is not null)
            {
                _stop!.Cancel();
                try
                {
                    _producer!.Wait();
                }
                catch (AggregateException)
                {
                }

                _queue.Dispose();
                _stop.Dispose();
            }
        }
    }
}

/// <summary>Builds the batches <c>Fit</c> and <c>Evaluate</c> stream from a stream of samples.</summary>
public static class Batches
{
    /// <summary>
    /// Groups a stream of samples into batches, shuffling through a buffer as <c>tf.data</c>'s <c>shuffle(buffer_size)</c>
    /// does: the buffer fills with the first samples, then each sample taken is a random one of the buffer, replaced by
    /// the next from the stream. Only the buffer and one batch are in memory.
    /// </summary>
    /// <param name="samples">Each sample: one array per input, one per output (a single sample's values).</param>
    /// <param name="batchSize">Samples per batch (the last may be smaller).</param>
    /// <param name="shuffleBuffer">Samples in the shuffle buffer; 0 or 1 keeps the stream's order.</param>
    /// <param name="seed">Seed of the shuffling, or null for a random one.</param>
    /// <returns>The batches, made as they are enumerated; enumerating again reads the samples again.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is below 1 or the buffer is negative.</exception>
    public static IEnumerable<DataBatch> FromSamples(IEnumerable<(float[][] Inputs, float[][] Targets)> samples, int batchSize, int shuffleBuffer = 0,
        int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(shuffleBuffer);
        return Iterate(samples, batchSize, shuffleBuffer, seed);
    }

    private static IEnumerable<DataBatch> Iterate(IEnumerable<(float[][] Inputs, float[][] Targets)> samples, int batchSize, int shuffleBuffer, int? seed)
    {
        var random = seed is int s ? new Random(s) : new Random();
        var buffer = new List<(float[][] Inputs, float[][] Targets)>();
        var pending = new List<(float[][] Inputs, float[][] Targets)>();
        foreach (var sample in Shuffled(samples, shuffleBuffer, random, buffer))
        {
            pending.Add(sample);
            if (pending.Count == batchSize)
            {
                yield return Stack(pending);
                pending.Clear();
            }
        }

        if (pending.Count > 0)
        {
            yield return Stack(pending);
        }
    }

    private static IEnumerable<(float[][] Inputs, float[][] Targets)> Shuffled(IEnumerable<(float[][] Inputs, float[][] Targets)> samples, int size,
        Random random, List<(float[][] Inputs, float[][] Targets)> buffer)
    {
        if (size <= 1)
        {
            foreach (var sample in samples)
            {
                yield return sample;
            }

            yield break;
        }

        foreach (var sample in samples)
        {
            if (buffer.Count < size)
            {
                buffer.Add(sample);
                continue;
            }

            int pick = random.Next(buffer.Count);
            yield return buffer[pick];
            buffer[pick] = sample;
        }

        while (buffer.Count > 0)
        {
            int pick = random.Next(buffer.Count);
            yield return buffer[pick];
            buffer[pick] = buffer[^1];
            buffer.RemoveAt(buffer.Count - 1);
        }
    }

    private static DataBatch Stack(List<(float[][] Inputs, float[][] Targets)> samples)
    {
        var first = samples[0];
        var inputs = new float[first.Inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Concat(samples, s => s.Inputs[i], $"input {i}");
        }

        var targets = new float[first.Targets.Length][];
        for (int j = 0; j < targets.Length; j++)
        {
            targets[j] = Concat(samples, s => s.Targets[j], $"target {j}");
        }

        return new DataBatch(inputs, targets);
    }

    private static float[] Concat(List<(float[][] Inputs, float[][] Targets)> samples, Func<(float[][] Inputs, float[][] Targets), float[]> pick, string what)
    {
        int size = pick(samples[0]).Length;
        var result = new float[size * samples.Count];
        for (int s = 0; s < samples.Count; s++)
        {
            var values = pick(samples[s]);
            if (values.Length != size)
            {
                throw new ArgumentException($"Sample {s} of a batch has {values.Length} values for {what} where the batch's first has {size}.");
            }

            values.CopyTo(result, s * size);
        }

        return result;
    }
}
