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

    /// <summary>
    /// Keras's <c>VarianceScaling</c>, behind <c>he_*</c>, <c>lecun_*</c> and <c>glorot_normal</c>: variance
    /// scale / fan; uniform in ±sqrt(3 · scale / fan), or a normal truncated at two standard deviations whose standard
    /// deviation sqrt(scale / fan) / 0.87962566103423978 keeps that variance after the truncation.
    /// </summary>
    /// <param name="weights">The tensor to fill.</param>
    /// <param name="scale">Keras's <c>scale</c> (2 for He, 1 for LeCun and Glorot).</param>
    /// <param name="fan">The fan Keras's <c>mode</c> picks (fan_in, or the mean of fan_in and fan_out).</param>
    /// <param name="uniform">Uniform rather than truncated normal.</param>
    public void VarianceScaling(Span<float> weights, double scale, double fan, bool uniform)
    {
        double variance = scale / Math.Max(1.0, fan);
        if (uniform)
        {
            RandomUniform(weights, -(float)Math.Sqrt(3 * variance), (float)Math.Sqrt(3 * variance));
            return;
        }

        TruncatedNormal(weights, 0, Math.Sqrt(variance) / 0.87962566103423978);
    }

    /// <summary>Keras's <c>random_normal</c>: normal with the given mean and standard deviation.</summary>
    /// <param name="weights">The tensor to fill.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="stddev">The standard deviation.</param>
    public void RandomNormal(Span<float> weights, double mean, double stddev)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(mean + (stddev * NextNormal()));
        }
    }

    /// <summary>Keras's <c>truncated_normal</c>: normal, drawn again while more than two standard deviations from the mean.</summary>
    /// <param name="weights">The tensor to fill.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="stddev">The standard deviation before truncation.</param>
    public void TruncatedNormal(Span<float> weights, double mean, double stddev)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            double z;
            do
            {
                z = NextNormal();
            }
            while (Math.Abs(z) > 2);

            weights[i] = (float)(mean + (stddev * z));
        }
    }

    /// <summary>Keras's <c>zeros</c>.</summary>
    /// <param name="weights">The tensor to fill.</param>
    public readonly void Zeros(Span<float> weights) => weights.Clear();

    /// <summary>Keras's <c>ones</c>.</summary>
    /// <param name="weights">The tensor to fill.</param>
    public readonly void Ones(Span<float> weights) => weights.Fill(1f);

    /// <summary>Keras's <c>random_uniform</c> (the <c>Embedding</c> default is −0.05 to 0.05): uniform in [min, max).</summary>
    /// <param name="weights">The tensor to fill.</param>
    /// <param name="min">The lower bound.</param>
    /// <param name="max">The upper bound.</param>
    public void RandomUniform(Span<float> weights, float min, float max)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = min + ((max - min) * NextFloat());
        }
    }

    /// <summary>Keras's <c>constant</c>.</summary>
    /// <param name="weights">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    public readonly void Constant(Span<float> weights, float value) => weights.Fill(value);

    /// <summary>
    /// Keras's <c>orthogonal</c> (gain 1), the default recurrent initialiser. As Keras does, draws a standard normal
    /// matrix A of shape (max(rows, columns), min(rows, columns)), takes Q of its QR decomposition with the signs that
    /// make R's diagonal positive, and stores Q, or Qᵀ when the matrix is wide (rows &lt; columns, as a recurrent
    /// kernel [units, gates·units]): so a tall or square result has orthonormal columns, a wide one orthonormal rows.
    /// The decomposition is Gram–Schmidt in double precision with only IEEE-exact operations and a fixed order, so the
    /// same seed gives the same weights on every machine. It allocates a double copy of the matrix.
    /// </summary>
    /// <param name="weights">The tensor to fill, [rows, columns] row-major.</param>
    /// <param name="rows">Rows: the product of every axis but the last.</param>
    /// <param name="columns">Columns: the last axis.</param>
    public void Orthogonal(Span<float> weights, int rows, int columns)
    {
        if (rows < 0 || columns < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"Sizes must not be negative (rows = {rows}, columns = {columns}).");
        }

        int count = checked(rows * columns);
        if (weights.Length < count)
        {
            throw new ArgumentException($"The weights need {count} floats but the span holds {weights.Length}.", nameof(weights));
        }

        bool tall = rows >= columns;
        int length = Math.Max(rows, columns), vectors = Math.Min(rows, columns);

        // q[v * length + e] = A[e, v]: A's columns, contiguous. A is drawn row by row, as Keras draws it.
        var q = new double[count];
        for (int e = 0; e < length; e++)
        {
            for (int v = 0; v < vectors; v++)
            {
                q[(v * length) + e] = NextNormal();
            }
        }

        // Modified Gram–Schmidt: column v minus its projections on the earlier ones, normalised. The QR with a
        // positive diagonal is unique, so this is Keras's sign-corrected Q.
        for (int v = 0; v < vectors; v++)
        {
            Span<double> column = q.AsSpan(v * length, length);
            for (int w = 0; w < v; w++)
            {
                ReadOnlySpan<double> previous = q.AsSpan(w * length, length);
                double dot = 0;
                for (int e = 0; e < length; e++)
                {
                    dot += column[e] * previous[e];
                }

                for (int e = 0; e < length; e++)
                {
                    column[e] -= dot * previous[e];
                }
            }

            double norm = 0;
            for (int e = 0; e < length; e++)
            {
                norm += column[e] * column[e];
            }

            double scale = norm > 0 ? 1.0 / Math.Sqrt(norm) : 0.0;
            for (int e = 0; e < length; e++)
            {
                column[e] *= scale;
            }
        }

        for (int v = 0; v < vectors; v++)
        {
            for (int e = 0; e < length; e++)
            {
                // Tall: W = Q, so W[e, v]; wide: W = Qᵀ, so W[v, e].
                weights[tall ? (e * columns) + v : (v * columns) + e] = (float)q[(v * length) + e];
            }
        }
    }

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

    /// <summary>A standard normal draw by Marsaglia's polar method, with <see cref="Log"/> instead of the platform's.</summary>
    internal double NextNormal()
    {
        while (true)
        {
            double u = ((NextUInt() + 0.5) * (1.0 / 2147483648.0)) - 1.0;
            double v = ((NextUInt() + 0.5) * (1.0 / 2147483648.0)) - 1.0;
            double s = (u * u) + (v * v);
            if (s < 1.0 && s > 0.0)
            {
                return u * Math.Sqrt(-2.0 * Log(s) / s);
            }
        }
    }

    /// <summary>
    /// The natural logarithm of a positive, finite x from IEEE-exact operations only (platform maths libraries may
    /// differ in the last bit): x = m·2ᵉ with m in [√½, √2), then ln m = 2·atanh((m − 1)/(m + 1)) by its series.
    /// </summary>
    internal static double Log(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF);
        if (exponent == 0)
        {
            // Subnormal: scale into the normal range first.
            return Log(x * 4503599627370496.0) - (52 * 0.69314718055994530942);
        }

        exponent -= 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            exponent++;
        }

        double t = (m - 1.0) / (m + 1.0), t2 = t * t, term = t, sum = 0.0;
        for (int k = 1; k <= 23; k += 2)
        {
            sum += term / k;
            term *= t2;
        }

        return (2.0 * sum) + (exponent * 0.69314718055994530942);
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
