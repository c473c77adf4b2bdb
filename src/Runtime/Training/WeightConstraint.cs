using System;
using System.Globalization;

namespace Unrolled;

/// <summary>A weight's constraint as the generated description carries it (<c>MaxNorm:0:3:1:0</c>), applied after each update.</summary>
internal sealed class WeightConstraint
{
    private const double Epsilon = 1e-7;
    private readonly string _kind;
    private readonly double _min, _max, _rate;
    private readonly bool[] _reduced;
    private readonly int[] _shape;
    private readonly double[] _norms;

    private WeightConstraint(string kind, double min, double max, double rate, bool[] reduced, int[] shape, int groups)
    {
        (_kind, _min, _max, _rate, _reduced, _shape) = (kind, min, max, rate, reduced, shape);
        _norms = new double[groups];
    }

    /// <summary>Parses the description's text for a weight of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The text is not a constraint, or an axis is out of the weight's range.</exception>
    public static WeightConstraint Parse(string text, int[] shape, string weight)
    {
        var parts = text.Split(':');
        if (parts.Length != 5 || parts[0] is not ("MaxNorm" or "MinMaxNorm" or "UnitNorm" or "NonNeg"))
        {
            throw new ArgumentException($"Weight {weight} has the constraint '{text}', which is not one Unrolled knows.");
        }

        var reduced = new bool[shape.Length];
        foreach (string axis in parts[4].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int a = int.Parse(axis, CultureInfo.InvariantCulture);
            a = a < 0 ? a + shape.Length : a;
            if ((uint)a >= (uint)shape.Length)
            {
                throw new ArgumentException($"Weight {weight} has shape [{string.Join(", ", shape)}]; its constraint's axis {axis} is outside it.");
            }

            reduced[a] = true;
        }

        int groups = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            groups *= reduced[d] ? 1 : shape[d];
        }

        double Number(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);
        return new WeightConstraint(parts[0], Number(1), Number(2), Number(3), reduced, shape, groups);
    }

    /// <summary>Keras's <c>constraint(w)</c>, in place.</summary>
    public void Apply(Span<float> w)
    {
        if (_kind == "NonNeg")
        {
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = w[i] >= 0 ? w[i] : 0;
            }

            return;
        }

        Array.Clear(_norms);
        for (int i = 0; i < w.Length; i++)
        {
            _norms[Group(i)] += (double)w[i] * w[i];
        }

        for (int g = 0; g < _norms.Length; g++)
        {
            double n = Math.Sqrt(_norms[g]);
            double desired = _kind switch
            {
                "MaxNorm" => Math.Clamp(n, 0, _max),
                "MinMaxNorm" => (_rate * Math.Clamp(n, _min, _max)) + ((1 - _rate) * n),
                _ => 1, // UnitNorm
            };
            _norms[g] = desired / (Epsilon + n);
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)(w[i] * _norms[Group(i)]);
        }
    }

    /// <summary>The slice (the coordinates on the axes not reduced) element <paramref name="index"/> belongs to.</summary>
    private int Group(int index)
    {
        int group = 0, rest = index, stride = 1;
        for (int d = _shape.Length - 1; d >= 0; d--)
        {
            int coordinate = rest % _shape[d];
            rest /= _shape[d];
            if (!_reduced[d])
            {
                group += coordinate * stride;
                stride *= _shape[d];
            }
        }

        return group;
    }
}
