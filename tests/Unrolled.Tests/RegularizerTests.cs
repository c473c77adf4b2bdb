using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Keras's weight regularizers: the loss Keras reports and trains is the data loss plus l1·Σ|w| + l2·Σw² of every
/// regularized weight, computed here independently in double from Predict and the weights; the gradient against
/// central differences of that total.
/// </summary>
public class RegularizerTests
{
    private const int Batch = 4;

    private static (float[][] X, float[][] Y) Data()
    {
        var x = GradientTests.Random(Batch * 5, 1);
        var ids = Enumerable.Range(0, Batch * 4).Select(i => (float)((i * 7) % 10)).ToArray();
        return ([x, ids], [GradientTests.Random(Batch * 3, 2), GradientTests.Random(Batch * 3, 3)]);
    }

    private static double Reference(CompiledModel model, float[][] x, float[][] y)
    {
        var p = model.Predict(x, Batch);
        double loss = GradientTests.MeanSquaredError(p[0], y[0]) + GradientTests.MeanSquaredError(p[1], y[1]);
        double Penalty(string layer, string weight, double l1, double l2)
        {
            var w = model.GetReadOnlyWeights(layer, weight).ToArray();
            return (l1 * w.Sum(v => Math.Abs((double)v))) + (l2 * w.Sum(v => (double)v * v));
        }

        return loss + Penalty("hidden", "kernel", 0, 0.01) + Penalty("hidden", "bias", 0.02, 0) + Penalty("out", "kernel", 0.005, 0.03)
            + Penalty("rnn", "kernel", 0, 0.02) + Penalty("rnn", "recurrent_kernel", 0.01, 0) + Penalty("embedding", "embeddings", 0, 0.05);
    }

    [Fact]
    public void The_loss_includes_Keras_regularization_and_its_gradient_matches_finite_differences()
    {
        var (x, y) = Data();
        var model = new RegularizedLayers(seed: 5);
        model.Weights.CopyTo(new RegularizedLayers(seed: 5).Weights); // expose once so the probes below may write
        model.Compile(new SGD(1f), "mse");
        double expected = Reference(model, x, y);
        Assert.True(Math.Abs(expected - model.Evaluate(x, y, batchSize: Batch)["loss"]) < 1e-5);
        Assert.True(expected - (GradientTests.MeanSquaredError(model.Predict(x, Batch)[0], y[0]) + GradientTests.MeanSquaredError(model.Predict(x, Batch)[1], y[1])) > 0.01);

        var analytic = GradientTests.AnalyticGradient(model, () => model.TrainOnBatch(x[0], x[1], y[0], y[1], Batch));
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, () => Reference(model, x, y), i => model.Description.Weights.Last(w => w.Offset <= i).ToString());

        var hidden = model.Description.Weights.Single(w => w.Layer == "hidden" && w.Name == "kernel");
        Assert.Equal((0.0, 0.01), (hidden.L1, hidden.L2));
    }
}
