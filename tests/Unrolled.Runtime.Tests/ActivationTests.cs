using System;
using System.Collections.Generic;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class ActivationTests
{
    public static IEnumerable<object[]> All()
    {
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            yield return [activation];
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void BackwardMatchesCentralDifferences(Activation activation)
    {
        const int rows = 4, cols = 7;
        var random = new Random((int)activation + 11);
        var z = new float[rows * cols];
        var upstream = new float[rows * cols];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = AwayFromKinks(activation, (float)((random.NextDouble() * 8) - 4));
            upstream[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var y = new float[z.Length];
        ActivationKernels.Forward(activation, z, y, rows, cols);
        var gradient = (float[])upstream.Clone();
        ActivationKernels.Backward(activation, ActivationKernels.NeedsPreActivation(activation) ? z : ReadOnlySpan<float>.Empty,
            y, gradient, rows, cols);

        // L = Σ upstream · y; dL/dz_i by central differences through the whole forward (covers softmax's coupling).
        const float h = 1e-2f;
        for (int i = 0; i < z.Length; i++)
        {
            var plus = (float[])z.Clone();
            var minus = (float[])z.Clone();
            plus[i] += h;
            minus[i] -= h;
            double step = (double)plus[i] - minus[i];
            double expected = (Objective(activation, plus, upstream, rows, cols) - Objective(activation, minus, upstream, rows, cols)) / step;
            Assert.True(Math.Abs(expected - gradient[i]) <= 2e-3 * (1 + Math.Abs(expected)),
                $"{activation} at z={z[i]}: finite difference {expected}, backward {gradient[i]}");
        }
    }

    [Theory]
    [InlineData(Activation.Relu, -1.5f, 0f)]
    [InlineData(Activation.Relu, 2.5f, 2.5f)]
    [InlineData(Activation.Relu6, 7f, 6f)]
    [InlineData(Activation.Elu, -1f, -0.63212055882f)]
    [InlineData(Activation.Selu, -1f, -1.1113307378f)]
    [InlineData(Activation.Selu, 2f, 2.101401975f)]
    [InlineData(Activation.Sigmoid, 0f, 0.5f)]
    [InlineData(Activation.HardSigmoid, 1f, 0.6666667f)]
    [InlineData(Activation.HardSigmoid, -3.5f, 0f)]
    [InlineData(Activation.Tanh, 0.5f, 0.46211715726f)]
    [InlineData(Activation.Softplus, 0f, 0.69314718056f)]
    [InlineData(Activation.Softplus, 100f, 100f)]
    [InlineData(Activation.Softplus, -30f, 9.357623e-14f)]
    [InlineData(Activation.Softsign, 1f, 0.5f)]
    [InlineData(Activation.Swish, 1f, 0.73105857863f)]
    [InlineData(Activation.Gelu, 1f, 0.84134474607f)]
    [InlineData(Activation.Gelu, -2f, -0.04550026389f)]
    [InlineData(Activation.Gelu, 0.3f, 0.18537414f)]
    [InlineData(Activation.Exponential, 1f, 2.71828182846f)]
    public void ForwardMatchesKerasValues(Activation activation, float z, float expected)
    {
        var y = new float[1];
        ActivationKernels.Forward(activation, [z], y, 1, 1);
        Assert.True(Math.Abs(y[0] - expected) <= 1e-6 * (1 + Math.Abs(expected)), $"{activation}({z}) = {y[0]}, expected {expected}");
    }

    [Theory]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(1e-8, 1.1283791670955126e-8)]
    public void ErfIsAccurate(double x, double expected)
        => Assert.True(Math.Abs(SpecialFunctions.Erf(x) - expected) < 1e-6 * Math.Max(1e-3, Math.Abs(expected)) || Math.Abs(SpecialFunctions.Erf(x) - expected) < 2e-7,
            $"erf({x}) = {SpecialFunctions.Erf(x)}, expected {expected}");

    [Fact]
    public void SoftmaxRowsSumToOneInPlaceAndSurviveLargeLogits()
    {
        float[] z = [1000f, 1001f, 1002f, -5f, 0f, 5f];
        ActivationKernels.Forward(Activation.Softmax, z, z, 2, 3);
        Assert.Equal(1.0, z[0] + z[1] + z[2], 5);
        Assert.Equal(1.0, z[3] + z[4] + z[5], 5);
        Assert.Equal(0.66524096, z[2], 5);
        Assert.Equal(0.99326205, z[5], 5);
    }

    [Theory]
    [InlineData(7, false)]
    [InlineData(32, false)]
    [InlineData(40, false)]
    [InlineData(40, true)]
    [InlineData(47, true)]
    [InlineData(48, true)]
    [InlineData(200, false)]
    [InlineData(200, true)]
    public void SoftmaxMatchesDoubleReferenceOnNarrowAndWideRows(int cols, bool inPlace)
    {
        // Rows under 32 take a plain loop, wider rows 16-float vectors with the last, partial one overlapping the one
        // before (widths off a multiple of 16, in place or not); all must agree with the formula.
        const int rows = 3;
        var random = new Random(cols);
        var z = new float[rows * cols];
        var g = new float[rows * cols];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)((random.NextDouble() * 10) - 5);
            g[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var y = inPlace ? (float[])z.Clone() : new float[z.Length];
        ActivationKernels.Forward(Activation.Softmax, inPlace ? y : z, y, rows, cols);
        var gradient = (float[])g.Clone();
        ActivationKernels.Backward(Activation.Softmax, default, y, gradient, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0, dot = 0;
            for (int c = 0; c < cols; c++)
            {
                max = Math.Max(max, z[(r * cols) + c]);
            }

            for (int c = 0; c < cols; c++)
            {
                sum += Math.Exp(z[(r * cols) + c] - max);
            }

            for (int c = 0; c < cols; c++)
            {
                dot += g[(r * cols) + c] * Math.Exp(z[(r * cols) + c] - max) / sum;
            }

            for (int c = 0; c < cols; c++)
            {
                int i = (r * cols) + c;
                double p = Math.Exp(z[i] - max) / sum;
                Assert.Equal(p, y[i], 1e-6);
                Assert.Equal(p * (g[i] - dot), gradient[i], 1e-6);
            }
        }
    }

    [Fact]
    public void SoftmaxPropagatesNaN()
    {
        float[] z = [1f, float.NaN, 2f];
        ActivationKernels.Forward(Activation.Softmax, z, z, 1, 3);
        Assert.All(z, v => Assert.True(float.IsNaN(v)));

        // A wide row, the NaN in the overlapping tail; and one whose logits would overflow exp without the maximum.
        float[] wide = Enumerable.Range(0, 40).Select(i => i == 37 ? float.NaN : (float)i).ToArray();
        ActivationKernels.Forward(Activation.Softmax, wide, wide, 1, 40);
        Assert.All(wide, v => Assert.True(float.IsNaN(v)));
        float[] large = Enumerable.Range(0, 40).Select(i => 1000f + i).ToArray();
        ActivationKernels.Forward(Activation.Softmax, large, large, 1, 40);
        Assert.Equal(1.0, large.Sum(v => (double)v), 5);
        Assert.Equal((1 - Math.Exp(-1)) / (1 - Math.Exp(-40)), large[39], 5); // 1 / Σ e^-k
    }

    [Fact]
    public void OnlySwishAndGeluNeedThePreActivation()
    {
        foreach (Activation a in Enum.GetValues<Activation>())
        {
            Assert.Equal(a is Activation.Swish or Activation.Gelu, ActivationKernels.NeedsPreActivation(a));
        }
    }

    [Fact]
    public void VectorisedPathsMatchScalarFormulasOnLongSpans()
    {
        // 37 elements: several SIMD blocks plus a remainder, for the vectorised forward and backward routines.
        var random = new Random(5);
        foreach (Activation a in new[] { Activation.Relu, Activation.Relu6, Activation.Sigmoid, Activation.Tanh, Activation.Exponential })
        {
            var z = new float[37];
            for (int i = 0; i < z.Length; i++)
            {
                z[i] = (float)((random.NextDouble() * 10) - 3);
            }

            var y = new float[z.Length];
            ActivationKernels.Forward(a, z, y, 1, z.Length);
            for (int i = 0; i < z.Length; i++)
            {
                double reference = a switch
                {
                    Activation.Relu => Math.Max(z[i], 0),
                    Activation.Relu6 => Math.Min(Math.Max(z[i], 0), 6),
                    Activation.Sigmoid => 1 / (1 + Math.Exp(-z[i])),
                    Activation.Tanh => Math.Tanh(z[i]),
                    _ => Math.Exp(z[i]),
                };
                Assert.True(Math.Abs(reference - y[i]) <= 1e-6 * (1 + Math.Abs(reference)), $"{a}({z[i]}) = {y[i]}, expected {reference}");
            }
        }
    }

    private static double Objective(Activation activation, float[] z, float[] upstream, int rows, int cols)
    {
        var y = new float[z.Length];
        ActivationKernels.Forward(activation, z, y, rows, cols);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += (double)upstream[i] * y[i];
        }

        return sum;
    }

    /// <summary>Moves points off the kinks (0 for ReLU / ELU / SELU, 6 for ReLU6, ±3 for hard sigmoid) by more than
    /// the finite-difference step.</summary>
    private static float AwayFromKinks(Activation activation, float z)
    {
        // ReLU6's upper kink at 6 lies outside [-4, 4]; stretch first so both kinks are exercised nearby.
        z = activation == Activation.Relu6 ? z * 2 : z;
        float[] kinks = activation switch
        {
            Activation.Relu or Activation.Elu or Activation.Selu => [0f],
            Activation.Relu6 => [0f, 6f],
            Activation.HardSigmoid => [-3f, 3f],
            _ => [],
        };
        foreach (float kink in kinks)
        {
            if (Math.Abs(z - kink) < 0.05f)
            {
                z = kink + (z < kink ? -0.1f : 0.1f);
            }
        }

        return z;
    }
}
