using System;
using System.Collections.Generic;
using System.Threading;

namespace Unrolled;

/// <summary>
/// Base class of every generated model. The generator derives the user's partial class from it and supplies the
/// shape-specialised forward and backward passes; this class holds the weights and the workspaces, and provides
/// Keras's <c>Compile</c> / <c>Fit</c> / <c>Evaluate</c> / <c>Predict</c>.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> An instance owns one workspace for prediction and one for training, so it runs one call at a
/// time: a second thread that calls <c>Predict</c>, <c>TrainOnBatch</c>, <c>Fit</c> or <c>Evaluate</c> while another
/// call is running gets an <see cref="InvalidOperationException"/> instead of corrupted results. To predict from
/// several threads, give each thread its own instance (copy the weights with <see cref="Weights"/>).</para>
/// </remarks>
public abstract partial class CompiledModel
{
    private readonly float[] _weights;
    private readonly WorkspaceLayout _layout;
    private Workspace? _predictWorkspace;
    private Workspace? _trainingWorkspace;
    private Workspace? _secondPredictWorkspace;
    private int _busy;
    private readonly ulong _randomSeed;

    /// <summary>Creates the model and initialises its weights as Keras does, from <paramref name="seed"/>.</summary>
    /// <param name="description">What the generator knows about the model.</param>
    /// <param name="seed">Seed of the weight initialisers; the same seed gives the same weights.</param>
    protected CompiledModel(ModelDescription description, int seed)
    {
        Description = description ?? throw new ArgumentNullException(nameof(description));
        _weights = new float[description.ParameterCount];
        _layout = new WorkspaceLayout(description);
        _randomSeed = (ulong)(uint)seed * 0x2545F4914F6CDD1DUL;
        var initializer = new WeightInitializer(seed);
        InitializeWeights(_weights, ref initializer);
    }

    /// <summary>What the generator knows about the model: inputs, outputs, parameter count.</summary>
    public ModelDescription Description { get; }

    /// <summary>All weights in one buffer, layer after layer in the order of <c>Summary()</c>, each layer's
    /// weights in Keras's order (for <c>Dense</c>: kernel <c>[in, units]</c> row-major, then bias).</summary>
    /// <remarks>The span may be kept and written at any later time. Because of that, once it has been taken this instance
    /// no longer uses what it derives from the weights for inference (folded projections and Winograd kernels,
    /// docs/performance.md): its predictions stay right, at the unoptimised speed. To read the weights, use
    /// <see cref="ReadOnlyWeights"/>; to replace them, <see cref="SetWeights"/>; neither turns anything off. A new
    /// instance given these weights (<see cref="CopyWeightsFrom"/>, <see cref="SetWeights"/>) has them again.</remarks>
    public Span<float> Weights
    {
        get
        {
            WeightsExposed();
            return _weights;
        }
    }

