using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Fit's callbacks against Keras 3's callback code (keras/src/callbacks), step by step: the hooks' order and logs, and
/// each built-in callback's state machine on scripted monitored values; cancellation, stop_training, steps per epoch,
/// validation frequency; resuming a killed run bit for bit.
/// </summary>
public class CallbackTests
{
    private static readonly SyntheticData Train = SyntheticData.Create(24, seed: 11);
    private static readonly SyntheticData Held = SyntheticData.Create(8, seed: 12);

    private static TwoInputModel Compiled(Optimizer? optimizer = null)
    {
        var model = new TwoInputModel();
        model.Compile(optimizer ?? new SGD(0.1f), ["categorical_crossentropy", "binary_crossentropy"], metrics: ["accuracy"]);
        return model;
    }

    private static History Fit(CompiledModel model, int epochs, params Callback[] callbacks)
        => model.Fit(Train.X, Train.Y, epochs: epochs, batchSize: 8, shuffle: false, verbose: 0, validationData: (Held.X, Held.Y), callbacks: callbacks);

    /// <summary>Overwrites a logged value with a script, one value per epoch (to drive a monitor deterministically).</summary>
    private static LambdaCallback Script(string key, params double[] values)
        => new(onEpochEnd: (epoch, logs) => logs[key] = values[Math.Min(epoch, values.Length - 1)]);

    private sealed class Recorder : Callback
    {
        public List<string> Calls { get; } = new();

        public List<Dictionary<string, double>> BatchLogs { get; } = new();

        public override void OnTrainBegin(Logs logs) => Calls.Add("train_begin");

        public override void OnTrainEnd(Logs logs) => Calls.Add("train_end");

        public override void OnEpochBegin(int epoch, Logs logs) => Calls.Add($"epoch_begin {epoch}");

        public override void OnEpochEnd(int epoch, Logs logs) => Calls.Add($"epoch_end {epoch} {string.Join(",", logs.Keys)}");

        public override void OnTrainBatchBegin(int batch, Logs logs) => Calls.Add($"batch_begin {batch}");

        public override void OnTrainBatchEnd(int batch, Logs logs)
        {
            Calls.Add($"batch_end {batch}");
            BatchLogs.Add(new Dictionary<string, double>(logs));
        }

        public override void OnTestBegin(Logs logs) => Calls.Add("test_begin");

        public override void OnTestEnd(Logs logs) => Calls.Add("test_end");

        public List<Dictionary<string, double>> TestBatchLogs { get; } = new();

        public override void OnTestBatchBegin(int batch, Logs logs) => Calls.Add($"test_batch_begin {batch}");

        public override void OnTestBatchEnd(int batch, Logs logs)
        {
            Calls.Add($"test_batch_end {batch}");
            TestBatchLogs.Add(new Dictionary<string, double>(logs));
        }

        public override void OnPredictBegin(Logs logs) => Calls.Add("predict_begin");

        public override void OnPredictEnd(Logs logs) => Calls.Add("predict_end");

        public override void OnPredictBatchBegin(int batch, Logs logs) => Calls.Add($"predict_batch_begin {batch}");

        public override void OnPredictBatchEnd(int batch, Logs logs) => Calls.Add($"predict_batch_end {batch}");
    }

