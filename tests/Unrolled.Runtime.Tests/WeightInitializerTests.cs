using System;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class WeightInitializerTests
{
    [Theory]
    [InlineData(4, 16)] // an LSTM recurrent kernel [u, 4u]: orthonormal rows
    [InlineData(5, 15)] // a GRU one
    [InlineData(16, 4)] // tall: orthonormal columns
    [InlineData(7, 7)] // a SimpleRNN one: orthogonal
    [InlineData(64, 256)]
    public void OrthogonalHasOrthonormalRowsOrColumns(int rows, int columns)
    {
        var initializer = new WeightInitializer(3);
        var w = new float[rows * columns];
        initializer.Orthogonal(w, rows, columns);
        bool wide = rows < columns;
        int vectors = Math.Min(rows, columns), length = Math.Max(rows, columns);
        double Element(int v, int e) => wide ? w[(v * columns) + e] : w[(e * columns) + v];
        for (int a = 0; a < vectors; a++)
        {
            for (int b = 0; b <= a; b++)
            {
                double dot = 0;
                for (int e = 0; e < length; e++)
                {
                    dot += Element(a, e) * Element(b, e);
                }

                Assert.True(Math.Abs(dot - (a == b ? 1 : 0)) < 1e-5, $"({a}, {b}): {dot}");
            }
        }
    }

    [Fact]
    public void OrthogonalIsDeterministicPerSeedAndRandom()
    {
        float[] Draw(int seed)
        {
            var initializer = new WeightInitializer(seed);
            var w = new float[8 * 32];
            initializer.Orthogonal(w, 8, 32);
            return w;
        }

        Assert.Equal(Draw(1), Draw(1));
        Assert.NotEqual(Draw(1), Draw(2));

        // Not a fixed pattern such as the identity: entries of a random orthogonal 8 × 32 have variance 1/32.
        float[] w = Draw(5);
        double variance = w.Select(v => (double)v * v).Average();
        Assert.InRange(variance, 1 / 32.0 * 0.99, 1 / 32.0 * 1.01); // exact: every row has norm 1
        Assert.True(w.Count(v => Math.Abs(v) < 1e-6) < 4);
    }

    [Fact]
    public void NormalDrawsHaveStandardMoments()
    {
        var initializer = new WeightInitializer(9);
        const int n = 200_000;
        double sum = 0, squares = 0, fourth = 0;
        for (int i = 0; i < n; i++)
        {
            double v = initializer.NextNormal();
            sum += v;
            squares += v * v;
            fourth += v * v * v * v;
        }

        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(squares / n, 0.98, 1.02);
        Assert.InRange(fourth / n, 2.9, 3.1); // a normal's kurtosis, not a uniform's 1.8
    }

    [Fact]
    public void PortableLogMatchesMathLog()
    {
        double[] samples = [1e-320, 5e-310, 1e-300, 1e-20, 0.001, 0.25, 0.5, 0.7071, 0.70710678118654757, 0.9999999, 1, 1.0000001,
            1.4142135623730951, 1.5, 2, 3, 10, 1e20, 1e300, double.MaxValue];
        foreach (double x in samples)
        {
            double expected = Math.Log(x);
            Assert.True(Math.Abs(WeightInitializer.Log(x) - expected) <= 4e-16 * Math.Max(1, Math.Abs(expected)), $"log({x:R})");
        }

        var random = new Random(1);
        for (int i = 0; i < 10_000; i++)
        {
            double x = random.NextDouble();
            Assert.True(Math.Abs(WeightInitializer.Log(x) - Math.Log(x)) <= 4e-16 * Math.Max(1, Math.Abs(Math.Log(x))), $"log({x:R})");
        }
    }

    [Fact]
    public void UniformConstantAndOnesFill()
    {
        var initializer = new WeightInitializer(4);
        var w = new float[10_000];
        initializer.RandomUniform(w, -0.05f, 0.05f);
        Assert.All(w, v => Assert.InRange(v, -0.05f, 0.05f));
        Assert.InRange(w.Average(), -0.002, 0.002);
        Assert.InRange(w.Select(v => (double)v * v).Average(), (0.01 / 12) * 0.95, (0.01 / 12) * 1.05);

        initializer.Constant(w, 0.25f);
        Assert.All(w, v => Assert.Equal(0.25f, v));
        initializer.Ones(w);
        Assert.All(w, v => Assert.Equal(1f, v));
    }
}
