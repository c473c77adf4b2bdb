using System;
using System.Linq;
using Xunit;
using static Unrolled.Layers;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>Recurrent layers, pooling and a Bidirectional wrapper after <c>Embedding(maskZero: true)</c>, every
/// output a single vector per sample.</summary>
public partial class MaskedRecurrents
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([null], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 6, maskZero: true)(ids);
        var a = LSTM(5, returnSequences: true)(x);
        var stacked = SimpleRNN(3)(GRU(4, returnSequences: true, resetAfter: false)(a));
        var backwards = GRU(4, goBackwards: true)(a);
        var pooled = GlobalAveragePooling1D()(a);
        var both = Bidirectional(LSTM(3))(x);
        return new Model(ids, [stacked, backwards, pooled, both]);
    }
}

/// <summary>A masked sequence output: Bidirectional LSTM over padded ids, a Dense per step.</summary>
public partial class MaskedTagger
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([null], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 5, maskZero: true)(ids);
        var y = Bidirectional(LSTM(3, returnSequences: true))(x);
        return new Model(ids, Dense(2)(y));
    }
}

/// <summary>A masked encoder whose last states start a masked decoder, with a masked sequence output (the loss weighs its
/// kept steps).</summary>
public partial class MaskedEncoderDecoder
{
    [ModelBuilder]
    static Model Build()
    {
        var source = Input([5], dtype: DType.Int32, name: "source");
        var target = Input([4], dtype: DType.Int32, name: "target");
        var (_, h, c) = LSTM(3, returnState: true)(Embedding(20, 4, maskZero: true)(source));
        var decoded = LSTM(3, returnSequences: true)(Embedding(20, 4, maskZero: true)(target), initialState: [h, c]);
        return new Model([source, target], Dense(6, Activation.Softmax)(decoded));
    }
}

/// <summary>The three attention layers over a masked sequence, pooled over its unmasked steps.</summary>
public partial class MaskedAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([null], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 6, maskZero: true)(ids);
        var self = MultiHeadAttention(numHeads: 2, keyDim: 3)(x, x);
        var causal = MultiHeadAttention(numHeads: 2, keyDim: 2)(x, x, useCausalMask: true);
        var dot = Attention()([x, x]);
        var additive = AdditiveAttention()([x, x]);
        return new Model(ids, [GlobalAveragePooling1D()(self), GlobalAveragePooling1D()(causal), GlobalAveragePooling1D()(dot),
            GlobalAveragePooling1D()(additive)]);
    }
}

/// <summary>Keras's Masking layer on float steps, feeding a GRU and (merged with a Dense of itself) a pooling.</summary>
public partial class MaskingLayerModel
{
    [ModelBuilder]
    static Model Build()
    {
        var steps = Input([null, 3], name: "steps");
        var x = Masking(maskValue: 0.0)(steps);
        var merged = Add()([Dense(3)(x), x]);
        return new Model(steps, [GRU(4)(x), GlobalAveragePooling1D()(merged)]);
    }
}

/// <summary>
/// Keras's masks (docs/masking.md): a padded, masked batch must give for each sample what that sample's own steps give
/// alone, through every layer that reads a mask; the gradients through masked steps must match finite differences; a
/// masked sequence output's loss must count only its kept steps.
/// </summary>
public class MaskingTests
{
    /// <summary>Three sequences of ids (none is 0, the padding), of lengths 4, 2 and 5.</summary>
    private static readonly float[][] s_sequences = [[3, 7, 1, 12], [5, 9], [2, 14, 6, 11, 8]];

    /// <summary>The sequences padded with zeros to <paramref name="length"/>: after them, before them, or with the zeros
    /// between their first step and the rest (a masked hole the layers must skip).</summary>
    private static float[] Padded(int length, string where)
    {
        var ids = new float[s_sequences.Length * length];
        for (int b = 0; b < s_sequences.Length; b++)
        {
            var s = s_sequences[b];
            int gap = length - s.Length;
            for (int t = 0; t < s.Length; t++)
            {
                int at = where switch
                {
                    "post" => t,
                    "pre" => gap + t,
                    _ => t == 0 ? 0 : gap + t,
                };
                ids[(b * length) + at] = s[t];
            }
        }

        return ids;
    }

