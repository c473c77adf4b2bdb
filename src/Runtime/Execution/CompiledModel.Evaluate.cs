using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Computes the loss and metrics of a model with one input and one output, as Keras's <c>evaluate</c>.</summary>
    /// <param name="x">The inputs, flat row-major: samples × input size.</param>
    /// <param name="y">The targets, flat row-major (class indices for a sparse loss).</param>
    /// <param name="batchSize">Samples per forward pass; at least 1. A batch size larger than the samples is taken as their
    /// number, as Keras does.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="callbacks">Hooks told when the evaluation begins and ends (<see cref="Callback.OnTestBegin"/>).</param>
    /// <param name="sampleWeight">One weight per sample (Keras's <c>sample_weight</c>), applied to every output's loss: the
    /// loss is the weighted sum over the rows divided by their number; null for all 1.</param>
    /// <param name="cancellationToken">Stops the evaluation between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns><c>loss</c> and each metric (and per-output losses with several outputs), keyed as Keras.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, <paramref name="verbose"/> is
    /// not 0, 1 or 2, or a workspace for the batch would exceed the largest .NET array (the message gives the largest batch
    /// size that fits).</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(float[] x, float[] y, int batchSize = 32, int verbose = 0, TextWriter? output = null,
        int[]? lengths = null, IReadOnlyList<Callback>? callbacks = null, CancellationToken cancellationToken = default,
        float[]? sampleWeight = null)
    {
        var (inputs, targets) = Single(x, y, nameof(x), nameof(y));
        return EvaluateChecked(inputs, targets, batchSize, verbose, output, lengths, callbacks, cancellationToken, sampleWeight);
    }

    /// <summary>Computes the loss and metrics with inputs and targets by position, as Keras's <c>evaluate</c>.</summary>
    /// <param name="x">One flat array per input, in the model's order.</param>
    /// <param name="y">One flat array per output, in the model's order (null for an output without a loss).</param>
    /// <param name="batchSize">Samples per forward pass; at least 1. A batch size larger than the samples is taken as their
    /// number, as Keras does.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="callbacks">Hooks told when the evaluation begins and ends (<see cref="Callback.OnTestBegin"/>).</param>
    /// <param name="sampleWeight">One weight per sample (Keras's <c>sample_weight</c>), applied to every output's loss: the
    /// loss is the weighted sum over the rows divided by their number; null for all 1.</param>
    /// <param name="cancellationToken">Stops the evaluation between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns><c>loss</c>, per-output losses and metrics, keyed as Keras.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, <paramref name="verbose"/> is
    /// not 0, 1 or 2, or a workspace for the batch would exceed the largest .NET array (the message gives the largest batch
    /// size that fits).</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(float[][] x, float[][] y, int batchSize = 32, int verbose = 0, TextWriter? output = null,
        int[]? lengths = null, IReadOnlyList<Callback>? callbacks = null, CancellationToken cancellationToken = default,
        float[]? sampleWeight = null)
        => EvaluateChecked(InputsByPosition(x, nameof(x)), TargetsByPosition(y, nameof(y)), batchSize, verbose, output, lengths, callbacks,
            cancellationToken, sampleWeight);

    /// <summary>Computes the loss and metrics with inputs and targets by name, as Keras's <c>evaluate</c>.</summary>
    /// <param name="x">Flat arrays keyed by input name; every input.</param>
    /// <param name="y">Flat arrays keyed by output name; every output with a loss.</param>
    /// <param name="batchSize">Samples per forward pass; at least 1. A batch size larger than the samples is taken as their
    /// number, as Keras does.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="callbacks">Hooks told when the evaluation begins and ends (<see cref="Callback.OnTestBegin"/>).</param>
    /// <param name="sampleWeight">One weight per sample (Keras's <c>sample_weight</c>), applied to every output's loss: the
    /// loss is the weighted sum over the rows divided by their number; null for all 1.</param>
    /// <param name="cancellationToken">Stops the evaluation between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns><c>loss</c>, per-output losses and metrics, keyed as Keras.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, <paramref name="verbose"/> is
    /// not 0, 1 or 2, or a workspace for the batch would exceed the largest .NET array (the message gives the largest batch
    /// size that fits).</exception>
    /// <exception cref="ArgumentException">The arrays or names do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IReadOnlyDictionary<string, float[]> x, IReadOnlyDictionary<string, float[]> y,
        int batchSize = 32, int verbose = 0, TextWriter? output = null, int[]? lengths = null, IReadOnlyList<Callback>? callbacks = null,
        CancellationToken cancellationToken = default, float[]? sampleWeight = null)
        => EvaluateChecked(InputsByName(x, nameof(x)), TargetsByName(y, nameof(y)), batchSize, verbose, output, lengths, callbacks, cancellationToken,
            sampleWeight);

    /// <summary>Evaluates arrays of any supported type by position (<c>int[]</c> ids, <c>double[]</c>, rectangular arrays),
    /// as the flat-array <c>Evaluate</c>.</summary>
    /// <param name="x">One array per input, in the model's order.</param>
    /// <param name="y">One array per output, in the model's order (null for an output without a loss).</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="sampleWeight">One weight per sample, or null.</param>
    /// <param name="cancellationToken">Stops between two batches, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The loss and metrics by Keras name.</returns>
    /// <exception cref="ArgumentException">An array's type or shape does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(Array[] x, Array?[] y, int batchSize = 32, int verbose = 0, float[]? sampleWeight = null,
        CancellationToken cancellationToken = default)
        => EvaluateChecked(InputsOfAnyType(x, nameof(x)), TargetsOfAnyType(y, nameof(y)), batchSize, verbose, null, null, null, cancellationToken, sampleWeight);

    /// <summary>
    /// The losses and metrics of one batch through the inference forward pass, as Keras's <c>test_on_batch</c>: the whole
    /// arrays are one batch.
    /// </summary>
    /// <param name="x">One flat array per input, in the model's order.</param>
    /// <param name="y">One flat array per output, in the model's order (null for an output without a loss).</param>
    /// <param name="sampleWeight">One weight per sample, or null.</param>
    /// <returns>The loss and metrics by Keras name.</returns>
    /// <exception cref="ArgumentException">The arrays do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> TestOnBatch(float[][] x, float[][] y, float[]? sampleWeight = null)
        => Evaluate(x, y, batchSize: int.MaxValue, verbose: 0, sampleWeight: sampleWeight);

    /// <summary>Keras's <c>test_on_batch</c> for a model with one input and one output.</summary>
    /// <param name="x">The inputs, flat row-major.</param>
    /// <param name="y">The targets, flat row-major.</param>
    /// <param name="sampleWeight">One weight per sample, or null.</param>
    /// <returns>The loss and metrics by Keras name.</returns>
    /// <exception cref="ArgumentException">The arrays do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public IReadOnlyDictionary<string, double> TestOnBatch(float[] x, float[] y, float[]? sampleWeight = null)
        => Evaluate(x, y, batchSize: int.MaxValue, verbose: 0, sampleWeight: sampleWeight);

    private Dictionary<string, double> EvaluateChecked(float[][] inputs, float[]?[] targets, int batchSize, int verbose, TextWriter? output,
        int[]? lengths, IReadOnlyList<Callback>? callbacks, CancellationToken cancellationToken, float[]? sampleWeight = null)
    {
        var compiled = RequireCompiled();
        CheckBatchSize(batchSize);
        CheckVerbose(verbose);
        int[] resolved = ResolveLengths(inputs, targets, compiled, lengths);
        Enter();
        try
        {
            UseLengths(resolved);
            int samples = ValidateData(inputs, targets, compiled, "x", "y");
            if (samples == 0)
            {
                throw new ArgumentException("The arrays hold no samples.", "x");
            }

            batchSize = Math.Min(batchSize, samples);
            int steps = BatchCount(samples, batchSize);
            var progress = verbose > 0 ? new ProgressBar(output ?? Console.Out, steps, verbose, output is null && !Console.IsOutputRedirected) : null;
            var workspace = PredictWorkspaceFor(batchSize);
            var hooks = new CallbackList(this, callbacks, output ?? Console.Out);
            hooks.TestBegin(new Logs());
            var weighting = SampleWeighting.Create(sampleWeight, null, samples, compiled, Description);
            var totals = EvaluateRange(workspace, compiled, inputs, targets, 0, samples, batchSize, progress, cancellationToken, weighting, hooks: hooks);
            var logs = totals.ToLogs(string.Empty);
            hooks.TestEnd(new Logs(logs));
            progress?.Finish(logs);
            var result = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (key, value) in logs)
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

    /// <summary>
    /// Loss and metrics of samples [<paramref name="start"/>, start + count) in order, through the inference forward
    /// pass, in batches of <paramref name="batchSize"/> (at most <paramref name="count"/>). The caller holds the guard, so
    /// <c>Fit</c> uses this for validation without re-entering it.
    /// </summary>
    private LossTotals EvaluateRange(Workspace workspace, CompiledTraining compiled, float[][] inputs, float[]?[] targets,
        int start, int count, int batchSize, ProgressBar? progress, CancellationToken cancellationToken = default, SampleWeighting? weighting = null,
        LossTotals? into = null, CallbackList? hooks = null, int firstStep = 0)
    {
        var totals = into ?? new LossTotals(compiled);
        var losses = new double[compiled.Losses.Length];
        var batchLogs = hooks is { IsEmpty: false } ? new Logs() : null;
        int step = firstStep;
        batchSize = Math.Min(batchSize, count);
        for (int done = 0, batch; done < count; done += batch)
        {
            batch = Math.Min(batchSize, count - done);
            cancellationToken.ThrowIfCancellationRequested();
            if (batchLogs is not null)
            {
                batchLogs.Clear();
                hooks!.TestBatchBegin(step, batchLogs);
            }

            weighting?.Gather(start + done, batch);
            LoadInputs(workspace, inputs, start + done, batch);
            workspace.MeasuresActivity = true;
            workspace.ActivityLoss = 0;
            Forward(workspace, batch, training: false);
            workspace.MeasuresActivity = false; // Predict shares the workspace and measures nothing
            double total = 0;
            for (int j = 0; j < losses.Length; j++)
            {
                Loss? loss = compiled.Losses[j];
                if (loss is null)
                {
                    continue;
                }

                int perSample = compiled.TargetSizes[j];
                ReadOnlySpan<float> predictions = workspace.Values(_layout.OutputOffset(j), batch * _layout.OutputSize(j));
                ReadOnlySpan<float> target = targets[j].AsSpan((start + done) * perSample, batch * perSample);
                int rows = batch * compiled.RowsPerSample[j];
                ReadOnlySpan<float> mask = OutputMask(workspace, j, rows);
                ReadOnlySpan<float> rowWeights = default;
                if (weighting is not null)
                {
                    var (weights, denominator) = weighting.Rows(rows, compiled.RowsPerSample[j], target, compiled.Columns[j], loss.IsSparse, mask);
                    losses[j] = loss.ComputeWeighted(predictions, target, default, rows, compiled.Columns[j], 1f, compiled.Fused[j], weights.Span, denominator);
                    rowWeights = weights.Span;
                }
                else
                {
                    losses[j] = mask.IsEmpty
                        ? loss.Compute(predictions, target, default, rows, compiled.Columns[j], 1f, compiled.Fused[j])
                        : loss.ComputeMasked(predictions, target, default, rows, compiled.Columns[j], 1f, compiled.Fused[j], mask);
                }

                total += compiled.LossWeights[j] * losses[j];
                totals.AddMetrics(j, predictions, target, rows, mask, rowWeights);
            }

            totals.AddLosses(total + (compiled.Regularized.Length > 0 ? compiled.Regularization(_weights) : 0) + workspace.ActivityLoss, losses, batch);
            if (batchLogs is not null)
            {
                totals.Fill(batchLogs);
                hooks!.TestBatchEnd(step, batchLogs);
            }

            step++;
            if (progress is not null && progress.WantsUpdate(step))
            {
                progress.Update(step, totals.ToLogs(string.Empty));
            }
        }

        return totals;
    }

    private static void CheckVerbose(int verbose)
    {
        if (verbose is < 0 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0 (silent), 1 (progress bar) or 2 (one line).");
        }
    }
}
