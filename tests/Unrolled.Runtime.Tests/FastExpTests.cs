using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// The softmax's exponential (<see cref="Simd.Exp2NonPositive"/>) against <see cref="Math.Pow(double, double)"/> over its
/// whole domain, softmax rows (the numerators the fused attention divides later, and whole rows) against double, and the
/// short-row LayerNorm against a reference in double.
/// </summary>
public class FastExpTests
{
    private static float[] Exp2(float[] t, bool portable)
    {
        var y = new float[t.Length];
        for (int i = 0; i < t.Length; i += 16)
        {
            var v = Vector512.Create(t.AsSpan(i, 16));
            (portable ? Simd.Exp2NonPositivePortable(v) : Simd.Exp2NonPositive(v)).CopyTo(y.AsSpan(i));
        }

        return y;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // without AVX-512's roundscale and scalef
    public void Within_two_units_in_the_last_place_of_two_to_the_t_from_0_down_to_underflow(bool portable)
    {
        // Every 1/4096 from 0 to −150 (614,400 points), and the edges.
        var t = new float[(150 * 4096) + 16];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = -i / 4096f;
        }

        float[] y = Exp2(t, portable);
        double worst = 0;
        for (int i = 0; i < t.Length; i++)
        {
            double exact = Math.Pow(2, t[i]);
            float rounded = (float)exact;
            double ulp = Math.Max(MathF.BitIncrement(rounded) - rounded, float.Epsilon);
            worst = Math.Max(worst, Math.Abs(y[i] - exact) / ulp);
        }

        Assert.True(worst <= 2, $"largest error {worst:F2} units in the last place");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Edges_give_what_two_to_the_t_gives(bool portable)
    {
        float[] t = [0f, -0f, -1e-8f, -126.25f, -149.4f, -150f, -1e9f, float.NegativeInfinity, float.NaN, float.MinValue, -1f, -0.5f, 1e-7f, -20f, -80f, -149f];
        float[] y = Exp2(t, portable);
        Assert.Equal(1f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.Equal(1f, y[2]);
        Assert.Equal((float)Math.Pow(2, -126.25), y[3], 1e-44f); // subnormal range
        Assert.Equal(float.Epsilon, y[4]);                          // 2^−149.4 rounds to the smallest subnormal
        Assert.Equal(0f, y[5]);
        Assert.Equal(0f, y[6]);
        Assert.Equal(0f, y[7]);
        Assert.True(float.IsNaN(y[8]));
        Assert.Equal(0f, y[9]);
        Assert.Equal(0.5f, y[10]);
        Assert.Equal(Math.Sqrt(0.5), y[11], 6e-8);                 // within an ulp
        Assert.Equal(1f, y[12], 1e-6f);                             // the rounding above a row's maximum
        Assert.Equal(float.Epsilon, y[15]);
    }

    [Theory]
    [InlineData(200, 1f, 0f)]
    [InlineData(37, 0.17677669f, 0f)]  // 1/√32, a non-whole number of vectors
    [InlineData(9, 0.25f, 0f)]         // shorter than a vector: scalars
    [InlineData(512, 1f, 0f)]
    [InlineData(200, 1f, 3e9f)]        // scores around 3e9: c·max is no longer rounded once for the row
    [InlineData(40, 0.17677669f, -5e10f)]
    [InlineData(9, 1f, 3e9f)]
    public void Softmax_numerators_and_rows_match_double(int length, float scale, float offset)
    {
        var random = new Random(length);
        float[] z = new float[length];
        for (int i = 0; i < length; i++)
        {
            // Spread over e^±50 after the scale of 1; far from 0 the floats are hundreds apart, so the row is its
            // maximum (or a few tied ones) and zeros, which one rounding of c·max for the row would turn into Inf or 0.
            z[i] = offset + (float)((random.NextDouble() * 40) - 10);
        }

        double max = z.Max();
        double[] exact = z.Select(v => Math.Exp(scale * (v - max))).ToArray();
        float[] numerators = new float[length];
        double sum = ActivationKernels.ShiftedExponentials(z, numerators, scale);

        // The numerators may all be off by one factor (c·max is rounded once for the row), which the division by their
        // sum cancels: what must hold is each one's share of the sum.
        double exactSum = exact.Sum();
        for (int i = 0; i < length; i++)
        {
            double share = numerators[i] / sum, expected = exact[i] / exactSum;
            Assert.True(Math.Abs(share - expected) <= 4e-7 * Math.Max(expected, 0.1), $"numerator {i}: share {share} against {expected}");
        }

        Assert.InRange(sum / exactSum, 1 - 4e-6, 1 + 4e-6);
        float[] row = new float[length];
        ActivationKernels.SoftmaxAlong(z.Select(v => v * scale).ToArray(), row, 1, length, 1);
        double total = exact.Sum();
        for (int i = 0; i < length; i++)
        {
            Assert.True(Math.Abs(row[i] - (exact[i] / total)) <= 4e-7 * Math.Max(exact[i] / total, 0.1), $"weight {i}: {row[i]} against {exact[i] / total}");
        }
    }

    [Theory]
    [InlineData(32, 201)]
    [InlineData(16, 3)]
    [InlineData(256, 7)]
    [InlineData(48, 5)]
    [InlineData(16, 19)]   // blocks of eight rows and a remainder
    [InlineData(256, 9)]
    [InlineData(48, 17)]
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