    private static void Near(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5f, $"{what}[{i}]: {actual[i]} where the sequence alone gives {expected[i]}");
        }
    }

    [Theory]
    [InlineData("post")]
    [InlineData("pre")]
    [InlineData("hole")]
    public void Recurrent_layers_and_pooling_give_each_padded_sequence_what_it_gives_alone(string where)
        => PaddedMatchesAlone(new MaskedRecurrents(seed: 11), where);

    [Theory]
    [InlineData("post")]
    [InlineData("pre")]
    [InlineData("hole")]
    public void Attention_ignores_masked_keys_and_pooling_masked_queries(string where)
        => PaddedMatchesAlone(new MaskedAttention(seed: 12), where, causalOutput: 1);

    private static void PaddedMatchesAlone(CompiledModel model, string where, int causalOutput = -1)
    {
        const int length = 7;
        var padded = model.Predict([Padded(length, where)], s_sequences.Length, lengths: [length]);
        for (int b = 0; b < s_sequences.Length; b++)
        {
            var alone = model.Predict([s_sequences[b]], 1, lengths: [s_sequences[b].Length]);
            for (int j = 0; j < alone.Length; j++)
            {
                if (j == causalOutput && where != "post")
                {
                    continue; // a causal query sees the steps before it, padding included: only post-padding leaves it alone
                }

                int size = alone[j].Length;
                Near(alone[j], padded[j].AsSpan(b * size, size), $"sample {b}, output {j} ({where}-padded)");
            }
        }
    }

    [Fact]
    public void A_masked_sequence_output_matches_on_kept_steps_and_is_the_bias_on_padding()
    {
        var model = new MaskedTagger(seed: 13);
        const int length = 6;
        var padded = model.Predict([Padded(length, "post")], s_sequences.Length, lengths: [length])[0];
        var bias = model.GetWeights("dense", "bias");
        for (int b = 0; b < s_sequences.Length; b++)
        {
            int n = s_sequences[b].Length;
            if (n > length)
            {
                continue;
            }

            var alone = model.Predict([s_sequences[b]], 1, lengths: [n])[0];
            Near(alone, padded.AsSpan(b * length * 2, n * 2), $"sample {b}");
            for (int t = n; t < length; t++)
            {
                // Bidirectional zeroes a masked step's output (zero_output_for_mask), so Dense gives its bias there.
                Near(bias, padded.AsSpan(((b * length) + t) * 2, 2), $"sample {b}, padded step {t}");
            }
        }
    }

    [Fact]
    public void Sample_weights_on_a_masked_sequence_output_weigh_each_sample_kept_steps_as_Keras()
    {
        // Keras 3 (losses.apply_mask, then the reduction): Σ over kept steps of weight · step loss, over the kept steps.
        var model = new MaskedTagger(seed: 16);
        const int length = 6;
        var ids = Padded(length, "post").Take(3 * length).ToArray();
        var targets = Random(3 * length * 2, 17);
        float[] weights = [0.5f, 2f, 0f];
        var predictions = model.Predict([ids], 3, lengths: [length])[0];
        double sum = 0;
        int kept = 0;
        for (int row = 0; row < 3 * length; row++)
        {
            if (ids[row] == 0)
            {
                continue;
            }

            kept++;
            sum += weights[row / length] *
                   (Math.Pow(predictions[row * 2] - targets[row * 2], 2) + Math.Pow(predictions[(row * 2) + 1] - targets[(row * 2) + 1], 2)) / 2;
        }

        model.Compile("sgd", "mse");
        var logs = model.Evaluate([ids], [targets], batchSize: 3, verbose: 0, lengths: [length], sampleWeight: weights);
        Assert.Equal(sum / (kept + 1e-7), logs["loss"], 5);
        Assert.True(kept > 0 && sum > 0);
    }

    [Fact]
    public void The_loss_of_a_masked_sequence_output_averages_its_kept_steps_only()
    {
        var model = new MaskedTagger(seed: 14);
        const int length = 6;
        var ids = Padded(length, "post").Take(2 * length).ToArray(); // the first two sequences (4 and 2 steps)
        var targets = Random(2 * length * 2, 15);
        var predictions = model.Predict([ids], 2, lengths: [length])[0];

        // Keras: Σ over kept steps of the step's mean squared error, over the number of kept steps (plus 1e-7).
        double sum = 0;
        int kept = 0;
        for (int row = 0; row < 2 * length; row++)
        {
            if (ids[row] == 0)
            {
                continue;
            }

            kept++;
            sum += (Math.Pow(predictions[row * 2] - targets[row * 2], 2) + Math.Pow(predictions[(row * 2) + 1] - targets[(row * 2) + 1], 2)) / 2;
        }

        model.Compile("sgd", "mse");
        var logs = model.Evaluate([ids], [targets], batchSize: 2, verbose: 0, lengths: [length]);
        Assert.Equal(sum / (kept + 1e-7), logs["loss"], 5);

        // Targets on padded steps change nothing.
        var other = (float[])targets.Clone();
        for (int row = 0; row < 2 * length; row++)
        {
            if (ids[row] == 0)
            {
                other[row * 2] += 100f;
            }
        }

        Assert.Equal(logs["loss"], model.Evaluate([ids], [other], batchSize: 2, verbose: 0, lengths: [length])["loss"], 5);
    }

    [Fact]
    public void Gradients_through_masked_recurrent_layers_match_finite_differences()
        => Check(new MaskedRecurrents(seed: 16), [Padded(6, "hole")], 3, [6]);

    [Fact]
    public void Gradients_of_a_masked_sequence_loss_through_encoder_states_match_finite_differences()
    {
        // The loss itself is checked against an independent sum above; here the gradient Fit applies must be the
        // derivative of the loss Evaluate reports, through the masked output, the decoder and the encoder's states.
        var model = new MaskedEncoderDecoder(seed: 22);
        float[] source = [3, 5, 0, 0, 0, 7, 1, 4, 2, 0, 9, 0, 0, 0, 0];
        float[] target = [1, 6, 2, 0, 1, 3, 0, 0, 1, 4, 5, 8];
        float[] classes = [2, 0, 5, 3, 1, 4, 0, 0, 3, 3, 1, 2];
        model.Compile(new SGD(learningRate: 1f), "sparse_categorical_crossentropy");
        double Loss() => model.Evaluate([source, target], [classes], batchSize: 3, verbose: 0)["loss"];
        var analytic = AnalyticGradient(model, () => { model.Fit([source, target], [classes], batchSize: 3, shuffle: false, verbose: 0); return 0f; });
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }

    [Fact]
    public void Gradients_through_masked_attention_match_finite_differences()
        => Check(new MaskedAttention(seed: 17), [Padded(6, "post")], 3, [6]);

    [Fact]
    public void Masking_layer_masks_steps_whose_features_all_equal_the_mask_value()
    {
        var model = new MaskingLayerModel(seed: 18);
        float[] a = Random(3 * 3, 19), b = Random(2 * 3, 20);

        // a (3 steps) and b (2 steps) padded to 5 steps with all-zero steps: one after a, and a hole inside b.
        var padded = new float[2 * 5 * 3];
        Array.Copy(a, 0, padded, 0, 9);
        Array.Copy(b, 0, padded, (5 * 3) + 0, 3);
        Array.Copy(b, 3, padded, (5 * 3) + (4 * 3), 3);
        padded[(5 * 3) + 3] = 0.5f; // a step with one feature non-zero is kept
        var whole = model.Predict([padded], 2, lengths: [5]);
        var aloneA = model.Predict([a], 1, lengths: [3]);
        float[] bSteps = [.. b.Take(3), 0.5f, 0f, 0f, .. b.Skip(3)];
        var aloneB = model.Predict([bSteps], 1, lengths: [3]);
        for (int j = 0; j < whole.Length; j++)
        {
            int size = aloneA[j].Length;
            Near(aloneA[j], whole[j].AsSpan(0, size), $"a, output {j}");
            Near(aloneB[j], whole[j].AsSpan(size, size), $"b, output {j}");
        }

        Check(new MaskingLayerModel(seed: 21), [padded], 2, [5]);
    }

    [Fact]
    public void A_mask_of_the_wrong_length_is_refused_by_the_kernels()
    {
        var ex = Assert.Throws<ArgumentException>(() => Kernels.Recurrent.SimpleRnnForward(new float[2 * 3 * 1], new float[1], new float[1], default,
            new float[2], default, new float[2 * 3], new float[2 * 3 * 4], 2, 3, 1, 1, returnSequences: false, mask: new float[5]));
        Assert.Contains("mask", ex.Message);
    }

    /// <summary>Mean squared error over every output (none masked) against random targets: the gradient Fit applies
    /// against central finite differences of the loss from Predict.</summary>
    private static void Check(CompiledModel model, float[][] inputs, int batch, int[] lengths)
    {
        var outputs = model.Predict(inputs, batch, lengths);
        var targets = outputs.Select((o, j) => Random(o.Length, 60 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch, lengths).Select((o, j) => MeanSquaredError(o, targets[j])).Sum();
        var analytic = AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0, lengths: lengths); return 0f; });
        AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}

