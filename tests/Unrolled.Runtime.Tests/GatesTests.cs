using System;
using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>The fused LSTM row against Keras's formulas in double, including tiny states, where a careless tanh loses
/// its relative precision; units that leave AVX-512, AVX2 and scalar remainders.</summary>
public class GatesTests
{
    [Theory]
    [InlineData(19, 1.0)]
    [InlineData(24, 1.0)]
    [InlineData(19, 1e-4)]
    [InlineData(24, 1e-3)]
    [InlineData(40, 3e-2)]
    public void LstmRowMatchesTheFormulasToRelativePrecision(int units, double scale)
    {
        var random = new Random(units);
        float[] z = new float[4 * units], cPrevious = new float[units], s = new float[6 * units];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)((random.NextDouble() * 2 - 1) * 3);
        }

        for (int j = 0; j < units; j++)
        {
            // Small cell inputs: g near 0 (so c is tiny), and a tiny previous state.
            z[(2 * units) + j] = (float)((random.NextDouble() * 2 - 1) * scale);
            cPrevious[j] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        foreach (bool first in new[] { true, false })
        {
            Gates.Lstm(z, first ? default : cPrevious, s, units);
            for (int j = 0; j < units; j++)
            {
                double i = Sigmoid(z[j]), f = Sigmoid(z[units + j]), g = Math.Tanh(z[(2 * units) + j]), o = Sigmoid(z[(3 * units) + j]);
                double c = (first ? 0 : f * cPrevious[j]) + (i * g);
                double h = o * Math.Tanh(c);

                // c's two terms may cancel, which no float evaluation escapes: its error is relative to the terms.
                double terms = Math.Abs(first ? 0 : f * cPrevious[j]) + Math.Abs(i * g);
                Close(g, s[(2 * units) + j], Math.Abs(g), $"g[{j}]");
                Close(c, s[(4 * units) + j], terms, $"c[{j}]");
                Close(h, s[(5 * units) + j], o * terms, $"h[{j}]");
                Close(i, s[j], i, $"i[{j}]");
            }
        }
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static void Close(double expected, float actual, double scale, string what)
        => Assert.True(Math.Abs(expected - actual) <= (2e-6 * scale) + 1e-12, $"{what}: expected {expected:G9}, got {actual:G9}");
}
