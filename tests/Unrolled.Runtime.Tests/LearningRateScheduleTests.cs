using System;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>Keras's learning-rate schedules at chosen steps, worked out by hand from the formulas in their docstrings
/// (keras/src/optimizers/schedules/learning_rate_schedule.py), and an optimizer stepping with one.</summary>
public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(20, 0.025)] // 0.1 · 0.5^(20/10)
    [InlineData(15, 0.1 * 0.35355339059327373)] // 0.5^1.5
    public void ExponentialDecay_is_initial_times_rate_to_step_over_steps(long step, double expected)
        => Assert.Equal(expected, new ExponentialDecay(0.1, 10, 0.5).At(step), 12);

    [Fact]
    public void Staircases_floor_the_exponent()
    {
        Assert.Equal(0.05, new ExponentialDecay(0.1, 10, 0.5, staircase: true).At(15), 12);
        Assert.Equal(0.1 / (1 + 0.5), new InverseTimeDecay(0.1, 10, 0.5, staircase: true).At(19), 12);
    }

    [Fact]
    public void InverseTimeDecay_divides_by_one_plus_rate_times_step_over_steps()
        => Assert.Equal(0.1 / (1 + 1.5), new InverseTimeDecay(0.1, 1, 0.5).At(3), 12);

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(100000, 1.0)]
    [InlineData(100001, 0.5)]
    [InlineData(110000, 0.5)]
    [InlineData(110001, 0.1)]
    public void PiecewiseConstantDecay_as_Keras_s_docstring(long step, double expected)
        => Assert.Equal(expected, new PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1]).At(step), 12);

    [Fact]
    public void PolynomialDecay_holds_the_end_or_cycles()
    {
        var decay = new PolynomialDecay(0.1, 10000, 0.01, power: 0.5);
        Assert.Equal((0.09 * Math.Sqrt(0.75)) + 0.01, decay.At(2500), 12);
        Assert.Equal(0.01, decay.At(20000), 12);
        // Cycling: at 15,000 the decay runs over 20,000 steps.
        Assert.Equal((0.09 * Math.Sqrt(0.25)) + 0.01, new PolynomialDecay(0.1, 10000, 0.01, 0.5, cycle: true).At(15000), 12);
        Assert.Equal(0.1, new PolynomialDecay(0.1, 10000, 0.01, 0.5, cycle: true).At(0), 12);
    }

    [Fact]
    public void CosineDecay_with_and_without_warm_up()
    {
        var decay = new CosineDecay(0.1, 100, alpha: 0.1);
        Assert.Equal(0.1, decay.At(0), 12);
        Assert.Equal(0.1 * ((0.9 * 0.5) + 0.1), decay.At(50), 12);
        Assert.Equal(0.01, decay.At(200), 12);
        var warm = new CosineDecay(0, 100, warmupTarget: 0.1, warmupSteps: 10);
        Assert.Equal(0.05, warm.At(5), 12);
        Assert.Equal(0.1, warm.At(10), 12);
        Assert.Equal(0.05, warm.At(60), 12);
        Assert.Equal(0, warm.At(500), 12);
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(5, 0.5)]    // half way down the first cosine
    [InlineData(10, 0.5)]   // the first restart, scaled by mMul
    [InlineData(20, 0.25)]  // half way down the second, 20 steps long
    [InlineData(30, 0.25)]  // the second restart: 0.5²
    public void CosineDecayRestarts_lengthens_and_lowers_each_decay(long step, double expected)
        => Assert.Equal(expected, new CosineDecayRestarts(1.0, 10, tMul: 2, mMul: 0.5).At(step), 9);

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1, 0, 0.5));
        Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([10, 5], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([10], [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1, 10, alpha: double.NaN));
    }

    [Fact]
    public void An_optimizer_steps_with_the_schedule_s_rate_at_each_iteration()
    {
        var sgd = new SGD { Schedule = new ExponentialDecay(0.1, 1, 0.5) };
        float[] w = [1f, -2f];
        sgd.Build(new object(), 2);
        double[] expected = [1, -2];
        for (int step = 0; step < 3; step++)
        {
            float[] g = [0.5f, 1f];
            sgd.Apply(w, g);
            double rate = 0.1 * Math.Pow(0.5, step);
            expected[0] -= rate * 0.5;
            expected[1] -= rate * 1;
            Assert.Equal((float)rate, sgd.LearningRate, 6);
        }

        Assert.Equal(expected[0], w[0], 6);
        Assert.Equal(expected[1], w[1], 6);
    }
}
