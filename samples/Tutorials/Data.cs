using System;

namespace Tutorials;

/// <summary>The tutorials' dummy data (numpy.random), from a seeded generator so every run is the same.</summary>
internal sealed class Data
{
    private readonly Random _random;

    public Data(int seed) => _random = new Random(seed);

    /// <summary>numpy.random.random: uniform in [0, 1).</summary>
    public float[] Uniform(int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)_random.NextDouble();
        }

        return values;
    }

    /// <summary>numpy.random.randint(high, size): whole numbers in [low, high), as floats (ids for an Embedding).</summary>
    public float[] Integers(int count, int high, int low = 0)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = _random.Next(low, high);
        }

        return values;
    }

    /// <summary>keras.utils.to_categorical of random classes: one-hot rows.</summary>
    public float[] OneHot(int samples, int classes)
    {
        var values = new float[samples * classes];
        for (int s = 0; s < samples; s++)
        {
            values[s * classes + _random.Next(classes)] = 1f;
        }

        return values;
    }
}