    [Fact]
    public void Hooks_run_in_Keras_order_with_running_batch_logs_and_what_callbacks_add_reaches_the_History()
    {
        var model = Compiled();
        var recorder = new Recorder();
        var history = Fit(model, 2, recorder, new LambdaCallback(onEpochEnd: (epoch, logs) => logs["extra"] = epoch * 10));
        string keys = "loss,class_loss,flag_loss,class_accuracy,flag_accuracy,val_loss,val_class_loss,val_flag_loss,val_class_accuracy,val_flag_accuracy";
        string[] epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1", "batch_begin 2", "batch_end 2", "test_begin", "test_batch_begin 0", "test_batch_end 0", "test_end"];
        Assert.Equal(
            ["train_begin", "epoch_begin 0", .. epoch, $"epoch_end 0 {keys}", "epoch_begin 1", .. epoch, $"epoch_end 1 {keys}", "train_end"],
            recorder.Calls);
        Assert.Equal([0, 10], history["extra"]);
        Assert.Same(history, model.History);

        // A batch's logs are the epoch's running means: after the last batch, the epoch's training logs.
        var last = recorder.BatchLogs[^1];
        foreach (var (key, value) in last)
        {
            Assert.Equal(history[key][1], value, 12);
        }

        Assert.Equal(5, last.Count);
    }

    [Fact]
    public void Evaluate_and_Predict_call_the_test_and_predict_hooks_in_Keras_order()
    {
        var model = Compiled();
        var recorder = new Recorder();
        var results = model.Evaluate(Train.X, Train.Y, batchSize: 10, callbacks: [recorder]);
        Assert.Equal(["test_begin", "test_batch_begin 0", "test_batch_end 0", "test_batch_begin 1", "test_batch_end 1",
            "test_batch_begin 2", "test_batch_end 2", "test_end"], recorder.Calls);

        // The batch logs are the running means: after the last batch, the evaluation's results; before it, the first
        // 10 samples' (checked against an evaluation of those alone).
        foreach (var (key, value) in results)
        {
            Assert.Equal(value, recorder.TestBatchLogs[^1][key], 12);
        }

        var first = model.Evaluate(Train.X.Select(x => x[..(10 * (x.Length / 24))]).ToArray(), Train.Y.Select(y => y[..(10 * (y.Length / 24))]).ToArray(), batchSize: 10);
        Assert.Equal(first["loss"], recorder.TestBatchLogs[0]["loss"], 6);

        recorder.Calls.Clear();
        var plain = model.Predict(Train.X, batchSize: 10);
        var hooked = model.Predict(Train.X, batchSize: 10, callbacks: [recorder]);
        Assert.Equal(["predict_begin", "predict_batch_begin 0", "predict_batch_end 0", "predict_batch_begin 1", "predict_batch_end 1",
            "predict_batch_begin 2", "predict_batch_end 2", "predict_end"], recorder.Calls);
        Assert.Equal(plain, hooked);
    }

    [Fact]
    public void A_predict_hook_may_use_the_model_and_its_exception_surfaces_unchanged()
    {
        var model = Compiled();
        int predicted = 0;
        var user = new LambdaHooks(onPredictBatchEnd: _ => predicted += model.Predict(Held.X, batchSize: 8)[0].Length);
        model.Predict(Train.X, batchSize: 12, callbacks: [user]);
        Assert.Equal(2 * Held.X[0].Length / TwoInputModel.ASize * TwoInputModel.Classes, predicted);

        var failing = new LambdaHooks(onPredictBatchEnd: batch => throw new FormatException("from the hook " + batch));
        var error = Assert.Throws<FormatException>(() => model.Predict(Train.X, batchSize: 12, callbacks: [failing]));
        Assert.Equal("from the hook 0", error.Message);
        model.Predict(Train.X, batchSize: 12); // the model is free again
    }

    private sealed class LambdaHooks(Action<int> onPredictBatchEnd) : Callback
    {
        public override void OnPredictBatchEnd(int batch, Logs logs) => onPredictBatchEnd(batch);
    }

