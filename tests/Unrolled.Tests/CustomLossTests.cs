using System;
using System.Linq;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>A regressor with custom losses written as methods over tensor operations, compiled at build time.</summary>
public partial class CustomLossRegressor
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5], name: "x");
        var hidden = Dense(8, Activation.Tanh, name: "hidden")(x);
        return new Model(x, Dense(3, name: "out")(hidden));
    }

    /// <summary>Keras's mean squared error, by hand.</summary>
    [LossFunction]
    static Tensor HandMse(Tensor yTrue, Tensor yPred) => Ops.Mean(Ops.Square(yPred - yTrue), axis: -1);

    /// <summary>A pinball (quantile) loss at 0.8: under-prediction costs four times over-prediction.</summary>
    [LossFunction]
    static Tensor Pinball(Tensor yTrue, Tensor yPred)
    {
        var error = yTrue - yPred;
        return Ops.Mean(Ops.Relu(error) * 0.8f + Ops.Relu(-error) * 0.2f, axis: -1);
    }

    /// <summary>Unreduced: log(cosh(e)) = log((exp(e) + exp(-e)) / 2) per element, averaged by the reduction.</summary>
    [LossFunction]
    static Tensor ElementLogCosh(Tensor yTrue, Tensor yPred)
    {
        var e = yPred - yTrue;
        return Ops.Log((Ops.Exp(e) + Ops.Exp(-e)) * 0.5f);
    }

    /// <summary>A weighted sum of squares with a ratio: exercises division and Sum.</summary>
    [LossFunction]
    static Tensor RelativeSquares(Tensor yTrue, Tensor yPred)
        => Ops.Sum(Ops.Square(yPred - yTrue) / (Ops.Square(yTrue) + 1), axis: -1);
}

/// <summary>A fixed-length masked tagger, for custom losses weighed per step.</summary>
public partial class CustomLossTagger
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([6], dtype: DType.Int32, name: "ids");
        var x = Embedding(12, 4, maskZero: true)(ids);
        return new Model(ids, Dense(2, name: "tags")(LSTM(3, returnSequences: true)(x)));
    }

    [LossFunction]
    static Tensor StepMse(Tensor yTrue, Tensor yPred) => Ops.Mean(Ops.Square(yPred - yTrue), axis: -1);

    /// <summary>One value per sequence: cannot be weighed by the per-step mask.</summary>
    [LossFunction]
    static Tensor SequenceSquares(Tensor yTrue, Tensor yPred) => Ops.Sum(Ops.Sum(Ops.Square(yPred - yTrue), axis: -1), axis: -1);
}

/// <summary>
/// Custom losses (<c>[LossFunction]</c>): each against the same loss computed independently in double from Predict,
/// its gradient against central differences of that reference, a hand-written MSE against the built-in one, sample
/// weights and masks as Keras weighs them, and no allocation per step.
/// </summary>
public class CustomLossTests
{
    private const int Batch = 6;

    private static (float[] X, float[] Y) Data() => (GradientTests.Random(Batch * 5, 3, 1.5f), GradientTests.Random(Batch * 3, 4, 1.2f));

    private static double Reference(string loss, float[] p, float[] y, float[]? weights = null)
    {
        double total = 0;
        for (int i = 0; i < Batch; i++)
        {
            double sample = 0;
            for (int k = 0; k < 3; k++)
            {
                double e = p[i * 3 + k] - (double)y[i * 3 + k];
                double yt = y[i * 3 + k];
                sample += loss switch
                {
                    "pinball" => ((Math.Max(-e, 0) * 0.8) + (Math.Max(e, 0) * 0.2)) / 3,
                    "element_log_cosh" => Math.Log(Math.Cosh(e)) / 3,
                    "relative_squares" => e * e / (yt * yt + 1),
                    _ => e * e / 3,
                };
            }

            total += (weights?[i] ?? 1) * sample;
        }

        return total / Batch;
    }

    [Fact]
    public void Generated_losses_carry_Keras_names_and_their_shapes()
    {
        Assert.Equal("pinball", CustomLossRegressor.Losses.Pinball.Name);
        Assert.Equal("element_log_cosh", CustomLossRegressor.Losses.ElementLogCosh.ToString());
        Assert.Equal([3], Assert.Single(CustomLossRegressor.Losses.HandMse.CompiledShapes));
    }