/// <summary>MultiHeadAttention with Keras's explicit attention_mask, and the same layer shape with the causal mask.</summary>
public partial class AttentionMaskModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var allowed = Input([5, 5], name: "allowed");
        var other = Input([3, 4], name: "other");
        var cross = Input([5, 3], name: "cross");
        var self = MultiHeadAttention(numHeads: 2, keyDim: 3, name: "self")(x, x, attentionMask: allowed);
        var keyed = MultiHeadAttention(numHeads: 2, keyDim: 2, name: "keyed")(x, other, key: other, attentionMask: cross);
        return new Model([x, allowed, other, cross], [self, keyed]);
    }
}

/// <summary>The same self-attention with the causal mask, for comparison.</summary>
public partial class CausalAttentionModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        return new Model(x, MultiHeadAttention(numHeads: 2, keyDim: 3, name: "self")(x, x, useCausalMask: true));
    }
}

/// <summary>Keras's attention_mask on MultiHeadAttention: a lower-triangular mask is the causal mask, all ones is no mask,
/// a row of zeros gives the output bias, and the gradients match finite differences.</summary>
public class AttentionMaskTests
{
    private static float[] Triangular(int batch, int steps, bool lower)
    {
        var mask = new float[batch * steps * steps];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < steps; i++)
            {
                for (int j = 0; j < steps; j++)
                {
                    mask[(((b * steps) + i) * steps) + j] = !lower || j <= i ? 1f : 0f;
                }
            }
        }

        return mask;
    }

    [Fact]
    public void A_lower_triangular_mask_is_the_causal_mask_and_ones_are_no_mask()
    {
        var model = new AttentionMaskModel(seed: 31);
        var causal = new CausalAttentionModel(seed: 0);
        foreach (var w in causal.Description.Weights)
        {
            model.GetWeights(w.Layer, w.Name).CopyTo(causal.GetWeights(w.Layer, w.Name));
        }

        // Random biases, so that a wrong mask cannot hide behind zero ones.
        var bias = model.GetWeights("self", "attention_output/bias");
        GradientTests.Random(bias.Length, 32).CopyTo(bias);
        bias.CopyTo(causal.GetWeights("self", "attention_output/bias"));

        const int batch = 2;
        float[] x = GradientTests.Random(batch * 5 * 4, 33), other = GradientTests.Random(batch * 3 * 4, 34), cross = new float[batch * 5 * 3];
        Array.Fill(cross, 1f);
        var masked = model.Predict([x, Triangular(batch, 5, lower: true), other, cross], batch);
        var expected = causal.Predict([x], batch)[0];
        Assert.All(expected.Zip(masked[0]), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5f, $"{p.Second} where the causal mask gives {p.First}"));

        var open = model.Predict([x, Triangular(batch, 5, lower: false), other, cross], batch)[0];
        Assert.Contains(open.Zip(expected), p => Math.Abs(p.First - p.Second) > 1e-3f); // no mask differs from the causal one

        // A query that may attend to no key outputs the output projection's bias.
        var none = (float[])cross.Clone();
        Array.Clear(none, 3, 3); // sample 0, query step 1
        var keyed = model.Predict([x, Triangular(batch, 5, lower: true), other, none], batch)[1];
        var keyedBias = model.GetWeights("keyed", "attention_output/bias");
        for (int f = 0; f < 4; f++)
        {
            Assert.Equal(keyedBias[f], keyed[4 + f], 6);
        }
    }

    [Fact]
    public void Gradients_with_an_attention_mask_match_finite_differences()
    {
        var model = new AttentionMaskModel(seed: 35);
        const int batch = 2;
        var random = GradientTests.Random(batch * 5 * 5, 36);
        var allowed = random.Select((r, i) => r > 0 || i % 6 == 0 ? 1f : 0f).ToArray(); // the diagonal always allowed
        var cross = GradientTests.Random(batch * 5 * 3, 37).Select((r, i) => r > -0.3f || i % 3 == 0 ? 1f : 0f).ToArray();
        float[][] inputs = [GradientTests.Random(batch * 5 * 4, 38), allowed, GradientTests.Random(batch * 3 * 4, 39), cross];
        var outputs = model.Predict(inputs, batch);
        var targets = outputs.Select((o, j) => GradientTests.Random(o.Length, 70 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}

/// <summary>MultiHeadAttention returning its attention scores, with and without the causal mask.</summary>
public partial class AttentionScoresModel
{
    [ModelBuilder]
    static Model Build()
    {
        var query = Input([4, 5], name: "query");
        var value = Input([6, 5], name: "value");
        var (output, scores) = MultiHeadAttention(numHeads: 2, keyDim: 3, name: "cross")(query, value, returnAttentionScores: true);
        var (causalOutput, causalScores) = MultiHeadAttention(numHeads: 2, keyDim: 2, name: "causal")(query, query, useCausalMask: true, returnAttentionScores: true);
        return new Model([query, value], [output, scores, Dense(2)(causalOutput), causalScores]);
    }
}

/// <summary>Keras's return_attention_scores: the weights against a plain reference computed from the layer's weights, and
/// gradients through a loss on them against finite differences.</summary>
public class AttentionScoresTests
{
    /// <summary>softmax((x_q·Wq + bq)·(x_k·Wk + bk)ᵀ / √keyDim) per head, with the causal mask when asked.</summary>
    private static double[] Reference(CompiledModel model, string layer, float[] query, float[] key, int batch, int tq, int tk, int features, int heads, int dim, bool causal)
    {
        var wq = model.GetWeights(layer, "query/kernel").ToArray();
        var bq = model.GetWeights(layer, "query/bias").ToArray();
        var wk = model.GetWeights(layer, "key/kernel").ToArray();
        var bk = model.GetWeights(layer, "key/bias").ToArray();
        double Project(float[] x, float[] w, float[] bias, int row, int h, int d)
        {
            double sum = bias[(h * dim) + d];
            for (int f = 0; f < features; f++)
            {
                sum += x[(row * features) + f] * w[(((f * heads) + h) * dim) + d];
            }

            return sum;
        }

        var result = new double[batch * heads * tq * tk];
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < tq; i++)
                {
                    var row = new double[tk];
                    for (int j = 0; j < tk; j++)
                    {
                        double dot = 0;
                        for (int d = 0; d < dim; d++)
                        {
                            dot += Project(query, wq, bq, (b * tq) + i, h, d) * Project(key, wk, bk, (b * tk) + j, h, d);
                        }

                        row[j] = causal && j > i ? double.NegativeInfinity : dot / Math.Sqrt(dim);
                    }

                    double max = row.Max(), total = row.Sum(r => Math.Exp(r - max));
                    for (int j = 0; j < tk; j++)
                    {
                        result[((((b * heads) + h) * tq) + i) * tk + j] = Math.Exp(row[j] - max) / total;
                    }
                }
            }
        }

        return result;
    }

    private static void Randomize(CompiledModel model, int seed)
    {
        foreach (var w in model.Description.Weights.Where(w => w.Name.EndsWith("bias", StringComparison.Ordinal)))
        {
            GradientTests.Random(w.Size, seed++, 0.5f).CopyTo(model.GetWeights(w.Layer, w.Name));
        }
    }

    [Fact]
    public void Returned_scores_are_the_softmax_of_the_projected_queries_and_keys()
    {
        var model = new AttentionScoresModel(seed: 41);
        Randomize(model, 42);
        const int batch = 2;
        float[] query = GradientTests.Random(batch * 4 * 5, 43), value = GradientTests.Random(batch * 6 * 5, 44);
        var outputs = model.Predict([query, value], batch);
        var cross = Reference(model, "cross", query, value, batch, 4, 6, 5, 2, 3, causal: false);
        var causal = Reference(model, "causal", query, query, batch, 4, 4, 5, 2, 2, causal: true);
        Assert.Equal(cross.Length, outputs[1].Length);
        Assert.Equal(causal.Length, outputs[3].Length);
        Assert.All(cross.Zip(outputs[1]), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5, $"{p.Second} where the reference gives {p.First}"));
        Assert.All(causal.Zip(outputs[3]), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5, $"{p.Second} where the reference gives {p.First}"));
    }

    [Fact]
    public void Gradients_through_a_loss_on_the_scores_match_finite_differences()
    {
        var model = new AttentionScoresModel(seed: 45);
        Randomize(model, 46);
        const int batch = 2;
        float[][] inputs = [GradientTests.Random(batch * 4 * 5, 47), GradientTests.Random(batch * 6 * 5, 48)];
        var outputs = model.Predict(inputs, batch);
        var targets = outputs.Select((o, j) => GradientTests.Random(o.Length, 80 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}

/// <summary>Recurrent layers with Keras's dropout on their inputs, and the same layers without it (same names).</summary>
public partial class RecurrentDropoutModel
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([6], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 5, maskZero: true, name: "embedding")(ids);
        var a = LSTM(4, returnSequences: true, dropout: 0.3, name: "lstm")(x);
        var b = Bidirectional(GRU(3, dropout: 0.25, name: "gru"), name: "bidirectional")(a);
        return new Model(ids, [b, SimpleRNN(2, dropout: 0.5, name: "simple")(a)]);
    }
}

