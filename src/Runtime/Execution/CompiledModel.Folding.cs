using System;
using System.Linq;
using System.Threading;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Counts the moments the weights may have changed; what inference derives from them records the count it saw.</summary>
    private long _weightsVersion;

    /// <summary>The folded projections, one per slot the generated code names, created on first use.</summary>
    private FoldedTable?[]? _folded;

    /// <summary>The Winograd-transformed convolution kernels, one per slot the generated code names.</summary>
    private FoldedTable?[]? _winograd;

    /// <summary>Guards the derived tables: a many-batch Predict runs the forward pass on two threads at once.</summary>
    private readonly object _foldLock = new();

    /// <summary>Whether a writable view of the weights has been handed out. It may be kept and written at any later
    /// moment, even after the model has written the weights itself, so from then on nothing derived from the weights is
    /// used by this instance.</summary>
    private bool _weightsExposed;

    /// <summary>While a many-batch call runs: folding was decided for the whole call (<see cref="BeginBatches"/>), so
    /// the batches neither count ids nor build tables.</summary>
    private bool _foldsDecided;

    /// <summary>
    /// Before the batches of one call on many samples (the array <c>Predict</c>): generated code decides each folded
    /// projection for the whole call here (<see cref="DecideFoldedProjection"/>), so that every batch, on whichever
    /// thread, runs the same way. The base does nothing (a model without folds).
    /// </summary>
    /// <param name="workspace">The call's workspace (its run-time lengths).</param>
    /// <param name="samples">The samples the call will run.</param>
    protected virtual void BeginBatches(Workspace workspace, int samples)
    {
    }

    /// <summary>After the batches of a call that <see cref="BeginBatches"/> prepared.</summary>
    private void EndBatches()
    {
        lock (_foldLock)
        {
            _foldsDecided = false;
        }
    }

    /// <summary>
    /// For generated code, from <see cref="BeginBatches"/>: counts the ids the whole call will look up and, if they
    /// make folding pay, builds the table now; until the call ends, its batches use the table or not, as decided.
    /// </summary>
    /// <param name="slot">The fold's number in this model.</param>
    /// <param name="ids">Ids the whole call will look up.</param>
    /// <param name="embeddings">[vocabulary, dim].</param>
    /// <param name="kernel">[dim, width].</param>
    /// <param name="bias">[width], or empty.</param>
    /// <param name="vocabulary">Rows of the embedding table.</param>
    /// <param name="dim">Embedding width.</param>
    /// <param name="width">Gates × units of the recurrent layer.</param>
    protected void DecideFoldedProjection(int slot, long ids, ReadOnlySpan<float> embeddings, ReadOnlySpan<float> kernel,
        ReadOnlySpan<float> bias, int vocabulary, int dim, int width)
    {
        lock (_foldLock)
        {
            _foldsDecided = false;
            FoldedProjectionLocked(slot, ids, embeddings, kernel, bias, vocabulary, dim, width);
            _foldsDecided = true;
        }
    }

    /// <summary>A writable view of the weights goes to the caller: stop using derived weights for good.</summary>
    private void WeightsExposed()
    {
        lock (_foldLock)
        {
            // The flag before the version: a forward pass that sees the new version must see the flag too.
            _weightsExposed = true;
            _weightsVersion++;
        }
    }

    /// <summary>The model writes the weights itself (a training step, a load, a copy): derived tables are stale.</summary>
    private void WeightsWritten()
    {
        lock (_foldLock)
        {
            _weightsVersion++;
        }
    }

    /// <summary>
    /// For generated code: a recurrent layer's input projection folded into the <c>Embedding</c> table that feeds it,
    /// <c>embeddings·kernel + bias</c> ([vocabulary, width]), or an empty span when the unfolded path should run.
    /// </summary>
    /// <remarks>
    /// Folding costs one product over the whole vocabulary, so it is done only once it pays: after the calls since the
    /// weights last changed have looked up as many ids as the vocabulary has rows (the unfolded path would by then have
    /// done the same work), and never while training, when the weights change at every step. The table is kept until
    /// the weights change (a training step, a load, <see cref="SetWeights"/>, <see cref="CopyWeightsFrom"/>). Once
    /// <see cref="Weights"/> or <see cref="GetWeights"/> has been taken, this instance folds nothing: the span they
    /// return may be kept and written at any later moment, which a table could not see.
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
        if (Current(_folded, slot) is { } current)
        {
            return current;
        }

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

        var table = Slot(ref _folded, slot);
        if (table.IsCurrent(_weightsVersion))
        {
            return table.Values;
        }

        if (_foldsDecided)
        {
            return null; // decided for the whole call: not folded
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
        Volatile.Write(ref table.Version, _weightsVersion); // after the values: see Current
        return table.Values;
    }

    /// <summary>
    /// For generated code: a 3×3 convolution's kernel transformed for Winograd's minimal filtering
    /// (<see cref="Kernels.Winograd.TransformKernel"/>), or an empty span when the direct convolution should run: when
    /// Winograd does not pay for this geometry (<see cref="Kernels.Winograd.Applies"/>), and once a writable view of the
    /// weights has been taken (see <see cref="Weights"/>). The transform is redone after the weights change, which costs about
    /// as much as one batch-1 prediction of the layer.
    /// </summary>
    /// <param name="slot">The convolution's number in this model.</param>
    /// <param name="kernel">[3, 3, InChannels, OutChannels].</param>
    /// <param name="geometry">The convolution.</param>
    /// <returns>The transformed kernel, or empty.</returns>
    protected ReadOnlySpan<float> WinogradKernel(int slot, ReadOnlySpan<float> kernel, in Kernels.ConvGeometry geometry)
    {
        if (!Kernels.Winograd.Applies(geometry))
        {
            return default;
        }

        if (Current(_winograd, slot) is { } current)
        {
            return current;
        }

        lock (_foldLock)
        {
            if (_weightsExposed)
            {
                return default;
            }

            var table = Slot(ref _winograd, slot);
            if (!table.IsCurrent(_weightsVersion))
            {
                table.Values ??= new float[Kernels.Winograd.KernelLength(geometry)];
                Kernels.Winograd.TransformKernel(kernel, table.Values, geometry);
                Volatile.Write(ref table.Version, _weightsVersion); // after the values: see Current
            }

            return table.Values;
        }
    }

    /// <summary>
    /// The slot's values if they are current, read without the lock, or null (then the caller takes the lock and decides).
    /// Every call but the first after a change of the weights ends here: taking the lock three or four times per forward
    /// pass measured as much as a tenth of the conv encoder's prediction time. A table's version is written after its
    /// values, so a version read equal to the weights' means complete values; the flag for a writable view is set before
    /// the weights' version moves on, so a view taken since is seen here or under the lock. (Weights written by another
    /// thread during a forward pass are a race with or without the lock: the pass reads them too.)
    /// </summary>
    private float[]? Current(FoldedTable?[]? tables, int slot)
        => tables is not null && slot < tables.Length && tables[slot] is { } table
           && Volatile.Read(ref table.Version) == Volatile.Read(ref _weightsVersion) && !Volatile.Read(ref _weightsExposed)
            ? table.Values
            : null;

    private static FoldedTable Slot(ref FoldedTable?[]? tables, int slot)
    {
        if (tables is null || tables.Length <= slot)
        {
            Array.Resize(ref tables, slot + 1);
        }

        return tables[slot] ??= new FoldedTable();
    }

    /// <summary>How many Winograd kernels are current (transformed from the weights as they are now), for tests.</summary>
    internal int CurrentWinogradKernels => CountCurrent(_winograd);

    /// <summary>How many folded projections are current (folded from the weights as they are now), for tests.</summary>
    internal int CurrentFoldedProjections => CountCurrent(_folded);

    private int CountCurrent(FoldedTable?[]? tables)
    {
        lock (_foldLock)
        {
            return tables?.Count(t => t is not null && t.IsCurrent(_weightsVersion)) ?? 0;
        }
    }

    /// <summary>Values derived from the weights (a folded projection, a transformed kernel) and the weights version they
    /// were made from.</summary>
    private sealed class FoldedTable
    {
        public float[]? Values;

        /// <summary>The version <see cref="Values"/> was folded from.</summary>
        public long Version = -1;

        /// <summary>The version <see cref="IdsSeen"/> counts under.</summary>
        public long CountedVersion = -1;

        /// <summary>Ids looked up through the unfolded path since the weights last changed.</summary>
        public long IdsSeen;

        /// <summary>Whether <see cref="Values"/> holds what the weights at <paramref name="version"/> give.</summary>
        [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Values))]
        public bool IsCurrent(long version) => Values is not null && Version == version;
    }
}
