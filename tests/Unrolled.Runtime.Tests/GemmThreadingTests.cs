using System;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Large products split over two threads give the one-thread result bit for bit, and allocate nothing.</summary>
public class GemmThreadingTests
{
    private static float[] Random(int n, int seed)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    [Theory]
    [InlineData(256, 300, 96, false)]
    [InlineData(517, 129, 65, true)]
    public void Split_products_equal_the_single_thread_ones(int m, int k, int n, bool accumulate)
    {
        Assert.True((long)m * k * n >= GemmWorker.Threshold);
        float[] a = Random(m * k, 1), b = Random(k * n, 2), bt = Random(n * k, 3), at = Random(k * m, 4);
        float[] start = Random(m * n, 5);
        int saved = Threading.MaxThreads;
        try
        {
            float[][] Run(int threads)
            {
                Threading.MaxThreads = threads;
                float[] c1 = (float[])start.Clone(), c2 = (float[])start.Clone(), c3 = (float[])start.Clone();
                Gemm.Multiply(a, b, c1, m, k, n, accumulate);
                Gemm.MultiplyTransposedB(a, bt, c2, m, k, n, accumulate);
                Gemm.MultiplyTransposedA(at, b, c3, m, k, n, accumulate);
                return [c1, c2, c3];
            }

            var one = Run(1);
            var two = Run(2);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(one[i], two[i]);
            }

            // A split product allocates nothing once the helper thread and its wait handles exist (the least of three
            // rounds: the runtime may allocate once, the first time a wait blocks).
            float[] c = new float[m * n];
            for (int i = 0; i < 50; i++)
            {
                Gemm.Multiply(a, b, c, m, k, n, accumulate: false);
            }

            long least = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 20; i++)
                {
                    Gemm.Multiply(a, b, c, m, k, n, accumulate: false);
                }

                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            Assert.Equal(0, least);
        }
        finally
        {
            Threading.MaxThreads = saved;
        }
    }

    [Fact]
    public void Threads_must_be_at_least_one() => Assert.Throws<ArgumentOutOfRangeException>(() => Threading.MaxThreads = 0);
}
