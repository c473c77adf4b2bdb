using System;
using System.ComponentModel;
using System.Numerics;

namespace Unrolled.Kernels;

/// <summary>
/// The rows of one embedding table a training step's ids named, recorded by <see cref="Embedding.Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, RowSet?)"/>
/// so that the step clears, checks and updates only those rows of the table's gradient (every other row of it is zero).
/// One bit per table row; rows are visited in ascending order, so the update walks the table front to back.
/// Generated code only passes it along (<see cref="Workspace.TouchedRows"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class RowSet
{
    private readonly ulong[] _bits;

    internal RowSet(int weightIndex, int offset, int rows, int width)
    {
        WeightIndex = weightIndex;
        Offset = offset;
        Rows = rows;
        Width = width;
        _bits = new ulong[(rows + 63) / 64];
    }

    /// <summary>The table's index in <see cref="ModelDescription.Weights"/>.</summary>
    internal int WeightIndex { get; }

    /// <summary>Where the table starts in the weight buffer.</summary>
    internal int Offset { get; }

    /// <summary>The table's rows (Keras's <c>input_dim</c>).</summary>
    internal int Rows { get; }

    /// <summary>Floats per row (Keras's <c>output_dim</c>).</summary>
    internal int Width { get; }

    /// <summary>Records that row <paramref name="row"/> receives gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The row lies outside the table.</exception>
    internal void Add(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Row {row} is outside the table's {Rows} rows.");
        }

        _bits[row >> 6] |= 1UL << (row & 63);
    }

    /// <summary>Whether row <paramref name="row"/> was recorded.</summary>
    internal bool Contains(int row) => (uint)row < (uint)Rows && (_bits[row >> 6] & (1UL << (row & 63))) != 0;

    /// <summary>The number of rows recorded.</summary>
    internal int Count
    {
        get
        {
            int count = 0;
            foreach (ulong word in _bits)
            {
                count += BitOperations.PopCount(word);
            }

            return count;
        }
    }

    /// <summary>The recorded row that <paramref name="index"/> recorded rows precede, or <see cref="Rows"/> when there are
    /// not that many.</summary>
    internal int RowAt(int index)
    {
        for (int word = 0; word < _bits.Length; word++)
        {
            int here = BitOperations.PopCount(_bits[word]);
            if (index < here)
            {
                ulong bits = _bits[word];
                for (; index > 0; index--)
                {
                    bits &= bits - 1;
                }

                return (word << 6) + BitOperations.TrailingZeroCount(bits);
            }

            index -= here;
        }

        return Rows;
    }

    /// <summary>The first recorded row at or after <paramref name="from"/>, or -1 when there is none.</summary>
    internal int Next(int from)
    {
        if (from >= Rows)
        {
            return -1;
        }

        int word = from >> 6;
        ulong bits = _bits[word] & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++word == _bits.Length)
            {
                return -1;
            }

            bits = _bits[word];
        }

        return (word << 6) + BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>
    /// The next run of rows to visit from <paramref name="from"/> on: from the first recorded row to the last one reached
    /// by steps over at most <see cref="GapRows"/> unrecorded rows, which the run includes (-1 when no row is left).
    /// Visiting rows in such runs instead of one by one keeps the processor's prefetching going: updating 64 % of 10,000
    /// rows of 512 floats, scattered at random, one row at a time took 1.7× as long as updating all of them, and as long
    /// in runs that include gaps of up to 4 KiB.
    /// </summary>
    /// <param name="from">The first row that may start the run.</param>
    /// <param name="last">The run's last row.</param>
    /// <returns>The run's first row, or -1.</returns>
    internal int NextRun(int from, out int last)
    {
        int first = Next(from);
        last = first;
        for (int next = first < 0 ? -1 : Next(first + 1); next >= 0 && next - last - 1 <= GapRows; next = Next(next + 1))
        {
            last = next;
        }

        return first;
    }

    /// <summary>How many unrecorded rows a run may step over: 4 KiB of them.</summary>
    internal int GapRows => Width == 0 ? Rows : 1024 / Width;

    /// <summary>Rows [<paramref name="first"/>, <paramref name="last"/>] of the table in a buffer laid out as the weights.</summary>
    internal Span<float> Of(float[] buffer, int first, int last) => buffer.AsSpan(Offset + (first * Width), (last - first + 1) * Width);

    /// <summary>Forgets every row.</summary>
    internal void Clear() => Array.Clear(_bits);
}
