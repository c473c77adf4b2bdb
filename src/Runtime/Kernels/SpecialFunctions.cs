using System;

namespace Unrolled.Kernels;

/// <summary>Special functions the activations need and .NET lacks.</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>
    /// The error function, with absolute error below 2e-7 everywhere (well under float resolution of GELU).
    /// Near zero a Taylor series keeps the relative error small too; elsewhere Abramowitz &amp; Stegun 7.1.26
    /// (|error| ≤ 1.5e-7) costs one exponential.
    /// </summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (ax < 0.5)
        {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)); 10 terms reach 1e-17 for |x| < 0.5.
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 10; n++)
            {
                term *= -x2 / n;
                sum += term / ((2 * n) + 1);
            }

            return TwoOverSqrtPi * sum;
        }

        double t = 1.0 / (1.0 + (0.3275911 * ax));
        double poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        double y = 1.0 - (poly * Math.Exp(-ax * ax));
        return x < 0 ? -y : y;
    }

    /// <summary>Standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2.</summary>
    public static double NormalCdf(double x) => 0.5 * (1.0 + Erf(x * 0.70710678118654752));

    /// <summary>Standard normal density φ(x).</summary>
    public static double NormalPdf(double x) => 0.3989422804014327 * Math.Exp(-0.5 * x * x);

    /// <summary>exp(x) - 1 without the cancellation of the naive form for small |x|.</summary>
    public static double ExpM1(double x) => Math.Abs(x) < 1e-5 ? x + (0.5 * x * x) + (x * x * x / 6.0) : Math.Exp(x) - 1.0;
}