/// <summary>The same layers without dropout.</summary>
public partial class RecurrentNoDropoutModel
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([6], dtype: DType.Int32, name: "ids");
        var x = Embedding(20, 5, maskZero: true, name: "embedding")(ids);
        var a = LSTM(4, returnSequences: true, name: "lstm")(x);
        var b = Bidirectional(GRU(3, name: "gru"), name: "bidirectional")(a);
        return new Model(ids, [b, SimpleRNN(2, name: "simple")(a)]);
    }
}

/// <summary>Keras's <c>dropout</c> on recurrent layers: one mask per sample over the input's features, shared by every
/// step, while training only.</summary>
public class RecurrentDropoutTests
{
    [Fact]
    public void The_mask_is_shared_by_the_steps_scaled_and_dropped_at_the_rate()
    {
        const int batch = 40, steps = 7, features = 50;
        float[] x = GradientTests.Random(batch * steps * features, 90), y = new float[x.Length], mask = new float[batch * features];
        Kernels.Dropout.AcrossSteps(x, y, mask, batch, steps, features, 0.25f, 12345);
        Assert.All(mask, m => Assert.True(m == 0f || Math.Abs(m - (1f / 0.75f)) < 1e-6f, $"mask value {m}"));
        double dropped = mask.Count(m => m == 0f) / (double)mask.Length;
        Assert.InRange(dropped, 0.20, 0.30);
        for (int i = 0; i < x.Length; i++)
        {
            int b = i / (steps * features), f = i % features;
            Assert.Equal(x[i] * mask[(b * features) + f], y[i]);
        }

        float[] dy = GradientTests.Random(x.Length, 91), dx = new float[x.Length];
        Array.Fill(dx, 1f);
        Kernels.Dropout.AcrossStepsBackward(dy, mask, dx, batch, steps, features);
        for (int i = 0; i < x.Length; i++)
        {
            int b = i / (steps * features), f = i % features;
            Assert.Equal(1f + (dy[i] * mask[(b * features) + f]), dx[i], 6);
        }
    }

