using System;
using System.Linq;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Counts the moments the weights may have changed; what inference derives from them records the count it saw.</summary>
    private long _weightsVersion;

    /// <summary>The folded projections, one per slot the generated code names, created on first use.</summary>
    private FoldedTable?[]? _folded;

    /// <summary>Guards <see cref="_folded"/>: a many-batch Predict runs the forward pass on two threads at once.</summary>
    private readonly object _foldLock = new();

    /// <summary>Whether a writable view of the weights has been handed out since the model last wrote them all itself:
    /// it may be written at any moment, so nothing derived from the weights can be trusted, and nothing is folded.</summary>
    private bool _weightsExposed;

    /// <summary>A writable view of the weights goes to the caller: stop folding until the model next writes them.</summary>
    private void WeightsExposed()
    {
        _weightsVersion++;
        _weightsExposed = true;
    }

    /// <summary>The model writes the weights itself (a training step, a load, a copy): folded tables are stale, and
    /// folding may resume, since every value is the model's own again.</summary>
    private void WeightsWritten()
    {
        _weightsVersion++;
        _weightsExposed = false;
    }

    /// <summary>
    /// For generated code: a recurrent layer's input projection folded into the <c>Embedding</c> table that feeds it,
    /// <c>embeddings·kernel + bias</c> ([vocabulary, width]), or an empty span when the unfolded path should run.
    /// </summary>
    /// <remarks>
    /// Folding costs one product over the whole vocabulary, so it is done only once it pays: after the calls since the
    /// weights last changed have looked up as many ids as the vocabulary has rows (the unfolded path would by then have
    /// done the same work), and never while training, when the weights change at every step. The table is kept until
    /// the weights change (a training step, a load, <see cref="SetWeights"/>, <see cref="CopyWeightsFrom"/>). Taking
    /// <see cref="Weights"/> or <see cref="GetWeights"/> stops folding until one of those: the span they return may be
    /// written at any moment, and a table could not see that.
    /// Results differ from the unfolded path only by the rounding of the same sums (a few units in the last place).
    /// </remarks>
    /// <param name="slot">The fold's number in this model.</param>
    /// <param name="ids">Ids looked up by this call.</param>
    /// <param name="embeddings">[vocabulary, dim].</param>
    /// <param name="kernel">[dim, width].</param>
    /// <param name="bias">[width], or empty.</param>
    /// <param name="vocabulary">Rows of the embedding table.</param>
    /// <param name="dim">Embedding width.</param>
    /// <param name="width">Gates × units of the recurrent layer.</param>
    /// <returns>The folded table, or empty.</returns>
    protected ReadOnlySpan<float> FoldedProjection(int slot, long ids, ReadOnlySpan<float> embeddings, ReadOnlySpan<float> kernel,
        ReadOnlySpan<float> bias, int vocabulary, int dim, int width)
    {
        lock (_foldLock)
        {
            return FoldedProjectionLocked(slot, ids, embeddings, kernel, bias, vocabulary, dim, width);
        }
    }

    private float[]? FoldedProjectionLocked(int slot, long ids, ReadOnlySpan<float> embeddings, ReadOnlySpan<float> kernel,
        ReadOnlySpan<float> bias, int vocabulary, int dim, int width)
    {
        if (_weightsExposed)
        {
            return null;
        }

        if (_folded is null || _folded.Length <= slot)
        {
            Array.Resize(ref _folded, slot + 1);
        }

        var table = _folded[slot] ??= new FoldedTable();
        if (table.Version == _weightsVersion && table.Values is not null)
        {
            return table.Values;
        }

        if (table.CountedVersion != _weightsVersion)
        {
            table.CountedVersion = _weightsVersion;
            table.IdsSeen = 0;
        }

        table.IdsSeen += ids;
        if (table.IdsSeen < vocabulary)
        {
            return null;
        }

        table.Values ??= new float[checked(vocabulary * width)];
        Kernels.Recurrent.Fold(embeddings, kernel, bias, table.Values, vocabulary, dim, width);
        table.Version = _weightsVersion;
        return table.Values;
    }

    /// <summary>How many folded projections are current (folded from the weights as they are now), for tests.</summary>
    internal int CurrentFoldedProjections
    {
        get
        {
            lock (_foldLock)
            {
                return _folded?.Count(t => t is { Values: not null } && t.Version == _weightsVersion) ?? 0;
            }
        }
    }

    /// <summary>One folded projection and the weights version it was made from.</summary>
    private sealed class FoldedTable
    {
        public float[]? Values;

        /// <summary>The version <see cref="Values"/> was folded from.</summary>
        public long Version = -1;

        /// <summary>The version <see cref="IdsSeen"/> counts under.</summary>
        public long CountedVersion = -1;

        /// <summary>Ids looked up through the unfolded path since the weights last changed.</summary>
        public long IdsSeen;
    }
}
