using System;
using System.Linq;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>
/// MultiHeadAttention's forward pass with and without keeping the weights (a prediction fuses each head's scores,
/// softmax and weighted sum a block of query rows at a time and divides by the softmax sum afterwards) against attention
/// computed plainly in double: odd sizes that leave partial vectors and blocks everywhere, causal rows shorter than a
/// vector, every kind of Keras mask, cross-attention, and a key length too long for the fused path's stack.
/// </summary>
public class FusedAttentionTests
{
    public static TheoryData<int, int, int, int, int, int, int, bool, string> Cases => new()
    {
        // batch, Tq, Tk, features, heads, keyDim, valueDim, causal, masks
        { 2, 200, 200, 32, 2, 32, 32, false, "" },     // the text transformer's block
        { 1, 13, 37, 12, 3, 5, 7, false, "qv" },       // partial vectors, blocks and 8 × 8 transposes
        { 2, 40, 40, 16, 2, 16, 16, true, "" },        // causal rows of fewer than 16 keys
        { 1, 30, 50, 8, 2, 9, 12, true, "a" },         // causal cross-attention with an attention mask
        { 1, 20, 9, 8, 1, 8, 20, false, "vka" },       // fewer keys than a vector; value, key and attention masks
        { 1, 17, 64, 24, 4, 16, 8, false, "q" },       // a whole number of vectors of keys
        { 1, 4, 1100, 8, 1, 64, 8, false, "" },        // 1,104 × 72 floats: beyond the fused path's stack
        { 2, 5, 700, 8, 3, 24, 8, false, "v" },        // unfused too, six heads through one head's room
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Both_paths_equal_plain_attention_in_double(int batch, int tq, int tk, int features, int heads, int keyDim, int valueDim,
        bool causal, string masks)
    {
        var s = new MultiHeadShape(batch, tq, tk, features, features, features, heads, keyDim, valueDim, features, causal);
        var c = new Case(s, masks);
        double[] expected = c.Reference();
        foreach (bool keep in new[] { true, false })
        {
            var (y, p) = c.Run(keep);
            double worst = y.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 2e-5, $"keepWeights: {keep}: largest difference {worst:E2}");

            // Kept, the weights are written; otherwise a fusable head leaves them as they were.
            bool fused = !keep && GemmPaths.Best == GemmPath.Avx512 && (long)((tk + 15) & ~15) * (keyDim + 8) <= 16384;
            Assert.Equal(fused, p.All(float.IsNaN));
        }
    }

    [Fact]
    public void A_fully_masked_query_gives_zeros_on_both_paths()
    {
        var s = new MultiHeadShape(1, 9, 21, 8, 8, 8, 2, 8, 8, 8, false);
        var c = new Case(s, "q");
        c.QueryMask.AsSpan().Fill(0f);
        Assert.All(c.Run(keep: false).Y, y => Assert.Equal(0f, y)); // no biases: zero heads, zero output
        Assert.All(c.Run(keep: true).Y, y => Assert.Equal(0f, y));
    }

    private sealed class Case
    {
        private readonly MultiHeadShape _s;

        public Case(in MultiHeadShape s, string masks)
        {
            _s = s;
            int rowsQ = s.Batch * s.QuerySteps, rowsK = s.Batch * s.KeySteps;
            Query = KernelCheck.Random(rowsQ * s.QueryFeatures, 1);
            Value = KernelCheck.Random(rowsK * s.ValueFeatures, 2);
            Wq = KernelCheck.Random(s.QueryFeatures * s.QueryWidth, 3, 0.8f);
            Wk = KernelCheck.Random(s.KeyFeatures * s.QueryWidth, 4, 0.8f);
            Wv = KernelCheck.Random(s.ValueFeatures * s.ValueWidth, 5, 0.8f);
            Wo = KernelCheck.Random(s.ValueWidth * s.OutputFeatures, 6, 0.8f);
            Biases = masks.Length == 0 ? [KernelCheck.Random(s.QueryWidth, 7), KernelCheck.Random(s.QueryWidth, 8),
                KernelCheck.Random(s.ValueWidth, 9), KernelCheck.Random(s.OutputFeatures, 10)] : [[], [], [], []];
            var random = new Random(11);
            float[] Mask(int length, char kind) => masks.Contains(kind) ? Enumerable.Range(0, length).Select(_ => random.NextDouble() < 0.7 ? 1f : 0f).ToArray() : [];
            QueryMask = Mask(rowsQ, 'q');
            ValueMask = Mask(rowsK, 'v');
            KeyMask = Mask(rowsK, 'k');
            AttentionMask = Mask(s.Batch * s.Scores, 'a');
        }

        public float[] Query { get; }

