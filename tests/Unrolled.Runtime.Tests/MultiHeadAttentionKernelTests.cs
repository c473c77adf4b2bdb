using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// Dropout on MultiHeadAttention's weights while training: the fraction dropped and the survivors' scale, the same
/// masks for the same seed, and the backward pass through the dropped weights against central differences of the
/// forward pass run again with that seed. (Without dropout the kernel is checked through generated models: PyTorch,
/// finite differences, ONNX Runtime.)
/// </summary>
public class MultiHeadAttentionKernelTests
{
    private sealed class Setup
    {
        public Setup(int batch, int steps, int features, int heads, int dim, bool causal)
        {
            S = new MultiHeadShape(batch, steps, steps, features, features, features, heads, dim, dim, features, causal);
            X = KernelCheck.Random(batch * steps * features, 1);
            Wq = KernelCheck.Random(features * heads * dim, 2, 0.8f);
            Wk = KernelCheck.Random(features * heads * dim, 3, 0.8f);
            Wv = KernelCheck.Random(features * heads * dim, 4, 0.8f);
            Wo = KernelCheck.Random(heads * dim * features, 5, 0.8f);
            R = KernelCheck.Random(batch * steps * features, 6);
        }

        public MultiHeadShape S { get; }

        public float[] X { get; }

        public float[] Wq { get; }

        public float[] Wk { get; }

        public float[] Wv { get; }

        public float[] Wo { get; }

        public float[] R { get; }

        public int Rows => S.Batch * S.QuerySteps;

        public (float[] Y, float[] Q, float[] K, float[] V, float[] P, float[] C, float[] D) Forward(float[] x, float rate, ulong seed)
        {
            var q = new float[Rows * S.QueryWidth];
            var k = new float[Rows * S.QueryWidth];
            var v = new float[Rows * S.ValueWidth];
            var p = new float[S.Batch * S.Heads * S.Scores];
            var c = new float[Rows * S.ValueWidth];
            var d = rate > 0 ? new float[p.Length] : [];
            var y = new float[Rows * S.OutputFeatures];
            MultiHeadAttention.Forward(S, x, x, x, Wq, [], Wk, [], Wv, [], Wo, [], q, k, v, p, c, y, d, rate, seed);
            return (y, q, k, v, p, c, d);
        }

        public double Loss(float[] x, float rate, ulong seed) => Forward(x, rate, seed).Y.Zip(R, (a, b) => (double)a * b).Sum();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_rate_of_the_weights_is_dropped_and_the_rest_scaled(bool causal)
    {
        var s = new Setup(2, 40, 6, 2, 3, causal);
        var (_, _, _, _, p, _, d) = s.Forward(s.X, 0.3f, 17);
        int visible = p.Count(w => w > 0), dropped = p.Zip(d).Count(w => w.First > 0 && w.Second == 0);
        Assert.InRange(dropped / (double)visible, 0.27, 0.33);
        Assert.All(p.Zip(d).Where(w => w.Second != 0), w => Assert.True(Math.Abs((w.First / 0.7) - w.Second) <= 1e-6 * w.Second, $"{w.First} kept as {w.Second}"));
        Assert.All(p.Zip(d).Where(w => w.First == 0), w => Assert.Equal(0f, w.Second)); // masked stays masked

        // The same seed, the same masks; another seed, others. Without dropout the output is the plain attention's.
        Assert.Equal(d, s.Forward(s.X, 0.3f, 17).D);
        Assert.NotEqual(d, s.Forward(s.X, 0.3f, 18).D);
        Assert.NotEqual(s.Forward(s.X, 0f, 0).Y, s.Forward(s.X, 0.3f, 17).Y);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_backward_pass_goes_through_the_dropped_weights(bool causal)
    {
        const float rate = 0.4f;
        const ulong seed = 5;
        var s = new Setup(1, 5, 3, 2, 2, causal);
        var f = s.Forward(s.X, rate, seed);
        var dx = new float[s.X.Length];
        int rows = s.Rows;
        MultiHeadAttention.Backward(s.S, s.R, s.X, s.X, s.X, s.Wq, s.Wk, s.Wv, s.Wo, f.Q, f.K, f.V, f.P, f.C,
            new float[rows * s.S.QueryWidth], new float[rows * s.S.QueryWidth], new float[rows * s.S.ValueWidth], new float[s.S.Scores],
            new float[rows * s.S.ValueWidth], dx, dx, dx, new float[s.Wq.Length], [], new float[s.Wk.Length], [], new float[s.Wv.Length], [],
            new float[s.Wo.Length], [], f.D);

        // Central differences in single precision, the masks fixed by the seed.
        const float h = 1e-2f;
        for (int i = 0; i < s.X.Length; i++)
        {
            float[] plus = (float[])s.X.Clone(), minus = (float[])s.X.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (s.Loss(plus, rate, seed) - s.Loss(minus, rate, seed)) / (2 * h);
            Assert.True(Math.Abs(numeric - dx[i]) <= 2e-3 + (2e-2 * Math.Abs(numeric)), $"dx[{i}]: {dx[i]} against {numeric}");
        }
    }
}
