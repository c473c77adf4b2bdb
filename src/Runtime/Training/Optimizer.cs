using System;
using System.Threading;

namespace Unrolled;

/// <summary>
/// A gradient-descent optimizer for <c>CompiledModel.Compile</c>, as
/// Keras's <c>keras.optimizers</c>, with Keras 3's defaults and update formulas. Its state (momenta, velocities) is
/// allocated once, when a model is compiled with it; an update allocates nothing and runs SIMD over the whole weight
/// buffer.
/// </summary>
/// <remarks>
/// An optimizer holds the state of one model's weights, so it belongs to the first model compiled with it; compiling
/// that model again keeps the state (as in Keras), compiling another model with it throws. A string converts to an
/// optimizer with default arguments: <c>"sgd"</c>, <c>"rmsprop"</c>, <c>"adam"</c>, <c>"adamw"</c>, <c>"adagrad"</c>,
/// <c>"adadelta"</c>, <c>"adamax"</c>, <c>"nadam"</c>, <c>"lion"</c>, <c>"ftrl"</c>, <c>"adafactor"</c>.
/// </remarks>
public abstract class Optimizer
{
    private float _learningRate;
    private object? _owner;
    private float[] _clipped = [];
    private (int Offset, int Size)[] _variables = [];
    private (int Offset, int Size)[] _whole = [];
    private float? _clipNorm, _clipValue, _globalClipNorm, _weightDecay;
    private float[] _average = [];
    private float _emaMomentum = 0.99f;
    private int? _emaOverwriteFrequency;
    private System.Text.RegularExpressions.Regex? _excludeFromDecay;

    /// <summary>Per variable (as <see cref="Build"/> was given them): whether weight decay leaves it alone.</summary>
    private bool[] _decayExcluded = [];

    private protected Optimizer(float learningRate) => LearningRate = learningRate;

    /// <summary>The weight tensors <see cref="Build"/> was given: offset and size in the weight buffer.</summary>
    private protected (int Offset, int Size)[] Variables => _variables;

    /// <summary>Each of <see cref="Variables"/>' shape.</summary>
    private protected int[][] VariableShapes { get; private set; } = [];

