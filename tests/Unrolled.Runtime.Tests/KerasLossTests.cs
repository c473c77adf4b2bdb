using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Keras's regression, probabilistic and hinge losses against their formulas written out here per row in double, as
/// keras/src/losses/losses.py states them (reduced over the last axis, then averaged over the rows), and their
/// gradients against central differences of those formulas.
/// </summary>
public class KerasLossTests
{
    private const int Rows = 4, Cols = 5;
    private const double Epsilon = 1e-7f;

    public static IEnumerable<object[]> Names() =>
        new[] { "mae", "mape", "msle", "huber", "log_cosh", "poisson", "hinge", "hinge_binary", "squared_hinge", "squared_hinge_binary", "kl_divergence",
            "categorical_hinge", "cosine_similarity" }.Select(n => new object[] { n });

    /// <summary>Each row's Keras value, from the formula (not the product code).</summary>
    private static double Reference(string name, double[] p, double[] y)
    {
        double Mean(Func<int, double> term) => Enumerable.Range(0, p.Length).Average(term);
        bool binary = y.All(t => t is 0 or 1);
        double Label(int j) => binary ? (2 * y[j]) - 1 : y[j];
        switch (name)
        {
            case "mae": return Mean(j => Math.Abs(y[j] - p[j]));
            case "mape": return 100 * Mean(j => Math.Abs((y[j] - p[j]) / Math.Max(Math.Abs(y[j]), Epsilon)));
            case "msle": return Mean(j => Math.Pow(Math.Log(Math.Max(p[j], Epsilon) + 1) - Math.Log(Math.Max(y[j], Epsilon) + 1), 2));
            case "huber":
                return Mean(j =>
                {
                    double e = p[j] - y[j];
                    return Math.Abs(e) <= 1 ? 0.5 * e * e : Math.Abs(e) - 0.5;
                });
            case "log_cosh": return Mean(j => Math.Log(Math.Cosh(p[j] - y[j])));
            case "poisson": return Mean(j => p[j] - (y[j] * Math.Log(p[j] + Epsilon)));
            case "hinge": return Mean(j => Math.Max(1 - (Label(j) * p[j]), 0));
            case "squared_hinge": return Mean(j => Math.Pow(Math.Max(1 - (Label(j) * p[j]), 0), 2));
            case "kl_divergence":
                return Enumerable.Range(0, p.Length).Sum(j =>
                {
                    double t = Math.Clamp(y[j], Epsilon, 1), q = Math.Clamp(p[j], Epsilon, 1);
                    return t * Math.Log(t / q);
                });
            case "categorical_hinge":
            {
                double positive = Enumerable.Range(0, p.Length).Sum(j => y[j] * p[j]);
                double negative = Enumerable.Range(0, p.Length).Max(j => (1 - y[j]) * p[j]);
                return Math.Max(negative - positive + 1, 0);
            }

            default:
            {
                double[] Normalise(double[] v)
                {
                    double norm = Math.Sqrt(Math.Max(v.Sum(x => x * x), 1e-12));
                    return v.Select(x => x / norm).ToArray();
                }

                double[] a = Normalise(y), b = Normalise(p);
                return -a.Zip(b).Sum(z => z.First * z.Second);
            }
        }
    }

    private static double BatchReference(string name, double[] p, double[] y)
    {
        // The binary reading of hinge labels looks at the whole batch.
        if (name.Contains("hinge", StringComparison.Ordinal) && name != "categorical_hinge" && y.All(t => t is 0 or 1))
        {
            y = y.Select(t => 2 * t - 1).ToArray();
        }

        return Enumerable.Range(0, Rows).Average(r => Reference(name, p[(r * Cols)..((r + 1) * Cols)], y[(r * Cols)..((r + 1) * Cols)]));
    }

    private static (float[] P, float[] Y) Data(string name)
    {
        var random = new Random(name.Length * 31 + name[0]);
        float Uniform(double lo, double hi) => (float)(lo + ((hi - lo) * random.NextDouble()));
        var p = new float[Rows * Cols];
        var y = new float[Rows * Cols];
        for (int i = 0; i < p.Length; i++)
        {
            (p[i], y[i]) = name switch
            {
                "mape" => (Uniform(-2, 2), Uniform(0.5, 2) * (random.Next(2) * 2 - 1)),
                "msle" or "poisson" => (Uniform(0.05, 2), Uniform(0, 2)),
                "kl_divergence" => (Uniform(0.05, 0.95), Uniform(0, 1)),
                "hinge" or "squared_hinge" => (Uniform(-1.5, 1.5), random.Next(2) * 2 - 1),
                "hinge_binary" or "squared_hinge_binary" => (Uniform(-1.5, 1.5), random.Next(2)),
                "categorical_hinge" => (Uniform(-1, 1), 0f),
                "huber" => (Uniform(-3, 3), Uniform(-1, 1)),
                _ => (Uniform(-2, 2), Uniform(-2, 2)),
            };
        }

        if (name == "categorical_hinge")
        {
            for (int r = 0; r < Rows; r++)
            {
                y[(r * Cols) + random.Next(Cols)] = 1; // one-hot
            }
        }

        return (p, y);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Values_and_gradients_match_Keras_s_formulas(string name)
    {
        string keras = name.Replace("_binary", string.Empty, StringComparison.Ordinal);
        Loss loss = keras;
        var (p, y) = Data(name);
        const float scale = 1.3f;
        var gradient = new float[p.Length];
        double value = loss.Compute(p, y, gradient, Rows, Cols, scale, fused: false);
        double[] pd = p.Select(v => (double)v).ToArray(), yd = y.Select(v => (double)v).ToArray();
        Assert.Equal(BatchReference(keras, pd, yd), value, 5);

        const double h = 1e-4;
        for (int i = 0; i < p.Length; i++)
        {
            double[] plus = (double[])pd.Clone(), minus = (double[])pd.Clone();
            plus[i] += h;
            minus[i] -= h;
            double expected = scale * (BatchReference(keras, plus, yd) - BatchReference(keras, minus, yd)) / (2 * h);
            Assert.True(Math.Abs(expected - gradient[i]) <= (2e-3 * Math.Abs(expected)) + 2e-5,
                $"{name} element {i}: finite difference {expected}, gradient {gradient[i]}");
        }
    }

    [Fact]
    public void Names_and_aliases_convert_as_Keras_s()
    {
        Assert.IsType<MeanAbsoluteError>((Loss)"mean_absolute_error");
        Assert.IsType<MeanAbsolutePercentageError>((Loss)"mape");
        Assert.IsType<MeanSquaredLogarithmicError>((Loss)"msle");
        Assert.IsType<Huber>((Loss)"huber");
        Assert.IsType<LogCosh>((Loss)"logcosh");
        Assert.IsType<KLDivergence>((Loss)"kld");
        Assert.IsType<Poisson>((Loss)"poisson");
        Assert.IsType<SquaredHinge>((Loss)"squared_hinge");
        Assert.IsType<CategoricalHinge>((Loss)"categorical_hinge");
        Assert.IsType<CosineSimilarity>((Loss)"cosine_similarity");
        Assert.Equal("huber_loss", new Huber().Name);
    }

    [Fact]
    public void Huber_takes_its_delta_and_refuses_a_bad_one()
    {
        // e = 3 with delta 2: 2·3 − ½·4 = 4; e = 1: ½.
        Assert.Equal((4 + 0.5) / 2, new Huber(2).Compute([3, 1], [0, 0], default, 1, 2, 1, false), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Huber(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Huber(double.NaN));
    }
}
