using Unrolled.Kernels;
using Xunit;

namespace Unrolled.Runtime.Tests;

public class TensorOpsTests
{
    [Fact]
    public void AddBiasAddsToEveryRow()
    {
        float[] y = [1, 2, 3, 4, 5, 6];
        TensorOps.AddBias(y, [10, 20, 30], 2, 3);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, y);
    }

    [Fact]
    public void BiasGradientAccumulatesColumnSums()
    {
        float[] db = [1, 1];
        TensorOps.AccumulateBiasGradient([1, 2, 3, 4, 5, 6], db, 3, 2);
        Assert.Equal(new float[] { 10, 13 }, db);
    }

    [Fact]
    public void AddAndAccumulate()
    {
        float[] d = new float[3];
        TensorOps.Add([1, 2, 3], [10, 20, 30], d);
        Assert.Equal(new float[] { 11, 22, 33 }, d);
        TensorOps.Accumulate([1, 1, 1], d);
        Assert.Equal(new float[] { 12, 23, 34 }, d);
    }

    [Fact]
    public void ConcatenateForwardAndBackward()
    {
        // Two rows: a [2, 2] goes to columns 1..2 of a [2, 4] destination.
        float[] destination = new float[8];
        TensorOps.CopySlices([1, 2, 3, 4], destination, 2, 2, 4, 1);
        Assert.Equal(new float[] { 0, 1, 2, 0, 0, 3, 4, 0 }, destination);

        float[] sourceGradient = [100, 100, 100, 100];
        TensorOps.AccumulateSlices([1, 2, 3, 4, 5, 6, 7, 8], sourceGradient, 2, 2, 4, 1);
        Assert.Equal(new float[] { 102, 103, 106, 107 }, sourceGradient);
    }

    [Fact]
    public void SliceOutsideTheRowThrows()
        => Assert.Throws<System.ArgumentOutOfRangeException>(() => TensorOps.CopySlices(new float[4], new float[8], 2, 2, 4, 3));
}

public class TensorOpsWideRowTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    [InlineData(64)]
    [InlineData(80)]
    public void Bias_gradient_sums_columns_in_row_order_bit_for_bit(int cols)
    {
        // The register path (whole vectors up to 64 columns) must add the rows in the same order as the plain loop.
        const int rows = 1001;
        var random = new System.Random(cols);
        float[] dy = new float[rows * cols], db = new float[cols];
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = (float)(random.NextDouble() - 0.5) * 1000;
        }

        for (int c = 0; c < cols; c++)
        {
            db[c] = c * 0.25f;
        }

        float[] expected = (float[])db.Clone();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                expected[c] += dy[(r * cols) + c];
            }
        }

        TensorOps.AccumulateBiasGradient(dy, db, rows, cols);
        Assert.Equal(expected, db);
    }

    [Fact]
    public void BiasAndSliceHelpersMatchNaiveLoopsOnWideRows()
    {
        // 37 columns: a 512-bit block, a 256-bit block and a scalar remainder per row.
        const int rows = 3, cols = 37;
        var random = new System.Random(3);
        float[] y = new float[rows * cols], bias = new float[cols], db = new float[cols];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = (float)random.NextDouble();
        }

        for (int i = 0; i < cols; i++)
        {
            bias[i] = (float)random.NextDouble();
            db[i] = i;
        }

        float[] expectedY = (float[])y.Clone(), expectedDb = (float[])db.Clone();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                expectedDb[c] += y[(r * cols) + c];
                expectedY[(r * cols) + c] += bias[c];
            }
        }

        TensorOps.AccumulateBiasGradient(y, db, rows, cols);
        TensorOps.AddBias(y, bias, rows, cols);
        Assert.Equal(expectedY, y);
        Assert.Equal(expectedDb, db);

        // Slices of 37 inside rows of 50 at offset 13.
        float[] wide = new float[rows * 50];
        for (int i = 0; i < wide.Length; i++)
        {
            wide[i] = i;
        }

        float[] gradient = new float[rows * cols];
        TensorOps.AccumulateSlices(wide, gradient, rows, cols, 50, 13);
        TensorOps.AccumulateSlices(wide, gradient, rows, cols, 50, 13);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                Assert.Equal(2f * ((r * 50) + 13 + c), gradient[(r * cols) + c]);
            }
        }
    }
}
