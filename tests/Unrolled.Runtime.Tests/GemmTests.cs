using System;
using System.Collections.Generic;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class GemmTests
{
    public static IEnumerable<object[]> Sizes()
    {
        // Odd and even sizes around every vector width and tile edge, plus the MLP's shapes and a k beyond one panel.
        int[][] shapes =
        [
            [1, 1, 1], [1, 784, 64], [1, 784, 10], [2, 3, 5], [3, 17, 33], [4, 16, 16], [5, 7, 70], [7, 70, 1],
            [8, 9, 31], [13, 64, 47], [16, 1, 65], [31, 29, 63], [64, 784, 64], [64, 64, 10], [33, 300, 17],
            [70, 70, 70], [67, 129, 49], [6, 513, 18],
        ];
        foreach (int[] s in shapes)
        {
            yield return [s[0], s[1], s[2]];
        }
    }

    public static IEnumerable<object[]> Paths()
    {
        foreach (GemmPath path in Enum.GetValues<GemmPath>())
        {
            if (GemmPaths.IsSupported(path))
            {
                yield return [path];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MultiplyMatchesNaive(int m, int k, int n)
    {
        foreach (object[] p in Paths())
        {
            var path = (GemmPath)p[0];
            foreach (bool accumulate in new[] { false, true })
            {
                var (a, b, c) = Operands(m * k, k * n, m * n, seed: m + k + n);
                var expected = (float[])c.Clone();
                Naive(expected, m, k, n, accumulate, (i, q) => a[(i * k) + q], (q, j) => b[(q * n) + j]);
                Gemm.Multiply(path, a, b, c, m, k, n, accumulate);
                AssertClose(expected, c, k, $"NN {path} m={m} k={k} n={n} acc={accumulate}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MultiplyTransposedAMatchesNaive(int m, int k, int n)
    {
        foreach (object[] p in Paths())
        {
            var path = (GemmPath)p[0];
            foreach (bool accumulate in new[] { false, true })
            {
                var (a, b, c) = Operands(k * m, k * n, m * n, seed: (m * 3) + k);
                var expected = (float[])c.Clone();
                Naive(expected, m, k, n, accumulate, (i, q) => a[(q * m) + i], (q, j) => b[(q * n) + j]);
                Gemm.MultiplyTransposedA(path, a, b, c, m, k, n, accumulate);
                AssertClose(expected, c, k, $"TN {path} m={m} k={k} n={n} acc={accumulate}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MultiplyTransposedBMatchesNaive(int m, int k, int n)
    {
        foreach (object[] p in Paths())
        {
            var path = (GemmPath)p[0];
            foreach (bool accumulate in new[] { false, true })
            {
                var (a, b, c) = Operands(m * k, n * k, m * n, seed: m + (k * 5) + n);
                var expected = (float[])c.Clone();
                Naive(expected, m, k, n, accumulate, (i, q) => a[(i * k) + q], (q, j) => b[(j * k) + q]);
                Gemm.MultiplyTransposedB(path, a, b, c, m, k, n, accumulate);
                AssertClose(expected, c, k, $"NT {path} m={m} k={k} n={n} acc={accumulate}");
            }
        }
    }

    [Fact]
    public void PublicEntryPointsUseTheBestPathAndLeaveTheRestOfCAlone()
    {
        const int m = 5, k = 6, n = 7;
        var (a, b, _) = Operands(m * k, k * n, 0, seed: 9);
        var c = new float[(m * n) + 3];
        c[^1] = c[^2] = c[^3] = 42f;
        var expected = new float[m * n];
        Naive(expected, m, k, n, false, (i, q) => a[(i * k) + q], (q, j) => b[(q * n) + j]);
        Gemm.Multiply(a, b, c, m, k, n, accumulate: false);
        AssertClose(expected, c.AsSpan(0, m * n).ToArray(), k, "public NN");
        Assert.Equal(42f, c[^1]);
        Assert.Equal(42f, c[^3]);
    }

    [Fact]
    public void ZeroDepthClearsOrKeepsC()
    {
        var c = new[] { 1f, 2f, 3f, 4f };
        Gemm.Multiply(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, c, 2, 0, 2, accumulate: true);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, c);
        Gemm.MultiplyTransposedB(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, c, 2, 0, 2, accumulate: false);
        Assert.Equal(new float[4], c);
    }

    [Fact]
    public void ShortSpansThrow()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 3, 2, false));
        Assert.Equal("a", ex.ParamName);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedA(new float[6], new float[6], new float[3], 2, 3, 2, false));
    }

    private static (float[] A, float[] B, float[] C) Operands(int aLength, int bLength, int cLength, int seed)
    {
        var random = new Random(seed);
        return (Fill(aLength), Fill(bLength), Fill(cLength));

        float[] Fill(int length)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (float)((random.NextDouble() * 2) - 1);
            }

            return values;
        }
    }

    /// <summary>The textbook triple loop, in double.</summary>
    private static void Naive(float[] c, int m, int k, int n, bool accumulate, Func<int, int, float> a, Func<int, int, float> b)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[(i * n) + j] : 0;
                for (int q = 0; q < k; q++)
                {
                    sum += (double)a(i, q) * b(q, j);
                }

                c[(i * n) + j] = (float)sum;
            }
        }
    }

    private static void AssertClose(float[] expected, float[] actual, int k, string label)
    {
        // Float sums of k products of values in [-1, 1] drift by about sqrt(k) ulps of their magnitude.
        double tolerance = 1e-5 * (1 + Math.Sqrt(k)) * 4;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{label}: element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
