using System;

namespace Unrolled;

/// <summary>
/// The buffers one forward / backward pass works in, sized for up to <see cref="Capacity"/> samples of up to
/// <see cref="ActivationCapacity"/> floats each. Every tensor of the graph has a region at a per-sample offset chosen by
/// the generator (a constant, or for a model with run-time lengths an expression in <see cref="Lengths"/>), so a pass
/// allocates nothing. Generated code uses it; users normally never see it.
/// </summary>
public sealed class Workspace
{
    private readonly int[] _lengths;
    private ulong _randomState;

    internal Workspace(ModelDescription description, int capacity, int activationSize, int scratchSize, bool training, int targetSize, int[] lengths,
        ulong randomState, int gradientSize = 0)
    {
        GradientCapacity = training ? gradientSize : 0;
        _randomState = randomState;
        Capacity = capacity;
        ActivationCapacity = activationSize;
        ScratchCapacity = scratchSize;
        TargetCapacity = targetSize;
        _lengths = lengths;
        Activations = new float[checked(activationSize * capacity)];
        Scratch = new float[Math.Max(checked(scratchSize * capacity), description.FixedScratchSize)];
        if (training)
        {
            // The gradients are laid out by reuse (regions reused once their backward step has run).
            Gradients = new float[checked(gradientSize * capacity)];
            ParameterGradients = new float[description.ParameterCount];
            Targets = new float[checked(targetSize * capacity)];
        }
        else
        {
            Gradients = Array.Empty<float>();
            ParameterGradients = Array.Empty<float>();
            Targets = Array.Empty<float>();
        }

        OutputGradientIsPreActivation = new bool[description.Outputs.Count];
        IsTraining = training;
    }

    /// <summary>The owning model's trainable layers, shared by reference (null: every layer trains).</summary>
    internal TrainableState? Trainability { get; init; }

    /// <summary>Whether the layer in <paramref name="slot"/> trains now (one slot per layer with weights, in the order of
    /// <see cref="ModelDescription.Weights"/>): the generated passes skip a frozen layer's weight gradients and run a frozen
    /// BatchNormalization in inference mode.</summary>
    /// <param name="slot">The layer's slot.</param>
    /// <returns>Whether it trains.</returns>
    public bool Trains(int slot) => Trainability is not { } state || state.Slots[slot];

    /// <summary>
    /// The row set of the embedding table at <paramref name="offset"/> in the weight buffer while this training step
    /// updates only the rows its ids name (see <see cref="Kernels.RowSet"/>); null when the step clears, checks and
    /// updates the whole table. The generated backward pass hands it to the table's gradient kernel.
    /// </summary>
    /// <param name="offset">Where the table starts in the weight buffer.</param>
    /// <returns>The table's row set, or null.</returns>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Kernels.RowSet? TouchedRows(int offset)
    {
        if (TracksRows)
        {
            foreach (var rows in RowSets)
            {
                if (rows.Offset == offset)
                {
                    return rows;
                }
            }
        }

        return null;
    }

    /// <summary>One row set per embedding table whose rows a training step may track (made by the first such step).</summary>
    internal Kernels.RowSet[] RowSets { get; set; } = [];

    /// <summary>
    /// Whether training steps record the rows of <see cref="RowSets"/>' tables: set by a step that does, cleared by one
    /// that does not (which writes the tables without recording). While it is set, the tables' gradient is zero outside
    /// the rows the sets hold; while it is not, the next step that records rows clears the tables whole.
    /// </summary>
    internal bool TracksRows { get; set; }

    /// <summary>Whether the backward pass computes the gradient of generated node <paramref name="node"/> now: false below
    /// the lowest layer that trains.</summary>
    /// <param name="node">The generated node number.</param>
    /// <returns>Whether its gradient is needed.</returns>
    public bool NeedsGradient(int node) => Trainability is not { Needs: { Length: > 0 } needs } || needs[node];

    /// <summary>Whether the running forward pass adds the layers' activity regularization (Keras's
    /// <c>activity_regularizer</c>) to <see cref="ActivityLoss"/>: set by the training step and the evaluation, not by
    /// Predict.</summary>
    public bool MeasuresActivity { get; set; }

