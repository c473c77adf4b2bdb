using System;
using System.Collections.Generic;
using System.IO;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Trains a model with one input and one output, as Keras's <c>fit</c>.</summary>
    /// <param name="x">The inputs, flat row-major: samples × input size.</param>
    /// <param name="y">The targets, flat row-major (class indices for a sparse loss).</param>
    /// <param name="epochs">Passes over the training samples; at least 1.</param>
    /// <param name="batchSize">Samples per step; at least 1. The last batch of an epoch may be smaller; a batch size larger
    /// than the training samples is taken as their number, as Keras does (and likewise for the validation samples).</param>
    /// <param name="validationSplit">Fraction in [0, 1) of the samples, taken from the end before shuffling, held out
    /// and evaluated after each epoch (<c>val_loss</c>, …).</param>
    /// <param name="shuffle">Whether to shuffle the training samples before each epoch.</param>
    /// <param name="seed">Seed of the shuffling; the same seed and data give the same training.</param>
    /// <param name="verbose">0 silent, 1 progress bar per epoch, 2 one line per epoch.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="validationData">Samples to evaluate after each epoch instead of splitting the training ones (Keras's
    /// <c>validation_data</c>, which overrides <paramref name="validationSplit"/>): <c>val_loss</c>, … in the History.</param>
    /// <param name="initialEpoch">The epoch to resume from (Keras's <c>initial_epoch</c>): epochs initialEpoch + 1 to
    /// <paramref name="epochs"/> run, numbered so; in [0, epochs].</param>
    /// <returns>The per-epoch losses and metrics.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> or <paramref name="batchSize"/> is below 1,
    /// <paramref name="validationSplit"/> is outside [0, 1), <paramref name="verbose"/> is not 0, 1 or 2, or a workspace for
    /// the batch would exceed the largest .NET array (the message gives the largest batch size that fits); nothing was
    /// trained.</exception>
    /// <exception cref="ArgumentException">The arrays or options do not fit the model; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public History Fit(float[] x, float[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        int? seed = null, int verbose = 1, TextWriter? output = null, int[]? lengths = null, (float[] X, float[] Y)? validationData = null,
        int initialEpoch = 0)
    {
        ArgumentNullException.ThrowIfNull(y);
        var (inputs, targets) = Single(x, y, nameof(x), nameof(y));
        var validation = validationData is var (vx, vy) ? Single(vx, vy ?? throw new ArgumentNullException(nameof(validationData)), nameof(validationData),
            nameof(validationData)) : ((float[][], float[]?[])?)null;
        return FitChecked(inputs, targets, epochs, batchSize, validationSplit, shuffle, seed, verbose, output, lengths, validation, initialEpoch);
    }

    /// <summary>Trains with inputs and targets by position, as Keras's <c>fit</c>.</summary>
    /// <param name="x">One flat array per input, in the model's order.</param>
    /// <param name="y">One flat array per output, in the model's order (null for an output without a loss).</param>
    /// <param name="epochs">Passes over the training samples; at least 1.</param>
    /// <param name="batchSize">Samples per step; at least 1. A batch size larger than the training samples is taken as
    /// their number, as Keras does.</param>
    /// <param name="validationSplit">Fraction in [0, 1) of the samples, taken from the end, held out for validation.</param>
    /// <param name="shuffle">Whether to shuffle the training samples before each epoch.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="verbose">0 silent, 1 progress bar per epoch, 2 one line per epoch.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="validationData">Samples to evaluate after each epoch instead of splitting the training ones (Keras's
    /// <c>validation_data</c>, which overrides <paramref name="validationSplit"/>): <c>val_loss</c>, … in the History.</param>
    /// <param name="initialEpoch">The epoch to resume from (Keras's <c>initial_epoch</c>): epochs initialEpoch + 1 to
    /// <paramref name="epochs"/> run, numbered so; in [0, epochs].</param>
    /// <returns>The per-epoch losses and metrics.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> or <paramref name="batchSize"/> is below 1,
    /// <paramref name="validationSplit"/> is outside [0, 1), <paramref name="verbose"/> is not 0, 1 or 2, or a workspace for
    /// the batch would exceed the largest .NET array (the message gives the largest batch size that fits); nothing was
    /// trained.</exception>
    /// <exception cref="ArgumentException">The arrays or options do not fit the model; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public History Fit(float[][] x, float[][] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true,
        int? seed = null, int verbose = 1, TextWriter? output = null, int[]? lengths = null, (float[][] X, float[][] Y)? validationData = null,
        int initialEpoch = 0)
        => FitChecked(InputsByPosition(x, nameof(x)), TargetsByPosition(y, nameof(y)), epochs, batchSize, validationSplit,
            shuffle, seed, verbose, output, lengths,
            validationData is var (vx, vy) ? (InputsByPosition(vx, nameof(validationData)), TargetsByPosition(vy, nameof(validationData))) : null,
            initialEpoch);

    /// <summary>Trains with inputs and targets by name, as Keras's <c>fit</c> with dictionaries.</summary>
    /// <param name="x">Flat arrays keyed by input name; every input.</param>
    /// <param name="y">Flat arrays keyed by output name; every output with a loss.</param>
    /// <param name="epochs">Passes over the training samples; at least 1.</param>
    /// <param name="batchSize">Samples per step; at least 1. A batch size larger than the training samples is taken as
    /// their number, as Keras does.</param>
    /// <param name="validationSplit">Fraction in [0, 1) of the samples, taken from the end, held out for validation.</param>
    /// <param name="shuffle">Whether to shuffle the training samples before each epoch.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="verbose">0 silent, 1 progress bar per epoch, 2 one line per epoch.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="lengths">For a model with run-time lengths (<see cref="ModelDescription.Lengths"/>): their values, the
    /// same for every sample. When null they are worked out from the arrays' sizes where that is unambiguous.</param>
    /// <param name="validationData">Samples to evaluate after each epoch instead of splitting the training ones (Keras's
    /// <c>validation_data</c>, which overrides <paramref name="validationSplit"/>): <c>val_loss</c>, … in the History.</param>
    /// <param name="initialEpoch">The epoch to resume from (Keras's <c>initial_epoch</c>): epochs initialEpoch + 1 to
    /// <paramref name="epochs"/> run, numbered so; in [0, epochs].</param>
    /// <returns>The per-epoch losses and metrics.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> or <paramref name="batchSize"/> is below 1,
    /// <paramref name="validationSplit"/> is outside [0, 1), <paramref name="verbose"/> is not 0, 1 or 2, or a workspace for
    /// the batch would exceed the largest .NET array (the message gives the largest batch size that fits); nothing was
    /// trained.</exception>
    /// <exception cref="ArgumentException">The arrays, names or options do not fit the model; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public History Fit(IReadOnlyDictionary<string, float[]> x, IReadOnlyDictionary<string, float[]> y, int epochs = 1,
        int batchSize = 32, double validationSplit = 0, bool shuffle = true, int? seed = null, int verbose = 1, TextWriter? output = null,
        int[]? lengths = null, (IReadOnlyDictionary<string, float[]> X, IReadOnlyDictionary<string, float[]> Y)? validationData = null,
        int initialEpoch = 0)
        => FitChecked(InputsByName(x, nameof(x)), TargetsByName(y, nameof(y)), epochs, batchSize, validationSplit,
            shuffle, seed, verbose, output, lengths,
            validationData is var (vx, vy) ? (InputsByName(vx, nameof(validationData)), TargetsByName(vy, nameof(validationData))) : null,
            initialEpoch);

    private History FitChecked(float[][] inputs, float[]?[] targets, int epochs, int batchSize, double validationSplit,
        bool shuffle, int? seed, int verbose, TextWriter? output, int[]? lengths, (float[][] Inputs, float[]?[] Targets)? validationData = null,
        int initialEpoch = 0)
    {
        var compiled = RequireCompiled();
        if (epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs must be at least 1.");
        }

        if (initialEpoch < 0 || initialEpoch > epochs)
        {
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"initialEpoch must lie in [0, epochs = {epochs}].");
        }

        CheckBatchSize(batchSize);
        CheckVerbose(verbose);
        if (!(validationSplit >= 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validationSplit must lie in [0, 1).");
        }

        int[] resolved = ResolveLengths(inputs, targets, compiled, lengths);
        Enter();
        try
        {
            UseLengths(resolved);
            return FitGuarded(compiled, inputs, targets, epochs, batchSize, validationData is null ? validationSplit : 0, shuffle, seed, verbose, output,
                validationData, initialEpoch);
        }
        finally
        {
            compiled.Epoch = 0;
            Exit();
        }
    }

    /// <summary>The body of <c>Fit</c>, run under the guard with the lengths in use.</summary>
    private History FitGuarded(CompiledTraining compiled, float[][] inputs, float[]?[] targets, int epochs, int batchSize,
        double validationSplit, bool shuffle, int? seed, int verbose, TextWriter? output, (float[][] Inputs, float[]?[] Targets)? validationData,
        int initialEpoch)
    {
        int samples = ValidateData(inputs, targets, compiled, "x", "y");
        int given = validationData is var (vInputs, vTargets) ? ValidateData(vInputs, vTargets, compiled, "validationData.X", "validationData.Y") : 0;
        if (validationData is not null && given == 0)
        {
            throw new ArgumentException("validationData holds no samples.", nameof(validationData));
        }

        // Keras: split_at = floor(n · (1 − split)); the validation samples are the last ones, before any shuffling.
        int trainCount = validationSplit > 0 ? (int)Math.Floor(samples * (1.0 - validationSplit)) : samples;
        int validationCount = samples - trainCount;
        if (trainCount == 0 || (validationSplit > 0 && validationCount == 0))
        {
            throw new ArgumentException(
                $"The arrays hold {samples} samples, too few to split into training and validation samples with " +
                $"validationSplit = {validationSplit}.", nameof(validationSplit));
        }

        TextWriter writer = output ?? Console.Out;
        bool live = output is null && !Console.IsOutputRedirected;
        var random = seed is int s ? new Random(s) : new Random();
        var order = new int[trainCount];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var history = new History();
        // Keras clamps a batch larger than the data to the data; validation clamps its own (EvaluateRange).
        batchSize = Math.Min(batchSize, trainCount);
        int steps = BatchCount(trainCount, batchSize);
        var workspace = TrainingWorkspaceFor(batchSize);
        // The samples evaluated after each epoch: the given validation data, or the training arrays' held-out tail.
        var (validationInputs, validationTargets, validationStart) = validationData is var (vx, vy) ? (vx, vy, 0) : (inputs, targets, trainCount);
        validationCount = validationData is null ? validationCount : given;
        Workspace? validation = validationCount > 0 ? PredictWorkspaceFor(Math.Min(batchSize, validationCount)) : null;
        for (int epoch = initialEpoch + 1; epoch <= epochs; epoch++)
        {
            if (verbose > 0)
            {
                writer.WriteLine($"Epoch {epoch}/{epochs}");
            }

            if (shuffle)
            {
                random.Shuffle(order);
            }

            var progress = verbose > 0 ? new ProgressBar(writer, steps, verbose, live) : null;
            compiled.Train.Reset();
            compiled.Epoch = epoch;
            for (int step = 0; step < steps; step++)
            {
                int start = step * batchSize;
                int batch = Math.Min(batchSize, trainCount - start);
                LoadBatch(workspace, compiled, inputs, targets, order.AsSpan(start, batch), shuffle);
                compiled.Step = step + 1;
                TrainStep(workspace, batch);
                if (progress is not null && progress.WantsUpdate(step + 1))
                {
                    progress.Update(step + 1, compiled.Train.ToLogs(string.Empty));
                }
            }

            var logs = compiled.Train.ToLogs(string.Empty);
            if (validation is not null)
            {
                logs.AddRange(EvaluateRange(validation, compiled, validationInputs, validationTargets, validationStart, validationCount, batchSize, null)
                    .ToLogs("val_"));
            }

            history.Add(logs);
            progress?.Finish(logs);
        }

        return history;
    }

    /// <summary>Gathers the samples of one batch into the training workspace (one copy per sample when shuffled).</summary>
    private void LoadBatch(Workspace workspace, CompiledTraining compiled, float[][] inputs, float[]?[] targets,
        ReadOnlySpan<int> samples, bool shuffled)
    {
        int batch = samples.Length;
        if (!shuffled)
        {
            LoadInputs(workspace, inputs, samples[0], batch);
        }
        else
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                int size = _layout.InputSize(i);
                Gather(inputs[i], size, samples, workspace.Values(_layout.InputOffset(i), batch * size));
            }
        }

        for (int j = 0; j < targets.Length; j++)
        {
            if (compiled.Losses[j] is null)
            {
                continue;
            }

            int size = compiled.TargetSizes[j];
            Span<float> destination = workspace.Targets.AsSpan(compiled.TargetOffsets[j] * workspace.Capacity, batch * size);
            if (shuffled)
            {
                Gather(targets[j]!, size, samples, destination);
            }
            else
            {
                targets[j].AsSpan(samples[0] * size, batch * size).CopyTo(destination);
            }
        }
    }

    private static void Gather(float[] source, int size, ReadOnlySpan<int> samples, Span<float> destination)
    {
        for (int s = 0; s < samples.Length; s++)
        {
            source.AsSpan(samples[s] * size, size).CopyTo(destination.Slice(s * size, size));
        }
    }
}
