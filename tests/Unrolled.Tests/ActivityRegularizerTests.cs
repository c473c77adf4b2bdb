using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>Activity regularizers on a hidden layer and on a softmax output; the hidden layer is an output too, so the
/// test can read it.</summary>
public partial class ActivityRegularizedDense
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5], name: "x");
        var hidden = Dense(6, Activation.Tanh, name: "hidden", activityRegularizer: Regularizers.L1L2(0.01, 0.02))(x);
        var probs = Dense(3, Activation.Softmax, name: "probs", activityRegularizer: Regularizers.L2(0.05))(hidden);
        return new Model(x, [probs, hidden]);
    }
}

/// <summary>An activity regularizer on a recurrent layer's sequence.</summary>
public partial class ActivityRegularizedLstm
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 3], name: "x");
        var steps = LSTM(5, returnSequences: true, name: "lstm", activityRegularizer: Regularizers.L1(0.03))(x);
        return new Model(x, [Dense(2, name: "out")(steps), steps]);
    }
}

/// <summary>
/// Keras 3's activity_regularizer: the loss gains (l1·Σ|y| + l2·Σy²) / batch for each regularized layer's output y,
/// in training and evaluation, computed here in double from Predict's outputs; the gradient against central
/// differences of that total; Predict is unchanged.
/// </summary>
public class ActivityRegularizerTests
{
    private const int Batch = 4;

    private static double Penalty(float[] y, double l1, double l2)
        => (l1 * y.Sum(v => Math.Abs((double)v))) + (l2 * y.Sum(v => (double)v * v));

    private static (float[] X, float[] Y) DenseData()
    {
        var x = GradientTests.Random(Batch * 5, 1, 1.5f);
        var y = new float[Batch * 3];
        for (int b = 0; b < Batch; b++)
        {
            y[(b * 3) + (b % 3)] = 1;
        }

        return (x, y);
    }

    private static double DenseReference(ActivityRegularizedDense model, float[] x, float[] y)
    {
        var p = model.Predict([x], Batch);
        double ce = 0;
        for (int b = 0; b < Batch; b++)
        {
            for (int c = 0; c < 3; c++)
            {
                ce -= y[(b * 3) + c] * Math.Log(Math.Clamp(p[0][(b * 3) + c], 1e-7, 1 - 1e-7));
            }
        }

        return (ce / Batch) + (Penalty(p[1], 0.01, 0.02) / Batch) + (Penalty(p[0], 0, 0.05) / Batch);
    }

    [Fact]
    public void Dense_layers_add_Keras_activity_penalty_to_loss_and_gradient()
    {
        var (x, y) = DenseData();
        var model = new ActivityRegularizedDense(seed: 3);
        model.Compile(new SGD(1f), new Dictionary<string, Loss> { ["probs"] = "categorical_crossentropy" });
        double expected = DenseReference(model, x, y);
        double evaluated = model.Evaluate(new Dictionary<string, float[]> { ["x"] = x }, new Dictionary<string, float[]> { ["probs"] = y }, batchSize: Batch)["loss"];
        Assert.True(Math.Abs(expected - evaluated) < 1e-5, $"reference {expected}, Evaluate {evaluated}");

        var analytic = GradientTests.AnalyticGradient(model, () => model.TrainOnBatch(x, y, null, Batch));
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, () => DenseReference(model, x, y),
            i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }

    [Fact]
    public void A_recurrent_sequence_is_penalised_over_every_step_divided_by_the_batch()
    {
        var x = GradientTests.Random(Batch * 12, 5);
        var y = GradientTests.Random(Batch * 8, 6);
        var model = new ActivityRegularizedLstm(seed: 2);
        model.Compile(new SGD(1f), new Dictionary<string, Loss> { ["out"] = "mse" });
        double Reference()
        {
            var p = model.Predict([x], Batch);
            return GradientTests.MeanSquaredError(p[0], y) + (Penalty(p[1], 0.03, 0) / Batch);
        }

        double evaluated = model.Evaluate(new Dictionary<string, float[]> { ["x"] = x }, new Dictionary<string, float[]> { ["out"] = y }, batchSize: Batch)["loss"];
        Assert.True(Math.Abs(Reference() - evaluated) < 1e-5, $"reference {Reference()}, Evaluate {evaluated}");
        var analytic = GradientTests.AnalyticGradient(model, () => model.TrainOnBatch(x, y, null, Batch));
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Reference, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }

    [Fact]
    public void Predict_is_unchanged_and_allocates_nothing_while_training_measures_the_penalty()
    {
        var (x, y) = DenseData();
        var model = new ActivityRegularizedDense(seed: 3);
        model.Compile(new SGD(0.01f), new Dictionary<string, Loss> { ["probs"] = "categorical_crossentropy" });
        float[] probs = new float[Batch * 3], hidden = new float[Batch * 6];
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.Predict(x, probs, hidden, Batch)));
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.TrainOnBatch(x, y, null, Batch)));
    }
}
