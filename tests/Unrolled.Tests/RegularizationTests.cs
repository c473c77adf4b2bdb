using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>BatchNormalization and Dropout: training and prediction differ as in Keras.</summary>
public class RegularizationTests
{
    [Fact]
    public void BatchNormalization_counts_its_moving_statistics_as_non_trainable()
    {
        var model = new Regularized(seed: 1);
        string summary = model.Summary();
        Assert.Contains("batch_normalization (BatchNo (None, 8)                 32", summary);
        Assert.Contains("Total params: 97", summary);          // 56 + 32 + 9
        Assert.Contains("Trainable params: 81", summary);
        Assert.Contains("Non-trainable params: 16", summary);
        Assert.False(model.Description.Weights.Single(w => w.Name == "moving_mean").Trainable);
        Assert.True(model.Description.Weights.Single(w => w.Name == "gamma").Trainable);
    }

    [Fact]
    public void Prediction_uses_the_moving_statistics_and_no_dropout()
    {
        const int batch = 4;
        var model = new Regularized(seed: 2);
        float[] x = Random(batch * 6, 1);
        float[] y = model.Predict(x);
        Assert.Equal(y, model.Predict(x)); // deterministic: Dropout is off

        // Fresh moving statistics are mean 0, variance 1: BN is x / sqrt(1 + 0.001).
        var w1 = model.GetWeights("dense").ToArray();
        var b1 = model.GetWeights("dense", "bias").ToArray();
        var w2 = model.GetWeights("dense_1").ToArray();
        float b2 = model.GetWeights("dense_1", "bias")[0];
        for (int s = 0; s < batch; s++)
        {
            double output = b2;
            for (int u = 0; u < 8; u++)
            {
                double h = b1[u] + Enumerable.Range(0, 6).Sum(i => x[s * 6 + i] * w1[i * 8 + u]);
                output += h / Math.Sqrt(1.001) * w2[u];
            }

            Assert.True(Math.Abs(output - y[s]) < 1e-5, $"sample {s}: {y[s]} vs {output}");
        }
    }

    [Fact]
    public void A_training_step_moves_the_statistics_by_the_momentum_and_drops_reproducibly()
    {
        const int batch = 16;
        float[] x = Random(batch * 6, 3), target = Random(batch, 4);
        var model = new Regularized(seed: 5);
        var w1 = model.GetWeights("dense").ToArray();
        var b1 = model.GetWeights("dense", "bias").ToArray();
        model.Compile(new SGD(learningRate: 0.01f), "mse");
        model.TrainOnBatch(x, target, batch);

        for (int u = 0; u < 8; u++)
        {
            var h = Enumerable.Range(0, batch).Select(s => b1[u] + Enumerable.Range(0, 6).Sum(i => (double)x[s * 6 + i] * w1[i * 8 + u])).ToArray();
            double mean = h.Average(), variance = h.Select(v => (v - mean) * (v - mean)).Average();
            Assert.Equal(0.01 * mean, model.GetWeights("batch_normalization", "moving_mean")[u], 5);
            Assert.Equal(0.99 + 0.01 * variance, model.GetWeights("batch_normalization", "moving_variance")[u], 5);
        }

        // The same seed and data give the same dropout masks, so the same weights; another seed does not.
        var again = new Regularized(seed: 5);
        again.Compile(new SGD(learningRate: 0.01f), "mse");
        again.TrainOnBatch(x, target, batch);
        Assert.Equal(model.Weights.ToArray(), again.Weights.ToArray());
        var other = new Regularized(seed: 6);
        other.Compile(new SGD(learningRate: 0.01f), "mse");
        model.Weights.CopyTo(other.Weights);
        var before = model.Weights.ToArray();
        model.TrainOnBatch(x, target, batch);
        other.Weights.Clear();
        before.CopyTo(other.Weights);
        other.TrainOnBatch(x, target, batch);
        Assert.NotEqual(model.GetWeights("dense").ToArray(), other.GetWeights("dense").ToArray());
    }
}
