using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Keras's initialisers by name (keras/src/initializers): each weight's distribution against Keras's parameters —
/// variance scaling's fans, the truncation at two standard deviations and its 0.8796 correction, the uniform limits,
/// orthogonality — measured on the drawn values.
/// </summary>
public class InitializerTests
{
    private static readonly InitializedLayers Model = new(seed: 11);

    private static float[] W(string layer, string name = "kernel") => Model.GetReadOnlyWeights(layer, name).ToArray();

    private static double Std(float[] v)
    {
        double mean = v.Average(x => (double)x);
        return Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
    }

    [Fact]
    public void Variance_scaling_initialisers_have_Keras_spread_and_bounds()
    {
        // he_normal on a 3×3×3 → 64 kernel: fan_in 27, std √(2/27), truncated at 2·√(2/27)/0.8796.
        var conv = W("conv");
        Assert.Equal(Math.Sqrt(2.0 / 27), Std(conv), 2);
        Assert.All(conv, v => Assert.True(Math.Abs(v) <= 2 * Math.Sqrt(2.0 / 27) / 0.87962566103423978 + 1e-6));
        Assert.All(W("conv", "bias"), v => Assert.Equal(1f, v));

        double limit = Math.Sqrt(6.0 / 2304); // he_uniform, fan_in 6·6·64
        var heUniform = W("he_uniform");
        Assert.All(heUniform, v => Assert.True(Math.Abs(v) <= limit));
        Assert.Equal(limit / Math.Sqrt(3), Std(heUniform), 3);
        Assert.Equal(Math.Sqrt(1.0 / 400), Std(W("lecun_normal")), 3);
        Assert.Equal(Math.Sqrt(2.0 / 500), Std(W("glorot_normal")), 3);
        var lecunUniform = W("lecun_uniform");
        Assert.All(lecunUniform, v => Assert.True(Math.Abs(v) <= Math.Sqrt(3.0 / 50)));
        Assert.True(lecunUniform.Max() > 0.8 * Math.Sqrt(3.0 / 50));
    }

    [Fact]
    public void Normal_truncated_and_orthogonal_initialisers_match_Keras()
    {
        var truncated = W("truncated");
        Assert.All(truncated, v => Assert.True(Math.Abs(v) <= 0.1 + 1e-7)); // within two standard deviations of 0.05
        Assert.Equal(0.05 * 0.87962566103423978, Std(truncated), 3);       // the truncated normal's spread
        Assert.Equal(0.05, Std(W("embedding", "embeddings")), 2);
        Assert.Equal(0.05, Std(W("truncated", "bias")), 1);

        // orthogonal [100, 50]: the columns are orthonormal.
        var q = W("orthogonal");
        for (int a = 0; a < 50; a++)
        {
            for (int b = 0; b < 50; b++)
            {
                double dot = Enumerable.Range(0, 100).Sum(r => (double)q[(r * 50) + a] * q[(r * 50) + b]);
                Assert.Equal(a == b ? 1 : 0, dot, 4);
            }
        }

        Assert.All(W("lstm", "bias"), v => Assert.Equal(0f, v)); // biasInitializer "zeros" replaces unit_forget_bias
        Assert.Equal(Math.Sqrt(2.0 / (16 + 32)), Std(W("lstm")), 1);
    }
}
