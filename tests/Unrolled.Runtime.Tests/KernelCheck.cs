using System;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Shared helpers for the kernel tests: seeded data, closeness checks, central differences, allocation counts.</summary>
internal static class KernelCheck
{
    /// <summary>Uniform values in [-scale, scale).</summary>
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Fails with the first element where |expected − actual| &gt; absolute + relative·|expected|.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double absolute, double relative, string what)
    {
        Assert.True(actual.Length >= expected.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= absolute + (relative * Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2})");
        }
    }

    /// <summary>The central difference (f(p + h) − f(p − h)) / 2h of <paramref name="loss"/> for every element of
    /// <paramref name="parameter"/>, which it perturbs and restores.</summary>
    public static double[] NumericGradient(double[] parameter, Func<double> loss, double h = 1e-5)
    {
        var gradient = new double[parameter.Length];
        for (int i = 0; i < parameter.Length; i++)
        {
            double saved = parameter[i];
            parameter[i] = saved + h;
            double plus = loss();
            parameter[i] = saved - h;
            double minus = loss();
            parameter[i] = saved;
            gradient[i] = (plus - minus) / (2 * h);
        }

        return gradient;
    }

    /// <summary>Σ a ⊙ b over the first <paramref name="a"/>.Length elements.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>
    /// Bytes allocated by <paramref name="repeat"/> calls after a warm-up past the JIT's tier-up thresholds; the least
    /// of five rounds, since the runtime may allocate once while it tiers a method up, but an allocation in a kernel
    /// happens on every call and so shows in every round.
    /// </summary>
    public static long AllocatedBy(Action action, int repeat = 10)
    {
        for (int i = 0; i < 60; i++)
        {
            action();
        }

        long least = long.MaxValue;
        for (int round = 0; round < 5 && least > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < repeat; i++)
            {
                action();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
