using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

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
    /// <param name="callbacks">Hooks called as training goes (<see cref="Callback"/>: <see cref="EarlyStopping"/>,
    /// <see cref="ModelCheckpoint"/>, …), in order.</param>
    /// <param name="stepsPerEpoch">Batches per epoch (Keras's <c>steps_per_epoch</c>); null for one pass over the data.
    /// Given, a pass continues across epochs and a new shuffled pass starts when the data runs out (ending that epoch).</param>
    /// <param name="validationFreq">Validate every this many epochs (Keras's <c>validation_freq</c>); at least 1.</param>
    /// <param name="validationBatchSize">Samples per validation batch (Keras's <c>validation_batch_size</c>); null for
    /// <paramref name="batchSize"/>.</param>
    /// <param name="cancellationToken">Stops training between two steps when cancelled: <c>Fit</c> then returns the History
    /// of the epochs that finished (<see cref="History.Cancelled"/> is true) and the weights of the last finished step.</param>
    /// <param name="sampleWeight">One weight per sample (Keras's <c>sample_weight</c>), applied to every output's loss (the
    /// weighted sum over the rows divided by their number) and, with <paramref name="validationSplit"/>, to the validation
    /// samples' loss; metrics are not weighted. Null for all 1.</param>
    /// <param name="classWeight">A weight per class of the single trained output's targets (Keras's <c>class_weight</c>:
    /// the arg-max of a one-hot row, or the class index; a class not listed weighs 1), for training only. Not with
    /// <paramref name="sampleWeight"/>.</param>
    /// <param name="validationSampleWeight">One weight per sample of <paramref name="validationData"/> (the third item of
    /// Keras's <c>validation_data=(x, y, sample_weight)</c>), weighing the validation loss as <paramref name="sampleWeight"/>
    /// weighs the training loss; null for all 1.</param>
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
        int initialEpoch = 0, IReadOnlyList<Callback>? callbacks = null, int? stepsPerEpoch = null, int validationFreq = 1, int? validationBatchSize = null,
        CancellationToken cancellationToken = default, float[]? sampleWeight = null, IReadOnlyDictionary<int, float>? classWeight = null,
        float[]? validationSampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(y);
        var (inputs, targets) = Single(x, y, nameof(x), nameof(y));
        var validation = validationData is var (vx, vy) ? Single(vx, vy ?? throw new ArgumentNullException(nameof(validationData)), nameof(validationData),
            nameof(validationData)) : ((float[][], float[]?[])?)null;
        return FitChecked(inputs, targets, epochs, batchSize, validationSplit, shuffle, seed, verbose, output, lengths, validation, initialEpoch,
            new FitExtras(callbacks, cancellationToken, stepsPerEpoch, validationFreq, validationBatchSize, sampleWeight, classWeight, validationSampleWeight));
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
    /// <param name="callbacks">Hooks called as training goes (<see cref="Callback"/>: <see cref="EarlyStopping"/>,
    /// <see cref="ModelCheckpoint"/>, …), in order.</param>
    /// <param name="stepsPerEpoch">Batches per epoch (Keras's <c>steps_per_epoch</c>); null for one pass over the data.
    /// Given, a pass continues across epochs and a new shuffled pass starts when the data runs out (ending that epoch).</param>
    /// <param name="validationFreq">Validate every this many epochs (Keras's <c>validation_freq</c>); at least 1.</param>
    /// <param name="validationBatchSize">Samples per validation batch (Keras's <c>validation_batch_size</c>); null for
    /// <paramref name="batchSize"/>.</param>
    /// <param name="cancellationToken">Stops training between two steps when cancelled: <c>Fit</c> then returns the History
    /// of the epochs that finished (<see cref="History.Cancelled"/> is true) and the weights of the last finished step.</param>
    /// <param name="sampleWeight">One weight per sample (Keras's <c>sample_weight</c>), applied to every output's loss (the
    /// weighted sum over the rows divided by their number) and, with <paramref name="validationSplit"/>, to the validation
    /// samples' loss; metrics are not weighted. Null for all 1.</param>
    /// <param name="classWeight">A weight per class of the single trained output's targets (Keras's <c>class_weight</c>:
    /// the arg-max of a one-hot row, or the class index; a class not listed weighs 1), for training only. Not with
    /// <paramref name="sampleWeight"/>.</param>
    /// <param name="validationSampleWeight">One weight per sample of <paramref name="validationData"/> (the third item of
    /// Keras's <c>validation_data=(x, y, sample_weight)</c>), weighing the validation loss as <paramref name="sampleWeight"/>
    /// weighs the training loss; null for all 1.</param>
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
        int initialEpoch = 0, IReadOnlyList<Callback>? callbacks = null, int? stepsPerEpoch = null, int validationFreq = 1, int? validationBatchSize = null,
        CancellationToken cancellationToken = default, float[]? sampleWeight = null, IReadOnlyDictionary<int, float>? classWeight = null,
        float[]? validationSampleWeight = null)
        => FitChecked(InputsByPosition(x, nameof(x)), TargetsByPosition(y, nameof(y)), epochs, batchSize, validationSplit,
            shuffle, seed, verbose, output, lengths,
            validationData is var (vx, vy) ? (InputsByPosition(vx, nameof(validationData)), TargetsByPosition(vy, nameof(validationData))) : null,
            initialEpoch, new FitExtras(callbacks, cancellationToken, stepsPerEpoch, validationFreq, validationBatchSize, sampleWeight, classWeight, validationSampleWeight));

    /// <summary>Trains on arrays of any supported type by position, as Keras's <c>fit</c> on NumPy arrays: <c>int[]</c> token
    /// ids, <c>double[]</c>, or rectangular arrays (<c>float[samples, 28, 28]</c>), converted once and checked against the
    /// model's shapes: <c>model.Fit([ids, features], [labels])</c>.</summary>
    /// <param name="x">One array per input, in the model's order.</param>
    /// <param name="y">One array per output, in the model's order (null for an output without a loss).</param>
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
    /// <exception cref="ArgumentException">An array's type or shape does not fit the model; nothing was trained.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    public History Fit(Array[] x, Array?[] y, int epochs = 1, int batchSize = 32, double validationSplit = 0, bool shuffle = true, int? seed = null,
        int verbose = 1, IReadOnlyList<Callback>? callbacks = null, float[]? sampleWeight = null, CancellationToken cancellationToken = default)
        => FitChecked(InputsOfAnyType(x, nameof(x)), TargetsOfAnyType(y, nameof(y)), epochs, batchSize, validationSplit, shuffle, seed, verbose, null, null,
            null, 0, new FitExtras(callbacks, cancellationToken, null, 1, null, sampleWeight, null, null));

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
    /// <param name="callbacks">Hooks called as training goes (<see cref="Callback"/>: <see cref="EarlyStopping"/>,
    /// <see cref="ModelCheckpoint"/>, …), in order.</param>
    /// <param name="stepsPerEpoch">Batches per epoch (Keras's <c>steps_per_epoch</c>); null for one pass over the data.
    /// Given, a pass continues across epochs and a new shuffled pass starts when the data runs out (ending that epoch).</param>
    /// <param name="validationFreq">Validate every this many epochs (Keras's <c>validation_freq</c>); at least 1.</param>
    /// <param name="validationBatchSize">Samples per validation batch (Keras's <c>validation_batch_size</c>); null for
    /// <paramref name="batchSize"/>.</param>
    /// <param name="cancellationToken">Stops training between two steps when cancelled: <c>Fit</c> then returns the History
    /// of the epochs that finished (<see cref="History.Cancelled"/> is true) and the weights of the last finished step.</param>
    /// <param name="sampleWeight">One weight per sample (Keras's <c>sample_weight</c>), applied to every output's loss (the
    /// weighted sum over the rows divided by their number) and, with <paramref name="validationSplit"/>, to the validation
    /// samples' loss; metrics are not weighted. Null for all 1.</param>
    /// <param name="classWeight">A weight per class of the single trained output's targets (Keras's <c>class_weight</c>:
    /// the arg-max of a one-hot row, or the class index; a class not listed weighs 1), for training only. Not with
    /// <paramref name="sampleWeight"/>.</param>
    /// <param name="validationSampleWeight">One weight per sample of <paramref name="validationData"/> (the third item of
    /// Keras's <c>validation_data=(x, y, sample_weight)</c>), weighing the validation loss as <paramref name="sampleWeight"/>
    /// weighs the training loss; null for all 1.</param>
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
        int initialEpoch = 0, IReadOnlyList<Callback>? callbacks = null, int? stepsPerEpoch = null, int validationFreq = 1, int? validationBatchSize = null,
        CancellationToken cancellationToken = default, float[]? sampleWeight = null, IReadOnlyDictionary<int, float>? classWeight = null,
        float[]? validationSampleWeight = null)
        => FitChecked(InputsByName(x, nameof(x)), TargetsByName(y, nameof(y)), epochs, batchSize, validationSplit,
            shuffle, seed, verbose, output, lengths,
            validationData is var (vx, vy) ? (InputsByName(vx, nameof(validationData)), TargetsByName(vy, nameof(validationData))) : null,
            initialEpoch, new FitExtras(callbacks, cancellationToken, stepsPerEpoch, validationFreq, validationBatchSize, sampleWeight, classWeight, validationSampleWeight));

    /// <summary>Fit's options beyond Keras 2's: callbacks, cancellation and the epochs' shape.</summary>
    private readonly record struct FitExtras(IReadOnlyList<Callback>? Callbacks, CancellationToken CancellationToken, int? StepsPerEpoch,
        int ValidationFreq, int? ValidationBatchSize, float[]? SampleWeight, IReadOnlyDictionary<int, float>? ClassWeight,
        float[]? ValidationSampleWeight);

    private History FitChecked(float[][] inputs, float[]?[] targets, int epochs, int batchSize, double validationSplit,
        bool shuffle, int? seed, int verbose, TextWriter? output, int[]? lengths, (float[][] Inputs, float[]?[] Targets)? validationData,
        int initialEpoch, FitExtras extras)
    {
        RefuseInCallbacks("Fit");
        var compiled = RequireCompiled();
        if (extras.StepsPerEpoch is < 1)
        {
            throw new ArgumentOutOfRangeException("stepsPerEpoch", extras.StepsPerEpoch, "stepsPerEpoch must be at least 1, or null for one pass over the data.");
        }

        if (extras.ValidationFreq < 1)
        {
            throw new ArgumentOutOfRangeException("validationFreq", extras.ValidationFreq, "validationFreq must be at least 1.");
        }

        if (extras.ValidationBatchSize is < 1)
        {
            throw new ArgumentOutOfRangeException("validationBatchSize", extras.ValidationBatchSize, "validationBatchSize must be at least 1, or null for batchSize.");
        }

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
                validationData, initialEpoch, extras);
        }
        finally
        {
            compiled.Epoch = 0;
            compiled.Weighting = null;
            ExitUnlessLost();
        }
    }

    /// <summary>The body of <c>Fit</c>, run under the guard with the lengths in use.</summary>
    private History FitGuarded(CompiledTraining compiled, float[][] inputs, float[]?[] targets, int epochs, int batchSize,
        double validationSplit, bool shuffle, int? seed, int verbose, TextWriter? output, (float[][] Inputs, float[]?[] Targets)? validationData,
        int initialEpoch, FitExtras extras)
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

        var weighting = SampleWeighting.Create(extras.SampleWeight, extras.ClassWeight, samples, compiled, Description);
        SampleWeighting? givenValidationWeighting = null;
        if (extras.ValidationSampleWeight is not null)
        {
            givenValidationWeighting = validationData is null
                ? throw new ArgumentException("validationSampleWeight weighs the samples of validationData; pass validationData too, as Keras's " +
                    "validation_data=(x, y, sample_weight).", "validationSampleWeight")
                : SampleWeighting.Create(extras.ValidationSampleWeight, null, given, compiled, Description, "validationSampleWeight");
        }

        TextWriter writer = output ?? Console.Out;
        bool live = output is null && !Console.IsOutputRedirected;
        var callbacks = new CallbackList(this, extras.Callbacks, writer);
        var terminateOnNaN = FindCallback<TerminateOnNaN>(callbacks);
        var random = seed is int s ? new Random(s) : new Random();
        var order = new int[trainCount];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var history = new History();
        History = history;
        StopTraining = false;
        ResumeEpoch = null;

        // Keras clamps a batch larger than the data to the data; validation clamps its own (EvaluateRange).
        batchSize = Math.Min(batchSize, trainCount);
        int dataSteps = BatchCount(trainCount, batchSize);
        var workspace = TrainingWorkspaceFor(batchSize);
        // The samples evaluated after each epoch: the given validation data, or the training arrays' held-out tail.
        var (validationInputs, validationTargets, validationStart) = validationData is var (vx, vy) ? (vx, vy, 0) : (inputs, targets, trainCount);
        validationCount = validationData is null ? validationCount : given;
        int validationBatch = Math.Min(extras.ValidationBatchSize ?? batchSize, Math.Max(validationCount, 1));
        Workspace? validation = validationCount > 0 ? PredictWorkspaceFor(validationBatch) : null;
        var batchLogs = new Logs();
        var lastLogs = new Logs();

        callbacks.SetParameters(new TrainingParameters(epochs, extras.StepsPerEpoch ?? dataSteps, verbose));
        callbacks.TrainBegin(new Logs());
        if (ResumeEpoch is int resume)
        {
            // BackupAndRestore found a backup: continue after its last finished epoch.
            initialEpoch = Math.Clamp(Math.Max(initialEpoch, resume), 0, epochs);
        }

        // Epochs skipped by initialEpoch shuffle as they would have, so that a resumed run sees the same batches.
        for (int skipped = 0; shuffle && extras.StepsPerEpoch is null && skipped < initialEpoch; skipped++)
        {
            random.Shuffle(order);
        }

        int cursor = 0; // batches of the current pass over the data taken so far
        bool freshPass = true;
        for (int epoch = initialEpoch + 1; epoch <= epochs && !StopTraining; epoch++)
        {
            if (extras.CancellationToken.IsCancellationRequested)
            {
                history.Cancelled = true;
                break;
            }

            if (verbose > 0)
            {
                writer.WriteLine($"Epoch {epoch}/{epochs}");
            }

            // Keras: without stepsPerEpoch every epoch is one pass; with it, a pass continues across epochs and a new,
            // reshuffled one starts once the data has run out.
            if (extras.StepsPerEpoch is null || freshPass)
            {
                if (shuffle)
                {
                    random.Shuffle(order);
                }

                cursor = 0;
                freshPass = false;
            }

            int steps = extras.StepsPerEpoch ?? dataSteps;
            var progress = verbose > 0 ? new ProgressBar(writer, Math.Min(steps, dataSteps - cursor), verbose, live) : null;
            compiled.Train.Reset();
            compiled.Epoch = epoch;
            callbacks.EpochBegin(epoch - 1, new Logs());
            bool cancelled = false;
            int done = 0;
            for (int step = 0; step < steps && cursor < dataSteps; step++, cursor++)
            {
                if (extras.CancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }

                int start = cursor * batchSize;
                int batch = Math.Min(batchSize, trainCount - start);
                LoadBatch(workspace, compiled, inputs, targets, order.AsSpan(start, batch), shuffle);
                weighting?.Gather(order.AsSpan(start, batch));
                compiled.Weighting = weighting;
                compiled.Step = step + 1;
                if (!callbacks.IsEmpty)
                {
                    batchLogs.Clear();
                    callbacks.TrainBatchBegin(step, batchLogs);
                }

                try
                {
                    TrainStep(workspace, batch);
                }
                catch (TrainingDivergedException diverged) when (terminateOnNaN is { RaiseError: false })
                {
                    // Keras's TerminateOnNaN: the epoch ends at this batch (whose update was not applied) and so does Fit.
                    writer.WriteLine($"Batch {step}: Invalid loss, terminating training ({diverged.Message})");
                    StopTraining = true;
                    break;
                }

                done++;
                if (progress is not null && progress.WantsUpdate(step + 1))
                {
                    progress.Update(step + 1, compiled.Train.ToLogs(string.Empty));
                }

                if (!callbacks.IsEmpty)
                {
                    compiled.Train.Fill(batchLogs);
                    callbacks.TrainBatchEnd(step, batchLogs);
                }

                if (StopTraining)
                {
                    cursor++;
                    break;
                }
            }

            if (cursor >= dataSteps)
            {
                freshPass = true;
            }

            if (cancelled)
            {
                // The steps that finished are kept; the cut epoch is neither validated nor recorded.
                history.Cancelled = true;
                break;
            }

            if (done == 0)
            {
                break; // stopped before its first step (TerminateOnNaN at once): nothing to log
            }

            var logs = new Logs(compiled.Train.ToLogs(string.Empty));
            if (validation is not null && epoch % extras.ValidationFreq == 0)
            {
                callbacks.TestBegin(new Logs());
                // The split's samples keep their sample weights, as Keras splits sample_weight with them; class weights train only.
                var validationWeighting = validationData is not null ? givenValidationWeighting
                    : weighting is { ByClass: false } ? weighting : null;
                var results = EvaluateRange(validation, compiled, validationInputs, validationTargets, validationStart, validationCount, validationBatch, null,
                    default, validationWeighting, hooks: callbacks).ToLogs(string.Empty);
                callbacks.TestEnd(new Logs(results));
                AddValidation(logs, results);
            }

            callbacks.EpochEnd(epoch - 1, logs);
            history.Add(System.Linq.Enumerable.ToList(logs));
            progress?.Finish(System.Linq.Enumerable.ToList(logs));
            lastLogs = logs;
        }

        EndFit(compiled, callbacks, lastLogs);
        return history;
    }

    /// <summary>The end of every Fit: Keras's finalize_variable_values (with use_ema the weights take their moving
    /// average), then on_train_end.</summary>
    private void EndFit(CompiledTraining compiled, CallbackList callbacks, Logs lastLogs)
    {
        if (compiled.Optimizer.UseEma)
        {
            WeightsWritten();
            compiled.Optimizer.Finalize(_weights, Trainability.Ranges);
        }

        callbacks.TrainEnd(lastLogs);
    }

    /// <summary>For <see cref="SwapEMAWeights"/>: exchanges the trained weights with the optimizer's moving average.</summary>
    /// <exception cref="InvalidOperationException">The model is not compiled with an optimizer that keeps one.</exception>
    internal void SwapEmaWeights()
    {
        var optimizer = RequireEmaOptimizer();
        WeightsWritten();
        optimizer.SwapAverage(_weights, Trainability.Ranges);
    }

    /// <summary>For <see cref="SwapEMAWeights"/>: the moving average takes the weights' values (which hold it, swapped in).</summary>
    internal void EmaFromWeights() => RequireEmaOptimizer().AverageFrom(_weights, Trainability.Ranges);

    private Optimizer RequireEmaOptimizer()
    {
        var optimizer = _compiled?.Optimizer;
        if (optimizer is not { UseEma: true } || optimizer.Iterations == 0)
        {
            throw new InvalidOperationException(
                "SwapEMAWeights swaps in the optimizer's moving average of the weights: compile the model with an optimizer that has " +
                "UseEma = true (new SGD { UseEma = true }) and train it first.");
        }

        return optimizer;
    }

    /// <summary>Adds an evaluation's results to an epoch's logs under Keras's <c>val_</c> names.</summary>
    private static void AddValidation(Logs logs, List<KeyValuePair<string, double>> results)
    {
        foreach (var (key, value) in results)
        {
            logs["val_" + key] = value;
        }
    }

    private static T? FindCallback<T>(CallbackList callbacks)
        where T : Callback
    {
        foreach (var callback in callbacks.Items)
        {
            if (callback is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Copies samples [start, start + count) of each trained output's targets into the workspace.</summary>
    private static void LoadTargets(Workspace workspace, CompiledTraining compiled, float[]?[] targets, int start, int count)
    {
        for (int j = 0; j < targets.Length; j++)
        {
            if (compiled.Losses[j] is not null)
            {
                int size = compiled.TargetSizes[j];
                targets[j].AsSpan(start * size, count * size).CopyTo(workspace.Targets.AsSpan(compiled.TargetOffsets[j] * workspace.Capacity, count * size));
            }
        }
    }

    /// <summary>Gathers the samples of one batch into the training workspace (one copy per sample when shuffled).</summary>
    private void LoadBatch(Workspace workspace, CompiledTraining compiled, float[][] inputs, float[]?[] targets,
        ReadOnlySpan<int> samples, bool shuffled)
    {
        int batch = samples.Length;
        if (!shuffled)
        {
            // In order: the batch is one contiguous run of samples.
            LoadInputs(workspace, inputs, samples[0], batch);
            LoadTargets(workspace, compiled, targets, samples[0], batch);
            return;
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            int size = _layout.InputSize(i);
            Gather(inputs[i], size, samples, workspace.Values(_layout.InputOffset(i), batch * size));
        }

        for (int j = 0; j < targets.Length; j++)
        {
            if (compiled.Losses[j] is not null)
            {
                int size = compiled.TargetSizes[j];
                Gather(targets[j]!, size, samples, workspace.Targets.AsSpan(compiled.TargetOffsets[j] * workspace.Capacity, batch * size));
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