    [Fact]
    public void SwapEMAWeights_validates_with_the_moving_average_and_leaves_training_unchanged()
    {
        static TwoInputModel WithEma()
        {
            var model = new TwoInputModel();
            model.Compile(new SGD(0.2f) { UseEma = true, EmaMomentum = 0.5f }, ["categorical_crossentropy", "binary_crossentropy"]);
            return model;
        }

        var plain = WithEma();
        var plainHistory = Fit(plain, 3);
        var swapped = WithEma();
        var history = Fit(swapped, 3, new SwapEMAWeights());

        // Training is untouched: the same final weights (Fit ends with the average in them, Keras's finalize).
        Assert.Equal(plain.ReadOnlyWeights.ToArray(), swapped.ReadOnlyWeights.ToArray());
        Assert.Equal(plainHistory["loss"], history["loss"]);

        // The last validation ran on the moving average, which the weights hold once Fit has ended.
        double averaged = swapped.Evaluate(Held.X, Held.Y, batchSize: 8)["loss"];
        Assert.Equal(averaged, history["val_loss"][^1], 6);
        Assert.NotEqual(averaged, plainHistory["val_loss"][^1], 6);

        // Predict with the callback uses the average and puts the weights back.
        var model = WithEma();
        for (int step = 0; step < 3; step++)
        {
            // Steps outside Fit: nothing finalizes the average into the weights.
            model.TrainOnBatch(Train.A, Train.B, Train.Class, Train.Flag, Train.Count);
        }

        float[] before = model.ReadOnlyWeights.ToArray();
        var raw = model.Predict(Held.X, batchSize: 8);
        var ema = model.Predict(Held.X, batchSize: 8, callbacks: [new SwapEMAWeights()]);
        Assert.NotEqual(raw[0], ema[0]);
        Assert.Equal(before, model.ReadOnlyWeights.ToArray());
    }

    [Fact]
    public void SwapEMAWeights_on_epoch_shows_later_callbacks_the_average()
    {
        var model = new TwoInputModel();
        model.Compile(new SGD(0.2f) { UseEma = true, EmaMomentum = 0.5f }, ["categorical_crossentropy", "binary_crossentropy"]);
        var seen = new List<float[]>();
        Fit(model, 2, new SwapEMAWeights(swapOnEpoch: true), new LambdaCallback(onEpochEnd: (_, _) => seen.Add(model.ReadOnlyWeights.ToArray())));

        // After the last epoch the model holds the average, which the last epoch's callbacks saw.
        Assert.Equal(seen[^1], model.ReadOnlyWeights.ToArray());

        var untrained = new TwoInputModel();
        untrained.Compile(new SGD(0.2f), ["categorical_crossentropy", "binary_crossentropy"]);
        var error = Assert.Throws<InvalidOperationException>(() => Fit(untrained, 1, new SwapEMAWeights()));
        Assert.Contains("UseEma", error.Message);
    }

    [Fact]
    public void StopTraining_set_in_a_batch_ends_that_epoch_and_Fit_as_in_Keras()
    {
        var model = Compiled();
        var recorder = new Recorder();
        var history = Fit(model, 5, recorder, new LambdaCallback(onTrainBatchEnd: (batch, _) =>
        {
            if (model.History!.Epochs == 1 && batch == 1)
            {
                model.StopTraining = true;
            }
        }));
        Assert.Equal(2, history.Epochs); // the cut epoch is validated and recorded, as Keras does
        Assert.Equal(5, recorder.Calls.Count(c => c.StartsWith("batch_end", StringComparison.Ordinal)));
        Assert.Equal("train_end", recorder.Calls[^1]);
    }

    [Fact]
    public void EarlyStopping_follows_Keras_patience_baseline_warm_up_and_restores_the_best_weights()
    {
        // Keras: an epoch that improves resets the wait (unless it misses the baseline); no improvement for `patience`
        // epochs stops training.
        int Run(double[] values, int patience, double? baseline = null, int startFromEpoch = 0)
            => Fit(Compiled(), 12, Script("val_loss", values), new EarlyStopping(patience: patience, baseline: baseline, startFromEpoch: startFromEpoch)).Epochs;

        double[] plateau = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99];
        Assert.Equal(4, Run(plateau, patience: 2));      // best at epoch 1, epochs 2 and 3 without improvement
        Assert.Equal(3, Run(plateau, patience: 1));
        Assert.Equal(2, Run([1.0, 1.1, 1.2, 1.3], patience: 1, baseline: 0.5)); // never beats the baseline: stops at epoch 1
        Assert.Equal(3, Run([1.0, 1.1, 1.2, 1.3], patience: 2));
        Assert.Equal(6, Run([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6], patience: 2, startFromEpoch: 3)); // watching starts at epoch 3

