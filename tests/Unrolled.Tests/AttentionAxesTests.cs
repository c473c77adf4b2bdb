using System;
using System.Linq;
using Unrolled;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>MultiHeadAttention over a grid's positions: over both axes (Keras's default) and over the columns of each
/// row (attentionAxes: [2]).</summary>
public partial class AttentionAxesModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 3, 6], name: "x");
        var all = MultiHeadAttention(numHeads: 2, keyDim: 3, name: "all")(x, x);
        var columns = MultiHeadAttention(numHeads: 2, keyDim: 2, outputShape: 5, attentionAxes: [2], name: "columns")(x, Dense(6, name: "value")(x));
        return new Model(x, [all, columns]);
    }
}

/// <summary>The first layer on the grid read as one sequence of its 12 positions.</summary>
public partial class GridAsSequence
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([12, 6], name: "x");
        return new Model(x, MultiHeadAttention(numHeads: 2, keyDim: 3, name: "all")(x, x));
    }
}

/// <summary>The second layer on each row of the grid as a sample of its own.</summary>
public partial class RowsAsSamples
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3, 6], name: "x");
        var value = Input([3, 6], name: "value");
        return new Model([x, value], MultiHeadAttention(numHeads: 2, keyDim: 2, outputShape: 5, name: "columns")(x, value));
    }
}

/// <summary>
/// Keras's attention_axes: attending over several axes is attending over their positions as one sequence (the softmax
/// normalises over all of them), and the axes before the attention axes are batch-like. Checked against the sequence
/// layer on the reshaped inputs with the same weights, and by finite differences.
/// </summary>
public class AttentionAxesTests
{
    private static void Share(CompiledModel from, CompiledModel to, string layer)
    {
        foreach (var weight in to.Description.Weights.Where(w => w.Layer == layer))
        {
            from.GetWeights(layer, weight.Name).CopyTo(to.GetWeights(layer, weight.Name));
        }
    }

    [Fact]
    public void Attention_over_several_axes_is_over_their_positions_and_the_axes_before_them_are_batch_like()
    {
        var model = new AttentionAxesModel(seed: 5);
        foreach (var weight in model.Description.Weights.Where(w => w.Name.EndsWith("bias", StringComparison.Ordinal)))
        {
            GradientTests.Random(weight.Size, 6, 0.5f).CopyTo(model.GetWeights(weight.Layer, weight.Name));
        }

        const int batch = 2;
        float[] x = GradientTests.Random(batch * 4 * 3 * 6, 7);
        var outputs = model.Predict([x], batch);
        Assert.Equal(batch * 4 * 3 * 6, outputs[0].Length);
        Assert.Equal(batch * 4 * 3 * 5, outputs[1].Length);

        var sequence = new GridAsSequence(seed: 1);
        Share(model, sequence, "all");
        var expected = sequence.Predict([x], batch)[0];
        Assert.All(expected.Zip(outputs[0]), p => Assert.Equal(p.First, p.Second, 5));

        // The value projection written out, then each of the 4 rows of every sample as a sample.
        var kernel = model.GetWeights("value", "kernel").ToArray();
        var bias = model.GetWeights("value", "bias").ToArray();
        var value = new float[x.Length];
        for (int r = 0; r < x.Length / 6; r++)
        {
            for (int o = 0; o < 6; o++)
            {
                value[(r * 6) + o] = bias[o] + Enumerable.Range(0, 6).Sum(i => x[(r * 6) + i] * kernel[(i * 6) + o]);
            }
        }

        var rows = new RowsAsSamples(seed: 1);
        Share(model, rows, "columns");
        expected = rows.Predict([x, value], batch * 4)[0];
        Assert.All(expected.Zip(outputs[1]), p => Assert.Equal(p.First, p.Second, 5));
    }

    [Fact]
    public void Gradients_over_several_axes_match_finite_differences()
    {
        var model = new AttentionAxesModel(seed: 8);
        const int batch = 2;
        float[][] inputs = [GradientTests.Random(batch * 4 * 3 * 6, 9)];
        var targets = model.Predict(inputs, batch).Select((o, j) => GradientTests.Random(o.Length, 10 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}

/// <summary>Cross-attention whose value is computed (and is the key): the key projection's gradient must reach it.</summary>
public partial class ComputedValueAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 3], name: "x");
        var memory = Input([5, 3], name: "memory");
        var value = Dense(3, Activation.Tanh, name: "value")(memory);
        return new Model([x, memory], [MultiHeadAttention(numHeads: 2, keyDim: 2, name: "cross")(Dense(3, name: "query")(x), value),
            MultiHeadAttention(numHeads: 1, keyDim: 3, name: "self")(value, value)]);
    }
}

/// <summary>The key is the value when the call gives none: its projection's gradient joins the value's.</summary>
public class ComputedValueAttentionTests
{
    [Fact]
    public void Without_a_key_the_value_gets_the_key_projections_gradient_too()
    {
        var model = new ComputedValueAttention(seed: 3);
        const int batch = 2;
        float[][] inputs = [GradientTests.Random(batch * 4 * 3, 4), GradientTests.Random(batch * 5 * 3, 5)];
        var targets = model.Predict(inputs, batch).Select((o, j) => GradientTests.Random(o.Length, 6 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}