    [Fact]
    public void Dropout_changes_training_only_and_repeats_with_the_seed()
    {
        float[] ids = [3, 5, 7, 0, 0, 0, 1, 2, 3, 4, 5, 6, 9, 8, 0, 0, 0, 0];
        var withDropout = new RecurrentDropoutModel(seed: 5);
        var without = new RecurrentNoDropoutModel(seed: 5);
        foreach (var w in without.Description.Weights)
        {
            withDropout.GetWeights(w.Layer, w.Name).CopyTo(without.GetWeights(w.Layer, w.Name));
        }

        // Predicting is the identity: the same outputs as without dropout.
        var a = withDropout.Predict([ids], 3);
        var b = without.Predict([ids], 3);
        for (int j = 0; j < a.Length; j++)
        {
            Assert.Equal(b[j], a[j]);
        }

        // Training drops inputs: one step moves the weights differently from the same step without dropout, and the
        // same seed repeats it exactly.
        float[][] targets = a.Select((o, j) => GradientTests.Random(o.Length, 92 + j)).ToArray();
        float[] Step(CompiledModel model)
        {
            model.Compile(new SGD(learningRate: 0.5f), "mse");
            model.Fit([ids], targets, batchSize: 3, shuffle: false, verbose: 0, seed: 7);
            return model.GetWeights("lstm", "kernel").ToArray();
        }

        var again = new RecurrentDropoutModel(seed: 5);
        foreach (var w in without.Description.Weights)
        {
            withDropout.GetWeights(w.Layer, w.Name).CopyTo(again.GetWeights(w.Layer, w.Name));
        }

        float[] dropped = Step(withDropout), plain = Step(without), repeated = Step(again);
        Assert.Equal(dropped, repeated);
        Assert.NotEqual(dropped, plain);
    }
}