    /// <summary>Replaces every weight, as Keras's <c>model.set_weights</c>.</summary>
    /// <param name="values">The values, in the layout of <see cref="Weights"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold exactly the model's weight count.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public void SetWeights(ReadOnlySpan<float> values)
    {
        if (values.Length != _weights.Length)
        {
            throw new ArgumentException(
                $"Model '{Description.Name}' has {_weights.Length} weights, but {values.Length} values were given.", nameof(values));
        }

        Enter();
        try
        {
            WeightsWritten();
            values.CopyTo(_weights);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>All weights, as <see cref="Weights"/> lays them out, to read: unlike <see cref="Weights"/>, taking them
    /// does not stop the model from using what it derives from them (docs/performance.md).</summary>
    public ReadOnlySpan<float> ReadOnlyWeights => _weights;

    /// <summary>One layer's weight tensor to read, as <see cref="GetWeights"/> but read-only, so taking it costs no
    /// speed (see <see cref="ReadOnlyWeights"/>).</summary>
    /// <param name="layer">The layer's Keras name.</param>
    /// <param name="name">The weight's name within the layer: <c>kernel</c> or <c>bias</c>.</param>
    /// <returns>The weight's values, row-major in its shape.</returns>
    /// <exception cref="ArgumentException">The model has no such weight; the message lists those it has.</exception>
    public ReadOnlySpan<float> GetReadOnlyWeights(string layer, string name = "kernel") => Find(layer, name);

    /// <summary>The weights, for the generated passes: unlike <see cref="Weights"/>, taking them does not mark them changed.</summary>
    protected Span<float> CurrentWeights => _weights;

    /// <summary>One layer's weight tensor, as Keras's <c>model.get_layer(layer).kernel</c>: a view into <see cref="Weights"/>.</summary>
    /// <param name="layer">The layer's Keras name.</param>
    /// <param name="name">The weight's name within the layer: <c>kernel</c> or <c>bias</c>.</param>
    /// <returns>The weight's values, row-major in its shape (see <see cref="ModelDescription.Weights"/>).</returns>
    /// <exception cref="ArgumentException">The model has no such weight; the message lists those it has.</exception>
    /// <remarks>As with <see cref="Weights"/>, the span may be kept and written at any later time, so once it has been
    /// taken this instance no longer uses what it derives from the weights. To read a weight, use
    /// <see cref="GetReadOnlyWeights"/>.</remarks>
    public Span<float> GetWeights(string layer, string name = "kernel")
    {
        Span<float> found = Find(layer, name);
        WeightsExposed();
        return found;
    }

    private Span<float> Find(string layer, string name)
    {
        foreach (var weight in Description.Weights)
        {
            if (weight.Layer == layer && weight.Name == name)
            {
                return _weights.AsSpan(weight.Offset, weight.Size);
            }
        }

        throw new ArgumentException(
            $"Model '{Description.Name}' has no weight '{layer}/{name}'. Its weights: {string.Join(", ", Description.Weights)}.", nameof(layer));
    }

    /// <summary>
    /// Copies every weight that <paramref name="source"/> has under the same layer and weight name, as Keras's
    /// <c>load_weights(by_name=True)</c>: how an encoder takes the weights its autoencoder trained, when both
    /// models are built from the same layers.
    /// </summary>
    /// <param name="source">The model to copy from.</param>
    /// <returns>The number of weight tensors copied.</returns>
    /// <exception cref="ArgumentException">Nothing matches, or a matching weight has another shape (nothing is copied then).</exception>
    public int CopyWeightsFrom(CompiledModel source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var pairs = new List<(WeightInfo From, WeightInfo To)>();
        foreach (var to in Description.Weights)
        {
            foreach (var from in source.Description.Weights)
            {
                if (from.Layer == to.Layer && from.Name == to.Name)
                {
                    if (!System.Linq.Enumerable.SequenceEqual(from.Shape, to.Shape))
                    {
                        throw new ArgumentException(
                            $"Weight '{to.Layer}/{to.Name}' has shape [{string.Join(", ", to.Shape)}] here but [{string.Join(", ", from.Shape)}] in " +
                            $"model '{source.Description.Name}'; nothing was copied.", nameof(source));
                    }

                    pairs.Add((from, to));
                }
            }
        }

        if (pairs.Count == 0)
        {
            throw new ArgumentException($"Model '{source.Description.Name}' has no weight named as one of model '{Description.Name}''s.", nameof(source));
        }

        Enter();
        try
        {
            WeightsWritten();
            foreach (var (from, to) in pairs)
            {
                source._weights.AsSpan(from.Offset, from.Size).CopyTo(_weights.AsSpan(to.Offset, to.Size));
            }
        }
        finally
        {
            Exit();
        }

        return pairs.Count;
    }

    /// <summary>The model summary as Keras prints it (<c>model.summary()</c>).</summary>
    /// <returns>The summary table.</returns>
    public string Summary() => SummaryNow();

    /// <summary>
    /// The model's graph as text, as Keras's <c>plot_model(model, show_shapes=True, show_layer_names=True,
    /// expand_nested=True)</c> draws it: one box per layer with its name, class and input and output shapes, an edge per
    /// connection, nested models as clusters. DOT renders with Graphviz (<c>dot -Tsvg</c>); Mermaid renders in GitHub's
    /// Markdown. <see cref="ModelDescription.Graph"/> has the graph as data.
    /// </summary>
    /// <param name="format">DOT (the default) or Mermaid.</param>
    /// <param name="showShapes">Whether the boxes show the input and output shapes.</param>
    /// <param name="expandNested">Whether nested models are drawn as clusters of their layers rather than one box each.</param>
    /// <returns>The text.</returns>
    public string Graph(GraphFormat format = GraphFormat.Dot, bool showShapes = true, bool expandNested = true)
        => Description.Graph.ToText(format, showShapes, expandNested);

    /// <summary>Fills <paramref name="weights"/> with the initial values of every layer.</summary>
    /// <param name="weights">The weight buffer.</param>
    /// <param name="initializer">The seeded initialiser.</param>
    protected abstract void InitializeWeights(Span<float> weights, ref WeightInitializer initializer);

    /// <summary>Runs the forward pass over the inputs already in <paramref name="workspace"/>.</summary>
    /// <param name="workspace">The workspace holding the inputs; receives every intermediate and the outputs.</param>
    /// <param name="batchSize">The number of samples.</param>
    /// <param name="training">True in a training step (keeps what backward needs; enables dropout-like layers).</param>
    protected abstract void Forward(Workspace workspace, int batchSize, bool training);

    /// <summary>
    /// Runs the backward pass. On entry the workspace holds the loss's gradient with respect to each output; on exit
    /// <see cref="Workspace.ParameterGradients"/> holds the gradient with respect to every weight.
    /// </summary>
    /// <param name="workspace">The workspace of the preceding training forward pass.</param>
    /// <param name="batchSize">The number of samples.</param>
    protected abstract void Backward(Workspace workspace, int batchSize);

    /// <summary>
    /// For a model with run-time lengths: fills <paramref name="layout"/>'s sizes and offsets for its
    /// <see cref="WorkspaceLayout.Lengths"/>. Generated; a model whose shapes are all fixed does not override it.
    /// </summary>
    /// <param name="layout">The layout to fill.</param>
    /// <exception cref="OverflowException">The lengths make a tensor too large to index.</exception>
    protected virtual void Measure(WorkspaceLayout layout)
        => throw new NotSupportedException($"Model '{Description.Name}' has no lengths given at run time.");

    /// <summary>
    /// Throws unless a convolution or pooling over a run-time length has at least one window (generated
    /// <see cref="Measure"/> calls it): Keras's window count, ceil(n / stride) with same padding, else
    /// floor((n − (window − 1) · dilation − 1) / stride) + 1.
    /// </summary>
    /// <param name="length">The length the windows slide over.</param>
    /// <param name="window">The window's length.</param>
    /// <param name="stride">The step between windows.</param>
    /// <param name="dilation">The spacing of the window's taps.</param>
    /// <param name="same">Whether the layer pads (same) or not (valid).</param>
    /// <exception cref="ArgumentOutOfRangeException">No window fits.</exception>
    protected static void RequireWindows(int length, int window, int stride, int dilation, bool same)
    {
        long span = (long)(window - 1) * dilation + 1;
        if (length < 1 || (!same && length < span))
        {
            throw new ArgumentOutOfRangeException("lengths", length,
                $"The run-time lengths are too short for a layer of the model: a window of {window} (dilation {dilation}, " +
                $"{(same ? "same" : "valid")} padding) needs at least {(same ? 1 : span)} positions, but the length there is {length}.");
        }
    }

    /// <summary>Floats per sample of an input for the current call's lengths.</summary>
    /// <param name="input">The input's position.</param>
    /// <returns>The size.</returns>
    protected int InputSize(int input) => _layout.InputSize(input);

    /// <summary>Floats per sample of an output for the current call's lengths.</summary>
    /// <param name="output">The output's position.</param>
    /// <returns>The size.</returns>
    protected int OutputSize(int output) => _layout.OutputSize(output);

    /// <summary>
    /// Sizes the workspaces for batches of up to <paramref name="batchSize"/> samples with the given run-time lengths,
    /// so that later calls up to that size allocate nothing. Workspaces otherwise grow on the first call that needs
    /// more (one allocation) and never shrink.
    /// </summary>
    /// <param name="batchSize">The largest batch to prepare for.</param>
    /// <param name="lengths">The largest run-time lengths to prepare for, one per <see cref="ModelDescription.Lengths"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or a workspace for it would
    /// exceed the largest .NET array (<see cref="Array.MaxLength"/> floats per buffer); the message names the model, the
    /// batch, the floats it needs and the largest batch size that fits.</exception>
    /// <exception cref="ArgumentException">The lengths do not fit the model.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public void Reserve(int batchSize, params ReadOnlySpan<int> lengths)
    {
        CheckBatchSize(batchSize);
        Enter();
        try
        {
            UseLengths(lengths);
            PredictWorkspaceFor(batchSize);
            if (_compiled is not null)
            {
                TrainingWorkspaceFor(batchSize);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Takes the prediction workspace for a call on <paramref name="batchSize"/> samples.</summary>
    /// <param name="batchSize">The number of samples; at least 1.</param>
    /// <returns>The workspace; give it back with <see cref="ReleaseWorkspace"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is below 1, or a workspace for it would exceed the
    /// largest .NET array.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    protected Workspace AcquirePredictWorkspace(int batchSize) => AcquirePredictWorkspace(batchSize, ReadOnlySpan<int>.Empty);

    /// <summary>Takes the prediction workspace for a call on <paramref name="batchSize"/> samples with the given run-time lengths.</summary>
    /// <param name="batchSize">The number of samples; at least 1.</param>
    /// <param name="lengths">One value per <see cref="ModelDescription.Lengths"/>; empty for a model without run-time lengths.</param>
    /// <returns>The workspace; give it back with <see cref="ReleaseWorkspace"/>.</returns>
    /// <exception cref="ArgumentException">The batch size or a length is out of range, or a workspace for them would exceed
    /// the largest .NET array (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    protected Workspace AcquirePredictWorkspace(int batchSize, ReadOnlySpan<int> lengths)
    {
        CheckBatchSize(batchSize);
        Enter();
        try
        {
            UseLengths(lengths);
            return PredictWorkspaceFor(batchSize);
        }
        catch
        {
            // A failed allocation must not leave the instance marked busy forever.
            Exit();
            throw;
        }
    }

    /// <summary>Takes the training workspace for a step on <paramref name="batchSize"/> samples.</summary>
    /// <param name="batchSize">The number of samples; at least 1.</param>
    /// <returns>The workspace; give it back with <see cref="ReleaseWorkspace"/>.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    protected Workspace AcquireTrainingWorkspace(int batchSize) => AcquireTrainingWorkspace(batchSize, ReadOnlySpan<int>.Empty);

    /// <summary>Takes the training workspace for a step on <paramref name="batchSize"/> samples with the given run-time lengths.</summary>
    /// <param name="batchSize">The number of samples; at least 1.</param>
    /// <param name="lengths">One value per <see cref="ModelDescription.Lengths"/>; empty for a model without run-time lengths.</param>
    /// <returns>The workspace; give it back with <see cref="ReleaseWorkspace"/>.</returns>
    /// <exception cref="ArgumentException">The batch size or a length is out of range, or a workspace for them would exceed
    /// the largest .NET array (an <see cref="ArgumentOutOfRangeException"/>).</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled, or another call is running.</exception>
    protected Workspace AcquireTrainingWorkspace(int batchSize, ReadOnlySpan<int> lengths)
    {
        RefuseInCallbacks("TrainOnBatch");
        CheckBatchSize(batchSize);
        RequireCompiled();
        Enter();
        try
        {
            UseLengths(lengths);
            return TrainingWorkspaceFor(batchSize);
        }
        catch
        {
            Exit();
            throw;
        }
    }

    /// <summary>Ends the call that took a workspace.</summary>
    /// <param name="workspace">The workspace taken.</param>
    protected void ReleaseWorkspace(Workspace workspace) => Exit();

    /// <summary>Throws an <see cref="ArgumentException"/> unless a span holds exactly <paramref name="batchSize"/> samples.</summary>
    /// <param name="actual">The span's length.</param>
    /// <param name="batchSize">The batch size.</param>
    /// <param name="sampleSize">Floats per sample.</param>
    /// <param name="tensorName">The Keras name of the input or output.</param>
    /// <param name="parameterName">The method parameter's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 (checked first).</exception>
    /// <exception cref="ArgumentException">The span's length is not <paramref name="batchSize"/> × <paramref name="sampleSize"/>.</exception>
    protected static void CheckLength(int actual, int batchSize, int sampleSize, string tensorName, string parameterName)
    {
        CheckBatchSize(batchSize);
        long expected = (long)batchSize * sampleSize;
        if (actual != expected)
        {
            throw new ArgumentException(
                $"'{tensorName}' expects {sampleSize} values per sample, so {expected} values for a batch of {batchSize}; " +
                $"the span holds {actual}" + (actual % sampleSize == 0 ? $" ({actual / sampleSize} samples)." : "."),
                parameterName);
        }
    }

    /// <summary>The number of samples in a flat array; throws unless it holds a whole, non-zero number of them.</summary>
    /// <param name="values">The array.</param>
    /// <param name="sampleSize">Floats per sample.</param>
    /// <param name="tensorName">The Keras name of the input.</param>
    /// <param name="parameterName">The method parameter's name.</param>
    /// <returns>The number of samples.</returns>
    protected static int CountSamples(float[] values, int sampleSize, string tensorName, string parameterName)
    {
        if (values is null)
        {
            throw new ArgumentNullException(parameterName, $"Input '{tensorName}' is null.");
        }

        if (values.Length == 0 || values.Length % sampleSize != 0)
        {
            throw new ArgumentException(
                $"'{tensorName}' expects {sampleSize} values per sample, so a whole, non-zero multiple of {sampleSize}; the array holds {values.Length}.",
                parameterName);
        }

        return values.Length / sampleSize;
    }

    /// <summary>A new array for one output of <paramref name="samples"/> samples; generated array <c>Predict</c> calls this
    /// so that samples × output size can never wrap around.</summary>
    /// <param name="samples">The number of samples.</param>
    /// <param name="sampleSize">Floats per sample of the output.</param>
    /// <param name="tensorName">The Keras name of the output.</param>
    /// <param name="parameterName">The method parameter whose samples these are.</param>
    /// <returns>A zeroed array of samples × sampleSize floats.</returns>
    /// <exception cref="ArgumentException">The array would hold more than <see cref="Array.MaxLength"/> floats; the message
    /// says how many samples one call can take.</exception>
    protected float[] NewOutput(int samples, int sampleSize, string tensorName, string parameterName)
    {
        long floats = (long)samples * sampleSize;
        if (floats > Array.MaxLength)
        {
            throw new ArgumentException(
                $"Output '{tensorName}' of model '{Description.Name}' has {sampleSize} values per sample, so {floats} floats for the {samples} " +
                $"samples given: more than one .NET array holds ({Array.MaxLength}). Predict at most {Array.MaxLength / sampleSize} samples per " +
                "call, or call Predict with spans batch by batch.",
                parameterName);
        }

        return new float[floats];
    }

    /// <summary>Throws unless a flat array holds exactly <paramref name="samples"/> samples.</summary>
    /// <param name="samples">The number of samples of the first input.</param>
    /// <param name="values">The array.</param>
    /// <param name="sampleSize">Floats per sample.</param>
    /// <param name="tensorName">The Keras name of the input.</param>
    /// <param name="parameterName">The method parameter's name.</param>
    protected static void CheckSameSamples(int samples, float[] values, int sampleSize, string tensorName, string parameterName)
    {
        if (values is null)
        {
            throw new ArgumentNullException(parameterName, $"Input '{tensorName}' is null.");
        }

        if (values.Length != (long)samples * sampleSize)
        {
            throw new ArgumentException(
                $"'{tensorName}' must hold {samples} samples like the first input, so {(long)samples * sampleSize} values; the array holds {values.Length}.",
                parameterName);
        }
    }

    private static void CheckBatchSize(int batchSize)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        }
    }

    /// <summary>The number of batches of at most <paramref name="batchSize"/> in <paramref name="samples"/>, without the
    /// overflow of (samples + batchSize − 1) / batchSize when both are large.</summary>
    private static int BatchCount(int samples, int batchSize) => samples == 0 ? 0 : ((samples - 1) / batchSize) + 1;

    /// <summary>
    /// Makes the layout that of <paramref name="lengths"/> (the caller holds the guard): checks them, and when they
    /// changed, measures the tensors and re-arranges the targets. Allocates nothing.
    /// </summary>
    private void UseLengths(ReadOnlySpan<int> lengths)
    {
        var declared = Description.Lengths;
        if (lengths.Length != declared.Count)
        {
            throw new ArgumentException(declared.Count == 0
                ? $"Model '{Description.Name}' has no lengths given at run time, but {lengths.Length} were given."
                : $"Model '{Description.Name}' needs {declared.Count} run-time length(s) ({LengthList()}) but {lengths.Length} were given.",
                nameof(lengths));
        }

        if (declared.Count == 0 || (_layout.IsMeasured && lengths.SequenceEqual(_layout.Lengths)))
        {
            return;
        }

        for (int k = 0; k < lengths.Length; k++)
        {
            if (lengths[k] < 1)
            {
                LengthInfo info = declared[k];
                throw new ArgumentOutOfRangeException(info.Name, lengths[k],
                    $"'{info.Name}', the length of axis {info.Axis} of input '{Description.Inputs[info.Input].Name}', must be at least 1.");
            }
        }

        lengths.CopyTo(_layout.LengthArray);
        _layout.IsMeasured = false;
        try
        {
            Measure(_layout);
        }
        catch (OverflowException)
        {
            throw new ArgumentOutOfRangeException(nameof(lengths),
                $"The run-time lengths [{string.Join(", ", _layout.LengthArray)}] make a tensor of model '{Description.Name}' too large " +
                "to hold in one array; use shorter sequences or split them.");
        }

        _layout.IsMeasured = true;
        _compiled?.Arrange(_layout);
    }

    private string LengthList()
    {
        var names = new string[Description.Lengths.Count];
        for (int k = 0; k < names.Length; k++)
        {
            names[k] = Description.Lengths[k].Name;
        }

        return string.Join(", ", names);
    }

    /// <summary>The prediction workspace, grown to <paramref name="batchSize"/> and the current lengths; the caller holds the guard.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A buffer for the batch would exceed the largest .NET array.</exception>
    private Workspace PredictWorkspaceFor(int batchSize)
    {
        var current = _predictWorkspace;
        if (current is null || current.Capacity < batchSize || current.ActivationCapacity < _layout.PredictActivationSize ||
            current.ScratchCapacity < _layout.ScratchSize)
        {
            _predictWorkspace = current = NewWorkspace(current, batchSize, new(_layout.PredictActivationSize, _layout.ScratchSize, 0, 0),
                training: false, current?.RandomState ?? _randomSeed);
        }

        return current;
    }

    /// <summary>The training workspace, grown to <paramref name="batchSize"/> and the current lengths; the caller holds the guard.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A buffer for the batch would exceed the largest .NET array.</exception>
    private Workspace TrainingWorkspaceFor(int batchSize)
    {
        var compiled = RequireCompiled();
        var current = _trainingWorkspace;
        if (current is null || current.Capacity < batchSize || current.ActivationCapacity < _layout.ActivationSize ||
            current.GradientCapacity < _layout.PredictActivationSize ||
            current.ScratchCapacity < _layout.ScratchSize || current.TargetCapacity < compiled.TargetSize)
        {
            // The gradients use the prediction layout (see Workspace).
            _trainingWorkspace = current = NewWorkspace(current, batchSize,
                new(_layout.ActivationSize, _layout.ScratchSize, _layout.PredictActivationSize, compiled.TargetSize),
                training: true, current?.RandomState ?? _restoredRandomState ?? _randomSeed);
        }

        return current;
    }

    /// <summary>Floats per sample of each buffer of a workspace.</summary>
    private readonly record struct WorkspaceSizes(int Activations, int Scratch, int Gradients, int Targets)
    {
        public static WorkspaceSizes Of(Workspace workspace)
            => new(workspace.ActivationCapacity, workspace.ScratchCapacity, workspace.GradientCapacity, workspace.TargetCapacity);

        public WorkspaceSizes Max(WorkspaceSizes other) => new(Math.Max(Activations, other.Activations), Math.Max(Scratch, other.Scratch),
            Math.Max(Gradients, other.Gradients), Math.Max(Targets, other.Targets));

        /// <summary>The buffer with the most floats per sample (they all hold the same number of samples).</summary>
        public (string Name, int PerSample) Largest
        {
            get
            {
                var largest = ("activations", Activations);
                largest = Scratch > largest.Item2 ? ("scratch space", Scratch) : largest;
                largest = Gradients > largest.Item2 ? ("gradients", Gradients) : largest;
                return Targets > largest.Item2 ? ("targets", Targets) : largest;
            }
        }

        public long Total => (long)Activations + Scratch + Gradients + Targets;

        public bool Holds(int capacity) => (long)Largest.PerSample * capacity <= Array.MaxLength;
    }

    /// <summary>
    /// A workspace replacing <paramref name="current"/> (if any) for a batch of <paramref name="batchSize"/> with the
    /// current layout's <paramref name="sizes"/>: large enough for both the calls the old one served and this one, so
    /// that alternating calls do not reallocate, unless one array cannot hold that; then sized for this call alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Even for this call alone a buffer would exceed the largest .NET
    /// array; the message names the model, the batch, the floats needed and the largest batch size that fits.</exception>
    private Workspace NewWorkspace(Workspace? current, int batchSize, WorkspaceSizes sizes, bool training, ulong randomState)
    {
        int capacity = batchSize;
        if (current is not null)
        {
            var grown = sizes.Max(WorkspaceSizes.Of(current));
            int grownCapacity = Math.Max(batchSize, current.Capacity);
            if (grown.Holds(grownCapacity))
            {
                (sizes, capacity) = (grown, grownCapacity);
            }
        }

        if (!sizes.Holds(capacity))
        {
            throw WorkspaceTooLarge(batchSize, sizes);
        }

        return new Workspace(Description, capacity, sizes.Activations, sizes.Scratch, training, sizes.Targets, _layout.LengthArray, randomState,
            sizes.Gradients) { Trainability = Trainability };
    }

    /// <summary>
    /// Why a batch cannot have a workspace: a .NET array holds at most <see cref="Array.MaxLength"/> elements, whatever
    /// the memory. An <see cref="ArgumentOutOfRangeException"/> on the batch size, not an <see cref="OutOfMemoryException"/>:
    /// the request can never succeed, on any machine, and a smaller batch (named in the message) always can.
    /// </summary>
    private ArgumentOutOfRangeException WorkspaceTooLarge(int batchSize, WorkspaceSizes sizes)
    {
        var (buffer, perSample) = sizes.Largest;
        int largest = Array.MaxLength / perSample;
        var given = new string[Description.Lengths.Count];
        for (int k = 0; k < given.Length; k++)
        {
            given[k] = $"{Description.Lengths[k].Name} = {_layout.LengthArray[k]}";
        }

        string lengths = given.Length > 0 ? $" with run-time lengths {string.Join(", ", given)}" : string.Empty;
        string message =
            $"{GetType().Name} (model '{Description.Name}') cannot make a workspace for a batch of {batchSize} sample{(batchSize == 1 ? string.Empty : "s")}{lengths}: its " +
            $"{buffer} would need {(long)perSample * batchSize} floats ({perSample} per sample), more than one .NET array holds " +
            $"({Array.MaxLength} floats)" +
            (sizes.Total > perSample ? $"; in all, its per-sample buffers would take {sizes.Total * batchSize} floats. " : ". ") +
            (largest > 0
                ? $"The largest batch size that fits is {largest}."
                : "Not even one sample fits: use shorter run-time lengths.");
        return largest > 0
            ? new ArgumentOutOfRangeException(nameof(batchSize), batchSize, message)
            : new ArgumentOutOfRangeException("lengths", message);
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>Set while <c>Fit</c>'s callbacks run, with the guard released to them.</summary>
    private bool _inCallbacks;

    /// <summary>Set when another call took the guard while callbacks ran: that call owns it now.</summary>
    private bool _guardLost;

    /// <summary>Whether <c>Fit</c>
    /// should stop after the current step (Keras's <c>model.stop_training</c>): callbacks set it (EarlyStopping); Fit
    /// clears it when it starts.</summary>
    public bool StopTraining { get; set; }

    /// <summary>The History of the last <c>Fit</c> (Keras's <c>model.history</c>), filled as its epochs end: what an
    /// interrupted Fit (an exception from a callback) had recorded. Null before the first Fit.</summary>
    public History? History { get; private set; }

    /// <summary>The epoch a callback asks the running Fit to resume after (BackupAndRestore, in OnTrainBegin).</summary>
    internal int? ResumeEpoch { get; set; }

    /// <summary>Hands the guard to Fit's callbacks, so that they may use the model.</summary>
    internal void LeaveForCallbacks()
    {
        _inCallbacks = true;
        Exit();
    }

    /// <summary>Takes the guard back after the callbacks.</summary>
    /// <exception cref="InvalidOperationException">Another thread started a call on the model while they ran.</exception>
    internal void ReturnFromCallbacks()
    {
        _inCallbacks = false;
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            _guardLost = true;
            throw new InvalidOperationException(
                $"Another call started on this {GetType().Name} while Fit's callbacks ran; Fit stopped. An instance runs one call at a time.");
        }
    }

    private void ExitUnlessLost()
    {
        if (_guardLost)
        {
            _guardLost = false;
            return;
        }

        Exit();
    }

    /// <summary>Throws when a training call comes from one of Fit's callbacks.</summary>
    private void RefuseInCallbacks(string what)
    {
        if (_inCallbacks)
        {
            throw new InvalidOperationException(
                $"{what} cannot run from a callback of Fit, which is training this {GetType().Name}: set StopTraining and call it after Fit returns.");
        }
    }

    private void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException(
                $"This {GetType().Name} instance is already running a call (Predict, TrainOnBatch, Fit or Evaluate), " +
                "probably on another thread. An instance runs one call at a time; give each thread its own instance.");
        }
    }
}
