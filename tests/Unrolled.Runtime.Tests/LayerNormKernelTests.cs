using System;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// LayerNormalization against Keras 3's formulas written out in double, and its backward against central differences
/// of a double forward. Keras's <c>rms_scaling</c> divides the uncentred input by sqrt(variance + ε), the variance
/// being the centred, biased one, and has no β.
/// </summary>
public class LayerNormKernelTests
{
    private const float Epsilon = 1e-3f;

    private static readonly int[] Lengths = [1, 3, 17, 64, 100];

    /// <summary>Every length at inner 1 (the fast path) and inner 3 (the strided one), every γ / β / rms combination
    /// Keras can build, plus an inner wider than the backward's stack block.</summary>
    public static TheoryData<int, int, int, bool, bool, bool> ForwardCases()
    {
        var data = new TheoryData<int, int, int, bool, bool, bool>();
        foreach (int length in Lengths)
        {
            foreach (int inner in new[] { 1, 3 })
            {
                foreach (var (scale, center, rms) in Flags)
                {
                    data.Add(4, length, inner, scale, center, rms);
                }
            }
        }

        data.Add(2, 5, 300, true, true, false);
        data.Add(2, 5, 300, true, false, true);
        data.Add(0, 7, 1, true, true, false); // an empty batch
        return data;
    }

    public static TheoryData<int, int, int, bool, bool, bool> BackwardCases()
    {
        var data = new TheoryData<int, int, int, bool, bool, bool>();
        foreach (var (length, inner) in new[] { (1, 1), (3, 1), (17, 1), (64, 1), (100, 1), (1, 3), (17, 3), (4, 5), (3, 260) })
        {
            foreach (var (scale, center, rms) in Flags)
            {
                data.Add(length == 100 || inner == 260 ? 2 : 3, length, inner, scale, center, rms);
            }
        }

        return data;
    }

    private static (bool Scale, bool Center, bool Rms)[] Flags =>
        [(true, true, false), (true, false, false), (false, true, false), (false, false, false), (true, false, true), (false, false, true)];

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void ForwardMatchesKeras(int outer, int length, int inner, bool scale, bool center, bool rms)
    {
        var p = new Problem(outer, length, inner, scale, center);
        float[] y = new float[p.Count], statistics = new float[2 * outer * inner];
        LayerNorm.Forward(p.X, p.Gamma, p.Beta, y, statistics, outer, length, inner, Epsilon, rms);

        var (expected, mean, inverse) = p.Reference(KernelCheck.ToDouble(p.X), KernelCheck.ToDouble(p.Gamma), KernelCheck.ToDouble(p.Beta), rms);
        KernelCheck.Close(expected, y, 1e-5, 1e-5, "y");
        KernelCheck.Close(mean, statistics.AsSpan(0, outer * inner), 1e-5, 1e-5, "mean");
        KernelCheck.Close(inverse, statistics.AsSpan(outer * inner), 1e-5, 1e-5, "inverse");
    }

