using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class RobustnessTests
{
    [Fact]
    public void NaNInputThrowsDivergedAndKeepsTheLastFiniteWeights()
    {
        var data = SyntheticData.Create(24, seed: 2);
        var a = (float[])data.A.Clone();
        a[(9 * TwoInputModel.ASize) + 1] = float.NaN; // sample 9: third batch of 4

        var model = new TwoInputModel(seed: 5);
        model.Compile(new SGD(0.3f, momentum: 0.5f), new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        var ex = Assert.Throws<TrainingDivergedException>(() =>
            model.Fit([a, data.B], data.Y, epochs: 3, batchSize: 4, shuffle: false, verbose: 0));
        Assert.Equal(1, ex.Epoch);
        Assert.Equal(3, ex.Step);
        Assert.True(float.IsNaN(ex.Loss));
        Assert.Equal("class", ex.OutputName);
        Assert.Contains("epoch 1, step 3", ex.Message);
        Assert.Contains("'class'", ex.Message);
        Assert.Contains("last finite step", ex.Message);
        Assert.Contains("learning rate", ex.Message);
        Assert.IsAssignableFrom<InvalidOperationException>(ex);

        // The same model trained on the two finite batches only.
        var reference = new TwoInputModel(seed: 5);
        reference.Compile(new SGD(0.3f, momentum: 0.5f), new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        reference.Fit([a[..(8 * 3)], data.B[..(8 * 2)]], [data.Class[..(8 * 3)], data.Flag[..8]], epochs: 1, batchSize: 4, shuffle: false, verbose: 0);
        Assert.Equal(reference.Weights.ToArray(), model.Weights.ToArray());
        Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));

        // The guard was released, so the model is usable again.
        model.Predict(data.X);
    }

    [Fact]
    public void TypedTrainOnBatchReportsDivergenceOutsideFit()
    {
        var data = SyntheticData.Create(4, seed: 3);
        var model = new TwoInputModel();
        model.Compile("sgd", new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        model.TrainOnBatch(data.A, data.B, data.Class, data.Flag, 4);
        float[] before = model.Weights.ToArray();
        var flag = (float[])data.Flag.Clone();
        flag[2] = float.PositiveInfinity;
        var ex = Assert.Throws<TrainingDivergedException>(() => model.TrainOnBatch(data.A, data.B, data.Class, flag, 4));
        Assert.Equal(0, ex.Epoch);
        Assert.Equal(2, ex.Step);
        Assert.Equal("flag", ex.OutputName);
        Assert.Equal(before, model.Weights.ToArray());
    }

    [Fact]
    public async Task PredictFromAnotherThreadWhileFitRunsIsRefused()
    {
        var data = SyntheticData.Create(64, seed: 4);
        var model = new TwoInputModel();
        model.Compile("adam", new Loss[] { "categorical_crossentropy", "binary_crossentropy" });
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        model.OnForward = () =>
        {
            inside.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        Task<History> fit = Task.Run(() => model.Fit(data.X, data.Y, epochs: 2, batchSize: 16, validationSplit: 0.25, verbose: 0));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));

        var ex = Assert.Throws<InvalidOperationException>(() => model.Predict(data.X));
        Assert.Contains("already running", ex.Message);
        Assert.Throws<InvalidOperationException>(() => model.Evaluate(data.X, data.Y));
        Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(data.A, data.B, data.Class, data.Flag, 64));
        Assert.Throws<InvalidOperationException>(() => model.Compile("sgd", "mse"));

        model.OnForward = null;
        release.Set();
        History history = await fit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, history["val_loss"].Count); // validation inside Fit did not trip the guard
        model.Predict(data.X);
    }

    [Fact]
    public void TrainStepAllocatesNothingAfterWarmUp()
    {
        var data = SyntheticData.Create(32, seed: 5);
        foreach (Optimizer optimizer in new Optimizer[] { new Adam(amsgrad: true), new RMSprop(centered: true, momentum: 0.2f), new SGD(0.1f, 0.9f, nesterov: true) })
        {
            var model = new TwoInputModel();
            model.Compile(optimizer, new Loss[] { "categorical_crossentropy", "binary_crossentropy" }, metrics: ["accuracy"]);

            // The least of several rounds: the runtime may allocate once while tiering a method up, which a busy
            // machine (other test classes running alongside) can push into any single measured round.
            Assert.Equal(0, KernelChecks.AllocatedBy(() => model.TrainOnBatch(data.A, data.B, data.Class, data.Flag, 32)));
        }

        var sparse = new TwoInputModel();
        sparse.Compile("adam", new Loss[] { "sparse_categorical_crossentropy", new BinaryCrossentropy(fromLogits: true) }, metrics: ["accuracy"]);
        var labels = new float[32];
        Assert.Equal(0, KernelChecks.AllocatedBy(() => sparse.TrainOnBatch(data.A, data.B, labels, data.Flag, 32)));
    }
}
