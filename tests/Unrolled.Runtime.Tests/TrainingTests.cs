using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class TrainingTests
{
    [Fact]
    public void FitLearnsTheSyntheticTask()
    {
        var data = SyntheticData.Create(600, seed: 1);
        var model = new TwoInputModel();
        model.Compile(new Adam(0.05f), new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);
        History history = model.Fit(data.X, data.Y, epochs: 15, batchSize: 32, seed: 3, verbose: 0);

        Assert.Equal(15, history.Epochs);
        Assert.True(history["loss"][^1] < 0.35 * history["loss"][0], $"loss {history["loss"][0]} → {history["loss"][^1]}");
        Assert.True(history["class_accuracy"][^1] > 0.9, $"class accuracy {history["class_accuracy"][^1]}");
        Assert.True(history["flag_accuracy"][^1] > 0.9, $"flag accuracy {history["flag_accuracy"][^1]}");
        // Keras's total is the weighted sum of the (unweighted) per-output losses.
        Assert.Equal(history["class_loss"][^1] + history["flag_loss"][^1], history["loss"][^1], 5);
    }

    [Fact]
    public void HistoryKeysFollowKerasForSeveralOutputs()
    {
        var data = SyntheticData.Create(100, seed: 2);
        var model = new TwoInputModel();
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, lossWeights: [1f, 0.5f], metrics: ["accuracy"]);
        History history = model.Fit(data.X, data.Y, epochs: 2, batchSize: 16, validationSplit: 0.2, seed: 1, verbose: 0);
        Assert.Equal(
            new[] { "loss", "class_loss", "flag_loss", "class_accuracy", "flag_accuracy",
                    "val_loss", "val_class_loss", "val_flag_loss", "val_class_accuracy", "val_flag_accuracy" },
            history.Values.Keys.ToArray());
        Assert.All(history.Values.Values, v => Assert.Equal(2, v.Count));
        // Per-output losses are unweighted; the total applies the weights.
        Assert.Equal(history["val_class_loss"][1] + (0.5 * history["val_flag_loss"][1]), history["val_loss"][1], 5);
        Assert.Contains("val_acc", Assert.Throws<KeyNotFoundException>(() => history["val_acc"]).Message);
    }

    [Fact]
    public void HistoryKeysFollowKerasForOneOutput()
    {
        var (x, y) = LineData(40);
        var model = new LineModel(Activation.Sigmoid);
        model.Compile("sgd", "binary_crossentropy", metrics: ["acc"]);
        History history = model.Fit(x, y, epochs: 1, batchSize: 8, validationSplit: 0.25, verbose: 0);
        Assert.Equal(new[] { "loss", "acc", "val_loss", "val_acc" }, history.Values.Keys.ToArray());
    }

    [Fact]
    public void ValidationSplitHoldsOutTheLastSamples()
    {
        var data = SyntheticData.Create(100, seed: 4);
        // Poison the last 20 samples: if training touched them the loss would be NaN and Fit would throw.
        var a = (float[])data.A.Clone();
        a.AsSpan(80 * TwoInputModel.ASize).Fill(float.NaN);
        var model = new TwoInputModel();
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        History poisoned = model.Fit([a, data.B], data.Y, epochs: 2, batchSize: 7, validationSplit: 0.2, seed: 9, verbose: 0);
        Assert.True(double.IsNaN(poisoned["val_loss"][1]));
        Assert.False(double.IsNaN(poisoned["loss"][1]));

        // On clean data, val_loss equals Evaluate on exactly the last 20 samples with the final weights.
        var clean = new TwoInputModel();
        clean.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);
        History history = clean.Fit(data.X, data.Y, epochs: 1, batchSize: 7, validationSplit: 0.2, seed: 9, verbose: 0);
        var last = clean.Evaluate([data.A[(80 * 3)..], data.B[(80 * 2)..]], [data.Class[(80 * 3)..], data.Flag[80..]]);
        var first = clean.Evaluate([data.A[..(80 * 3)], data.B[..(80 * 2)]], [data.Class[..(80 * 3)], data.Flag[..80]]);
        Assert.Equal(last["loss"], history["val_loss"][0], 6);
        Assert.Equal(last["class_accuracy"], history["val_class_accuracy"][0], 6);
        Assert.NotEqual(first["loss"], history["val_loss"][0], 6);
    }

    [Fact]
    public void TrainStepGradientMatchesFiniteDifferencesOfEvaluate()
    {
        // One SGD step with lr 1 moves the weights by exactly −∇L, so the whole step (losses, fusion, loss weights,
        // hand-written backward) can be checked against finite differences of the loss Evaluate reports.
        var data = SyntheticData.Create(6, seed: 5);
        foreach (var (classLoss, flagLoss, classAct, flagAct) in new (Loss, Loss, Activation, Activation)[]
        {
            (new CategoricalCrossentropy(), new BinaryCrossentropy(), Activation.Softmax, Activation.Sigmoid),
            (new CategoricalCrossentropy(fromLogits: true), new BinaryCrossentropy(fromLogits: true), Activation.Linear, Activation.Linear),
            (new MeanSquaredError(), new MeanSquaredError(), Activation.Softmax, Activation.Sigmoid),
        })
        {
            var model = new TwoInputModel(classAct, flagAct, seed: 7);
            model.Compile(new SGD(1f), [classLoss, flagLoss], lossWeights: [1f, 0.4f]);
            float[] before = model.Weights.ToArray();
            model.TrainOnBatch(data.A, data.B, data.Class, data.Flag, data.Count);
            float[] gradient = before.Zip(model.Weights.ToArray(), (b, a) => b - a).ToArray();
            model.Weights.Clear();
            before.CopyTo(model.Weights);

            const float h = 1e-2f;
            for (int i = 0; i < before.Length; i++)
            {
                model.Weights[i] = before[i] + h;
                double plus = model.Evaluate(data.X, data.Y, batchSize: 4)["loss"];
                model.Weights[i] = before[i] - h;
                double minus = model.Evaluate(data.X, data.Y, batchSize: 4)["loss"];
                model.Weights[i] = before[i];
                double expected = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(expected - gradient[i]) <= 2e-3 + (1e-2 * Math.Abs(expected)),
                    $"{classLoss.Name}/{classAct} weight {i}: finite difference {expected}, step {gradient[i]}");
            }
        }
    }

    [Fact]
    public void FitByNameEqualsFitByPositionAndPredictAgrees()
    {
        var data = SyntheticData.Create(50, seed: 6);
        var byPosition = new TwoInputModel();
        var byName = new TwoInputModel();
        byPosition.Compile("rmsprop", new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        byName.Compile("rmsprop", new Dictionary<string, Loss> { ["flag"] = "binary_crossentropy", ["class"] = "categorical_crossentropy" });
        byPosition.Fit(data.X, data.Y, epochs: 2, batchSize: 8, seed: 2, verbose: 0);
        byName.Fit(new Dictionary<string, float[]> { ["b"] = data.B, ["a"] = data.A },
            new Dictionary<string, float[]> { ["flag"] = data.Flag, ["class"] = data.Class }, epochs: 2, batchSize: 8, seed: 2, verbose: 0);
        Assert.Equal(byPosition.Weights.ToArray(), byName.Weights.ToArray());

        float[][] positional = byPosition.Predict(data.X, batchSize: 7);
        var named = byName.Predict(new Dictionary<string, float[]> { ["a"] = data.A, ["b"] = data.B }, batchSize: 50);
        Assert.Equal(positional[0], named["class"]);
        Assert.Equal(positional[1], named["flag"]);
        Assert.Equal(50 * 3, positional[0].Length);
    }

    [Fact]
    public void EvaluateChangesNoWeightAndReportsKerasKeys()
    {
        var data = SyntheticData.Create(30, seed: 8);
        var model = new TwoInputModel();
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);
        float[] before = model.Weights.ToArray();
        var result = model.Evaluate(data.X, data.Y, batchSize: 8);
        Assert.Equal(before, model.Weights.ToArray());
        Assert.Equal(new[] { "loss", "class_loss", "flag_loss", "class_accuracy", "flag_accuracy" }, result.Keys.ToArray());
    }

    [Fact]
    public void AccuracyResolvesPerOutputAsKeras()
    {
        // Class output: categorical (argmax); flag output with logits: thresholded at 0 on the logit.
        var model = new TwoInputModel(Activation.Softmax, Activation.Linear);
        model.Weights.Clear();
        model.Weights[15] = 1f;   // class bias favours class 0
        model.Weights[23] = -0.5f; // flag logit −0.5 → predicted 0
        model.Compile("sgd", new Loss[] { "categorical_crossentropy", new BinaryCrossentropy(fromLogits: true) }, metrics: ["accuracy"]);
        float[] a = new float[4 * 3], b = new float[4 * 2];
        var result = model.Evaluate([a, b], [[1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1], [0, 0, 1, 0]]);
        Assert.Equal(0.5, result["class_accuracy"], 10);
        Assert.Equal(0.75, result["flag_accuracy"], 10);

        model.Weights[23] = 0.2f; // logit 0.2 > 0 → predicted 1 (σ = 0.55); a 0.5 threshold on the logit would say 0
        Assert.Equal(0.25, model.Evaluate([a, b], [[1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1], [0, 0, 1, 0]])["flag_accuracy"], 10);

        var sparse = new TwoInputModel();
        sparse.Weights.Clear();
        sparse.Weights[16] = 1f; // favours class 1
        sparse.Compile("sgd", new Loss[] { "sparse_categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);
        Assert.Equal(0.25, sparse.Evaluate([a, b], [[1, 0, 2, 0], [0, 0, 1, 0]])["class_accuracy"], 10);
    }

    [Fact]
    public void VerbosePrintsKerasLines()
    {
        var data = SyntheticData.Create(64, seed: 3);
        var model = new TwoInputModel();
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);
        var output = new StringWriter();
        model.Fit(data.X, data.Y, epochs: 2, batchSize: 16, validationSplit: 0.25, verbose: 1, output: output);
        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("Epoch 1/2", lines[0]);
        Assert.Equal("Epoch 2/2", lines[2]);
        Assert.Matches(new Regex(@"^3/3 \[==============================\] - \d+s \d+(s|ms|us)/step - loss: \d+\.\d{4} - class_loss: \d+\.\d{4} - flag_loss: \d+\.\d{4} - class_accuracy: \d\.\d{4} - flag_accuracy: \d\.\d{4} - val_loss: \d+\.\d{4} - val_class_loss: .* - val_flag_accuracy: \d\.\d{4}$"), lines[1]);
        Assert.DoesNotContain('\r', output.ToString());

        var quiet = new StringWriter();
        model.Fit(data.X, data.Y, epochs: 1, batchSize: 16, verbose: 2, output: quiet);
        Assert.Matches(new Regex(@"^Epoch 1/1\r?\n4/4 - \d+s - \d+(s|ms|us)/step - loss: "), quiet.ToString());
    }

    [Fact]
    public void SingleInputOverloadsTrainARegression()
    {
        var (x, y) = LineData(200);
        var model = new LineModel();
        model.Compile(new SGD(0.1f, momentum: 0.9f), "mse");
        History history = model.Fit(x, y, epochs: 30, batchSize: 20, seed: 1, verbose: 0);
        Assert.True(history["loss"][^1] < 1e-3, $"final mse {history["loss"][^1]}");
        Assert.Equal(2f, model.Weights[0], 1);
        Assert.Equal(-3f, model.Weights[1], 1);
        Assert.Equal(0.5f, model.Weights[2], 1);
        Assert.True(model.Evaluate(x, y)["loss"] < 1e-3);
    }

    [Fact]
    public void ShuffleIsSeededAndIncludesThePartialBatch()
    {
        var data = SyntheticData.Create(45, seed: 10);
        float[] Train(int seed)
        {
            var model = new TwoInputModel();
            model.Compile(new SGD(0.1f), new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
            model.Fit(data.X, data.Y, epochs: 2, batchSize: 10, seed: seed, verbose: 0);
            return model.Weights.ToArray();
        }

        Assert.Equal(Train(1), Train(1));
        Assert.NotEqual(Train(1), Train(2));

        var counted = new TwoInputModel();
        counted.Compile("sgd", new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        counted.Fit(data.X, data.Y, epochs: 2, batchSize: 10, verbose: 0);
        Assert.Equal(10, counted.ForwardCalls); // 45 samples → 4 full batches + 1 partial, twice
        Assert.Equal(10, counted.Optimizer!.Iterations);
    }

    internal static (float[] X, float[] Y) LineData(int count)
    {
        var random = new Random(count);
        var x = new float[count * 2];
        var y = new float[count];
        for (int s = 0; s < count; s++)
        {
            x[2 * s] = (float)((random.NextDouble() * 2) - 1);
            x[(2 * s) + 1] = (float)((random.NextDouble() * 2) - 1);
            y[s] = (2 * x[2 * s]) - (3 * x[(2 * s) + 1]) + 0.5f;
        }

        return (x, y);
    }
}
