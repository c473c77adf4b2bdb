using System;
using System.ComponentModel;
using System.Globalization;
using System.Numerics.Tensors;

namespace Unrolled.Kernels;

/// <summary>
/// Keras's <c>Embedding</c>: a row lookup in a [vocabulary, dim] table. Indices arrive as floats (the model's inputs
/// are float tensors) holding Keras's int32 ids. Backward accumulates (+=) sparsely, touching only the rows used.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Embedding
{
    /// <summary>
    /// y[i, :] = table[indices[i], :]. Every index is checked before anything is written: one that is not a whole
    /// number in [0, <paramref name="vocabulary"/>) throws an <see cref="ArgumentOutOfRangeException"/> naming the
    /// value, where it is, and the vocabulary size.
    /// </summary>
    /// <param name="indices"><paramref name="count"/> ids.</param>
    /// <param name="table">The embeddings, [vocabulary, dim].</param>
    /// <param name="y">Output, [count, dim].</param>
    /// <param name="count">Ids to look up (batch × ids per sample).</param>
    /// <param name="dim">Embedding width (Keras's <c>output_dim</c>).</param>
    /// <param name="vocabulary">Rows of the table (Keras's <c>input_dim</c>).</param>
    /// <param name="perSample">Ids per sample, used only to say which sample and position a bad id is at; 0 or less
    /// leaves that out of the message.</param>
    public static unsafe void Forward(ReadOnlySpan<float> indices, ReadOnlySpan<float> table, Span<float> y, int count, int dim, int vocabulary, int perSample)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(dim);
        ArgumentOutOfRangeException.ThrowIfNegative(vocabulary);
        indices = indices[..count];
        table = table[..checked(vocabulary * dim)];
        y = y[..checked(count * dim)];
        CheckIndices(indices, vocabulary, perSample);
        if (Halves.Worth(2L * y.Length))
        {
            // Rows are copies: two halves on two cores write exactly what one thread writes.
            fixed (float* pi = indices, pt = table, py = y)
            {
                var job = new GatherJob { Indices = pi, Table = pt, Y = py, Dim = dim };
                if (Halves.TryRun(&GatherRows, &job, count))
                {
                    return;
                }
            }
        }

        for (int i = 0; i < count; i++)
        {
            table.Slice((int)indices[i] * dim, dim).CopyTo(y.Slice(i * dim, dim));
        }
    }

    private static unsafe void GatherRows(void* state, int first, int end, int part)
    {
        ref readonly GatherJob job = ref *(GatherJob*)state;
        int dim = job.Dim;
        for (int i = first; i < end; i++)
        {
            new ReadOnlySpan<float>(job.Table + ((nint)(int)job.Indices[i] * dim), dim).CopyTo(new Span<float>(job.Y + ((nint)i * dim), dim));
        }
    }

    /// <summary>The ids of this thread's rows [first, end) of the table: dTable[id] += dy[i].</summary>
    private static unsafe void ScatterRows(void* state, int first, int end, int part)
    {
        ref readonly GatherJob job = ref *(GatherJob*)state;
        int dim = job.Dim;
        for (int i = 0; i < job.Count; i++)
        {
            int id = (int)job.Indices[i];
            if (id >= first && id < end)
            {
                var row = new Span<float>(job.Table + ((nint)id * dim), dim);
                TensorPrimitives.Add(row, new ReadOnlySpan<float>(job.Y + ((nint)i * dim), dim), row);
            }
        }
    }

    /// <summary>Whether every id is a whole number in [0, vocabulary) (else the one-thread path reports it).</summary>
    private static bool AllIn(ReadOnlySpan<float> indices, int vocabulary)
    {
        foreach (float v in indices)
        {
            if (!IsId(v, vocabulary))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="v"/> is a whole number in [0, vocabulary); written so that NaN fails too, and the
    /// float-to-int cast of one that passes is exact.</summary>
    private static bool IsId(float v, int vocabulary) => v >= 0 && v < vocabulary && v == MathF.Floor(v);

    /// <summary>A row gather or scatter split between two threads (<see cref="Halves"/>); the ids are checked before.</summary>
    private unsafe struct GatherJob
    {
        public float* Indices;
        public float* Table;
        public float* Y;
        public int Dim;
        public int Count;
    }

    /// <summary>
    /// <see cref="Forward"/> for [batch, steps] ids, writing the rows time-major: y[t, b, :] = table[indices[b, t], :].
    /// The same checks and messages as <see cref="Forward"/>.
    /// </summary>
    internal static void ForwardTimeMajor(ReadOnlySpan<float> indices, ReadOnlySpan<float> table, Span<float> y, int batch, int steps, int dim, int vocabulary)
    {
        int count = checked(batch * steps);
        indices = indices[..count];
        table = table[..checked(vocabulary * dim)];
        y = y[..checked(count * dim)];
        CheckIndices(indices, vocabulary, steps);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                table.Slice((int)indices[(b * steps) + t] * dim, dim).CopyTo(y.Slice(((t * batch) + b) * dim, dim));
            }
        }
    }

    /// <summary>Throws for the first id that is not a whole number in [0, vocabulary), before anything is written.</summary>
    private static void CheckIndices(ReadOnlySpan<float> indices, int vocabulary, int perSample)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            float v = indices[i];
            if (!IsId(v, vocabulary))
            {
                ThrowBadIndex(v, i, perSample, vocabulary);
            }
        }
    }

    /// <summary>dTable[indices[i], :] += dy[i, :] for every i; rows no index names are not touched.</summary>
    /// <param name="indices"><paramref name="count"/> ids, already checked by <see cref="Forward"/>.</param>
    /// <param name="dy">Output gradient, [count, dim].</param>
    /// <param name="dTable">Table gradient, [vocabulary, dim], accumulated into.</param>
    /// <param name="count">Ids.</param>
    /// <param name="dim">Embedding width.</param>
    public static void Backward(ReadOnlySpan<float> indices, ReadOnlySpan<float> dy, Span<float> dTable, int count, int dim)
        => Backward(indices, dy, dTable, count, dim, null);

    /// <summary>
    /// <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/>, recording in
    /// <paramref name="touched"/> (when a training step tracks the table's rows) every row it adds to, before adding.
    /// </summary>
    /// <param name="indices"><paramref name="count"/> ids, already checked by <see cref="Forward"/>.</param>
    /// <param name="dy">Output gradient, [count, dim].</param>
    /// <param name="dTable">Table gradient, [vocabulary, dim], accumulated into.</param>
    /// <param name="count">Ids.</param>
    /// <param name="dim">Embedding width.</param>
    /// <param name="touched">The table's rows this step, or null when the step does not track them.</param>
    public static unsafe void Backward(ReadOnlySpan<float> indices, ReadOnlySpan<float> dy, Span<float> dTable, int count, int dim, RowSet? touched)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(dim);
        indices = indices[..count];
        dy = dy[..checked(count * dim)];
        int vocabulary = dim == 0 ? 0 : dTable.Length / dim;
        if (touched is not null)
        {
            // Checked: a row the set does not hold would be updated in the gradient but never by the optimizer.
            foreach (float id in indices)
            {
                touched.Add(IsId(id, touched.Rows) ? (int)id : -1);
            }
        }

        if (Halves.Worth(3L * dy.Length) && AllIn(indices, vocabulary))
        {
            // Split by table rows, not by ids: each thread walks every id in order and adds those in its half of the
            // table, so each row receives its additions in the same order as on one thread, and no row is shared.
            fixed (float* pi = indices, pdy = dy, pt = dTable)
            {
                var job = new GatherJob { Indices = pi, Table = pt, Y = pdy, Dim = dim, Count = count };
                if (Halves.TryRun(&ScatterRows, &job, vocabulary))
                {
                    return;
                }
            }
        }

        for (int i = 0; i < count; i++)
        {
            // A bad id was rejected by the forward pass; the slice still bounds-checks what is left.
            Span<float> row = dTable.Slice(checked((int)indices[i] * dim), dim);
            TensorPrimitives.Add(row, dy.Slice(i * dim, dim), row);
        }
    }

    private static void ThrowBadIndex(float value, int position, int perSample, int vocabulary)
    {
        string where = perSample > 0
            ? string.Create(CultureInfo.InvariantCulture, $"flat position {position} (sample {position / perSample}, position {position % perSample})")
            : string.Create(CultureInfo.InvariantCulture, $"flat position {position}");
        throw new ArgumentOutOfRangeException("indices", string.Create(CultureInfo.InvariantCulture,
            $"Embedding index {value} at {where} is not a whole number in [0, {vocabulary}) (the vocabulary size is {vocabulary})."));
    }

    /// <summary>
    /// Keras-Hub's <c>PositionEmbedding</c>: each of <paramref name="rows"/> blocks of <paramref name="y"/> ([steps,
    /// features]) gets the first <paramref name="steps"/> rows of the table.
    /// </summary>
    /// <param name="table">[sequenceLength, features].</param>
    /// <param name="y">[rows, steps, features].</param>
    /// <param name="rows">Blocks: samples times the axes before the steps.</param>
    /// <param name="steps">Positions per block; at most <paramref name="sequenceLength"/>.</param>
    /// <param name="features">Floats per position.</param>
    /// <param name="sequenceLength">Rows of the table.</param>
    /// <exception cref="ArgumentException">More steps than the table has positions (a run-time length too long).</exception>
    public static void PositionForward(ReadOnlySpan<float> table, Span<float> y, int rows, int steps, int features, int sequenceLength)
    {
        int block = CheckPositions(table.Length, y.Length, rows, steps, features, sequenceLength, "y");
        var first = table[..block];
        for (int r = 0; r < rows; r++)
        {
            first.CopyTo(y.Slice(r * block, block));
        }
    }

    /// <summary>Accumulates <see cref="PositionForward"/>'s table gradient: the sum of the output's blocks.</summary>
    /// <param name="dy">[rows, steps, features], the output's gradient.</param>
    /// <param name="dTable">[sequenceLength, features], accumulated into (its first steps rows), or empty to skip.</param>
    /// <param name="rows">Blocks.</param>
    /// <param name="steps">Positions per block.</param>
    /// <param name="features">Floats per position.</param>
    /// <param name="sequenceLength">Rows of the table.</param>
    public static void PositionBackward(ReadOnlySpan<float> dy, Span<float> dTable, int rows, int steps, int features, int sequenceLength)
    {
        if (dTable.IsEmpty)
        {
            return;
        }

        int block = CheckPositions(dTable.Length, dy.Length, rows, steps, features, sequenceLength, "dy");
        var first = dTable[..block];
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(first, dy.Slice(r * block, block), first);
        }
    }

    private static int CheckPositions(int tableLength, int outputLength, int rows, int steps, int features, int sequenceLength, string output)
    {
        if (rows < 0 || steps < 0 || features < 0 || sequenceLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), "Sizes must not be negative.");
        }

        if (steps > sequenceLength)
        {
            throw new ArgumentException($"The sequence has {steps} steps, but the PositionEmbedding layer has positions for {sequenceLength} (its sequenceLength).", nameof(steps));
        }

        int block = checked(steps * features);
        if (tableLength < (long)sequenceLength * features || outputLength < (long)rows * block)
        {
            throw new ArgumentException($"PositionEmbedding over {rows} × {steps} × {features} needs a table of {(long)sequenceLength * features} floats and " +
                $"{(long)rows * block} for {output}; got {tableLength} and {outputLength}.", output);
        }

        return block;
    }
}
