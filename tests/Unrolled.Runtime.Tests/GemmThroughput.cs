using System;
using System.Diagnostics;
using Unrolled.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Unrolled.Runtime.Tests;

/// <summary>Reports GEMM speed on the MLP's shapes; informative only, nothing is asserted about speed.</summary>
public class GemmThroughput(ITestOutputHelper output)
{
    [Fact]
    public void ReportsGflops()
    {
        Report("NN 64x784x64", 64, 784, 64, (a, b, c) => Gemm.Multiply(a, b, c, 64, 784, 64, false));
        Report("TN 784x64x64 (dW1)", 784, 64, 64, (a, b, c) => Gemm.MultiplyTransposedA(a, b, c, 784, 64, 64, true));
        Report("NT 64x64x784 (dX1)", 64, 64, 784, (a, b, c) => Gemm.MultiplyTransposedB(a, b, c, 64, 64, 784, true));
        Report("NN 64x64x10", 64, 64, 10, (a, b, c) => Gemm.Multiply(a, b, c, 64, 64, 10, false));
    }

    private void Report(string label, int m, int k, int n, Action<float[], float[], float[]> multiply)
    {
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        new Random(1).NextBytes(new byte[1]);
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (i % 7) * 0.01f;
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (i % 5) * 0.01f;
        }

        for (int i = 0; i < 200; i++)
        {
            multiply(a, b, c);
        }

        int reps = Math.Max(50, (int)(2e9 / (2.0 * m * k * n) / 10));
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            multiply(a, b, c);
        }

        double seconds = watch.Elapsed.TotalSeconds;
        double gflops = 2.0 * m * k * n * reps / seconds / 1e9;
        output.WriteLine($"{label}: {gflops:F1} GFLOP/s ({seconds / reps * 1e6:F1} us per call, path {GemmPaths.Best})");
        Assert.True(gflops > 0);
    }
}
