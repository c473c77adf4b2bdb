using System;
using System.Linq;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// The focal cross-entropies and label smoothing against Keras 3's formulas written out here in double
/// (keras/src/losses/losses.py: binary_focal_crossentropy, categorical_focal_crossentropy, label_smoothing), Keras's
/// docstring example, and central differences of those formulas.
/// </summary>
public class FocalLossTests
{
    private const double Eps = 1e-7f, OneMinusEps = 1f - 1e-7f;

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>Keras's binary_focal_crossentropy for one row (mean over the last axis).</summary>
    private static double BinaryFocal(double[] p, double[] y, bool balance, double alpha, double gamma, bool logits, double smoothing)
        => Enumerable.Range(0, p.Length).Average(j =>
        {
            double t = (y[j] * (1 - smoothing)) + (0.5 * smoothing);
            double q = logits ? Sigmoid(p[j]) : p[j];
            double qc = Math.Clamp(q, Eps, OneMinusEps);
            double bce = -((t * Math.Log(qc)) + ((1 - t) * Math.Log(1 - qc)));
            double pt = (t * q) + ((1 - t) * (1 - q));
            double focal = Math.Pow(1 - pt, gamma) * bce;
            return balance ? ((t * alpha) + ((1 - t) * (1 - alpha))) * focal : focal;
        });

    /// <summary>Keras's categorical_focal_crossentropy for one row (sum over the last axis).</summary>
    private static double CategoricalFocal(double[] p, double[] y, double alpha, double gamma, bool logits, double smoothing)
    {
        double[] q = logits ? p.Select(v => Math.Exp(v - p.Max())).ToArray() : (double[])p.Clone();
        double sum = q.Sum();
        return Enumerable.Range(0, p.Length).Sum(j =>
        {
            double t = (y[j] * (1 - smoothing)) + (smoothing / p.Length);
            double o = Math.Clamp(q[j] / sum, Eps, OneMinusEps);
            return alpha * Math.Pow(1 - o, gamma) * -t * Math.Log(o);
        });
    }

    private static void Check(Loss loss, Func<double[], double[], double> rowReference, float[] p, float[] y, int rows, int cols)
    {
        double Batch(double[] pd) => Enumerable.Range(0, rows).Average(r => rowReference(pd[(r * cols)..((r + 1) * cols)], y[(r * cols)..((r + 1) * cols)].Select(v => (double)v).ToArray()));
        var gradient = new float[p.Length];
        double value = loss.Compute(p, y, gradient, rows, cols, 1.5f, fused: false);
        double[] pd = p.Select(v => (double)v).ToArray();
        Assert.Equal(Batch(pd), value, 6);
        const double h = 1e-5;
        for (int i = 0; i < p.Length; i++)
        {
            double[] plus = (double[])pd.Clone(), minus = (double[])pd.Clone();
            plus[i] += h;
            minus[i] -= h;
            double expected = 1.5 * (Batch(plus) - Batch(minus)) / (2 * h);
            Assert.True(Math.Abs(expected - gradient[i]) <= (2e-3 * Math.Abs(expected)) + 2e-5, $"{loss.Name} element {i}: differences {expected}, gradient {gradient[i]}");
        }
    }

    private static (float[] P, float[] Y) Data(int rows, int cols, bool logits, bool oneHot, int seed)
    {
        var random = new Random(seed);
        var p = Enumerable.Range(0, rows * cols).Select(_ => logits ? (float)((random.NextDouble() * 4) - 2) : (float)(0.05 + (0.9 * random.NextDouble()))).ToArray();
        var y = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                y[(r * cols) + c] = oneHot ? 0 : random.Next(2);
            }