    [Fact]
    public void A_hand_written_mse_trains_exactly_as_the_built_in_one()
    {
        var (x, y) = Data();
        var builtIn = new CustomLossRegressor(seed: 2);
        var custom = new CustomLossRegressor(seed: 2);
        builtIn.Compile(new Adam(0.01f), "mse");
        custom.Compile(new Adam(0.01f), CustomLossRegressor.Losses.HandMse);
        for (int step = 0; step < 5; step++)
        {
            float a = builtIn.TrainOnBatch(x, y, Batch);
            float b = custom.TrainOnBatch(x, y, Batch);
            Assert.True(Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(a)), $"step {step}: mse {a}, custom {b}");
        }

        var difference = builtIn.Weights.ToArray().Zip(custom.Weights.ToArray(), (p, q) => Math.Abs(p - q)).Max();
        Assert.True(difference < 1e-5, $"weights differ by {difference}");
    }

    [Theory]
    [InlineData("pinball")]
    [InlineData("element_log_cosh")]
    [InlineData("relative_squares")]
    public void Loss_matches_a_reference_in_double_and_its_gradient_finite_differences(string name)
    {
        var (x, y) = Data();
        var model = new CustomLossRegressor(seed: 9);
        Loss loss = name switch
        {
            "pinball" => CustomLossRegressor.Losses.Pinball,
            "element_log_cosh" => CustomLossRegressor.Losses.ElementLogCosh,
            _ => CustomLossRegressor.Losses.RelativeSquares,
        };
        model.Compile(new SGD(1f), loss);
        double expected = Reference(name, model.Predict([x], Batch)[0], y);
        Assert.True(expected > 0.01, "the test is not vacuous");
        double evaluated = model.Evaluate([x], [y], batchSize: Batch)["loss"];
        Assert.True(Math.Abs(expected - evaluated) < 1e-5 * Math.Max(1, expected), $"reference {expected}, Evaluate {evaluated}");

        var analytic = GradientTests.AnalyticGradient(model, () => model.TrainOnBatch(x, y, Batch));
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, () => Reference(name, model.Predict([x], Batch)[0], y),
            i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }

    [Fact]
    public void Sample_weights_weigh_each_sample_as_Keras_does()
    {
        var (x, y) = Data();
        float[] weights = [1, 0, 2, 0.5f, 3, 1];
        var model = new CustomLossRegressor(seed: 4);
        model.Compile(new SGD(0.1f), CustomLossRegressor.Losses.Pinball);
        double expected = Reference("pinball", model.Predict([x], Batch)[0], y, weights);
        double evaluated = model.Evaluate([x], [y], batchSize: Batch, sampleWeight: weights)["loss"];
        Assert.True(Math.Abs(expected - evaluated) < 1e-6, $"reference {expected}, Evaluate {evaluated}");
    }

    private static (float[] Ids, float[] Y) TaggerData()
    {
        // Padding (id 0) at the end of some sequences: their steps are masked.
        float[] ids = [3, 5, 1, 0, 0, 0, 2, 2, 7, 9, 4, 0, 11, 1, 1, 1, 1, 1, 6, 0, 0, 0, 0, 0];
        return (ids, GradientTests.Random(ids.Length * 2, 8));
    }

    [Fact]
    public void A_per_step_loss_is_masked_as_the_built_in_one()
    {
        var (ids, y) = TaggerData();
        var builtIn = new CustomLossTagger(seed: 3);
        var custom = new CustomLossTagger(seed: 3);
        builtIn.Compile(new SGD(0.5f), "mse");
        custom.Compile(new SGD(0.5f), CustomLossTagger.Losses.StepMse);
        double a = builtIn.Evaluate([ids], [y], batchSize: 4)["loss"];
        double b = custom.Evaluate([ids], [y], batchSize: 4)["loss"];
        Assert.True(Math.Abs(a - b) < 1e-6, $"mse {a}, custom {b}");
        for (int step = 0; step < 3; step++)
        {
            Assert.Equal(builtIn.TrainOnBatch(ids, y, 4), custom.TrainOnBatch(ids, y, 4), 5);
        }

        var difference = builtIn.Weights.ToArray().Zip(custom.Weights.ToArray(), (p, q) => Math.Abs(p - q)).Max();
        Assert.True(difference < 1e-5, $"weights differ by {difference}");
    }

    [Fact]
    public void A_loss_that_cannot_be_weighed_per_step_says_how_to_fix_it()
    {
        var (ids, y) = TaggerData();
        var model = new CustomLossTagger(seed: 3);
        model.Compile(new SGD(0.5f), CustomLossTagger.Losses.SequenceSquares);
        float[] before = model.Weights.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(ids, y, 4));
        Assert.Contains("sequence_squares", error.Message);
        Assert.Contains("axis: -1", error.Message);
        Assert.Equal(before, model.Weights.ToArray());
    }

    [Fact]
    public void A_loss_compiled_for_other_shapes_is_refused_at_Compile_naming_them()
    {
        var model = new CustomLossTagger(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => model.Compile("adam", CustomLossRegressor.Losses.HandMse));
        Assert.Contains("'hand_mse'", error.Message);
        Assert.Contains("(None, 3)", error.Message);
        Assert.Contains("(None, 6, 2)", error.Message);
        Assert.Null(model.Optimizer); // nothing compiled
    }

    [Fact]
    public void One_custom_loss_serves_several_models_each_with_its_own_workspace()
    {
        var (x, y) = Data();
        var first = new CustomLossRegressor(seed: 1);
        var second = new CustomLossRegressor(seed: 1);
        first.Compile(new SGD(0.1f), CustomLossRegressor.Losses.Pinball);
        second.Compile(new SGD(0.1f), CustomLossRegressor.Losses.Pinball);
        float a = first.TrainOnBatch(x, y, Batch);
        second.TrainOnBatch(x.AsSpan(0, 2 * 5).ToArray(), y.AsSpan(0, 2 * 3).ToArray(), 2); // a different batch size
        float b = first.Evaluate([x], [y], batchSize: Batch)["loss"] is var l ? (float)l : 0;
        Assert.True(b < a);
    }

    [Fact]
    public void A_training_step_with_a_custom_loss_allocates_nothing()
    {
        var (x, y) = Data();
        var model = new CustomLossRegressor(seed: 5);
        model.Compile(new SGD(0.01f), CustomLossRegressor.Losses.ElementLogCosh);
        Assert.Equal(0, AllocationTests.AllocatedBy(() => model.TrainOnBatch(x, y, Batch)));
    }
}

