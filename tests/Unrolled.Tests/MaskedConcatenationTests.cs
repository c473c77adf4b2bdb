using System;
using System.Linq;
using Unrolled;
using Xunit;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>Two padded id sequences and an unmasked float sequence concatenated along the steps, as Keras concatenates
/// their masks: pooled, and read by an LSTM.</summary>
public partial class MaskedConcatenationModel
{
    [ModelBuilder]
    static Model Build()
    {
        var a = Input([4], dtype: DType.Int32, name: "a");
        var b = Input([3], dtype: DType.Int32, name: "b");
        var c = Input([2, 5], name: "c");
        var embedding = Embedding(10, 5, maskZero: true, name: "embedding");
        var steps = Concatenate(axis: 1, name: "steps")([embedding(a), embedding(b), c]);
        return new Model([a, b, c], [GlobalAveragePooling1D(name: "pooled")(steps), LSTM(3, name: "lstm")(steps)]);
    }
}

/// <summary>The same LSTM reading a float sequence whose all-zero steps a Masking layer masks.</summary>
public partial class MaskingLstmModel
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([9, 5], name: "x");
        return new Model(x, LSTM(3, name: "lstm")(Masking(0.0)(x)));
    }
}

/// <summary>
/// Keras's Concatenate of masked sequences along the steps: the output's mask is the inputs' masks side by side, an
/// unmasked input's steps all kept. Checked through what reads it: the average over kept steps against a sum written out,
/// and an LSTM against the same LSTM on the concatenation with the masked steps zeroed and masked by Masking.
/// </summary>
public class MaskedConcatenationTests
{
    private static readonly float[] s_a = [3, 0, 5, 0, 0, 0, 0, 0, 7, 8, 9, 1];
    private static readonly float[] s_b = [0, 2, 0, 4, 4, 4, 0, 0, 0];
    private const int Batch = 3;

    [Fact]
    public void Masks_concatenate_along_the_steps_with_an_unmasked_input_kept()
    {
        var model = new MaskedConcatenationModel(seed: 3);
        float[] c = GradientTests.Random(Batch * 2 * 5, 4);
        var outputs = model.Predict([s_a, s_b, c], Batch);
        var table = model.GetWeights("embedding", "embeddings").ToArray();

        // The concatenated sequence, its masked steps zeroed: what Masking(0) masks in the second model.
        var sequence = new float[Batch * 9 * 5];
        for (int sample = 0; sample < Batch; sample++)
        {
            var sum = new double[5];
            int kept = 0;
            for (int step = 0; step < 9; step++)
            {
                float id = step < 4 ? s_a[(sample * 4) + step] : step < 7 ? s_b[(sample * 3) + step - 4] : -1;
                var row = id < 0 ? c.AsSpan((((sample * 2) + step - 7) * 5), 5) : table.AsSpan((int)id * 5, 5);
                if (id == 0)
                {
                    continue;
                }

                kept++;
                row.CopyTo(sequence.AsSpan(((sample * 9) + step) * 5, 5));
                for (int f = 0; f < 5; f++)
                {
                    sum[f] += row[f];
                }
            }

            for (int f = 0; f < 5; f++)
            {
                Assert.Equal(sum[f] / kept, outputs[0][(sample * 5) + f], 5);
            }
        }

        var reference = new MaskingLstmModel(seed: 9);
        foreach (string weight in new[] { "kernel", "recurrent_kernel", "bias" })
        {
            model.GetWeights("lstm", weight).CopyTo(reference.GetWeights("lstm", weight));
        }

        var expected = reference.Predict([sequence], Batch)[0];
        Assert.Equal(expected.Length, outputs[1].Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], outputs[1][i], 5);
        }
    }

    [Fact]
    public void Gradients_through_concatenated_masks_match_finite_differences()
    {
        var model = new MaskedConcatenationModel(seed: 5);
        float[][] inputs = [s_a, s_b, GradientTests.Random(Batch * 2 * 5, 6)];
        var outputs = model.Predict(inputs, Batch);
        var targets = outputs.Select((o, j) => GradientTests.Random(o.Length, 7 + j)).ToArray();
        model.Compile(new SGD(learningRate: 1f), "mse");
        double Loss() => model.Predict(inputs, Batch).Select((o, j) => GradientTests.MeanSquaredError(o, targets[j])).Sum();
        var analytic = GradientTests.AnalyticGradient(model, () => { model.Fit(inputs, targets, batchSize: Batch, shuffle: false, verbose: 0); return 0f; });
        GradientTests.AssertMatchesFiniteDifferences(model, analytic, Loss, i => model.Description.Weights.Last(w => w.Offset <= i).ToString());
    }
}