            if (oneHot)
            {
                y[(r * cols) + random.Next(cols)] = 1;
            }
        }

        return (p, y);
    }

    [Fact]
    public void Binary_focal_cross_entropy_is_Keras_docstring_example()
    {
        // keras.losses.binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2) = [0.330, 0.206].
        var loss = new BinaryFocalCrossentropy(gamma: 2);
        Assert.Equal(0.330, loss.Compute([0.6f, 0.4f], [0, 1], default, 1, 2, 1, false), 3);
        Assert.Equal(0.206, loss.Compute([0.4f, 0.6f], [0, 0], default, 1, 2, 1, false), 3);
        // With gamma 0 it is the binary cross-entropy: [0.916, 0.714].
        Assert.Equal(0.916, new BinaryFocalCrossentropy(gamma: 0).Compute([0.6f, 0.4f], [0, 1], default, 1, 2, 1, false), 3);
    }

    [Theory]
    [InlineData(false, false, 0.0, 2.0)]
    [InlineData(true, false, 0.0, 2.0)]
    [InlineData(false, true, 0.0, 1.5)]
    [InlineData(true, true, 0.2, 3.0)]
    [InlineData(false, false, 0.1, 0.0)]
    public void Binary_focal_values_and_gradients_match_Keras_formula(bool balance, bool logits, double smoothing, double gamma)
    {
        var (p, y) = Data(3, 4, logits, oneHot: false, seed: 7);
        var loss = new BinaryFocalCrossentropy(balance, alpha: 0.3f, gamma: (float)gamma, fromLogits: logits, labelSmoothing: (float)smoothing);
        Check(loss, (pr, yr) => BinaryFocal(pr, yr, balance, 0.3, gamma, logits, smoothing), p, y, 3, 4);
    }

    [Theory]
    [InlineData(false, 0.0, 2.0)]
    [InlineData(true, 0.0, 2.0)]
    [InlineData(false, 0.1, 1.0)]
    [InlineData(true, 0.3, 0.0)]
    public void Categorical_focal_values_and_gradients_match_Keras_formula(bool logits, double smoothing, double gamma)
    {
        var (p, y) = Data(3, 5, logits, oneHot: true, seed: 8);
        var loss = new CategoricalFocalCrossentropy(alpha: 0.4f, gamma: (float)gamma, fromLogits: logits, labelSmoothing: (float)smoothing);
        Check(loss, (pr, yr) => CategoricalFocal(pr, yr, 0.4, gamma, logits, smoothing), p, y, 3, 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Label_smoothing_trains_towards_the_smoothed_targets(bool logits)
    {
        var (p, y) = Data(3, 5, logits, oneHot: true, seed: 9);
        Check(new CategoricalCrossentropy(fromLogits: logits, labelSmoothing: 0.2f), (pr, yr) => CategoricalFocal(pr, yr, 1, 0, logits, 0.2), p, y, 3, 5);
        var (pb, yb) = Data(3, 4, logits, oneHot: false, seed: 10);
        Check(new BinaryCrossentropy(fromLogits: logits, labelSmoothing: 0.2f), (pr, yr) => BinaryFocal(pr, yr, false, 0, 0, logits, 0.2), pb, yb, 3, 4);

        // The fused softmax path: the gradient with respect to the logits is softmax(z) − smoothed targets.
        var z = p;
        var softmax = Enumerable.Range(0, 3).SelectMany(r =>
        {
            var row = z[(r * 5)..((r + 1) * 5)].Select(v => Math.Exp(v)).ToArray();
            return row.Select(v => (float)(v / row.Sum()));
        }).ToArray();
        var gradient = new float[15];
        new CategoricalCrossentropy(labelSmoothing: 0.2f).Compute(softmax, y, gradient, 3, 5, 1, fused: true);
        for (int i = 0; i < 15; i++)
        {
            Assert.Equal((softmax[i] - ((y[i] * 0.8) + 0.04)) / 3, gradient[i], 5);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalCrossentropy(labelSmoothing: 1.5f));
        Assert.IsType<BinaryFocalCrossentropy>((Loss)"binary_focal_crossentropy");
        Assert.IsType<CategoricalFocalCrossentropy>((Loss)"categorical_focal_crossentropy");
    }
}
