using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>BatchNormalization against Keras 3's formulas in double, and its backward against central differences.</summary>
public class BatchNormKernelTests
{
    private const float Momentum = 0.99f, Epsilon = 1e-3f;

    [Theory]
    [InlineData(37, 5, true, true)]
    [InlineData(1, 4, true, true)] // one row: zero variance
    [InlineData(16, 300, true, false)] // more channels than one stack block
    [InlineData(9, 3, false, true)]
    [InlineData(9, 3, false, false)]
    public void TrainingNormalisesWithTheBatchAndMovesTheStatistics(int rows, int channels, bool scale, bool center)
    {
        var p = new Problem(rows, channels, scale, center);
        float[] movingMean = KernelCheck.Random(channels, 20), movingVariance = KernelCheck.Random(channels, 21, 0.5f);
        for (int c = 0; c < channels; c++)
        {
            movingVariance[c] += 1f;
        }

        float[] oldMean = (float[])movingMean.Clone(), oldVariance = (float[])movingVariance.Clone();
        float[] y = new float[rows * channels], stats = new float[2 * channels];
        BatchNorm.ForwardTraining(p.X, p.Gamma, p.Beta, movingMean, movingVariance, y, stats, rows, channels, Momentum, Epsilon);

        var (mean, variance) = Moments(KernelCheck.ToDouble(p.X), rows, channels);
        KernelCheck.Close(p.Reference(KernelCheck.ToDouble(p.X), KernelCheck.ToDouble(p.Gamma), KernelCheck.ToDouble(p.Beta)), y, 1e-5, 1e-5, "y");
        var expectedMoving = new double[channels];
        var expectedStats = new double[2 * channels];
        for (int c = 0; c < channels; c++)
        {
            expectedMoving[c] = (oldMean[c] * (double)Momentum) + (mean[c] * (1 - (double)Momentum));
            expectedStats[c] = mean[c];
            expectedStats[channels + c] = 1 / Math.Sqrt(variance[c] + Epsilon);
        }

        KernelCheck.Close(expectedMoving, movingMean, 1e-6, 1e-5, "movingMean");
        for (int c = 0; c < channels; c++)
        {
            // The biased (divide by rows) variance, as Keras 3 uses.
            expectedMoving[c] = (oldVariance[c] * (double)Momentum) + (variance[c] * (1 - (double)Momentum));
        }

        KernelCheck.Close(expectedMoving, movingVariance, 1e-6, 1e-5, "movingVariance");
        KernelCheck.Close(expectedStats, stats, 1e-5, 1e-5, "stats");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void InferenceUsesTheMovingStatistics(bool scale, bool center)
    {
        const int rows = 11, channels = 270;
        var p = new Problem(rows, channels, scale, center);
        float[] movingMean = KernelCheck.Random(channels, 30), movingVariance = KernelCheck.Random(channels, 31, 0.5f);
        for (int c = 0; c < channels; c++)
        {
            movingVariance[c] += 0.6f;
        }

        var expected = new double[rows * channels];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < channels; c++)
            {
                double g = scale ? p.Gamma[c] : 1, b = center ? p.Beta[c] : 0;
                expected[(r * channels) + c] = (g * (p.X[(r * channels) + c] - movingMean[c]) / Math.Sqrt(movingVariance[c] + (double)Epsilon)) + b;
            }
        }

        float[] y = new float[rows * channels];
        BatchNorm.ForwardInference(p.X, p.Gamma, p.Beta, movingMean, movingVariance, y, rows, channels, Epsilon);
        KernelCheck.Close(expected, y, 1e-5, 1e-5, "y");