    /// <summary>The learning rate; may be changed between steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = float.IsFinite(value) && value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be a finite number ≥ 0.");
    }

    /// <summary>
    /// A learning-rate schedule (Keras's <c>learning_rate=schedule</c>), or null for the fixed <see cref="LearningRate"/>:
    /// each update then uses the schedule's rate at <see cref="Iterations"/>, and <see cref="LearningRate"/> reports it.
    /// Set it when creating the optimizer: <c>new Adam { Schedule = new CosineDecay(0.001, decaySteps: 10_000) }</c>.
    /// </summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>Keras's <c>clipnorm</c>: each weight tensor's gradient scaled down to this L2 norm when it is longer, or
    /// null. At most one of <see cref="ClipNorm"/>, <see cref="ClipValue"/> and <see cref="GlobalClipNorm"/> is set.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public float? ClipNorm { get => _clipNorm; init => _clipNorm = Clip(value, nameof(ClipNorm)); }

    /// <summary>Keras's <c>clipvalue</c>: each gradient value clipped to [−value, value], or null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public float? ClipValue { get => _clipValue; init => _clipValue = Clip(value, nameof(ClipValue)); }

    /// <summary>Keras's <c>global_clipnorm</c>: all the gradients scaled down together to this L2 norm when theirs is
    /// longer, or null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public float? GlobalClipNorm { get => _globalClipNorm; init => _globalClipNorm = Clip(value, nameof(GlobalClipNorm)); }

    /// <summary>
    /// Keras's <c>weight_decay</c>, which every Keras 3 optimizer takes: before each update the trained weights shrink by
    /// w · weightDecay · lr (decoupled, as AdamW, whose default is 0.004); null for none.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public float? WeightDecay
    {
        get => _weightDecay;
        init => _weightDecay = value is null || (value >= 0 && float.IsFinite(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(nameof(WeightDecay), value, "WeightDecay must be finite and ≥ 0, or null.");
    }

    /// <summary>
    /// Keras's <c>exclude_from_weight_decay(var_names=...)</c>: weights whose name (<c>kernel</c>, <c>bias</c>,
    /// <c>gamma</c>, …) matches one of these regular expressions are not decayed; the usual choice is
    /// <c>ExcludeFromWeightDecay("bias", "gamma", "beta")</c>. Call it before <c>Compile</c>, as Keras requires it before the
    /// optimizer is built.
    /// </summary>
    /// <param name="varNames">Patterns searched in each weight's name, as Keras's <c>re.search</c>.</param>
    /// <exception cref="InvalidOperationException">The optimizer already serves a model.</exception>
    /// <exception cref="ArgumentException">No pattern is given, or one is not a valid regular expression.</exception>
    public void ExcludeFromWeightDecay(params string[] varNames)
    {
        ArgumentNullException.ThrowIfNull(varNames);
        if (_owner is not null)
        {
            throw new InvalidOperationException($"{Name}: ExcludeFromWeightDecay can only be set before Compile builds the optimizer, as in Keras.");
        }

        if (varNames.Length == 0 || Array.Exists(varNames, string.IsNullOrEmpty))
        {
            throw new ArgumentException("Give at least one non-empty weight name pattern, such as \"bias\".", nameof(varNames));
        }

        try
        {
            _excludeFromDecay = new System.Text.RegularExpressions.Regex(string.Join("|", varNames), System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The patterns {string.Join(", ", varNames)} are not a valid regular expression: {e.Message}", nameof(varNames), e);
        }
    }

    /// <summary>Sets the decay from a constructor (AdamW's argument).</summary>
    private protected float DecoupledWeightDecay
    {
        set => _weightDecay = value;
    }

    /// <summary>
    /// Keras's <c>use_ema</c>: keep an exponential moving average of the trained weights (after each update,
    /// avg ← m·avg + (1 − m)·w, the first update copying w), and when <c>Fit</c> ends put the average in the weights (Keras's
    /// <c>finalize_variable_values</c>); with <see cref="EmaOverwriteFrequency"/> also every that many updates.
    /// </summary>
    public bool UseEma { get; init; }

    /// <summary>Keras's <c>ema_momentum</c>, in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value lies outside [0, 1].</exception>
    public float EmaMomentum
    {
        get => _emaMomentum;
        init => _emaMomentum = value >= 0 && value <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(EmaMomentum), value, "EmaMomentum must lie in [0, 1].");
    }

    /// <summary>Keras's <c>ema_overwrite_frequency</c>: put the average in the weights every this many updates; null for
    /// only at the end of <c>Fit</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int? EmaOverwriteFrequency
    {
        get => _emaOverwriteFrequency;
        init => _emaOverwriteFrequency = value is null or >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(EmaOverwriteFrequency), value, "EmaOverwriteFrequency must be at least 1, or null.");
    }

    /// <summary>The number of updates applied so far (Keras's <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>Keras's name of the optimizer (<c>SGD</c>, <c>RMSprop</c>, <c>Adam</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Converts an optimizer's Keras name (any case: <c>"sgd"</c>, <c>"adam"</c>, <c>"adamw"</c>, …) to an optimizer
    /// with Keras's defaults.</summary>
    /// <param name="name">The optimizer's name.</param>
    /// <returns>A new optimizer.</returns>
    /// <exception cref="ArgumentException">The name is not one of those.</exception>
    public static implicit operator Optimizer(string name) => name?.ToLowerInvariant() switch
    {
        null => throw new ArgumentNullException(nameof(name)),
        "sgd" => new SGD(),
        "rmsprop" => new RMSprop(),
        "adam" => new Adam(),
        "adamw" => new AdamW(),
        "adagrad" => new Adagrad(),
        "adadelta" => new Adadelta(),
        "adamax" => new Adamax(),
        "nadam" => new Nadam(),
        "lion" => new Lion(),
        "ftrl" => new Ftrl(),
        "adafactor" => new Adafactor(),
        _ => throw new ArgumentException(
            $"Unknown optimizer '{name}'. Known optimizers: 'sgd', 'rmsprop', 'adam', 'adamw', 'adagrad', 'adadelta', 'adamax', 'nadam', 'lion', 'ftrl', 'adafactor'.", nameof(name)),
    };

    /// <summary>Converts a name to an optimizer; the same as the implicit conversion.</summary>
    /// <param name="name">The optimizer's name.</param>
    /// <returns>A new optimizer.</returns>
    public static Optimizer FromName(string name) => name;

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Binds the optimizer to a model's weights and allocates its state (once).</summary>
    /// <param name="owner">The model.</param>
    /// <param name="parameterCount">The number of weights.</param>
    /// <param name="variables">The weight tensors (offset and size in the weight buffer), which <see cref="ClipNorm"/>
    /// clips one by one; empty for one tensor of every weight.</param>
    /// <param name="shapes">Each variable's shape (Keras's), for optimizers that factor their state over the axes
    /// (<see cref="Adafactor"/>); null for one axis each.</param>
    /// <param name="names">Each variable's weight name (<c>kernel</c>), for <see cref="ExcludeFromWeightDecay"/>; null for none.</param>
    internal void Build(object owner, int parameterCount, (int Offset, int Size)[]? variables = null, string[]? names = null, int[][]? shapes = null)
    {
        if ((_clipNorm is null ? 0 : 1) + (_clipValue is null ? 0 : 1) + (_globalClipNorm is null ? 0 : 1) > 1)
        {
            throw new ArgumentException($"{Name}: set at most one of ClipNorm, ClipValue and GlobalClipNorm, as Keras allows one of clipnorm, clipvalue and " +
                "global_clipnorm.", "optimizer");
        }

        _variables = variables ?? [(0, parameterCount)];
        VariableShapes = shapes ?? Array.ConvertAll(_variables, v => new[] { v.Size });
        _decayExcluded = new bool[_variables.Length];
        for (int v = 0; v < _variables.Length && _excludeFromDecay is not null && names is not null; v++)
        {
            _decayExcluded[v] = _excludeFromDecay.IsMatch(names[v]);
        }
        if (_owner is not null && !ReferenceEquals(_owner, owner))
        {
            throw new ArgumentException(
                $"This {Name} optimizer already holds the state of another model; create a new optimizer for each model.",
                "optimizer");
        }

        if (_owner is null)
        {
            Allocate(parameterCount);
            _clipped = _clipNorm is null && _clipValue is null && _globalClipNorm is null ? [] : new float[parameterCount];
            _average = UseEma ? new float[parameterCount] : [];
            _owner = owner;
        }
    }

    /// <summary>Applies one update and counts it.</summary>
    /// <param name="weights">The weights, updated in place.</param>
    /// <param name="gradients">The loss's gradient with respect to each weight.</param>
    /// <param name="trainable">The runs of the weight buffer to update (the trainable weights of trainable layers, as
    /// Keras's <c>trainable_variables</c>); null for the whole buffer. The rest, and its state, is left untouched.</param>
    internal void Apply(Span<float> weights, ReadOnlySpan<float> gradients, (int Offset, int Size)[]? trainable = null)
        => Apply(weights, gradients, trainable, []);

    /// <summary>
    /// Applies one update and counts it; the embedding tables of <paramref name="rows"/> (each inside
    /// <paramref name="trainable"/>, with a gradient that is zero outside its recorded rows) are updated only in those rows.
    /// Only for an optimizer whose <see cref="UpdatesRowsAlone"/> is true: the result is the one a whole update gives, bit
    /// for bit, since it leaves a weight whose gradient is zero as it is, and what it does to such a weight's state
    /// (RMSprop's decay) is applied to a row when the row is next updated or the state is read (<see cref="StateBuffers"/>).
    /// </summary>
    /// <param name="weights">The weights, updated in place.</param>
    /// <param name="gradients">The loss's gradient with respect to each weight.</param>
    /// <param name="trainable">The runs of the weight buffer to update; null for the whole buffer.</param>
    /// <param name="rows">The tables whose rows the step recorded, in the order of the weight buffer; a table outside
    /// <paramref name="trainable"/> (a frozen layer's) is not updated and counts no update, as Keras leaves a frozen
    /// variable's state alone.</param>
    internal void Apply(Span<float> weights, ReadOnlySpan<float> gradients, (int Offset, int Size)[]? trainable, ReadOnlySpan<Kernels.RowSet> rows)
    {
        if (!rows.IsEmpty && !UpdatesRowsAlone)
        {
            throw new InvalidOperationException($"{Name} with these settings changes weights whose gradient is zero; it cannot update only a table's used rows.");
        }

        if (weights.Length != gradients.Length)
        {
            throw new ArgumentException("Weights and gradients differ in length.", nameof(gradients));
        }

        if (Schedule is { } schedule)
        {
            double rate = schedule.At(Iterations);
            if (!double.IsFinite(rate) || rate < 0 || !float.IsFinite((float)rate))
            {
                throw new InvalidOperationException(
                    $"{Name}'s learning-rate schedule {schedule.GetType().Name} gave {rate.ToString(System.Globalization.CultureInfo.InvariantCulture)} " +
                    $"at iteration {Iterations}; a learning rate must be finite and ≥ 0. The update was not applied.");
            }

            LearningRate = (float)rate;
        }

        if (trainable is null)
        {
            // The whole buffer, one run (kept, so that an update allocates nothing).
            if (_whole.Length == 0 || _whole[0].Size != weights.Length)
            {
                _whole = [(0, weights.Length)];
            }

            trainable = _whole;
        }

        if (_clipped.Length > 0)
        {
            gradients = ClipGradients(gradients, trainable);
        }

        if (_weightDecay is float decay && decay > 0)
        {
            // Keras's _apply_weight_decay, before the step: w − w · wd · lr.
            float factor = 1f - (decay * LearningRate);
            if (_excludeFromDecay is null)
            {
                foreach (var (offset, size) in trainable)
                {
                    System.Numerics.Tensors.TensorPrimitives.Multiply(weights.Slice(offset, size), factor, weights.Slice(offset, size));
                }
            }
            else
            {
                // Each decayed variable's part of each trained run.
                for (int v = 0; v < _variables.Length; v++)
                {
                    if (_decayExcluded[v])
                    {
                        continue;
                    }

                    var (start, length) = _variables[v];
                    foreach (var (offset, size) in trainable)
                    {
                        int from = Math.Max(start, offset), to = Math.Min(start + length, offset + size);
                        if (from < to)
                        {
                            System.Numerics.Tensors.TensorPrimitives.Multiply(weights[from..to], factor, weights[from..to]);
                        }
                    }
                }
            }
        }

        if (rows.IsEmpty)
        {
            // Every row of the tables is updated now, so each first takes what it is owed from steps that skipped it.
            CatchUpRows();
        }

        foreach (var (offset, size) in trainable)
        {
            // The run, with the tables of rows that lie inside it (in the order of the weight buffer) updated by rows.
            int at = offset, end = offset + size;
            foreach (var table in rows)
            {
                if (table.Offset >= at && table.Offset < end)
                {
                    // A table is one weight and the runs are whole weights, so a table lies inside one run.
                    System.Diagnostics.Debug.Assert(table.Offset + ((long)table.Rows * table.Width) <= end, "A table straddles the end of a trained run.");
                    UpdateRun(weights, gradients, at, table.Offset - at);
                    UpdateRows(weights, gradients, table);
                    at = table.Offset + (table.Rows * table.Width);
                }
            }

            UpdateRun(weights, gradients, at, end - at);
        }

        if (UseEma)
        {
            // Keras's _update_model_variables_moving_average: the momentum is 0 at the first update, so the average starts at w.
            float momentum = Iterations == 0 ? 0f : _emaMomentum;
            bool overwrite = _emaOverwriteFrequency is int every && (Iterations + 1) % every == 0;
            foreach (var (offset, size) in trainable)
            {
                var average = _average.AsSpan(offset, size);
                var w = weights.Slice(offset, size);
                System.Numerics.Tensors.TensorPrimitives.Multiply(average, momentum, average);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w, 1f - momentum, average, average);
                if (overwrite)
                {
                    average.CopyTo(w);
                }
            }
        }

        Iterations++;
    }

    /// <summary>One run of the weight buffer, on two cores when it pays.</summary>
    private void UpdateRun(Span<float> weights, ReadOnlySpan<float> gradients, int offset, int size)
    {
        if (size > 0 && !UpdateOnTwoCores(weights.Slice(offset, size), gradients.Slice(offset, size), offset))
        {
            Update(weights.Slice(offset, size), gradients.Slice(offset, size), offset, Iterations);
        }
    }

    /// <summary>
    /// Whether an update may skip the weights whose gradient is zero (the rows of an embedding table no id of the batch
    /// named): true when the update leaves such a weight as it is and its state changes only as
    /// <see cref="CatchUp"/> can replay later (<see cref="SGD"/> without momentum, <see cref="Adagrad"/>, <see cref="RMSprop"/>
    /// neither centered nor with momentum, each with a positive denominator), and nothing else touches every weight
    /// (no clipping, weight decay or moving average).
    /// </summary>
    internal bool UpdatesRowsAlone
        => LeavesZeroGradientAlone && _clipNorm is null && _clipValue is null && _globalClipNorm is null && _weightDecay is not > 0 && !UseEma;

    /// <summary>
    /// Whether <see cref="Update"/> leaves a weight whose gradient is zero exactly as it is, and changes its state only as
    /// <see cref="CatchUp"/> replays (the base's answer: no).
    /// </summary>
    private protected virtual bool LeavesZeroGradientAlone => false;

    /// <summary>
    /// Applies to the state of weights [<paramref name="offset"/>, offset + <paramref name="length"/>) what
    /// <paramref name="steps"/> updates with a zero gradient would have done, operation for operation (RMSprop:
    /// <paramref name="steps"/> times v ← ρ·v); nothing for an optimizer whose state such an update leaves alone.
    /// </summary>
    /// <param name="offset">Where the weights start in the weight buffer and in each state buffer.</param>
    /// <param name="length">The number of weights.</param>
    /// <param name="steps">The updates the weights missed.</param>
    private protected virtual void CatchUp(int offset, int length, long steps)
    {
    }

    /// <summary>
    /// Per embedding table updated by rows: the table's updates so far and, per row, how many of them its state has seen
    /// (the rest it is owed, as <see cref="CatchUp"/>).
    /// </summary>
    private sealed class RowLag(int offset, int rows, int width)
    {
        public int Offset { get; } = offset;
        public int Width { get; } = width;
        public long Steps { get; set; }
        public long[] Seen { get; } = new long[rows];
    }

    private RowLag[] _lags = [];

    /// <summary>The tables updated by rows so far (for tests: that a step took that path).</summary>
    internal int TablesUpdatedByRows => _lags.Length;

    /// <summary>The recorded rows of one table: each catches up what it is owed, then takes this step's update.</summary>
    private void UpdateRows(Span<float> weights, ReadOnlySpan<float> gradients, Kernels.RowSet table)
    {
        RowLag? lag = null;
        foreach (var candidate in _lags)
        {
            if (candidate.Offset == table.Offset)
            {
                lag = candidate;
            }
        }

        if (lag is null)
        {
            // The table's first update by rows (once per model and table): its state is current as it stands.
            lag = new RowLag(table.Offset, table.Rows, table.Width);
            _lags = [.. _lags, lag];
        }

        long steps = lag.Steps;
        if (!UpdateRowsOnTwoCores(weights, gradients, table, lag, steps))
        {
            UpdateRowRange(weights, gradients, table, lag, steps, 0, table.Rows);
        }

        lag.Steps = steps + 1;
    }

    /// <summary>The runs of <paramref name="table"/>'s recorded rows in [<paramref name="from"/>, <paramref name="end"/>).</summary>
    private void UpdateRowRange(Span<float> weights, ReadOnlySpan<float> gradients, Kernels.RowSet table, RowLag lag, long steps, int from, int end)
    {
        int width = table.Width;
        for (int first = table.NextRun(from, out int last); first >= 0 && first < end; first = table.NextRun(last + 1, out last))
        {
            // The rows between recorded ones in a run have a zero gradient: after catching up, the update does to them
            // what the whole update does.
            last = Math.Min(last, end - 1);
            for (int row = first; row <= last; row++)
            {
                long owed = steps - lag.Seen[row];
                if (owed > 0)
                {
                    CatchUp(table.Offset + (row * width), width, owed);
                }

                lag.Seen[row] = steps + 1;
            }

            int at = table.Offset + (first * width), length = (last - first + 1) * width;
            Update(weights.Slice(at, length), gradients.Slice(at, length), at, Iterations);
        }
    }

    /// <summary>A large table's rows in two halves of the table on two cores (each row's update and catching up touch
    /// only that row); false, having done nothing, when it should run on this thread.</summary>
    private unsafe bool UpdateRowsOnTwoCores(Span<float> weights, ReadOnlySpan<float> gradients, Kernels.RowSet table, RowLag lag, long steps)
    {
        int count = table.Count;
        if (!ElementWise || !Kernels.Halves.Worth(5L * count * table.Width))
        {
            return false;
        }

        (_rowTable, _rowLag) = (table, lag);
        try
        {
            fixed (float* w = weights, g = gradients)
            {
                // Split by recorded rows, not table rows: ids drawn as words are crowd the table's first rows.
                var job = new RowJob { Weights = w, Gradients = g, Length = weights.Length, Steps = steps, Count = count };
                if (!Kernels.Halves.TryRun(&UpdateRowHalf, &job, count, this))
                {
                    return false;
                }

                Interlocked.Increment(ref s_rowSplits);
                return true;
            }
        }
        finally
        {
            (_rowTable, _rowLag) = (null, null);
        }
    }

    private static unsafe void UpdateRowHalf(void* state, int first, int end, int part)
    {
        ref readonly RowJob job = ref *(RowJob*)state;
        var optimizer = (Optimizer)Kernels.Halves.Context!;
        var table = optimizer._rowTable!;

        // Recorded rows [first, end) as table rows: from the first one's row to the row of the next half's first.
        int from = first == 0 ? 0 : table.RowAt(first), to = end >= job.Count ? table.Rows : table.RowAt(end);
        optimizer.UpdateRowRange(new Span<float>(job.Weights, job.Length), new ReadOnlySpan<float>(job.Gradients, job.Length), table,
            optimizer._rowLag!, job.Steps, from, to);
    }

    private unsafe struct RowJob
    {
        public float* Weights;
        public float* Gradients;
        public int Length;
        public long Steps;
        public int Count;
    }

    private static int s_rowSplits;

    /// <summary>Row updates split over two cores so far, in this process (for tests).</summary>
    internal static int RowSplits => Volatile.Read(ref s_rowSplits);

    /// <summary>The table and lag of the row update running on two cores.</summary>
    private Kernels.RowSet? _rowTable;
    private RowLag? _rowLag;

    /// <summary>Brings every row of the tables updated by rows up to date (before a whole update, or before the state is
    /// read).</summary>
    private void CatchUpRows()
    {
        foreach (var lag in _lags)
        {
            for (int row = 0; row < lag.Seen.Length; row++)
            {
                long owed = lag.Steps - lag.Seen[row];
                if (owed > 0)
                {
                    CatchUp(lag.Offset + (row * lag.Width), lag.Width, owed);
                    lag.Seen[row] = lag.Steps;
                }
            }
        }
    }

    /// <summary>
    /// Whether <see cref="Update"/> treats each weight on its own, reading and writing only its state at the same
    /// index and no other field, so that a run can be updated in two halves on two cores with the same result.
    /// </summary>
    private protected virtual bool ElementWise => false;

    /// <summary>
    /// A large run of an element-wise optimizer, updated in two halves on two cores (the update reads and writes five
    /// or so floats per weight, so for an embedding table it is bound by memory, which two cores stream faster than one);
    /// false, having done nothing, when it should run on this thread.
    /// </summary>
    private unsafe bool UpdateOnTwoCores(Span<float> weights, ReadOnlySpan<float> gradients, int offset)
    {
        if (!ElementWise || !Kernels.Halves.Worth(5L * weights.Length))
        {
            return false;
        }

        fixed (float* w = weights, g = gradients)
        {
            var job = new UpdateJob { Weights = w, Gradients = g, Offset = offset, Length = weights.Length, Iteration = Iterations };
            return Kernels.Halves.TryRun(&UpdateBlocks, &job, Kernels.Halves.Blocks(weights.Length), this);
        }
    }

    private static unsafe void UpdateBlocks(void* state, int first, int end, int part)
    {
        ref readonly UpdateJob job = ref *(UpdateJob*)state;
        var (start, length) = Kernels.Halves.BlockRange(first, end, job.Length);
        ((Optimizer)Kernels.Halves.Context!).Update(new Span<float>(job.Weights + start, length), new ReadOnlySpan<float>(job.Gradients + start, length),
            job.Offset + start, job.Iteration);
    }

    private unsafe struct UpdateJob
    {
        public float* Weights;
        public float* Gradients;
        public int Offset;
        public int Length;
        public long Iteration;
    }

    /// <summary>Keras's <c>finalize_variable_values</c>, at the end of <c>Fit</c>: with <see cref="UseEma"/>, the trained
    /// weights take their moving average.</summary>
    /// <param name="weights">The weights.</param>
    /// <param name="trainable">The runs of trained weights.</param>
    internal void Finalize(Span<float> weights, (int Offset, int Size)[] trainable)
    {
        if (!UseEma || Iterations == 0)
        {
            return;
        }

        foreach (var (offset, size) in trainable)
        {
            _average.AsSpan(offset, size).CopyTo(weights.Slice(offset, size));
        }
    }

    /// <summary>Exchanges the trained weights with their moving average (Keras's SwapEMAWeights), in place.</summary>
    /// <param name="weights">The weights.</param>
    /// <param name="trainable">The runs of trained weights.</param>
    internal void SwapAverage(Span<float> weights, (int Offset, int Size)[] trainable)
    {
        foreach (var (offset, size) in trainable)
        {
            var w = weights.Slice(offset, size);
            var average = _average.AsSpan(offset, size);
            for (int i = 0; i < size; i++)
            {
                (w[i], average[i]) = (average[i], w[i]);
            }
        }
    }

    /// <summary>Sets the moving average to the trained weights (Keras's SwapEMAWeights._finalize_ema_values).</summary>
    /// <param name="weights">The weights.</param>
    /// <param name="trainable">The runs of trained weights.</param>
    internal void AverageFrom(ReadOnlySpan<float> weights, (int Offset, int Size)[] trainable)
    {
        foreach (var (offset, size) in trainable)
        {
            weights.Slice(offset, size).CopyTo(_average.AsSpan(offset, size));
        }
    }

    /// <summary>Whether a model's <c>Compile</c> has bound the optimizer and allocated its state.</summary>
    internal bool IsBuilt => _owner is not null;

    /// <summary>
    /// The hyper-parameters that shape the state or the update, other than the learning rate, by their Keras names
    /// (booleans as 0 or 1): what a weights file records so that state is restored only into the same optimizer.
    /// </summary>
    internal (string Name, double Value)[] Hyperparameters
    {
        get
        {
            var all = new System.Collections.Generic.List<(string Name, double Value)>(OwnHyperparameters);
            if (_weightDecay is float decay)
            {
                all.Insert(0, ("weight_decay", decay));
            }

            if (UseEma)
            {
                all.Add(("use_ema", 1));
                all.Add(("ema_momentum", EmaMomentum));
                all.Add(("ema_overwrite_frequency", EmaOverwriteFrequency ?? 0));
            }

            return all.ToArray();
        }
    }

    /// <summary>The optimizer's own hyper-parameters (the base adds weight decay and the moving average's).</summary>
    private protected abstract (string Name, double Value)[] OwnHyperparameters { get; }

    /// <summary>
    /// The per-weight state buffers (Keras's optimizer variables, by the names Keras gives them: <c>momentum</c>,
    /// <c>velocity</c>, …), each laid out as the model's weight buffer; empty before <see cref="Build"/>. The arrays are
    /// the live state: a weights file reads them to save and overwrites them to restore.
    /// </summary>
    internal (string Name, float[] Values)[] StateBuffers
    {
        get
        {
            // Rows an update skipped hold their state as it was; what they are owed is applied before anyone reads it, so
            // that the arrays returned hold every row's state, and a weights file that overwrites them leaves nothing owed.
            CatchUpRows();
            return UseEma && IsBuilt ? [.. OwnStateBuffers, ("average", _average)] : OwnStateBuffers;
        }
    }

    /// <summary>The optimizer's own state buffers (the base adds the moving average's).</summary>
    private protected abstract (string Name, float[] Values)[] OwnStateBuffers { get; }

    /// <summary>Sets the counters a weights file restores with the state buffers (Keras restores <c>iterations</c> and
    /// <c>learning_rate</c>, both optimizer variables).</summary>
    /// <param name="iterations">Updates applied so far.</param>
    /// <param name="learningRate">The learning rate at the time of saving.</param>
    internal void Restore(long iterations, float learningRate)
    {
        LearningRate = learningRate;
        Iterations = iterations;
    }

    /// <summary>Allocates per-weight state.</summary>
    /// <param name="parameterCount">The number of weights.</param>
    private protected abstract void Allocate(int parameterCount);

    /// <summary>Applies one update to one run of the weight buffer (called once per run of trainable weights).</summary>
    /// <param name="weights">The run's weights.</param>
    /// <param name="gradients">Their gradients.</param>
    /// <param name="offset">Where the run starts in the weight buffer: where its state starts in each state buffer.</param>
    /// <param name="iteration">Updates applied before this one (Keras's <c>iterations</c>).</param>
    private protected abstract void Update(Span<float> weights, ReadOnlySpan<float> gradients, int offset, long iteration);

    /// <summary>The gradients clipped as <see cref="ClipNorm"/>, <see cref="ClipValue"/> or <see cref="GlobalClipNorm"/>
    /// say, in the optimizer's own buffer (the model's gradients are left as they are).</summary>
    private ReadOnlySpan<float> ClipGradients(ReadOnlySpan<float> gradients, ReadOnlySpan<(int Offset, int Size)> trainable)
    {
        var clipped = _clipped.AsSpan(0, gradients.Length);
        gradients.CopyTo(clipped);
        if (_clipValue is float value)
        {
            System.Numerics.Tensors.TensorPrimitives.Clamp(clipped, -value, value, clipped);
        }
        else if (_globalClipNorm is float global)
        {
            // The norm of the trainable gradients only, as Keras's over trainable_variables.
            double squares = 0;
            foreach (var (offset, size) in trainable)
            {
                squares += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(clipped.Slice(offset, size));
            }

            double length = Math.Sqrt(squares);
            if (length > global)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(clipped, (float)(global / length), clipped);
            }
        }
        else if (_clipNorm is float norm)
        {
            foreach (var (offset, size) in _variables)
            {
                Scale(clipped.Slice(offset, size), norm);
            }
        }

        return clipped;

        // Keras's clip_by_norm: g · limit / max(‖g‖, limit).
        static void Scale(Span<float> g, float limit)
        {
            double length = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(g));
            if (length > limit)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(g, (float)(limit / length), g);
            }
        }
    }

    private static float? Clip(float? value, string name)
        => value is null || (value > 0 && float.IsFinite(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be positive and finite, or null.");

    /// <summary>Throws unless <paramref name="value"/> lies in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    private protected static float InRange(float value, float min, float max, string name)
        => value >= min && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"'{name}' must lie between {min} and {max}.");
}