    [Fact]
    public void ConstantRowsGiveBetaAndStayFinite()
    {
        // Zero variance: the output is β exactly (and x / sqrt(ε) · γ with rms).
        const int length = 19;
        float[] x = new float[2 * length], y = new float[2 * length], statistics = new float[4];
        Array.Fill(x, 5f);
        float[] gamma = KernelCheck.Random(length, 7), beta = KernelCheck.Random(length, 8);
        LayerNorm.Forward(x, gamma, beta, y, statistics, 2, length, 1, Epsilon, rms: false);
        Assert.Equal([.. beta, .. beta], y);
        Assert.Equal([5f, 5f, 1f / MathF.Sqrt(Epsilon), 1f / MathF.Sqrt(Epsilon)], statistics);

        LayerNorm.Forward(x, gamma, [], y, statistics, 2, length, 1, Epsilon, rms: true);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(5f * (1f / MathF.Sqrt(Epsilon)) * gamma[i % length], y[i], 5e-6f * MathF.Abs(y[i]));
        }
    }

    [Theory]
    [MemberData(nameof(BackwardCases))]
    public void BackwardMatchesFiniteDifferences(int outer, int length, int inner, bool scale, bool center, bool rms)
    {
        var p = new Problem(outer, length, inner, scale, center);
        float[] y = new float[p.Count], statistics = new float[2 * outer * inner];
        LayerNorm.Forward(p.X, p.Gamma, p.Beta, y, statistics, outer, length, inner, Epsilon, rms);

        double[] r = KernelCheck.ToDouble(KernelCheck.Random(p.Count, 40 + length));
        float[] dy = Array.ConvertAll(r, v => (float)v);

        // Prefilled, so the check also covers the accumulation.
        float[] dx = KernelCheck.Random(p.Count, 41), dGamma = KernelCheck.Random(scale ? length : 0, 42);
        float[] dBeta = KernelCheck.Random(center ? length : 0, 43);
        float[][] before = [(float[])dx.Clone(), (float[])dGamma.Clone(), (float[])dBeta.Clone()];
        LayerNorm.Backward(p.X, p.Gamma, statistics, dy, dx, dGamma, dBeta, outer, length, inner, rms);
        float[][] after = [dx, dGamma, dBeta];
        for (int a = 0; a < after.Length; a++)
        {
            for (int i = 0; i < after[a].Length; i++)
            {
                after[a][i] -= before[a][i];
            }
        }

        // L = Σ y ⊙ r through the double forward, differentiated by central differences in double.
        double[] x = KernelCheck.ToDouble(p.X), gamma = KernelCheck.ToDouble(p.Gamma), beta = KernelCheck.ToDouble(p.Beta);
        double Loss()
        {
            double[] output = p.Reference(x, gamma, beta, rms).Y;
            double sum = 0;
            for (int i = 0; i < output.Length; i++)
            {
                sum += output[i] * r[i];
            }

            return sum;
        }

        KernelCheck.Close(KernelCheck.NumericGradient(x, Loss), dx, 1e-4, 1e-3, "dx");
        KernelCheck.Close(KernelCheck.NumericGradient(gamma, Loss), dGamma, 1e-4, 1e-3, "dGamma");
        KernelCheck.Close(KernelCheck.NumericGradient(beta, Loss), dBeta, 1e-4, 1e-3, "dBeta");

        // An empty dx is skipped and leaves the parameter gradients the same.
        float[] dGamma1 = new float[dGamma.Length], dBeta1 = new float[dBeta.Length];
        float[] dGamma2 = new float[dGamma.Length], dBeta2 = new float[dBeta.Length];
        LayerNorm.Backward(p.X, p.Gamma, statistics, dy, new float[p.Count], dGamma1, dBeta1, outer, length, inner, rms);
        LayerNorm.Backward(p.X, p.Gamma, statistics, dy, [], dGamma2, dBeta2, outer, length, inner, rms);
        Assert.Equal(dGamma1, dGamma2);
        Assert.Equal(dBeta1, dBeta2);
    }

    [Theory]
    [InlineData(17, 1, false)]
    [InlineData(17, 1, true)]
    [InlineData(6, 4, false)]
    [InlineData(6, 4, true)]
    public void WithoutGammaItsGradientIsTakenAtOne(int length, int inner, bool rms)
    {
        const int outer = 3;
        var p = new Problem(outer, length, inner, scale: false, center: false);
        float[] y = new float[p.Count], statistics = new float[2 * outer * inner];
        LayerNorm.Forward(p.X, [], [], y, statistics, outer, length, inner, Epsilon, rms);
        double[] r = KernelCheck.ToDouble(KernelCheck.Random(p.Count, 50));
        float[] dGamma = new float[length];
        LayerNorm.Backward(p.X, [], statistics, Array.ConvertAll(r, v => (float)v), [], dGamma, [], outer, length, inner, rms);

        double[] x = KernelCheck.ToDouble(p.X), ones = new double[length];
        Array.Fill(ones, 1.0);
        double Loss() => KernelCheck.Dot(p.Reference(x, ones, [], rms).Y, Array.ConvertAll(r, v => (float)v));
        KernelCheck.Close(KernelCheck.NumericGradient(ones, Loss), dGamma, 1e-4, 1e-3, "dGamma");
    }

    [Theory]
    [InlineData(33, 1, false)]
    [InlineData(33, 1, true)]
    [InlineData(5, 7, false)]
    [InlineData(5, 7, true)]
    public void BackwardAddsToWhatTheGradientsHold(int length, int inner, bool rms)
    {
        const int outer = 4;
        var p = new Problem(outer, length, inner, scale: true, center: !rms);
        float[] y = new float[p.Count], statistics = new float[2 * outer * inner];
        LayerNorm.Forward(p.X, p.Gamma, p.Beta, y, statistics, outer, length, inner, Epsilon, rms);
        float[] dy = KernelCheck.Random(p.Count, 60);
        int betaLength = rms ? 0 : length;

        float[] dx0 = new float[p.Count], dGamma0 = new float[length], dBeta0 = new float[betaLength];
        LayerNorm.Backward(p.X, p.Gamma, statistics, dy, dx0, dGamma0, dBeta0, outer, length, inner, rms);

        float[] dx = KernelCheck.Random(p.Count, 61, 10f), dGamma = KernelCheck.Random(length, 62, 10f);
        float[] dBeta = KernelCheck.Random(betaLength, 63, 10f);
        float[][] start = [(float[])dx.Clone(), (float[])dGamma.Clone(), (float[])dBeta.Clone()];
        LayerNorm.Backward(p.X, p.Gamma, statistics, dy, dx, dGamma, dBeta, outer, length, inner, rms);
        KernelCheck.Close(Sum(start[0], dx0), dx, 1e-5, 1e-6, "dx");
        KernelCheck.Close(Sum(start[1], dGamma0), dGamma, 1e-5, 1e-6, "dGamma");
        KernelCheck.Close(Sum(start[2], dBeta0), dBeta, 1e-5, 1e-6, "dBeta");

        static double[] Sum(float[] a, float[] b)
        {
            var sum = new double[a.Length];
            for (int i = 0; i < a.Length; i++)
            {
                sum[i] = (double)a[i] + b[i];
            }

            return sum;
        }
    }

    [Fact]
    public void BadLengthsThrow()
    {
        const int outer = 2, length = 5, inner = 3, count = outer * length * inner, stats = 2 * outer * inner;
        float[] x = new float[count], g = new float[length];

        void Forward(int xn, int gn, int bn, int yn, int sn, bool rms = false) =>
            LayerNorm.Forward(new float[xn], new float[gn], new float[bn], new float[yn], new float[sn], outer, length, inner, Epsilon, rms);

        void Backward(int xn, int gn, int sn, int dyn, int dxn, int dgn, int dbn, bool rms = false) =>
            LayerNorm.Backward(new float[xn], new float[gn], new float[sn], new float[dyn], new float[dxn], new float[dgn], new float[dbn],
                outer, length, inner, rms);

        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Forward(count - 1, length, length, count, stats)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Forward(count + 1, length, length, count, stats)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => Forward(count, length + 1, length, count, stats)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentException>(() => Forward(count, length, inner, count, stats)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Forward(count, length, length, count - 1, stats)).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => Forward(count, length, length, count, stats - 1)).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => Forward(count, length, length, count, outer * inner)).ParamName);
        var rmsBeta = Assert.Throws<ArgumentException>(() => Forward(count, length, length, count, stats, rms: true));
        Assert.Equal("beta", rmsBeta.ParamName);
        Assert.Contains("rms", rmsBeta.Message);

        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Backward(count - 1, length, stats, count, count, length, length)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => Backward(count, 1, stats, count, count, length, length)).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => Backward(count, length, stats + 2, count, count, length, length)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Backward(count, length, stats, count + 3, count, length, length)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Backward(count, length, stats, count, count - 1, length, length)).ParamName);
        Assert.Equal("dGamma", Assert.Throws<ArgumentException>(() => Backward(count, length, stats, count, count, length - 1, length)).ParamName);
        Assert.Equal("dBeta", Assert.Throws<ArgumentException>(() => Backward(count, length, stats, count, count, length, length + 1)).ParamName);
        Assert.Equal("dBeta", Assert.Throws<ArgumentException>(() => Backward(count, length, stats, count, count, length, length, rms: true)).ParamName);

        Assert.ThrowsAny<ArgumentException>(() => LayerNorm.Forward(x, g, g, x, new float[stats], -1, length, inner, Epsilon, false));
        Assert.ThrowsAny<ArgumentException>(() => LayerNorm.Backward(x, g, new float[stats], x, x, g, g, outer, -length, inner, false));

        // Empty optional spans are fine.
        Forward(count, 0, 0, count, stats);
        Forward(count, length, 0, count, stats, rms: true);
        Backward(count, 0, stats, count, 0, 0, 0);
        Backward(count, length, stats, count, 0, length, 0, rms: true);
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        foreach (var (length, inner) in new[] { (300, 1), (12, 270) })
        {
            const int outer = 8;
            var p = new Problem(outer, length, inner, true, true);
            float[] y = new float[p.Count], statistics = new float[2 * outer * inner], dx = new float[p.Count];
            float[] dGamma = new float[length], dBeta = new float[length];
            Assert.Equal(0, KernelCheck.AllocatedBy(() =>
            {
                LayerNorm.Forward(p.X, p.Gamma, p.Beta, y, statistics, outer, length, inner, Epsilon, rms: false);
                LayerNorm.Backward(p.X, p.Gamma, statistics, y, dx, dGamma, dBeta, outer, length, inner, rms: false);
                LayerNorm.Forward(p.X, p.Gamma, [], y, statistics, outer, length, inner, Epsilon, rms: true);
                LayerNorm.Backward(p.X, p.Gamma, statistics, y, dx, dGamma, [], outer, length, inner, rms: true);
            }));
        }
    }

    /// <summary>Inputs with a mean large against their spread (a test of the two-pass variance), and γ, β or empty.</summary>
    private sealed class Problem(int outer, int length, int inner, bool scale, bool center)
    {
        public int Count { get; } = outer * length * inner;

        public float[] X { get; } = Array.ConvertAll(KernelCheck.Random(outer * length * inner, (length * 31) + inner), v => v + 3f);

        public float[] Gamma { get; } = scale ? Array.ConvertAll(KernelCheck.Random(length, 2), v => v + 1.5f) : [];

        public float[] Beta { get; } = center ? KernelCheck.Random(length, 3) : [];

        /// <summary>
        /// Keras 3 in double: per (o, i), mean and biased variance over the length axis, inverse = 1 / sqrt(variance + ε);
        /// y = (x − mean) · inverse · γ + β, or with rms y = x · inverse · γ. Empty γ / β are 1 / 0.
        /// </summary>
        public (double[] Y, double[] Mean, double[] Inverse) Reference(double[] x, double[] gamma, double[] beta, bool rms)
        {
            var y = new double[Count];
            var means = new double[outer * inner];
            var inverses = new double[outer * inner];
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int At(int j) => (((o * length) + j) * inner) + i;
                    double mean = 0, variance = 0;
                    for (int j = 0; j < length; j++)
                    {
                        mean += x[At(j)];
                    }

                    mean /= length;
                    for (int j = 0; j < length; j++)
                    {
                        variance += (x[At(j)] - mean) * (x[At(j)] - mean);
                    }

                    double inverse = 1 / Math.Sqrt((variance / length) + Epsilon);
                    means[(o * inner) + i] = mean;
                    inverses[(o * inner) + i] = inverse;
                    for (int j = 0; j < length; j++)
                    {
                        double g = gamma.Length > 0 ? gamma[j] : 1, b = beta.Length > 0 ? beta[j] : 0;
                        y[At(j)] = rms ? x[At(j)] * inverse * g : ((x[At(j)] - mean) * inverse * g) + b;
                    }
                }
            }

            return (y, means, inverses);
        }
    }
}
