using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class DropoutKernelTests
{
    [Fact]
    public void RateZeroIsTheIdentity()
    {
        float[] x = KernelCheck.Random(1000, 1), y = new float[1000], mask = new float[1000];
        Dropout.Forward(x, y, mask, 0f, seed: 7);
        Assert.Equal(x, y);
        Assert.All(mask, m => Assert.Equal(1f, m));
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void DropsAboutRateAndScalesTheRest(float rate)
    {
        const int n = 200_000;
        float[] x = KernelCheck.Random(n, 2), y = new float[n], mask = new float[n];
        Dropout.Forward(x, y, mask, rate, seed: 11);
        int zeros = mask.Count(m => m == 0f);
        // Binomial standard deviation at most sqrt(0.25 / n) ≈ 0.0011; allow about 5 of them.
        Assert.InRange((double)zeros / n, rate - 0.006, rate + 0.006);
        float keep = 1f / (1f - rate);
        for (int i = 0; i < n; i++)
        {
            Assert.True(mask[i] == 0f || mask[i] == keep, $"mask[{i}] = {mask[i]}");
            Assert.Equal(x[i] * mask[i], y[i]);
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameMaskAndOthersDiffer()
    {
        const int n = 10_000;
        float[] x = KernelCheck.Random(n, 3), y = new float[n];
        float[] a = new float[n], b = new float[n], c = new float[n], d = new float[n];
        Dropout.Forward(x, y, a, 0.5f, seed: 42);
        Dropout.Forward(x, y, b, 0.5f, seed: 42);
        Dropout.Forward(x, y, c, 0.5f, seed: 43);
        Dropout.Forward(x, y, d, 0.5f, seed: 42 + 0x9E3779B97F4A7C15UL); // not a shifted copy of seed 42's stream
        Assert.Equal(a, b);
        foreach (float[] other in new[] { c, d })
        {
            // Independent masks at rate 0.5 differ in half the places.
            double differing = Enumerable.Range(0, n).Count(i => a[i] != other[i]) / (double)n;
            Assert.InRange(differing, 0.45, 0.55);
        }

        Assert.NotEqual(a.Skip(1), d.Take(n - 1));
    }

    [Fact]
    public void TheMaskIsThePublishedSplitMix64Stream()
    {
        // Computed independently (Python) from the documented scheme: state = mix(seed ^ 0x6A09E667F3BCC909), then
        // per element state += 0x9E3779B97F4A7C15 and keep when mix(state) >> 32 >= ceil(rate * 2^32).
        Assert.Equal("0010100001111010100110101011011000001100", Pattern(1234, 0.5f));
        Assert.Equal("1111101110111111111111100111111011101101", Pattern(0, 0.25f));

        static string Pattern(ulong seed, float rate)
        {
            float[] x = new float[40], y = new float[40], mask = new float[40];
            Dropout.Forward(x, y, mask, rate, seed);
            return string.Concat(mask.Select(m => m == 0f ? '0' : '1'));
        }
    }

    [Fact]
    public void BackwardRoutesThroughTheMaskAndAccumulates()
    {
        const int n = 1000;
        float[] x = KernelCheck.Random(n, 4), y = new float[n], mask = new float[n];
        Dropout.Forward(x, y, mask, 0.3f, seed: 5);
        float[] dy = KernelCheck.Random(n, 6), dx = KernelCheck.Random(n, 7), before = (float[])dx.Clone();
        Dropout.Backward(dy, mask, dx);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(before[i] + (dy[i] * mask[i]), dx[i], 6);
        }
    }

    [Fact]
    public void WorksInPlaceRejectsBadRatesAndAllocatesNothing()
    {
        float[] x = KernelCheck.Random(100, 8), copy = (float[])x.Clone(), mask = new float[100];
        Dropout.Forward(x, x, mask, 0.5f, seed: 9);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(copy[i] * mask[i], x[i]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(x, x, mask, 1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(x, x, mask, -0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(x, x, mask, float.NaN, 0));
        float[] y = new float[100], dx = new float[100];
        Assert.Equal(0, KernelCheck.AllocatedBy(() =>
        {
            Dropout.Forward(copy, y, mask, 0.5f, seed: 3);
            Dropout.Backward(y, mask, dx);
        }));
    }
}
