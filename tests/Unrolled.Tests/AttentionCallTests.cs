using System;
using System.Linq;
using Unrolled;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>Keras's call arguments of Attention and AdditiveAttention: the causal mask and the returned weights.</summary>
public partial class SequenceAttentionCallsModel
{
    [ModelBuilder]
    static Model Build()
    {
        var query = Input([4, 3], name: "query");
        var value = Input([6, 3], name: "value");
        var (dot, dotScores) = Attention(useScale: true, name: "dot")([query, value], returnAttentionScores: true, useCausalMask: true);
        var (additive, additiveScores) = AdditiveAttention(name: "additive")([query, value], returnAttentionScores: true);
        var concat = Attention(scoreMode: "concat", name: "concat")([query, value, Dense(3, name: "key")(value)], useCausalMask: true);
        return new Model([query, value], [dot, dotScores, additive, additiveScores, Dense(2, name: "head")(concat)]);
    }
}

/// <summary>The same calls with dropout on the weights: the returned weights are the dropped ones while training.</summary>
public partial class DroppedAttentionScoresModel
{
    [ModelBuilder]
    static Model Build()
    {
        var query = Input([4, 3], name: "query");
        var value = Input([5, 3], name: "value");
        var (dot, dotScores) = Attention(useScale: true, dropout: 0.4, name: "dot")([query, value], returnAttentionScores: true);
        var (additive, additiveScores) = AdditiveAttention(dropout: 0.3, name: "additive")([query, value], useCausalMask: true, returnAttentionScores: true);
        return new Model([query, value], [dot, dotScores, additive, additiveScores]);
    }
}

/// <summary>
/// <c>useCausalMask</c> and <c>returnAttentionScores</c> on Attention and AdditiveAttention against a plain reference of
/// Keras's formulas (a later key's score has 1e9 subtracted; the returned weights are the softmax, after dropout while
/// training), and their gradients against finite differences.
/// </summary>
public class AttentionCallTests
{
    private const int Tq = 4, Features = 3;

    private enum Score
    {
        Dot,
        Additive,
        Concat,
    }

