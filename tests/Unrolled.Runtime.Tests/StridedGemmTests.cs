using System;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>The strided products the recurrent kernels use, against the textbook loop, with rows spaced apart.</summary>
public class StridedGemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(6, 17, 33)]
    [InlineData(9, 130, 70)] // k beyond one packed block, n beyond one packed column block
    public void ProductsMatchNaive(int m, int k, int n)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            // Leading dimensions larger than the rows, so every access to the gaps would show.
            int lda = k + 3, ldat = m + 2, ldb = n + 5, ldbt = k + 1, ldc = n + 4;
            float[] a = KernelCheck.Random(m * lda, 1), at = KernelCheck.Random(k * ldat, 2);
            float[] b = KernelCheck.Random(k * ldb, 3), bt = KernelCheck.Random(n * ldbt, 4);

            Check((i, p) => a[(i * lda) + p], (p, j) => b[(p * ldb) + j],
                c => StridedGemm.Multiply(a, lda, b, ldb, c, ldc, m, k, n, accumulate), "NN");
            Check((i, p) => at[(p * ldat) + i], (p, j) => b[(p * ldb) + j],
                c => StridedGemm.MultiplyTransposedA(at, ldat, b, ldb, c, ldc, m, k, n, accumulate), "TN");
            Check((i, p) => a[(i * lda) + p], (p, j) => bt[(j * ldbt) + p],
                c => StridedGemm.MultiplyTransposedB(a, lda, bt, ldbt, c, ldc, m, k, n, accumulate), "NT");

            void Check(Func<int, int, float> aAt, Func<int, int, float> bAt, Action<float[]> run, string what)
            {
                float[] c = KernelCheck.Random(((m - 1) * ldc) + n, 5);
                float[] before = (float[])c.Clone();
                run(c);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < ldc && (i * ldc) + j < c.Length; j++)
                    {
                        int index = (i * ldc) + j;
                        if (j >= n)
                        {
                            Assert.Equal(before[index], c[index]); // the gap between rows is left alone
                            continue;
                        }

                        double sum = accumulate ? before[index] : 0;
                        for (int p = 0; p < k; p++)
                        {
                            sum += (double)aAt(i, p) * bAt(p, j);
                        }

                        Assert.True(Math.Abs(sum - c[index]) <= 1e-5 * (k + 1), $"{what} acc={accumulate} C[{i}, {j}]: expected {sum}, got {c[index]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void SpansTooShortForTheirStridesThrow()
    {
        var ex = Assert.Throws<ArgumentException>(() => StridedGemm.Multiply(new float[10], 4, new float[9], 3, new float[9], 3, 3, 3, 3, false));
        Assert.Equal("a", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => StridedGemm.Multiply(new float[9], 2, new float[9], 3, new float[9], 3, 3, 3, 3, false));
    }
}
