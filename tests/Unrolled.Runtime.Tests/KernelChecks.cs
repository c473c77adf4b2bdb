using System;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Shared pieces of the kernel tests: random tensors, comparisons, and finite-difference gradients.</summary>
internal static class KernelChecks
{
    public static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>
    /// A random permutation of well-separated values (steps of 0.01), so max pooling has no ties closer than a finite
    /// difference step and the argmax does not move when one element is nudged by less than half a step.
    /// </summary>
    public static float[] Distinct(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (i - (length / 2)) * 0.01f;
        }

        random.Shuffle(values);
        return values;
    }

    public static void AssertClose(double[] expected, float[] actual, string label, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{label}: element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    public static double[] Plus(float[] start, double[] add)
    {
        var sum = new double[add.Length];
        for (int i = 0; i < add.Length; i++)
        {
            sum[i] = start[i] + add[i];
        }

        return sum;
    }

    /// <summary>Σ y ⊙ r in double: a scalar loss whose gradient with respect to y is r.</summary>
    public static double Dot(float[] y, float[] r)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += (double)y[i] * r[i];
        }

        return sum;
    }

    /// <summary>
    /// Checks every element of an analytic gradient against central differences of <paramref name="loss"/>, which
    /// reads <paramref name="parameter"/> (nudged in place by ±<paramref name="step"/>) and returns the scalar loss.
    /// </summary>
    public static void AssertGradient(float[] parameter, float[] analytic, Func<double> loss, string label, float step = 1e-2f,
        double tolerance = 2e-3)
    {
        Assert.Equal(parameter.Length, analytic.Length);
        for (int i = 0; i < parameter.Length; i++)
        {
            float saved = parameter[i];
            parameter[i] = saved + step;
            double plus = loss();
            parameter[i] = saved - step;
            double minus = loss();
            parameter[i] = saved;
            double numeric = (plus - minus) / ((double)(saved + step) - (saved - step));
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance * (1 + Math.Abs(numeric)),
                $"{label}: gradient element {i}: finite difference {numeric}, kernel {analytic[i]}");
        }
    }

    /// <summary>
    /// Bytes allocated by 20 calls after a warm-up past the JIT's tier-up thresholds; the least of five rounds, since
    /// the runtime may allocate once while tiering a method up, but an allocation in a kernel shows in every round.
    /// </summary>
    public static long AllocatedBy(Action action)
    {
        for (int i = 0; i < 60; i++)
        {
            action();
        }

        long least = long.MaxValue;
        for (int round = 0; round < 5 && least > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                action();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
