using System;

namespace Unrolled;

/// <summary>
/// Keras's weight initialisers over a seeded, platform-independent random generator (xoshiro128**), so the same
/// seed gives the same weights on every machine. Generated constructors call it once per weight tensor.
/// </summary>
public struct WeightInitializer
{
    private uint _s0, _s1, _s2, _s3;

    /// <summary>Creates an initialiser from a seed.</summary>
    /// <param name="seed">Any integer; the same seed gives the same sequence.</param>
    public WeightInitializer(int seed)
    {
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);
        _s0 = (uint)SplitMix(ref x);
        _s1 = (uint)SplitMix(ref x);
        _s2 = (uint)SplitMix(ref x);
        _s3 = (uint)SplitMix(ref x);
    }

    /// <summary>Keras's <c>glorot_uniform</c>: uniform in ±sqrt(6 / (fanIn + fanOut)).</summary>
    /// <param name="weights">The tensor to fill.</param>
    /// <param name="fanIn">Inputs per unit.</param>
    /// <param name="fanOut">Units.</param>
    public void GlorotUniform(Span<float> weights, int fanIn, int fanOut)
    {
        float limit = MathF.Sqrt(6f / (fanIn + fanOut));
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (NextFloat() * 2f - 1f) * limit;
        }
    }

    /// <summary>Keras's <c>zeros</c>.</summary>
    /// <param name="weights">The tensor to fill.</param>
    public readonly void Zeros(Span<float> weights) => weights.Clear();

    /// <summary>Keras's <c>ones</c>.</summary>
    /// <param name="weights">The tensor to fill.</param>
    public readonly void Ones(Span<float> weights) => weights.Fill(1f);

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    /// <returns>The next value.</returns>
    public float NextFloat() => (NextUInt() >> 8) * (1f / (1 << 24));

    /// <summary>The next 32 random bits.</summary>
    /// <returns>The next value.</returns>
    public uint NextUInt()
    {
        uint result = RotateLeft(_s1 * 5, 7) * 9;
        uint t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 11);
        return result;
    }

    private static uint RotateLeft(uint x, int k) => (x << k) | (x >> (32 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