    /// <summary>The weights and output of one attention layer, from its inputs and learned scalars, in double.</summary>
    private static (double[] Weights, double[] Output) Reference(Score mode, float[] query, float[] key, float[] value, int batch, int tv,
        float[] scale, float concatWeight, bool causal)
    {
        var weights = new double[batch * Tq * tv];
        var output = new double[batch * Tq * Features];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < Tq; i++)
            {
                var row = new double[tv];
                for (int j = 0; j < tv; j++)
                {
                    double score = 0;
                    for (int d = 0; d < Features; d++)
                    {
                        double q = query[(((b * Tq) + i) * Features) + d], k = key[(((b * tv) + j) * Features) + d];
                        score += mode switch
                        {
                            Score.Dot => q * k,
                            Score.Additive => scale[d] * Math.Tanh(q + k),
                            _ => concatWeight * Math.Tanh(q + k),
                        };
                    }

                    row[j] = mode == Score.Dot ? score * scale[0] : score;
                    if (causal && j > i)
                    {
                        row[j] = double.NegativeInfinity; // −1e9 in float: the same weight, 0, while key 0 stays visible
                    }
                }

                double max = row.Max(), total = row.Sum(r => Math.Exp(r - max));
                for (int j = 0; j < tv; j++)
                {
                    double w = Math.Exp(row[j] - max) / total;
                    weights[(((b * Tq) + i) * tv) + j] = w;
                    for (int f = 0; f < Features; f++)
                    {
                        output[(((b * Tq) + i) * Features) + f] += w * value[(((b * tv) + j) * Features) + f];
                    }
                }
            }
        }

        return (weights, output);
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"{what}[{i}] is {actual[i]} where the reference gives {expected[i]}");
        }
    }

    /// <summary>The key Dense's output, [batch, steps, features].</summary>
    private static float[] Key(CompiledModel model, float[] value, int rows)
    {
        var kernel = model.GetWeights("key", "kernel").ToArray();
        var bias = model.GetWeights("key", "bias").ToArray();
        var key = new float[rows * Features];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < Features; f++)
            {
                double sum = bias[f];
                for (int d = 0; d < Features; d++)
                {
                    sum += value[(r * Features) + d] * kernel[(d * Features) + f];
                }

                key[(r * Features) + f] = (float)sum;
            }
        }

        return key;
    }

    [Fact]
    public void Causal_and_returned_weights_are_Keras_s_formulas()
    {
        var model = new SequenceAttentionCallsModel(seed: 61);
        model.GetWeights("dot", "scale")[0] = 0.8f;
        model.GetWeights("concat", "concat_score_weight")[0] = 1.4f;
        const int batch = 2, tv = 6;
        float[] query = GradientTests.Random(batch * Tq * Features, 62), value = GradientTests.Random(batch * tv * Features, 63);
        var outputs = model.Predict([query, value], batch);

        var dot = Reference(Score.Dot, query, value, value, batch, tv, [0.8f], 0f, causal: true);
        AssertClose(dot.Output, outputs[0], "dot");
        AssertClose(dot.Weights, outputs[1], "dot scores");
        var additive = Reference(Score.Additive, query, value, value, batch, tv, model.GetWeights("additive", "scale").ToArray(), 0f, causal: false);
        AssertClose(additive.Output, outputs[2], "additive");
        AssertClose(additive.Weights, outputs[3], "additive scores");

        // The concat layer feeds a Dense head: compare through it.
        var concat = Reference(Score.Concat, query, Key(model, value, batch * tv), value, batch, tv, [], 1.4f, causal: true);
        var kernel = model.GetWeights("head", "kernel").ToArray();
        var bias = model.GetWeights("head", "bias").ToArray();
        var head = new double[batch * Tq * 2];
        for (int r = 0; r < batch * Tq; r++)
        {
            for (int o = 0; o < 2; o++)
            {
                head[(r * 2) + o] = bias[o] + Enumerable.Range(0, Features).Sum(f => concat.Output[(r * Features) + f] * kernel[(f * 2) + o]);
            }
        }

        AssertClose(head, outputs[4], "concat head");

        // The causal mask hides exactly the later keys.
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < Tq; i++)
            {
                for (int j = 0; j < tv; j++)
                {
                    Assert.Equal(j > i, outputs[1][(((b * Tq) + i) * tv) + j] == 0f);
                }
            }
        }
    }

    [Fact]
    public void Gradients_through_causal_attention_and_a_loss_on_the_weights_match_finite_differences()
    {
        var model = new SequenceAttentionCallsModel(seed: 64);
        model.GetWeights("dot", "scale")[0] = 0.8f;
        const int batch = 2;
        float[][] inputs = [GradientTests.Random(batch * Tq * Features, 65), GradientTests.Random(batch * 6 * Features, 66)];
        var outputs = model.Predict(inputs, batch);
        var targets = outputs.Select((o, j) => GradientTests.Random(o.Length, 67 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }

    [Fact]
    public void With_dropout_predicting_returns_the_softmax_weights()
    {
        var model = new DroppedAttentionScoresModel(seed: 71);
        const int batch = 3, tv = 5;
        float[] query = GradientTests.Random(batch * Tq * Features, 72), value = GradientTests.Random(batch * tv * Features, 73);
        var outputs = model.Predict([query, value], batch);
        var dot = Reference(Score.Dot, query, value, value, batch, tv, model.GetWeights("dot", "scale").ToArray(), 0f, causal: false);
        AssertClose(dot.Output, outputs[0], "dot");
        AssertClose(dot.Weights, outputs[1], "dot scores");
        var additive = Reference(Score.Additive, query, value, value, batch, tv, model.GetWeights("additive", "scale").ToArray(), 0f, causal: true);
        AssertClose(additive.Output, outputs[2], "additive");
        AssertClose(additive.Weights, outputs[3], "additive scores");
    }

    [Fact]
    public void Gradients_through_dropped_returned_weights_match_finite_differences_of_the_training_loss()
    {
        var model = new DroppedAttentionScoresModel(seed: 74);
        const int batch = 2;
        float[][] inputs = [GradientTests.Random(batch * Tq * Features, 75), GradientTests.Random(batch * 5 * Features, 76)];
        var targets = model.Predict(inputs, batch).Select((o, j) => GradientTests.Random(o.Length, 77 + j)).ToArray();

        double predicted = model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        double training = GradientTests.AssertTrainingGradientMatchesFiniteDifferences(model, () => new DroppedAttentionScoresModel(seed: 74), inputs, targets, batch);
        Assert.NotEqual(predicted, training, 6); // the masks act on the returned weights and the outputs
    }

    [Fact]
    public void A_key_hidden_twice_loses_1e9_once()
    {
        // Keras subtracts 1e9 · (1 − mask) for the combined mask: a masked value's later key is not pushed further down.
        float[] scores = [1f, 2f, 3f, 4f, 5f, 6f];
        Kernels.Masking.HideKeys(scores, [1f, 1f, 0f], batch: 1, tq: 2, tv: 3, causal: true);
        Assert.Equal([1f, 2f - 1e9f, 3f - 1e9f, 4f, 5f, 6f - 1e9f], scores);
        float[] causal = [1f, 2f, 3f, 4f, 5f, 6f];
        Kernels.Masking.HideKeys(causal, default, batch: 1, tq: 2, tv: 3, causal: true);
        Assert.Equal([1f, 2f - 1e9f, 3f - 1e9f, 4f, 5f, 6f - 1e9f], causal);
        float[] masked = [1f, 2f, 3f, 4f, 5f, 6f];
        Kernels.Masking.HideKeys(masked, [1f, 1f, 0f], batch: 1, tq: 2, tv: 3);
        Assert.Equal([1f, 2f, 3f - 1e9f, 4f, 5f, 6f - 1e9f], masked);
    }
}