/// <summary>An LSTM with dropout on float inputs, for the gradient check.</summary>
public partial class LstmDropoutGradient
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var h = LSTM(3, returnSequences: true, dropout: 0.4)(Dense(4, Activation.Tanh)(x));
        return new Model(x, GRU(2, dropout: 0.3)(h));
    }
}

/// <summary>Gradients of the training loss, with the dropout masks a seed fixes, against finite differences.</summary>
public class RecurrentDropoutGradientTests
{
    [Fact]
    public void Gradients_through_dropped_inputs_match_finite_differences_of_the_training_loss()
    {
        var model = new LstmDropoutGradient(seed: 8);
        const int batch = 3;
        float[][] x = [GradientTests.Random(batch * 5 * 4, 93)];
        float[][] targets = [GradientTests.Random(batch * 2, 94)];

        double training = GradientTests.AssertTrainingGradientMatchesFiniteDifferences(model, () => new LstmDropoutGradient(seed: 8), x, targets, batch);
        Assert.NotEqual(GradientTests.MeanSquaredError(model.Predict(x, batch)[0], targets[0]), training, 6); // the masks act
    }
}

/// <summary>Keras's Attention with concat scores, with and without the learned scale, over a masked value.</summary>
public partial class ConcatAttentionModel
{
    [ModelBuilder]
    static Model Build()
    {
        var query = Input([3, 4], name: "query");
        var value = Input([5, 4], name: "value");
        var scaled = Attention(useScale: true, scoreMode: "concat", name: "scaled")([query, value]);
        var plain = Attention(scoreMode: "concat", name: "plain")([query, value, Dense(4, name: "key")(value)]);
        return new Model([query, value], [scaled, plain]);
    }
}