        var model = Compiled();
        float[]? atBest = null;
        var stop = new EarlyStopping(patience: 2, restoreBestWeights: true);
        Fit(model, 12, Script("val_loss", plateau), new LambdaCallback(onEpochEnd: (epoch, _) =>
        {
            if (epoch == 1)
            {
                atBest = model.ReadOnlyWeights.ToArray();
            }
        }), stop);
        Assert.Equal(1, stop.BestEpoch);
        Assert.Equal(3, stop.StoppedEpoch);
        Assert.Equal(atBest, model.ReadOnlyWeights.ToArray());

        var unknown = Assert.Throws<ArgumentException>(() => Fit(Compiled(), 2, new EarlyStopping(monitor: "val_something")));
        Assert.Contains("MonitorMode", unknown.Message);
    }

    [Fact]
    public void ReduceLROnPlateau_lowers_the_rate_after_its_patience_and_waits_out_its_cooldown_as_Keras()
    {
        var model = Compiled(new SGD(0.1f));
        var history = Fit(model, 6, Script("val_loss", 1.0), new ReduceLROnPlateau(factor: 0.5, patience: 2, cooldown: 1));
        // Logged at each epoch's end before the change, as Keras logs it.
        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.025], history["learning_rate"].Select(v => Math.Round(v, 6)));
        Assert.Equal(0.025f, model.Optimizer!.LearningRate, 6); // epoch 5 sat out the cooldown

        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.0));
        var floor = Compiled(new SGD(0.1f));
        Fit(floor, 8, Script("val_loss", 1.0), new ReduceLROnPlateau(factor: 0.1, patience: 1, minLearningRate: 0.01));
        Assert.Equal(0.01f, floor.Optimizer!.LearningRate, 6);
    }

    [Fact]
    public void LearningRateScheduler_sets_each_epoch_rate_and_a_bad_rate_stops_Fit_with_the_epochs_before()
    {
        var model = Compiled(new SGD(0.2f));
        var history = Fit(model, 4, new LearningRateScheduler((epoch, rate) => epoch < 2 ? rate : rate / 2));
        Assert.Equal([0.2, 0.2, 0.1, 0.05], history["learning_rate"].Select(v => Math.Round(v, 6)));

        var broken = Compiled();
        float[]? afterFirst = null;
        var error = Assert.Throws<InvalidOperationException>(() => Fit(broken, 4,
            new LambdaCallback(onEpochEnd: (_, _) => afterFirst = broken.ReadOnlyWeights.ToArray()),
            new LearningRateScheduler((epoch, rate) => epoch == 1 ? double.NaN : rate)));
        Assert.Contains("epoch 1", error.Message);
        Assert.Equal(1, broken.History!.Epochs);
        Assert.Equal(afterFirst, broken.ReadOnlyWeights.ToArray());

        var scheduled = Compiled(new SGD { Schedule = new ExponentialDecay(0.1, 10, 0.5) });
        Assert.Throws<InvalidOperationException>(() => Fit(scheduled, 1, new LearningRateScheduler((_, r) => r)));
    }

    [Fact]
    public void ModelCheckpoint_fills_Python_style_fields_and_saves_only_improvements_when_asked()
    {
        var logs = new Logs { ["loss"] = 0.000123456, ["val_loss"] = 0.5 };
        Assert.Equal("m-03-0.50-1.23e-04.unrw", ModelCheckpoint.FormatPath("m-{epoch:02d}-{val_loss:.2f}-{loss:.2e}.unrw", 2, null, logs));
        Assert.Equal("{x} 0.5 3", ModelCheckpoint.FormatPath("{{x}} {val_loss} {epoch}", 2, null, logs));
        Assert.Equal("  7", ModelCheckpoint.FormatPath("{epoch:3d}", 6, null, logs));
        var missing = Assert.Throws<ArgumentException>(() => ModelCheckpoint.FormatPath("{accuracy:.2f}", 0, null, logs));
        Assert.Contains("val_loss", missing.Message);
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint("m-{epoch:x}.unrw"));
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint("m-{epoch.unrw"));

        string folder = Path.Combine(Path.GetTempPath(), "unrolled-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = Compiled();
            var saved = new Dictionary<int, float[]>();
            var checkpoint = new ModelCheckpoint(Path.Combine(folder, "model-{epoch:02d}.unrw"), saveBestOnly: true);
            Fit(model, 5, Script("val_loss", 1.0, 0.8, 0.9, 0.7, 0.75),
                new LambdaCallback(onEpochEnd: (epoch, _) => saved[epoch] = model.ReadOnlyWeights.ToArray()), checkpoint);
            Assert.Equal(["model-01.unrw", "model-02.unrw", "model-04.unrw"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
            var restored = Compiled();
            restored.LoadWeights(Path.Combine(folder, "model-04.unrw"));
            Assert.Equal(saved[3], restored.ReadOnlyWeights.ToArray());

            var everyTwo = new ModelCheckpoint(Path.Combine(folder, "batches", "b-{epoch}-{batch}.unrw"), saveFrequency: 2, saveWeightsOnly: true);
            Fit(Compiled(), 2, everyTwo); // 3 batches per epoch: after batches 2, 4 (epoch 2's first) and 6
            Assert.Equal(["b-1-2.unrw", "b-2-1.unrw", "b-2-3.unrw"], Directory.GetFiles(Path.Combine(folder, "batches")).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void CSVLogger_writes_Keras_columns_and_rows_that_read_back_as_the_History()
    {
        string file = Path.GetTempFileName();
        try
        {
            var history = Fit(Compiled(), 3, new CSVLogger(file));
            string[] lines = File.ReadAllLines(file);
            var header = lines[0].Split(',');
            Assert.Equal("epoch", header[0]);
            Assert.Equal(header.Skip(1).Order(StringComparer.Ordinal), header.Skip(1));
            Assert.Equal(4, lines.Length);
            for (int e = 0; e < 3; e++)
            {
                var row = lines[e + 1].Split(',');
                Assert.Equal(e.ToString(CultureInfo.InvariantCulture), row[0]);
                for (int c = 1; c < header.Length; c++)
                {
                    Assert.Equal(history[header[c]][e], double.Parse(row[c], CultureInfo.InvariantCulture));
                }
            }

            Fit(Compiled(), 2, new CSVLogger(file, append: true));
            Assert.Equal(6, File.ReadAllLines(file).Length); // one header
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TerminateOnNaN_ends_a_diverging_Fit_with_its_History_and_the_last_finite_weights()
    {
        static TwoInputModel Diverging()
        {
            // A NaN target makes the first batch's loss NaN, before any update.
            var model = new TwoInputModel(Activation.Linear, Activation.Linear);
            model.Compile(new SGD(0.01f), "mse");
            return model;
        }

        var huge = new[] { Train.Class, Train.Flag.Select((v, i) => i == 2 ? float.NaN : v).ToArray() };

        Assert.Throws<TrainingDivergedException>(() => Diverging().Fit(Train.X, huge, epochs: 3, batchSize: 8, shuffle: false, verbose: 0));

        var model = Diverging();
        var output = new StringWriter();
        float[] initial = model.ReadOnlyWeights.ToArray();
        var history = model.Fit(Train.X, huge, epochs: 3, batchSize: 8, shuffle: false, verbose: 0, output: output, callbacks: [new TerminateOnNaN()]);
        Assert.Equal(0, history.Epochs);
        Assert.Equal(initial, model.ReadOnlyWeights.ToArray());
        Assert.Contains("Invalid loss, terminating training", output.ToString());

        Assert.Throws<TrainingDivergedException>(() => Diverging().Fit(Train.X, huge, epochs: 3, verbose: 0, callbacks: [new TerminateOnNaN(raiseError: true)]));

        // A finite gradient times a huge learning rate overflows the weights themselves: the error says they are lost.
        var overflowing = new TwoInputModel(Activation.Linear, Activation.Linear);
        overflowing.Compile(new SGD(1e30f), "mse");
        var lost = Assert.Throws<TrainingDivergedException>(() => overflowing.Fit(Train.X, Train.Y, epochs: 3, batchSize: 8, shuffle: false, verbose: 0));
        Assert.Contains("overflowed the weights", lost.Message);
    }

    [Fact]
    public void BackupAndRestore_resumes_a_killed_run_and_ends_with_the_uninterrupted_weights()
    {
        string folder = Path.Combine(Path.GetTempPath(), "unrolled-backup-" + Guid.NewGuid().ToString("N"));
        History Run(TwoInputModel model, params Callback[] callbacks)
            => model.Fit(Train.X, Train.Y, epochs: 5, batchSize: 8, shuffle: true, seed: 3, verbose: 0, callbacks: callbacks);

        var reference = Compiled(new Adam(0.05f));
        Run(reference);

        // The first run dies at the start of its fourth epoch, after the backup of its third.
        var killed = Compiled(new Adam(0.05f));
        var crash = Assert.Throws<IOException>(() => Run(killed, new BackupAndRestore(folder),
            new LambdaCallback(onEpochBegin: (epoch, _) => { if (epoch == 3) throw new IOException("power cut"); })));
        Assert.Equal("power cut", crash.Message);
        Assert.Equal(3, killed.History!.Epochs);
        Assert.True(File.Exists(Path.Combine(folder, "latest.unrw")));

        // A new process: a fresh model, the same Fit; it resumes after epoch 3.
        var resumed = Compiled(new Adam(0.05f));
        var backup = new BackupAndRestore(folder);
        var history = Run(resumed, backup);
        Assert.Equal(3, backup.ResumedAfterEpoch);
        Assert.Equal(2, history.Epochs);
        Assert.Equal(reference.ReadOnlyWeights.ToArray(), resumed.ReadOnlyWeights.ToArray());
        Assert.False(Directory.Exists(folder)); // deleted after a normal end
    }

    [Fact]
    public void Cancelling_returns_the_finished_epochs_and_the_last_finished_step_weights()
    {
        using var cancel = new CancellationTokenSource();
        var model = Compiled();
        float[]? lastStep = null;
        var history = model.Fit(Train.X, Train.Y, epochs: 4, batchSize: 8, shuffle: false, verbose: 0, cancellationToken: cancel.Token,
            callbacks: [new LambdaCallback(onTrainBatchEnd: (batch, _) =>
            {
                lastStep = model.ReadOnlyWeights.ToArray();
                if (model.History!.Epochs == 1 && batch == 1)
                {
                    cancel.Cancel();
                }
            })]);
        Assert.True(history.Cancelled);
        Assert.Equal(1, history.Epochs);
        Assert.Equal(lastStep, model.ReadOnlyWeights.ToArray());

        Assert.Throws<OperationCanceledException>(() => model.Evaluate(Held.X, Held.Y, verbose: 0, cancellationToken: cancel.Token));
        Assert.Throws<OperationCanceledException>(() => model.Predict(Held.X, cancellationToken: cancel.Token));
        Assert.Equal(0, model.Fit(Train.X, Train.Y, epochs: 2, verbose: 0, cancellationToken: cancel.Token).Epochs);
    }

    [Fact]
    public void A_callback_may_use_the_model_but_not_train_it_and_its_exception_surfaces_unchanged()
    {
        var model = Compiled();
        float[][]? predicted = null;
        Fit(model, 1, new LambdaCallback(onEpochEnd: (_, _) => predicted = model.Predict(Held.X)));
        Assert.NotNull(predicted);

        var refused = Assert.Throws<InvalidOperationException>(() => Fit(model, 1, new LambdaCallback(onEpochEnd: (_, _) => Fit(model, 1))));
        Assert.Contains("callback", refused.Message);
        Assert.Throws<InvalidOperationException>(() => Fit(model, 1, new LambdaCallback(onTrainBatchEnd: (_, _) => model.Compile("sgd", "mse"))));

        var thrown = new FormatException("from the callback");
        Assert.Same(thrown, Assert.Throws<FormatException>(() => Fit(model, 3, new LambdaCallback(onEpochEnd: (e, _) => { if (e == 1) throw thrown; }))));
        Assert.Equal(1, model.History!.Epochs);
        model.Predict(Held.X); // the model is free again
    }

    [Fact]
    public void Steps_per_epoch_continue_a_pass_across_epochs_and_validation_runs_at_its_frequency()
    {
        var recorder = new Recorder();
        var model = Compiled();
        var history = model.Fit(Train.X, Train.Y, epochs: 4, batchSize: 8, verbose: 0, validationData: (Held.X, Held.Y), stepsPerEpoch: 2,
            validationFreq: 2, callbacks: [recorder]);
        // 3 batches per pass: 2, then the pass's last 1, then a new pass: 2, 1.
        var perEpoch = new List<int>();
        foreach (string call in recorder.Calls)
        {
            if (call.StartsWith("epoch_begin", StringComparison.Ordinal))
            {
                perEpoch.Add(0);
            }
            else if (call.StartsWith("batch_end", StringComparison.Ordinal))
            {
                perEpoch[^1]++;
            }
        }

        Assert.Equal([2, 1, 2, 1], perEpoch);
        Assert.Equal(4, history["loss"].Count);
        Assert.Equal(2, history["val_loss"].Count); // epochs 2 and 4

        // The validation batch size changes how validation is batched, not its result.
        var a = Compiled();
        var b = Compiled();
        double small = a.Fit(Train.X, Train.Y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0, validationData: (Held.X, Held.Y), validationBatchSize: 3)["val_loss"][0];
        double whole = b.Fit(Train.X, Train.Y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0, validationData: (Held.X, Held.Y))["val_loss"][0];
        Assert.Equal(whole, small, 5);

        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Train.X, Train.Y, verbose: 0, stepsPerEpoch: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Train.X, Train.Y, verbose: 0, validationFreq: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Train.X, Train.Y, verbose: 0, validationBatchSize: 0));
    }

    private sealed class Reports : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Items { get; } = new();

        public void Report(TrainingProgress value) => Items.Add(value);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public void Progress_and_a_logger_receive_the_epochs_logs()
    {
        var reports = new Reports();
        var logger = new ListLogger();
        var history = Fit(Compiled(), 2, new ProgressCallback(reports, everyBatches: 2), new LoggerCallback(logger));
        Assert.Equal([(1, 2, false), (1, -1, true), (2, 2, false), (2, -1, true)], reports.Items.Select(r => (r.Epoch, r.Step, r.EpochEnded)));
        Assert.Equal(history["val_loss"][1], reports.Items[^1].Logs["val_loss"]);
        Assert.Equal(4, logger.Entries.Count); // begin, two epochs, end (the steps log at Trace)
        Assert.StartsWith("Training two_input for 2 epochs", logger.Entries[0].Text);
        Assert.StartsWith("Epoch 2/2: loss: ", logger.Entries[2].Text);
    }
}
