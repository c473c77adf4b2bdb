using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Keras's <c>validation_data</c> and <c>initial_epoch</c> on Fit.</summary>
public class FitOptionsTests
{
    private static TwoInputModel Compiled()
    {
        var model = new TwoInputModel();
        model.Compile(new SGD(0.1f), ["categorical_crossentropy", "binary_crossentropy"], metrics: ["accuracy"]);
        return model;
    }

    [Fact]
    public void Validation_data_is_evaluated_after_each_epoch_and_overrides_the_split()
    {
        var train = SyntheticData.Create(24, seed: 2);
        var held = SyntheticData.Create(10, seed: 3);
        var model = Compiled();
        var history = model.Fit(train.X, train.Y, epochs: 3, batchSize: 8, validationSplit: 0.5, shuffle: false, verbose: 0,
            validationData: (held.X, held.Y));
        Assert.Equal(3, history["val_loss"].Count);

        // The last epoch's validation figures are the trained model's on the given samples.
        var evaluated = model.Evaluate(held.X, held.Y, batchSize: 8, verbose: 0);
        Assert.Equal(evaluated["loss"], history["val_loss"][^1], 5);
        Assert.Equal(evaluated.Keys.Select(k => "val_" + k).OrderBy(k => k), history.Values.Keys.Where(k => k.StartsWith("val_", StringComparison.Ordinal)).OrderBy(k => k));

        // The split is overridden: all 24 samples train, as without validation (the same weights after the same steps).
        var a = Compiled();
        var b = Compiled();
        a.Weights.CopyTo(b.Weights);
        a.Fit(train.X, train.Y, epochs: 2, batchSize: 8, shuffle: false, verbose: 0, validationSplit: 0.5, validationData: (held.X, held.Y));
        b.Fit(train.X, train.Y, epochs: 2, batchSize: 8, shuffle: false, verbose: 0);
        Assert.Equal(b.Weights.ToArray(), a.Weights.ToArray());
    }

    [Fact]
    public void Training_resumes_at_the_initial_epoch()
    {
        var data = SyntheticData.Create(16, seed: 4);
        var output = new StringWriter();
        var history = Compiled().Fit(data.X, data.Y, epochs: 5, batchSize: 8, shuffle: false, verbose: 2, output: output, initialEpoch: 3);
        Assert.Equal(2, history["loss"].Count);
        Assert.Contains("Epoch 4/5", output.ToString());
        Assert.Contains("Epoch 5/5", output.ToString());
        Assert.DoesNotContain("Epoch 3/5", output.ToString());
        Assert.Equal(0, Compiled().Fit(data.X, data.Y, epochs: 2, verbose: 0, initialEpoch: 2).Epochs); // nothing left to run
    }

    [Fact]
    public void With_use_ema_Fit_ends_with_the_moving_average_of_the_weights()
    {
        // Keras's fit calls optimizer.finalize_variable_values at its end: the weights become the average.
        var data = SyntheticData.Create(16, seed: 6);
        var model = new TwoInputModel();
        var adam = new Adam(0.05f) { UseEma = true, EmaMomentum = 0.5f };
        model.Compile(adam, ["categorical_crossentropy", "binary_crossentropy"]);
        float[]? lastStep = null;
        model.Fit(data.X, data.Y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0,
            callbacks: [new LambdaCallback(onTrainBatchEnd: (_, _) => lastStep = model.ReadOnlyWeights.ToArray())]);
        var average = adam.StateBuffers.Single(b => b.Name == "average").Values;
        Assert.Equal(average, model.ReadOnlyWeights.ToArray());
        Assert.NotEqual(lastStep, model.ReadOnlyWeights.ToArray());
    }

    [Fact]
    public void Bad_validation_data_and_initial_epochs_are_refused_before_training()
    {
        var data = SyntheticData.Create(16, seed: 5);
        var model = Compiled();
        float[] before = model.Weights.ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(data.X, data.Y, epochs: 2, verbose: 0, initialEpoch: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(data.X, data.Y, epochs: 2, verbose: 0, initialEpoch: -1));
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(data.X, data.Y, verbose: 0, validationData: ([data.A[..^1], data.B], data.Y)));
        Assert.Contains("validationData", ex.Message + ex.ParamName);
        Assert.Equal(before, model.Weights.ToArray());
    }
}