/// <summary>Attention(score_mode="concat"): the forward pass against a plain reference of Keras's formula, and the
/// gradients (the two learned scalars included) against finite differences.</summary>
public class ConcatAttentionTests
{
    private static void Move(CompiledModel model)
    {
        model.GetWeights("scaled", "scale")[0] = 0.7f;
        model.GetWeights("scaled", "concat_score_weight")[0] = 1.3f;
        model.GetWeights("plain", "concat_score_weight")[0] = -0.8f;
    }

    [Fact]
    public void Concat_scores_are_Keras_s_formula()
    {
        var model = new ConcatAttentionModel(seed: 51);
        Move(model);
        const int batch = 2;
        float[] query = GradientTests.Random(batch * 3 * 4, 52), value = GradientTests.Random(batch * 5 * 4, 53);
        var y = model.Predict([query, value], batch)[0];
        float s = 0.7f, w = 1.3f;
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < 3; i++)
            {
                var scores = new double[5];
                for (int j = 0; j < 5; j++)
                {
                    for (int d = 0; d < 4; d++)
                    {
                        scores[j] += w * Math.Tanh(s * (query[(((b * 3) + i) * 4) + d] + value[(((b * 5) + j) * 4) + d]));
                    }
                }

                double max = scores.Max(), total = scores.Sum(x => Math.Exp(x - max));
                for (int f = 0; f < 4; f++)
                {
                    double expected = 0;
                    for (int j = 0; j < 5; j++)
                    {
                        expected += Math.Exp(scores[j] - max) / total * value[(((b * 5) + j) * 4) + f];
                    }

                    Assert.Equal(expected, y[(((b * 3) + i) * 4) + f], 5);
                }
            }
        }
    }

    [Fact]
    public void Gradients_of_concat_scores_match_finite_differences()
    {
        var model = new ConcatAttentionModel(seed: 54);
        Move(model);
        const int batch = 2;
        float[][] inputs = [GradientTests.Random(batch * 3 * 4, 55), GradientTests.Random(batch * 5 * 4, 56)];
        var outputs = model.Predict(inputs, batch);
        var targets = outputs.Select((o, j) => GradientTests.Random(o.Length, 57 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}

/// <summary>Every exportable layer that reads a mask, on ids from a small vocabulary (so padding is frequent), for ONNX
/// Runtime: the attention layers with the inputs' masks, the causal mask and concat scores, and masked pooling.</summary>
public partial class MaskedAttentionExport
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([7], dtype: DType.Int32, name: "ids");
        var otherIds = Input([7], dtype: DType.Int32, name: "other_ids");
        var x = Embedding(4, 6, maskZero: true)(ids);
        var other = Embedding(4, 6, maskZero: true)(otherIds);
        var self = MultiHeadAttention(numHeads: 2, keyDim: 3)(x, x);
        var causal = MultiHeadAttention(numHeads: 2, keyDim: 2)(x, other, key: Dense(6)(other), useCausalMask: true);
        var dot = Attention(useScale: true)([x, other]);
        var additive = AdditiveAttention()([x, other]);
        var concat = Attention(scoreMode: "concat")([x, other]);
        return new Model([ids, otherIds], [GlobalAveragePooling1D()(self), GlobalAveragePooling1D()(causal), GlobalAveragePooling1D()(dot),
            GlobalAveragePooling1D()(additive), GlobalAveragePooling1D()(concat)]);
    }
}

