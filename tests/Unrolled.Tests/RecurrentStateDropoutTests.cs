using System;
using System.Linq;
using Unrolled;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>Recurrent layers with Keras's recurrent_dropout (with and without dropout), over a masked sequence.</summary>
public partial class RecurrentStateDropoutModel
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([6], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 5, maskZero: true, name: "embedding")(ids);
        var a = LSTM(4, returnSequences: true, dropout: 0.2, recurrentDropout: 0.3, name: "lstm")(x);
        var b = Bidirectional(GRU(3, recurrentDropout: 0.25, name: "gru"), name: "bidirectional")(a);
        var c = GRU(3, resetAfter: false, dropout: 0.1, recurrentDropout: 0.4, name: "gru_before")(a);
        return new Model(ids, [b, c, SimpleRNN(2, dropout: 0.3, recurrentDropout: 0.5, name: "simple")(a)]);
    }
}

/// <summary>The same layers without any dropout (same names).</summary>
public partial class RecurrentNoStateDropoutModel
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([6], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 5, maskZero: true, name: "embedding")(ids);
        var a = LSTM(4, returnSequences: true, name: "lstm")(x);
        var b = Bidirectional(GRU(3, name: "gru"), name: "bidirectional")(a);
        var c = GRU(3, resetAfter: false, name: "gru_before")(a);
        return new Model(ids, [b, c, SimpleRNN(2, name: "simple")(a)]);
    }
}

/// <summary>Float inputs, an initial state and go_backwards with recurrent dropout, for the gradient check.</summary>
public partial class StateDropoutGradientModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var h0 = Input([3], name: "h0");
        var c0 = Input([3], name: "c0");
        var h = LSTM(3, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, name: "lstm")(Dense(4, Activation.Tanh)(x), initialState: [h0, c0]);
        var g = GRU(2, returnSequences: true, recurrentDropout: 0.3, goBackwards: true, name: "gru")(h);
        var g2 = GRU(2, resetAfter: false, dropout: 0.2, recurrentDropout: 0.35, name: "gru_before")(g);
        return new Model([x, h0, c0], [g2, SimpleRNN(2, recurrentDropout: 0.4, name: "simple")(h)]);
    }
}

/// <summary>
/// Keras's <c>recurrent_dropout</c> through the generated model: the identity when predicting, different and repeatable
/// by seed while training, and the training loss's gradients (masks fixed by a fresh instance's seed) against finite
/// differences. The kernels' masks themselves are checked against Keras's cell formulas in RecurrentKernelTests.
/// </summary>
public class RecurrentStateDropoutTests
{
    [Fact]
    public void Recurrent_dropout_changes_training_only_and_repeats_with_the_seed()
    {
        float[] ids = [3, 5, 7, 0, 0, 0, 1, 2, 3, 4, 5, 6, 9, 8, 0, 0, 0, 0];
        static RecurrentStateDropoutModel Copy() => new(seed: 5);

        var withDropout = Copy();
        var without = new RecurrentNoStateDropoutModel(seed: 5);
        Assert.Equal(without.Description.Weights.Select(w => w.ToString()), withDropout.Description.Weights.Select(w => w.ToString()));
        withDropout.Weights.CopyTo(without.Weights);

        // Predicting is the identity: the same outputs as without dropout.
        var a = withDropout.Predict([ids], 3);
        var b = without.Predict([ids], 3);
        for (int j = 0; j < a.Length; j++)
        {
            Assert.Equal(b[j], a[j]);
        }

        float[][] targets = a.Select((o, j) => GradientTests.Random(o.Length, 192 + j)).ToArray();
        float[] Step(CompiledModel model, string layer)
        {
            model.Compile(new SGD(learningRate: 0.5f), "mse");
            model.Fit([ids], targets, batchSize: 3, shuffle: false, verbose: 0, seed: 7);
            return model.GetWeights(layer, "recurrent_kernel").ToArray();
        }

        // Training drops inputs and states: one step moves each layer's recurrent kernel differently from the same step
        // without dropout, and the same seed repeats it exactly.
        foreach (string layer in new[] { "lstm", "gru_before", "simple" })
        {
            var first = Copy();
            withDropout.Weights.CopyTo(first.Weights);
            var second = Copy();
            withDropout.Weights.CopyTo(second.Weights);
            var plain = new RecurrentNoStateDropoutModel(seed: 5);
            withDropout.Weights.CopyTo(plain.Weights);
            float[] dropped = Step(first, layer), repeated = Step(second, layer), undropped = Step(plain, layer);
            Assert.Equal(dropped, repeated);
            Assert.NotEqual(dropped, undropped);
        }
    }

    [Fact]
    public void Gradients_through_dropped_states_match_finite_differences_of_the_training_loss()
    {
        var model = new StateDropoutGradientModel(seed: 18);
        const int batch = 3;
        float[][] inputs = [GradientTests.Random(batch * 5 * 4, 193), GradientTests.Random(batch * 3, 194), GradientTests.Random(batch * 3, 195)];
        var targets = model.Predict(inputs, batch).Select((o, j) => GradientTests.Random(o.Length, 196 + j)).ToArray();

        double predicted = model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        double training = GradientTests.AssertTrainingGradientMatchesFiniteDifferences(model, () => new StateDropoutGradientModel(seed: 18), inputs, targets, batch);
        Assert.NotEqual(predicted, training, 6); // the masks act
    }
}