    /// <summary>The activity regularization the forward pass measured: Σ over regularized layers of
    /// (l1·Σ|y| + l2·Σy²) / batch, added to the loss as Keras adds <c>model.losses</c>.</summary>
    public double ActivityLoss { get; set; }

    /// <summary>Whether the running forward pass is a training step's (Dropout drops, BatchNormalization uses the batch's
    /// statistics); set by the generated forward pass.</summary>
    public bool TrainingPass { get; set; }

    /// <summary>The state of <see cref="NextRandomSeed"/>, carried into a workspace that replaces this one.</summary>
    internal ulong RandomState => _randomState;

    /// <summary>Sets the state of <see cref="NextRandomSeed"/> (a weights file restoring a training run).</summary>
    /// <param name="state">The state to continue from.</param>
    internal void RestoreRandomState(ulong state) => _randomState = state;

    /// <summary>
    /// A new seed for one layer's random mask in one training step (Dropout), from a sequence that starts at the model's
    /// seed: the same seed and data give the same training on every machine.
    /// </summary>
    /// <returns>The seed.</returns>
    public ulong NextRandomSeed()
    {
        // splitmix64: consecutive states give well-mixed, distinct seeds.
        ulong z = _randomState += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The most gradient floats per sample this workspace holds (0 for a prediction workspace).</summary>
    public int GradientCapacity { get; }

    /// <summary>The largest batch this workspace holds.</summary>
    public int Capacity { get; }

    /// <summary>The most activation floats per sample this workspace holds (the longest run-time lengths it was sized for).</summary>
    public int ActivationCapacity { get; }

    /// <summary>The most scratch floats per sample this workspace holds.</summary>
    public int ScratchCapacity { get; }

    /// <summary>The most target floats per sample this workspace holds.</summary>
    internal int TargetCapacity { get; }

    /// <summary>The run-time lengths of the current call (see <see cref="ModelDescription.Lengths"/>); empty for a model
    /// whose shapes are all fixed.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;

    /// <summary>Whether the gradient buffers exist.</summary>
    public bool IsTraining { get; }

    /// <summary>Every tensor's values (inputs, intermediates, outputs).</summary>
    internal float[] Activations { get; }

    /// <summary>The loss's gradient with respect to every tensor.</summary>
    internal float[] Gradients { get; }

    /// <summary>The loss's gradient with respect to every weight, laid out as the weights.</summary>
    public float[] ParameterGradients { get; }

    /// <summary>Temporary space for kernels (transposes), per sample.</summary>
    internal float[] Scratch { get; }

    /// <summary>The targets of the current batch, laid out by the compiled losses.</summary>
    internal float[] Targets { get; }

    /// <summary>
    /// Per output: true when the loss has written the gradient with respect to the output layer's pre-activation
    /// (softmax or sigmoid fused with cross-entropy), so the generated backward pass skips that activation's derivative.
    /// </summary>
    public bool[] OutputGradientIsPreActivation { get; }

    /// <summary>The values of the tensor at <paramref name="offset"/> (floats per sample), first <paramref name="length"/> floats.</summary>
    /// <param name="offset">The tensor's per-sample offset.</param>
    /// <param name="length">The number of floats (batch size times the tensor's per-sample size).</param>
    /// <returns>A span over the tensor's values.</returns>
    public Span<float> Values(int offset, int length) => new(Activations, offset * Capacity, length);

    /// <summary>The gradient of the tensor at <paramref name="offset"/>; see <see cref="Values"/>.</summary>
    /// <param name="offset">The tensor's per-sample offset.</param>
    /// <param name="length">The number of floats.</param>
    /// <returns>A span over the tensor's gradient.</returns>
    public Span<float> Gradient(int offset, int length) => new(Gradients, offset * Capacity, length);

    /// <summary>The whole scratch buffer, for a kernel whose working space does not grow with the batch (at least
    /// <see cref="ModelDescription.FixedScratchSize"/> floats).</summary>
    public Span<float> FixedScratch => Scratch;

    /// <summary>Scratch space at <paramref name="offset"/> (floats per sample).</summary>
    /// <param name="offset">The per-sample offset in the scratch buffer.</param>
    /// <param name="length">The number of floats.</param>
    /// <returns>A span over scratch space.</returns>
    public Span<float> ScratchSpace(int offset, int length) => new(Scratch, offset * Capacity, length);
}