        // In place.
        float[] x = (float[])p.X.Clone();
        BatchNorm.ForwardInference(x, p.Gamma, p.Beta, movingMean, movingVariance, x, rows, channels, Epsilon);
        Assert.Equal(y, x);
    }

    [Theory]
    [InlineData(7, 4, true, true)]
    [InlineData(5, 3, false, false)]
    [InlineData(3, 260, true, false)]
    public void BackwardMatchesFiniteDifferences(int rows, int channels, bool scale, bool center)
    {
        var p = new Problem(rows, channels, scale, center);
        float[] movingMean = new float[channels], movingVariance = new float[channels];
        float[] y = new float[rows * channels], stats = new float[2 * channels];
        BatchNorm.ForwardTraining(p.X, p.Gamma, p.Beta, movingMean, movingVariance, y, stats, rows, channels, Momentum, Epsilon);

        double[] r = KernelCheck.ToDouble(KernelCheck.Random(rows * channels, 40));
        float[] dy = Array.ConvertAll(r, v => (float)v);
        float[] dx = KernelCheck.Random(rows * channels, 41), dGamma = KernelCheck.Random(scale ? channels : 0, 42);
        float[] dBeta = KernelCheck.Random(center ? channels : 0, 43);
        float[][] before = [(float[])dx.Clone(), (float[])dGamma.Clone(), (float[])dBeta.Clone()];
        BatchNorm.Backward(p.X, p.Gamma, stats, dy, dx, dGamma, dBeta, rows, channels);
        float[][] after = [dx, dGamma, dBeta];
        for (int a = 0; a < after.Length; a++)
        {
            for (int i = 0; i < after[a].Length; i++)
            {
                after[a][i] -= before[a][i];
            }
        }

        double[] x = KernelCheck.ToDouble(p.X), gamma = KernelCheck.ToDouble(p.Gamma), beta = KernelCheck.ToDouble(p.Beta);
        double Loss()
        {
            double[] out_ = p.Reference(x, gamma, beta);
            double sum = 0;
            for (int i = 0; i < out_.Length; i++)
            {
                sum += out_[i] * r[i];
            }

            return sum;
        }

        KernelCheck.Close(KernelCheck.NumericGradient(x, Loss), dx, 1e-4, 1e-3, "dx");
        KernelCheck.Close(KernelCheck.NumericGradient(gamma, Loss), dGamma, 1e-4, 1e-3, "dGamma");
        KernelCheck.Close(KernelCheck.NumericGradient(beta, Loss), dBeta, 1e-4, 1e-3, "dBeta");

        // An empty dx is skipped and leaves the parameter gradients the same.
        float[] dGamma1 = new float[dGamma.Length], dBeta1 = new float[dBeta.Length];
        float[] dGamma2 = new float[dGamma.Length], dBeta2 = new float[dBeta.Length];
        BatchNorm.Backward(p.X, p.Gamma, stats, dy, new float[rows * channels], dGamma1, dBeta1, rows, channels);
        BatchNorm.Backward(p.X, p.Gamma, stats, dy, [], dGamma2, dBeta2, rows, channels);
        Assert.Equal(dGamma1, dGamma2);
        Assert.Equal(dBeta1, dBeta2);
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        const int rows = 32, channels = 300;
        var p = new Problem(rows, channels, true, true);
        float[] movingMean = new float[channels], movingVariance = new float[channels];
        float[] y = new float[rows * channels], stats = new float[2 * channels], dx = new float[rows * channels];
        float[] dGamma = new float[channels], dBeta = new float[channels];
        Assert.Equal(0, KernelCheck.AllocatedBy(() =>
        {
            BatchNorm.ForwardTraining(p.X, p.Gamma, p.Beta, movingMean, movingVariance, y, stats, rows, channels, Momentum, Epsilon);
            BatchNorm.ForwardInference(p.X, p.Gamma, p.Beta, movingMean, movingVariance, y, rows, channels, Epsilon);
            BatchNorm.Backward(p.X, p.Gamma, stats, y, dx, dGamma, dBeta, rows, channels);
        }));
    }

    /// <summary>The batch's moments; with a mask, Keras's masked moments: Σ m·x / (Σ m + 1e-7) and
    /// Σ m·(x − mean)² / (Σ m + 1e-7).</summary>
    private static (double[] Mean, double[] Variance) Moments(double[] x, int rows, int channels, float[]? mask = null)
    {
        var mean = new double[channels];
        var variance = new double[channels];
        double weight(int r) => mask is null ? 1 : mask[r];
        double divisor = mask is null ? rows : mask.Sum(m => (double)m) + 1e-7;
        for (int c = 0; c < channels; c++)
        {
            for (int r = 0; r < rows; r++)
            {
                mean[c] += weight(r) * x[(r * channels) + c] / divisor;
            }

            for (int r = 0; r < rows; r++)
            {
                double d = x[(r * channels) + c] - mean[c];
                variance[c] += weight(r) * d * d / divisor;
            }
        }

        return (mean, variance);
    }

    /// <summary>
    /// A masked sequence (Keras's masked moments): the statistics, the moving ones and the output against the formulas,
    /// with every row normalised; the gradients through the masked statistics against central differences.
    /// </summary>
    [Theory]
    [InlineData(9, 4, true, true)]
    [InlineData(12, 270, true, false)]
    [InlineData(6, 3, false, false)]
    public void MaskedStatisticsWeighTheKeptRowsOnly(int rows, int channels, bool scale, bool center)
    {
        var p = new Problem(rows, channels, scale, center) { Mask = Enumerable.Range(0, rows).Select(r => r % 3 == 1 ? 0f : 1f).ToArray() };
        float[] movingMean = KernelCheck.Random(channels, 50), movingVariance = Array.ConvertAll(KernelCheck.Random(channels, 51, 0.5f), v => v + 1f);
        float[] oldMean = (float[])movingMean.Clone(), oldVariance = (float[])movingVariance.Clone();
        float[] y = new float[rows * channels], stats = new float[2 * channels];
        BatchNorm.ForwardTraining(p.X, p.Gamma, p.Beta, movingMean, movingVariance, y, stats, rows, channels, Momentum, Epsilon, p.Mask);
        double[] x = KernelCheck.ToDouble(p.X), gamma = KernelCheck.ToDouble(p.Gamma), beta = KernelCheck.ToDouble(p.Beta);
        KernelCheck.Close(p.Reference(x, gamma, beta), y, 1e-5, 1e-5, "y");
        var (mean, variance) = Moments(x, rows, channels, p.Mask);
        KernelCheck.Close(mean.Select((m, c) => (oldMean[c] * (double)Momentum) + (m * (1 - (double)Momentum))).ToArray(), movingMean, 1e-6, 1e-5, "movingMean");
        KernelCheck.Close(variance.Select((v, c) => (oldVariance[c] * (double)Momentum) + (v * (1 - (double)Momentum))).ToArray(), movingVariance, 1e-6, 1e-5,
            "movingVariance");

        double[] r = KernelCheck.ToDouble(KernelCheck.Random(rows * channels, 52));
        float[] dy = Array.ConvertAll(r, v => (float)v), dx = new float[rows * channels];
        float[] dGamma = new float[scale ? channels : 0], dBeta = new float[center ? channels : 0];
        BatchNorm.Backward(p.X, p.Gamma, stats, dy, dx, dGamma, dBeta, rows, channels, p.Mask);
        double Loss() => p.Reference(x, gamma, beta).Select((v, i) => v * r[i]).Sum();
        KernelCheck.Close(KernelCheck.NumericGradient(x, Loss), dx, 1e-4, 1e-3, "dx");
        KernelCheck.Close(KernelCheck.NumericGradient(gamma, Loss), dGamma, 1e-4, 1e-3, "dGamma");
        KernelCheck.Close(KernelCheck.NumericGradient(beta, Loss), dBeta, 1e-4, 1e-3, "dBeta");
    }

    /// <summary>Inputs with a large mean against their spread (as after a ReLU), and γ, β or empty.</summary>
    private sealed class Problem(int rows, int channels, bool scale, bool center)
    {
        public float[] X { get; } = Array.ConvertAll(KernelCheck.Random(rows * channels, rows + channels), v => v + 3f);

        public float[] Gamma { get; } = scale ? Array.ConvertAll(KernelCheck.Random(channels, 2), v => v + 1.5f) : [];

        public float[] Beta { get; } = center ? KernelCheck.Random(channels, 3) : [];

        /// <summary>Keras's mask of the rows (1 kept), or null.</summary>
        public float[]? Mask { get; init; }

        /// <summary>Keras 3's training output: γ (x − mean) / sqrt(variance + ε) + β with the batch's (masked) moments.</summary>
        public double[] Reference(double[] x, double[] gamma, double[] beta)
        {
            var (mean, variance) = Moments(x, rows, channels, Mask);
            var y = new double[rows * channels];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < channels; c++)
                {
                    double g = gamma.Length > 0 ? gamma[c] : 1, b = beta.Length > 0 ? beta[c] : 0;
                    y[(r * channels) + c] = (g * (x[(r * channels) + c] - mean[c]) / Math.Sqrt(variance[c] + (double)Epsilon)) + b;
                }
            }

            return y;
        }
    }
}