/// <summary>Keras's <c>exclude_from_weight_decay(var_names=...)</c>: matching weights take the step without decay.</summary>
public class WeightDecayExclusionTests
{
    [Fact]
    public void Excluded_weights_step_as_without_decay_and_the_rest_as_with_it()
    {
        var x = GradientTests.Random(6 * 5, 3);
        var y = GradientTests.Random(6 * 3, 4);
        CustomLossRegressor Step(AdamW optimizer)
        {
            var model = new CustomLossRegressor(seed: 7);
            model.GetWeights("hidden", "bias").Fill(0.5f); // Keras starts biases at 0, which decay would leave alone
            model.GetWeights("out", "bias").Fill(-0.25f);
            model.Compile(optimizer, "mse");
            model.TrainOnBatch(x, y, 6);
            return model;
        }

        var excluding = new AdamW(0.05f, weightDecay: 0.5f);
        excluding.ExcludeFromWeightDecay("bias");
        var partly = Step(excluding);
        var decayed = Step(new AdamW(0.05f, weightDecay: 0.5f));
        var plain = Step(new AdamW(0.05f, weightDecay: 0f));
        foreach (var weight in partly.Description.Weights)
        {
            var expected = (weight.Name == "bias" ? plain : decayed).GetReadOnlyWeights(weight.Layer, weight.Name).ToArray();
            Assert.Equal(expected, partly.GetReadOnlyWeights(weight.Layer, weight.Name).ToArray());
        }

        Assert.NotEqual(decayed.GetReadOnlyWeights("out", "kernel").ToArray(), plain.GetReadOnlyWeights("out", "kernel").ToArray());
        Assert.NotEqual(decayed.GetReadOnlyWeights("out", "bias").ToArray(), plain.GetReadOnlyWeights("out", "bias").ToArray());
    }

    [Fact]
    public void Exclusions_are_set_before_Compile_and_must_be_valid_patterns()
    {
        var optimizer = new AdamW();
        Assert.Throws<ArgumentException>(() => optimizer.ExcludeFromWeightDecay());
        Assert.Throws<ArgumentException>(() => optimizer.ExcludeFromWeightDecay("(bias"));
        new CustomLossRegressor(seed: 1).Compile(optimizer, "mse");
        var error = Assert.Throws<InvalidOperationException>(() => optimizer.ExcludeFromWeightDecay("bias"));
        Assert.Contains("before Compile", error.Message);
    }
}
