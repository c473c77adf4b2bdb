using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>Predict and initialisation against plain reference implementations written here.</summary>
public class ReferenceTests
{
    /// <summary>The MLP's forward pass written out in double precision from the documented weight layout.</summary>
    private static double[] ReferenceMlp(float[] w, float[] x, int batch)
    {
        var output = new double[batch * 10];
        int[] sizes = [784, 64, 64, 10];
        for (int b = 0; b < batch; b++)
        {
            double[] h = x.Skip(b * 784).Take(784).Select(v => (double)v).ToArray();
            int offset = 0;
            for (int l = 0; l < 3; l++)
            {
                int k = sizes[l], n = sizes[l + 1];
                var next = new double[n];
                for (int j = 0; j < n; j++)
                {
                    double sum = w[offset + k * n + j];
                    for (int i = 0; i < k; i++)
                    {
                        sum += h[i] * w[offset + i * n + j];
                    }

                    next[j] = l < 2 ? Math.Max(0, sum) : sum;
                }

                offset += k * n + n;
                h = next;
            }

            double max = h.Max();
            double total = h.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < 10; j++)
            {
                output[b * 10 + j] = Math.Exp(h[j] - max) / total;
            }
        }

        return output;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Predict_matches_a_plain_implementation(int batch)
    {
        var model = new Mlp(seed: 1);
        var random = new Random(batch);
        float[] x = Enumerable.Range(0, batch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        float[] actual = new float[batch * 10];
        model.Predict(x, actual, batch);
        double[] expected = ReferenceMlp(model.Weights.ToArray(), x, batch);
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"output {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Initialisation_is_seeded_glorot_uniform_with_zero_biases()
    {
        var a = new Mlp(seed: 42);
        var b = new Mlp(seed: 42);
        var c = new Mlp(seed: 43);
        Assert.True(a.Weights.SequenceEqual(b.Weights));
        Assert.False(a.Weights.SequenceEqual(c.Weights));

        float[] w = a.Weights.ToArray();
        Assert.Equal(55_050, w.Length);
        Assert.Equal(55_050, Mlp.ParameterCount);
        float limit = MathF.Sqrt(6f / (784 + 64));
        var kernel = w.AsSpan(0, 784 * 64).ToArray();
        Assert.All(kernel, v => Assert.InRange(v, -limit, limit));
        // A uniform distribution on [-L, L] has variance L²/3.
        double variance = kernel.Select(v => (double)v * v).Average();
        Assert.InRange(variance, limit * limit / 3 * 0.95, limit * limit / 3 * 1.05);
        Assert.All(w.AsSpan(784 * 64, 64).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Summary_and_description_expose_keras_figures()
    {
        var model = new Mlp(seed: 0);
        Assert.Contains("Total params: 55,050", model.Summary());
        Assert.Equal("input_1", model.Description.Inputs[0].Name);
        Assert.Equal("dense_2", model.Description.Outputs[0].Name);
        Assert.Equal(784, Mlp.Input1Size);
        Assert.Equal(10, Mlp.Dense2Size);
    }

    [Fact]
    public void TimeDistributed_model_equals_the_model_on_each_step()
    {
        var sequence = new SequenceMlp(seed: 3);
        var single = new Mlp(seed: 0);
        Assert.Equal(55_050, SequenceMlp.ParameterCount);
        sequence.Weights.CopyTo(single.Weights); // one set of weights, the same layout

        var random = new Random(5);
        float[] x = Enumerable.Range(0, 2 * 20 * 784).Select(_ => (float)random.NextDouble()).ToArray();
        float[] steps = sequence.Predict(x);
        Assert.Equal(2 * 20 * 10, steps.Length);
        float[] perStep = single.Predict(x); // the same floats seen as 40 samples of 784
        for (int i = 0; i < steps.Length; i++)
        {
            Assert.Equal(perStep[i], steps[i], 6);
        }

        Assert.Contains("(None, 20, 10)", sequence.Summary());
        Assert.Contains("55050", sequence.Summary());
    }

    [Fact]
    public void Nested_TimeDistributed_equals_dense_on_the_last_axis()
    {
        var nested = new NestedTime(seed: 1);
        var flat = new FlatTime(seed: 2);
        Assert.Equal(NestedTime.ParameterCount, FlatTime.ParameterCount);
        nested.Weights.CopyTo(flat.Weights);
        var random = new Random(9);
        float[] x = Enumerable.Range(0, 3 * 24).Select(_ => (float)random.NextDouble()).ToArray();
        Assert.Equal(flat.Predict(x), nested.Predict(x));
    }
}
