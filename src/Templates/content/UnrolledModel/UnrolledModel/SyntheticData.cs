namespace UnrolledModel;

/// <summary>A small, seeded classification problem: three clusters in eight dimensions, one-hot labels.</summary>
public static class SyntheticData
{
    /// <summary>Features per sample.</summary>
    public const int Features = 8;

    /// <summary>The number of classes.</summary>
    public const int Classes = 3;

    /// <summary>Makes <paramref name="samples"/> samples: row-major features and one-hot labels.</summary>
    public static (float[] X, float[] Y) Make(int samples, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples * Features];
        var y = new float[samples * Classes];
        for (int i = 0; i < samples; i++)
        {
            int label = random.Next(Classes);
            y[i * Classes + label] = 1;
            for (int f = 0; f < Features; f++)
            {
                // Cluster centres at ±1 along different features, plus unit noise.
                float centre = f % Classes == label ? 1.5f : -0.5f;
                x[i * Features + f] = centre + (float)(random.NextDouble() * 2 - 1);
            }
        }

        return (x, y);
    }
}
