using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Keras's batch_dot over any pair of axes (<see cref="DotKernels"/>) and the strided product under it
/// (<see cref="StridedGemm.General"/>), against sums written out in double: every way round of the three views (A, B
/// and C each read or written along rows or down columns), and the backward pass as the forward's adjoint:
/// ⟨dy, forward(a, b)⟩ must equal ⟨da, a⟩ and ⟨db, b⟩ for the gradients it accumulates.
/// </summary>
public class DotKernelTests
{
    public static TheoryData<int, int, int, int, int, int> Views() => new()
    {
        // m, k, n, and for A, B, C whether the view runs down columns (1) rather than along rows (0), packed as bits.
        { 5, 7, 19, 0, 0, 0 },
        { 5, 7, 19, 1, 0, 0 },
        { 5, 7, 19, 0, 1, 0 },
        { 5, 7, 19, 1, 1, 0 },
        { 5, 7, 19, 0, 0, 1 },
        { 5, 7, 19, 1, 1, 1 },
        { 33, 130, 70, 1, 1, 0 },  // k beyond one packed block of B, n beyond 64 columns
        { 33, 130, 70, 0, 1, 1 },
        { 1, 9, 17, 0, 1, 1 },     // one row of C whose elements lie apart
        { 17, 9, 1, 1, 0, 1 },     // one column
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void General_product_matches_the_sum_for_every_orientation(int m, int k, int n, int aDown, int bDown, int cDown)
    {
        // A view "down" stores element (i, j) at j·rows + i (column-major), otherwise at i·columns + j; one float of slack
        // after each matrix so that reading a whole vector past the end is caught by the bounds checks, not hidden.
        float[] a = Random((m * k) + 1, 1), b = Random((k * n) + 1, 2);
        float[] c = Random((m * n) + 1, 3), start = c.ToArray();
        (int Row, int Column) Strides(bool down, int rows, int columns) => down ? (1, rows) : (columns, 1);
        var (aRow, aColumn) = Strides(aDown == 1, m, k);
        var (bRow, bColumn) = Strides(bDown == 1, k, n);
        var (cRow, cColumn) = Strides(cDown == 1, m, n);
        foreach (bool accumulate in new[] { false, true })
        {
            start.CopyTo(c, 0);
            StridedGemm.General(a, aRow, aColumn, b, bRow, bColumn, c, cRow, cColumn, m, k, n, accumulate);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = accumulate ? start[(i * cRow) + (j * cColumn)] : 0;
                    for (int p = 0; p < k; p++)
                    {
                        sum += (double)a[(i * aRow) + (p * aColumn)] * b[(p * bRow) + (j * bColumn)];
                    }

                    float got = c[(i * cRow) + (j * cColumn)];
                    Assert.True(Math.Abs(got - sum) <= 1e-5 * (1 + Math.Abs(sum)), $"C({i}, {j}): expected {sum}, got {got} (accumulate {accumulate})");
                }
            }

            Assert.Equal(start[^1], c[^1]); // nothing written past the view
        }
    }

    [Fact]
    public void General_product_refuses_views_outside_their_spans_and_a_C_without_a_unit_stride()
    {
        Assert.Throws<ArgumentException>(() => StridedGemm.General(new float[11], 4, 1, new float[12], 4, 1, new float[12], 4, 1, 3, 4, 4, false));
        Assert.Throws<ArgumentException>(() => StridedGemm.General(new float[12], 4, 1, new float[12], 4, 1, new float[100], 8, 2, 3, 4, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => StridedGemm.General(new float[12], -4, 1, new float[12], 4, 1, new float[12], 4, 1, 3, 4, 4, false));
    }

    public static TheoryData<int[], int, int[], int> Axes() => new()
    {
        // first input's axes per sample, its contracted axis (0-based, batch excluded), the second's, its contracted axis
        { new[] { 4, 3 }, 1, new[] { 5, 3 }, 1 },    // attention scores: Dot(axes=[2, 2])
        { new[] { 4, 5 }, 1, new[] { 5, 2 }, 0 },    // weights against values: Dot(axes=[2, 1])
        { new[] { 4, 3 }, 0, new[] { 4, 2 }, 0 },    // over time: Dot(axes=[1, 1])
        { new[] { 4, 3 }, 0, new[] { 5, 4 }, 1 },    // Dot(axes=[1, 2])
        { new[] { 6 }, 0, new[] { 6 }, 0 },          // vectors
        { new[] { 4 }, 0, new[] { 5, 4 }, 1 },       // a vector against a sequence
        { new[] { 2, 2, 3 }, 1, new[] { 2, 3, 2 }, 0 }, // contracted axes in the middle and first: strided slices both sides
        { new[] { 3, 2, 4 }, 0, new[] { 5, 3, 2 }, 1 },
    };

    [Theory]
    [MemberData(nameof(Axes))]
    public void Forward_is_batch_dot_and_backward_is_its_adjoint(int[] shapeA, int axisA, int[] shapeB, int axisB)
    {
        const int batch = 3;
        int Product(System.Collections.Generic.IEnumerable<int> d) => d.Aggregate(1, (p, v) => p * v);
        int k = shapeA[axisA];
        Assert.Equal(k, shapeB[axisB]);
        int aOuter = Product(shapeA.Take(axisA)), aInner = Product(shapeA.Skip(axisA + 1));
        int bOuter = Product(shapeB.Take(axisB)), bInner = Product(shapeB.Skip(axisB + 1));
        int sizeA = Product(shapeA), sizeB = Product(shapeB), p = aOuter * aInner, q = bOuter * bInner;
        float[] a = Random(batch * sizeA, 4), b = Random(batch * sizeB, 5), y = new float[batch * p * q];
        DotKernels.Forward(a, b, y, batch, aOuter, k, aInner, bOuter, bInner);

        // The definition: every free index of a (in order) against every free index of b, summed over the contracted axis.
        int At(int free, int kk, int inner) => ((free / inner) * k * inner) + (kk * inner) + (free % inner);
        var expected = new double[y.Length];
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < p; i++)
            {
                for (int j = 0; j < q; j++)
                {
                    double sum = 0;
                    for (int kk = 0; kk < k; kk++)
                    {
                        sum += (double)a[(s * sizeA) + At(i, kk, aInner)] * b[(s * sizeB) + At(j, kk, bInner)];
                    }

                    expected[(s * p * q) + (i * q) + j] = sum;
                }
            }
        }

        AssertClose(expected, y, "forward");

        // Adjoint: with dy random, ⟨dy, y(a, b)⟩ is linear in each input, so its gradient with respect to a is da and
        // ⟨da, a⟩ = ⟨dy, y⟩ (likewise b); the accumulation keeps what was there.
        float[] dy = Random(y.Length, 6), da = Random(a.Length, 7), db = Random(b.Length, 8);
        float[] daStart = da.ToArray(), dbStart = db.ToArray();
        DotKernels.Backward(dy, a, b, da, db, batch, aOuter, k, aInner, bOuter, bInner);
        double inner = dy.Select((g, i) => (double)g * expected[i]).Sum();
        double viaA = a.Select((v, i) => (double)v * (da[i] - daStart[i])).Sum();
        double viaB = b.Select((v, i) => (double)v * (db[i] - dbStart[i])).Sum();
        Assert.True(Math.Abs(inner - viaA) <= 1e-4 * (1 + Math.Abs(inner)), $"⟨dy, y⟩ {inner} but ⟨da, a⟩ {viaA}");
        Assert.True(Math.Abs(inner - viaB) <= 1e-4 * (1 + Math.Abs(inner)), $"⟨dy, y⟩ {inner} but ⟨db, b⟩ {viaB}");

        // And element by element for a: da[s, …k…] = Σⱼ dy[s, i, j] · b[s, …k…, j's position].
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < p; i++)
            {
                for (int kk = 0; kk < k; kk++)
                {
                    double sum = daStart[(s * sizeA) + At(i, kk, aInner)];
                    for (int j = 0; j < q; j++)
                    {
                        sum += (double)dy[(s * p * q) + (i * q) + j] * b[(s * sizeB) + At(j, kk, bInner)];
                    }

                    float got = da[(s * sizeA) + At(i, kk, aInner)];
                    Assert.True(Math.Abs(got - sum) <= 1e-5 * (1 + Math.Abs(sum)), $"da at sample {s}, row {i}, k {kk}: expected {sum}, got {got}");
                }
            }
        }
    }

    [Theory]
    [InlineData(3, 5, 1)]
    [InlineData(2, 4, 3)]  // along a middle axis
    public void Normalize_along_any_axis_matches_the_definition_and_its_gradient(int outer, int n, int inner)
    {
        float[] x = Random(outer * n * inner, 9), y = new float[x.Length];
        x[0] = 0; // a zero line's norm is clamped (1e-12): still finite
        for (int i = 1; i < n; i++)
        {
            x[i * inner] = 0;
        }

        DotKernels.L2Normalize(x, y, outer, n, inner);
        double Norm(float[] v, int o, int i) => Math.Sqrt(Math.Max(Enumerable.Range(0, n).Sum(kk => (double)v[(o * n * inner) + (kk * inner) + i] * v[(o * n * inner) + (kk * inner) + i]), 1e-12));
        var expected = x.Select((v, at) => v / Norm(x, at / (n * inner), at % inner)).ToArray();
        AssertClose(expected, y, "normalised");

        // The gradient of ⟨g, normalize(x)⟩ by central differences in double.
        float[] g = Random(x.Length, 10), dx = new float[x.Length];
        DotKernels.L2NormalizeBackward(x, y, g, dx, outer, n, inner);
        for (int at = inner; at < x.Length; at++) // the clamped line's gradient is 1/sqrt(eps): skip its entries
        {
            if (at % inner == 0 && at / (n * inner) == 0)
            {
                continue;
            }

            double Loss(double h)
            {
                float[] moved = x.ToArray();
                moved[at] += (float)h;
                return moved.Select((v, i) => g[i] * v / Norm(moved, i / (n * inner), i % inner)).Sum();
            }

            double numeric = (Loss(1e-3) - Loss(-1e-3)) / 2e-3;
            Assert.True(Math.Abs(numeric - dx[at]) <= 2e-3 + (2e-2 * Math.Abs(numeric)), $"dx[{at}]: finite difference {numeric}, backward {dx[at]}");
        }
    }
}