/// <summary>Masked recurrent layers on ids from a small vocabulary (so padding is frequent), for ONNX Runtime: stacked,
/// go_backwards, Bidirectional returning sequences (zero_output_for_mask), returned states starting a masked decoder, and
/// a causal Attention over the masked sequence.</summary>
public partial class MaskedRecurrentExport
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([6], dtype: DType.Int32, name: "ids");
        var x = Embedding(4, 5, maskZero: true)(ids);
        var a = LSTM(4, returnSequences: true)(x);
        var stacked = SimpleRNN(3)(GRU(4, returnSequences: true, resetAfter: false)(a));
        var backwards = GRU(3, goBackwards: true, returnSequences: true)(a);
        var tagged = Bidirectional(LSTM(2, returnSequences: true))(x);
        var (_, h, c) = LSTM(3, returnState: true)(x);
        var decoded = LSTM(3, returnSequences: true)(x, initialState: [h, c]);
        var attended = Attention()([decoded, Dense(3)(a)], useCausalMask: true);
        return new Model(ids, [stacked, backwards, tagged, decoded, SimpleRNN(2, useBias: false)(attended)]);
    }
}

/// <summary>BatchNormalization of a masked sequence: Keras's masked batch statistics.</summary>
public partial class MaskedBatchNormModel
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([5], dtype: DType.Int32, name: "ids");
        var x = Embedding(12, 4, maskZero: true, name: "embedding")(ids);
        var normalized = BatchNormalization(momentum: 0.5, name: "normalization")(x);
        return new Model(ids, [GlobalAveragePooling1D()(normalized), LSTM(2)(normalized)]);
    }
}

/// <summary>
/// Keras's BatchNormalization of a masked sequence: the moving statistics move towards the kept steps' moments (written
/// out from the embedding table), every step is normalised, the mask passes on; the training loss's gradients through the
/// masked statistics against finite differences.
/// </summary>
public class MaskedBatchNormTests
{
    private static readonly float[] s_ids = [3, 5, 0, 0, 0, 7, 7, 2, 9, 0, 0, 0, 0, 0, 0, 11, 1, 4, 6, 8];

    [Fact]
    public void The_statistics_are_the_kept_steps_moments()
    {
        var model = new MaskedBatchNormModel(seed: 2);
        var table = model.GetWeights("embedding", "embeddings").ToArray();
        var targets = model.Predict([s_ids], 4).Select(o => new float[o.Length]).ToArray();
        model.Compile(new SGD(learningRate: 0f), "mse");
        model.Fit([s_ids], targets, batchSize: 4, shuffle: false, verbose: 0);
        var kept = s_ids.Where(id => id != 0).ToArray();
        for (int f = 0; f < 4; f++)
        {
            double mean = kept.Average(id => table[((int)id * 4) + f]);
            double variance = kept.Average(id => Math.Pow(table[((int)id * 4) + f] - mean, 2));
            mean *= kept.Length / (kept.Length + 1e-7);
            Assert.Equal(0.5 * mean, model.GetWeights("normalization", "moving_mean")[f], 6);
            Assert.Equal(0.5 + (0.5 * variance), model.GetWeights("normalization", "moving_variance")[f], 5);
        }
    }

    [Fact]
    public void Gradients_through_masked_statistics_match_finite_differences_of_the_training_loss()
    {
        var model = new MaskedBatchNormModel(seed: 3);
        var targets = model.Predict([s_ids], 4).Select((o, j) => GradientTests.Random(o.Length, 60 + j)).ToArray();
        GradientTests.AssertTrainingGradientMatchesFiniteDifferences(model, () => new MaskedBatchNormModel(seed: 3), [s_ids], targets, 4);
    }
}
