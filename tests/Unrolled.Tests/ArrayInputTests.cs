using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace Unrolled.Tests;

/// <summary>Inputs as Keras users hold them: int[] token ids and rectangular arrays, against the same values as flat floats.</summary>
public class ArrayInputTests
{
    [Fact]
    public void Integer_ids_predict_evaluate_and_train_as_their_float_values()
    {
        const int batch = 3;
        int[] ids = Enumerable.Range(0, batch * 100).Select(i => (i * 7919) % 10000).ToArray();
        float[] aux = GradientTests.Random(batch * 5, 1);
        var model = new GraphNews(seed: 1);
        var flat = model.Predict([ids.Select(i => (float)i).ToArray(), aux], batch);
        var typed = model.Predict([ids, aux], batch);
        Assert.Equal(flat[0], typed[0]);
        Assert.Equal(flat[1], typed[1]);

        float[] main = GradientTests.Random(batch, 2), extra = GradientTests.Random(batch, 3);
        var a = new GraphNews(seed: 2);
        var b = new GraphNews(seed: 2);
        a.Compile(new SGD(0.1f), "mse");
        b.Compile(new SGD(0.1f), "mse");
        a.Fit([ids.Select(i => (float)i).ToArray(), aux], [main, extra], batchSize: batch, shuffle: false, verbose: 0);
        b.Fit([ids, aux], [main, extra], batchSize: batch, shuffle: false, verbose: 0);
        Assert.Equal(a.ReadOnlyWeights.ToArray(), b.ReadOnlyWeights.ToArray());
        Assert.Equal(a.Evaluate([ids.Select(i => (float)i).ToArray(), aux], [main, extra], batchSize: batch)["loss"],
            b.Evaluate([ids, aux], [main, extra], batchSize: batch)["loss"]);

        var tooLarge = Assert.Throws<ArgumentException>(() => model.Predict([ids.Select((v, i) => i == 5 ? 20_000_000 : v).ToArray(), aux], batch));
        Assert.Contains("16,777,216", tooLarge.Message);
    }

    [Fact]
    public void Rectangular_arrays_are_checked_against_the_input_shape()
    {
        var model = new SmallConvNet(seed: 3);
        var random = new Random(4);
        var images = new float[2, 6, 7, 2];
        var flat = new float[2 * 6 * 7 * 2];
        int k = 0;
        for (int n = 0; n < 2; n++)
        {
            for (int h = 0; h < 6; h++)
            {
                for (int w = 0; w < 7; w++)
                {
                    for (int c = 0; c < 2; c++)
                    {
                        images[n, h, w, c] = flat[k++] = (float)random.NextDouble();
                    }
                }
            }
        }

        Assert.Equal(model.Predict([flat], 2)[0], model.Predict([images], 2)[0]);
        Assert.Equal(model.Predict([flat], 2)[0], model.Predict([(Array)flat.Select(v => (double)v).ToArray()], 2)[0]);
        var wrong = Assert.Throws<ArgumentException>(() => model.Predict([new float[2, 7, 6, 2]], 2));
        Assert.Contains("(2, 7, 6, 2)", wrong.Message);
        Assert.Contains("'image'", wrong.Message);
        Assert.Throws<ArgumentException>(() => model.Predict([new long[84]], 1));
    }

    [Fact]
    public void Tensors_predict_train_and_evaluate_as_their_flat_values()
    {
        var model = new SmallConvNet(seed: 3);
        var flat = GradientTests.Random(4 * 6 * 7 * 2, 8);
        var images = System.Numerics.Tensors.Tensor.Create(flat, [4, 6, 7, 2]);
        var outputs = model.Predict([images], batchSize: 4);
        var expected = model.Predict([flat], 4)[0];
        Assert.Equal(expected, outputs[0].ToArray());
        Assert.Equal([(nint)4, .. model.Description.Outputs[0].Shape.Select(d => (nint)d)], outputs[0].Lengths.ToArray());

        // A strided view (the first two of four channels) is read in its logical order.
        var wide = new float[4 * 6 * 7 * 4];
        for (int i = 0; i < flat.Length; i++)
        {
            wide[((i / 2) * 4) + (i % 2)] = flat[i];
            wide[((i / 2) * 4) + 2 + (i % 2)] = 99;
        }

        var channels = System.Numerics.Tensors.Tensor.Create(wide, [4, 6, 7, 4]).Slice(new System.Buffers.NRange[] { .., .., .., 0..2 });
        Assert.False(channels.IsDense);
        Assert.Equal(expected, model.Predict([channels], 4)[0].ToArray());

        int size = model.Description.Outputs[0].Size;
        var targets = GradientTests.Random(4 * size, 9);
        var a = new SmallConvNet(seed: 5);
        var b = new SmallConvNet(seed: 5);
        a.Compile(new SGD(0.1f), "mse");
        b.Compile(new SGD(0.1f), "mse");
        a.Fit([flat], [targets], batchSize: 2, shuffle: false, verbose: 0);
        b.Fit([images], [System.Numerics.Tensors.Tensor.Create(targets, [4, size])], batchSize: 2, shuffle: false, verbose: 0);
        Assert.Equal(a.ReadOnlyWeights.ToArray(), b.ReadOnlyWeights.ToArray());
        Assert.Equal(a.Evaluate([flat], [targets], batchSize: 4)["loss"],
            b.Evaluate([images], [System.Numerics.Tensors.Tensor.Create(targets, [(nint)(4 * size)])], batchSize: 4)["loss"]);

        var wrong = Assert.Throws<ArgumentException>(() => model.Predict([System.Numerics.Tensors.Tensor.Create(flat, [4, 7, 6, 2])], 2));
        Assert.Contains("(4, 7, 6, 2)", wrong.Message);
        Assert.Contains("'image'", wrong.Message);
    }
}
