using System;
using System.Runtime.Intrinsics;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// The softmax's exponential (<see cref="Simd.ExpNonPositive"/>) against <see cref="Math.Exp(double)"/> over its whole
/// domain, and the short-row LayerNorm against a reference in double.
/// </summary>
public class FastExpTests
{
    private static float[] Exp(float[] x)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += 16)
        {
            Simd.ExpNonPositive(Vector512.Create(x.AsSpan(i, 16))).CopyTo(y.AsSpan(i));
        }

        return y;
    }

    [Fact]
    public void Within_two_units_in_the_last_place_of_exp_from_0_down_to_underflow()
    {
        // Every 1/4096 from 0 to −104 (425,984 points), and the edges.
        var x = new float[(104 * 4096) + 16];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = -i / 4096f;
        }

        float[] y = Exp(x);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            float rounded = (float)exact;
            double ulp = Math.Max(MathF.BitIncrement(rounded) - rounded, float.Epsilon);
            worst = Math.Max(worst, Math.Abs(y[i] - exact) / ulp);
        }

        Assert.True(worst <= 2, $"largest error {worst:F2} units in the last place");
    }

    [Fact]
    public void Edges_give_what_exp_gives()
    {
        float[] x = [0f, -0f, -1e-8f, -87.5f, -103.9f, -104.5f, -1e9f, float.NegativeInfinity, float.NaN, float.MinValue, -1f, -2f, -20f, -50f, -80f, -100f];
        float[] y = Exp(x);
        Assert.Equal(1f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.Equal(1f, y[2]);
        Assert.Equal((float)Math.Exp(-87.5), y[3], 1e-44f); // subnormal range
        Assert.True(y[4] >= 0 && y[4] <= 2 * float.Epsilon);
        Assert.Equal(0f, y[5]);
        Assert.Equal(0f, y[6]);
        Assert.Equal(0f, y[7]);
        Assert.True(float.IsNaN(y[8]));
        Assert.Equal(0f, y[9]);
        Assert.Equal((float)Math.Exp(-1), y[10]);
    }

    [Theory]
    [InlineData(32, 201)]
    [InlineData(16, 3)]
    [InlineData(256, 7)]
    [InlineData(48, 5)]
    public void Short_rows_of_layer_normalisation_match_double(int features, int rows)
    {
        var random = new Random(features);
        float[] x = new float[rows * features], gamma = new float[features], beta = new float[features];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 6) - 2);
        }

        for (int j = 0; j < features; j++)
        {
            gamma[j] = (float)(random.NextDouble() + 0.5);
            beta[j] = (float)(random.NextDouble() - 0.5);
        }

        float[] y = new float[x.Length], statistics = new float[2 * rows];
        LayerNorm.Forward(x, gamma, beta, y, statistics, rows, features, 1, epsilon: 1e-6f, rms: false);
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, variance = 0;
            for (int j = 0; j < features; j++)
            {
                mean += x[(r * features) + j];
            }

            mean /= features;
            for (int j = 0; j < features; j++)
            {
                double d = x[(r * features) + j] - mean;
                variance += d * d;
            }

            double inverse = 1 / Math.Sqrt((variance / features) + 1e-6);
            Assert.Equal(mean, statistics[r], 1e-5);
            Assert.Equal(inverse, statistics[rows + r], 1e-5 * inverse);
            for (int j = 0; j < features; j++)
            {
                double expected = ((x[(r * features) + j] - mean) * gamma[j] * inverse) + beta[j];
                Assert.True(Math.Abs(y[(r * features) + j] - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)),
                    $"row {r}, feature {j}: {y[(r * features) + j]} against {expected}");
            }
        }
    }
}