        public float[] Value { get; }

        public float[] Wq { get; }

        public float[] Wk { get; }

        public float[] Wv { get; }

        public float[] Wo { get; }

        public float[][] Biases { get; }

        public float[] QueryMask { get; }

        public float[] ValueMask { get; }

        public float[] KeyMask { get; }

        public float[] AttentionMask { get; }

        public (float[] Y, float[] P) Run(bool keep)
        {
            int rowsQ = _s.Batch * _s.QuerySteps, rowsK = _s.Batch * _s.KeySteps;
            var p = new float[keep ? _s.Batch * _s.Heads * _s.Scores : _s.Scores]; // without keeping, one head's room
            p.AsSpan().Fill(float.NaN);
            var y = new float[rowsQ * _s.OutputFeatures];
            MultiHeadAttention.Forward(_s, Query, Value, Value, Wq, Biases[0], Wk, Biases[1], Wv, Biases[2], Wo, Biases[3],
                new float[rowsQ * _s.QueryWidth], new float[rowsK * _s.QueryWidth], new float[rowsK * _s.ValueWidth], p,
                new float[rowsQ * _s.ValueWidth], y, queryMask: QueryMask, valueMask: ValueMask, keyMask: KeyMask, attentionMask: AttentionMask,
                keepWeights: keep);
            return (y, p);
        }

        /// <summary>The attention of each query row over the keys it may see, in double; a row that sees none outputs zeros.</summary>
        public double[] Reference()
        {
            int tq = _s.QuerySteps, tk = _s.KeySteps, kd = _s.KeyDim, vd = _s.ValueDim;
            var y = new double[_s.Batch * tq * _s.OutputFeatures];
            for (int b = 0; b < _s.Batch; b++)
            {
                double[,] q = Project(Query, Wq, Biases[0], b, tq, _s.QueryFeatures, _s.QueryWidth);
                double[,] k = Project(Value, Wk, Biases[1], b, tk, _s.KeyFeatures, _s.QueryWidth);
                double[,] v = Project(Value, Wv, Biases[2], b, tk, _s.ValueFeatures, _s.ValueWidth);
                var combined = new double[tq, _s.ValueWidth];
                for (int h = 0; h < _s.Heads; h++)
                {
                    for (int i = 0; i < tq; i++)
                    {
                        var scores = new double[tk];
                        var seen = new bool[tk];
                        for (int j = 0; j < tk; j++)
                        {
                            seen[j] = (!_s.Causal || j <= i) && On(QueryMask, (b * tq) + i) && On(ValueMask, (b * tk) + j) && On(KeyMask, (b * tk) + j)
                                      && On(AttentionMask, (((b * tq) + i) * tk) + j);
                            for (int d = 0; d < kd; d++)
                            {
                                scores[j] += q[i, (h * kd) + d] * k[j, (h * kd) + d] / Math.Sqrt(kd);
                            }
                        }

                        if (!seen.Contains(true))
                        {
                            continue;
                        }

                        double max = Enumerable.Range(0, tk).Where(j => seen[j]).Max(j => scores[j]);
                        double sum = Enumerable.Range(0, tk).Where(j => seen[j]).Sum(j => Math.Exp(scores[j] - max));
                        for (int j = 0; j < tk; j++)
                        {
                            double w = seen[j] ? Math.Exp(scores[j] - max) / sum : 0;
                            for (int d = 0; d < vd; d++)
                            {
                                combined[i, (h * vd) + d] += w * v[j, (h * vd) + d];
                            }
                        }
                    }
                }

                for (int i = 0; i < tq; i++)
                {
                    for (int o = 0; o < _s.OutputFeatures; o++)
                    {
                        double sum = Biases[3].Length > 0 ? Biases[3][o] : 0;
                        for (int f = 0; f < _s.ValueWidth; f++)
                        {
                            sum += combined[i, f] * Wo[(f * _s.OutputFeatures) + o];
                        }

                        y[(((b * tq) + i) * _s.OutputFeatures) + o] = sum;
                    }
                }
            }

            return y;
        }

        private static bool On(float[] mask, int at) => mask.Length == 0 || mask[at] >= 0.5f;

        private static double[,] Project(float[] x, float[] w, float[] bias, int b, int steps, int features, int width)
        {
            var y = new double[steps, width];
            for (int t = 0; t < steps; t++)
            {
                for (int o = 0; o < width; o++)
                {
                    double sum = bias.Length > 0 ? bias[o] : 0;
                    for (int f = 0; f < features; f++)
                    {
                        sum += x[(((b * steps) + t) * features) + f] * w[(f * width) + o];
                    }

                    y[t, o] = sum;
                }
            }

            return y;
        }
    }
}
