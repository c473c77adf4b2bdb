using System;
using Unrolled.Kernels;
using Xunit;
using static Unrolled.Runtime.Tests.KernelChecks;

namespace Unrolled.Runtime.Tests;

public class EmbeddingKernelTests
{
    private const int Vocabulary = 10, Dim = 3;

    [Fact]
    public void ForwardGathersRows()
    {
        var table = Random(Vocabulary * Dim, 1);
        float[] indices = [0, 9, 3, 3, 7, 0];
        var y = Random(indices.Length * Dim, 2);
        Embedding.Forward(indices, table, y, indices.Length, Dim, Vocabulary, perSample: 3);
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.Equal(table.AsSpan((int)indices[i] * Dim, Dim).ToArray(), y.AsSpan(i * Dim, Dim).ToArray());
        }
    }

    [Theory]
    [InlineData(7.5f, "7.5")]
    [InlineData(-1f, "-1")]
    [InlineData(10f, "10")]
    [InlineData(float.NaN, "NaN")]
    public void BadIndicesThrowNamingValuePositionAndVocabulary(float bad, string shown)
    {
        var table = Random(Vocabulary * Dim, 3);
        float[] indices = [1, 2, 3, 4, 5, 6, 7, 8];
        indices[5] = bad; // sample 1, position 1 with 4 per sample
        var y = new float[indices.Length * Dim];
        y.AsSpan().Fill(42f);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward(indices, table, y, indices.Length, Dim, Vocabulary, perSample: 4));
        Assert.Equal("indices", ex.ParamName);
        Assert.Contains($"index {shown} ", ex.Message);
        Assert.Contains("flat position 5", ex.Message);
        Assert.Contains("sample 1, position 1", ex.Message);
        Assert.Contains("[0, 10)", ex.Message);
        Assert.Contains("vocabulary size is 10", ex.Message);
        // Checked before anything is gathered: the good rows before the bad one are not written either.
        Assert.All(y, v => Assert.Equal(42f, v));

        // Without a per-sample count the message gives the flat position only.
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward(indices, table, y, indices.Length, Dim, Vocabulary, perSample: 0));
        Assert.Contains("flat position 5 ", ex.Message);
        Assert.DoesNotContain("sample", ex.Message);
    }

    [Fact]
    public void BadIndexMessageReadsWell()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Embedding.Forward([3, 7.5f], new float[Vocabulary * Dim], new float[2 * Dim], 2, Dim, Vocabulary, perSample: 2));
        Assert.Equal(
            "Embedding index 7.5 at flat position 1 (sample 0, position 1) is not a whole number in [0, 10) (the vocabulary size is 10). (Parameter 'indices')",
            ex.Message);
    }

    [Fact]
    public void BackwardAccumulatesOnlyIntoRowsThatOccur()
    {
        float[] indices = [4, 1, 4, 8];
        var dy = Random(indices.Length * Dim, 4);
        var dTable = new float[Vocabulary * Dim];
        // Rows no index names hold NaN, which any write (even adding 0) would make visible; used rows start at 0.5.
        dTable.AsSpan().Fill(float.NaN);
        foreach (int row in new[] { 1, 4, 8 })
        {
            dTable.AsSpan(row * Dim, Dim).Fill(0.5f);
        }

        Embedding.Backward(indices, dy, dTable, indices.Length, Dim);
        for (int row = 0; row < Vocabulary; row++)
        {
            for (int d = 0; d < Dim; d++)
            {
                float actual = dTable[(row * Dim) + d];
                if (row is 1 or 4 or 8)
                {
                    double expected = 0.5;
                    for (int i = 0; i < indices.Length; i++)
                    {
                        expected += indices[i] == row ? dy[(i * Dim) + d] : 0;
                    }

                    Assert.Equal(expected, actual, 1e-6);
                }
                else
                {
                    Assert.True(float.IsNaN(actual), $"row {row} was touched");
                }
            }
        }
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        float[] indices = [2, 5, 2, 0, 9, 5];
        var table = Random(Vocabulary * Dim, 5);
        var r = Random(indices.Length * Dim, 6);
        var y = new float[r.Length];
        double Loss()
        {
            Embedding.Forward(indices, table, y, indices.Length, Dim, Vocabulary, perSample: 2);
            return Dot(y, r);
        }

        var dTable = new float[table.Length];
        Embedding.Backward(indices, r, dTable, indices.Length, Dim);
        AssertGradient(table, dTable, Loss, "embedding");
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        float[] indices = [2, 5, 2, 0, 9, 5];
        var table = Random(Vocabulary * Dim, 7);
        var y = new float[indices.Length * Dim];
        Assert.Equal(0, AllocatedBy(() => Embedding.Forward(indices, table, y, indices.Length, Dim, Vocabulary, 3)));
        Assert.Equal(0, AllocatedBy(() => Embedding.Backward(indices, y, table, indices.Length, Dim)));
    }
}
