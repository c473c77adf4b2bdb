using System;

namespace Unrolled.Runtime.Tests;

/// <summary>Synthetic, learnable data for <see cref="TwoInputModel"/>: the class is the argmax of a fixed linear map
/// of the concatenated inputs, the flag is whether the inputs of "a" sum above zero.</summary>
internal sealed record SyntheticData(float[] A, float[] B, float[] Class, float[] Flag, int Count)
{
    public static SyntheticData Create(int count, int seed)
    {
        var random = new Random(seed);
        var a = new float[count * TwoInputModel.ASize];
        var b = new float[count * TwoInputModel.BSize];
        var cls = new float[count * TwoInputModel.Classes];
        var flag = new float[count];
        float[,] map = { { 2, -1, 0 }, { -1, 2, 0.5f }, { 0, 0.5f, -2 }, { 1.5f, 0, -1 }, { 0, -1.5f, 1 } };
        for (int s = 0; s < count; s++)
        {
            var x = new float[TwoInputModel.XSize];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)((random.NextDouble() * 2) - 1);
            }

            x.AsSpan(0, 3).CopyTo(a.AsSpan(s * 3));
            x.AsSpan(3, 2).CopyTo(b.AsSpan(s * 2));
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < 3; c++)
            {
                double score = 0;
                for (int i = 0; i < 5; i++)
                {
                    score += x[i] * map[i, c];
                }

                if (score > bestScore)
                {
                    (best, bestScore) = (c, score);
                }
            }

            cls[(s * 3) + best] = 1;
            flag[s] = x[0] + x[1] + x[2] > 0 ? 1 : 0;
        }

        return new SyntheticData(a, b, cls, flag, count);
    }

    public float[][] X => [A, B];

    public float[][] Y => [Class, Flag];
}
