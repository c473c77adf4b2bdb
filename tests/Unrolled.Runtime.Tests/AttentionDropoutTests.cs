using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Dropout on the weights of Keras's Attention and AdditiveAttention while training: the rate dropped, the survivors
/// scaled, and the backward pass through the dropped weights against central differences of the forward pass re-run
/// with the same seed.
/// </summary>
public class AttentionDropoutTests
{
    private const int Batch = 2, Tq = 4, Tv = 5, Dim = 3, Dv = 2;

    private static readonly float[] Q = KernelCheck.Random(Batch * Tq * Dim, 1);
    private static readonly float[] K = KernelCheck.Random(Batch * Tv * Dim, 2);
    private static readonly float[] V = KernelCheck.Random(Batch * Tv * Dv, 3);
    private static readonly float[] Scale = KernelCheck.Random(Dim, 4);
    private static readonly float[] R = KernelCheck.Random(Batch * Tq * Dv, 5);

    private static (float[] Y, float[] W, float[] D) Forward(bool additive, float[] q, float rate, ulong seed)
    {
        var w = new float[Batch * Tq * Tv];
        var d = rate > 0 ? new float[w.Length] : [];
        var y = new float[Batch * Tq * Dv];
        if (additive)
        {
            AttentionKernels.AdditiveForward(q, K, V, Scale, w, y, Batch, Tq, Tv, Dim, Dv, d, rate, seed);
        }
        else
        {
            AttentionKernels.Forward(q, K, V, [], [], w, y, Batch, Tq, Tv, Dim, Dv, d, rate, seed);
        }

        return (y, w, d);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Weights_are_dropped_at_the_rate_and_the_backward_pass_goes_through_them(bool additive)
    {
        const float rate = 0.35f;
        const ulong seed = 11;
        var (_, w, d) = Forward(additive, Q, rate, seed);
        Assert.Contains(d, x => x == 0f);
        Assert.All(w.Zip(d).Where(p => p.Second != 0), p => Assert.True(Math.Abs((p.First / (1 - rate)) - p.Second) <= 1e-6 * p.Second));

        var dq = new float[Q.Length];
        var scratch = new float[Tq * Tv];
        if (additive)
        {
            AttentionKernels.AdditiveBackward(R, Q, K, V, Scale, w, dq, [], [], [], scratch, Batch, Tq, Tv, Dim, Dv, d);
        }
        else
        {
            AttentionKernels.Backward(R, Q, K, V, [], [], w, dq, [], [], [], scratch, Batch, Tq, Tv, Dim, Dv, d);
        }

        double Loss(float[] q) => Forward(additive, q, rate, seed).Y.Zip(R, (a, b) => (double)a * b).Sum();
        const float h = 1e-2f;
        for (int i = 0; i < Q.Length; i++)
        {
            float[] plus = (float[])Q.Clone(), minus = (float[])Q.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (Loss(plus) - Loss(minus)) / (2 * h);
            Assert.True(Math.Abs(numeric - dq[i]) <= 2e-3 + (2e-2 * Math.Abs(numeric)), $"dq[{i}]: {dq[i]} against {numeric}");
        }
    }
}
