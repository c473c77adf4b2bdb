using System.Collections.Generic;
using Unrolled.Onnx;

namespace Unrolled;

public static partial class Layers
{
    /// <summary>
    /// A long short-term memory layer over (None, steps, features), as Keras's <c>LSTM</c>: tanh activation, sigmoid
    /// gates in Keras's order (input, forget, cell, output), kernel [features, 4 · units] (glorot-uniform), recurrent
    /// kernel [units, 4 · units] (orthogonal), bias [4 · units] (zeros, the forget gate's quarter ones).
    /// </summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="returnSequences">Give the output of every step, (None, steps, units), instead of the last, (None, units).</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="unitForgetBias">Start the forget gate's bias at 1, as Keras does by default.</param>
    /// <param name="returnState">Also give the last hidden and cell states, as Keras's <c>return_state=True</c>:
    /// <c>var (output, stateH, stateC) = LSTM(64, returnState: true)(x);</c></param>
    /// <param name="goBackwards">Process the steps from the last to the first, as Keras's <c>go_backwards=True</c>; the
    /// output sequence is then in that order (reversed).</param>
    /// <param name="stateful">Keras's <c>stateful</c>: not in Unrolled, whose models keep no state between calls (each
    /// prediction is a function of its inputs alone, so one model serves several threads). Stream a sequence chunk by chunk
    /// by returning the states and passing them back as the next chunk's <c>initialState</c> (docs/streaming.md).</param>
    /// <param name="dropout">Keras's <c>dropout</c>: while training, the fraction of the input's features zeroed (the rest
    /// scaled by 1 / (1 − dropout)), with one mask per sample shared by every step, as Keras draws it; in [0, 1).</param>
    /// <param name="recurrentDropout">Keras's <c>recurrent_dropout</c>: while training, the fraction of the state zeroed (the
    /// rest scaled by 1 / (1 − recurrentDropout)) before each gate's recurrent product, with one mask per sample and gate
    /// shared by every step, as Keras draws them (LSTM then also draws <paramref name="dropout"/>'s mask per gate, as Keras's implementation 1 does); in [0, 1).</param>
    /// <param name="name">The layer's name (<c>lstm</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="recurrentInitializer">Keras's <c>recurrent_initializer</c> by name; null for <c>"orthogonal"</c>.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="recurrentRegularizer">Keras's <c>recurrent_regularizer</c>, or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="recurrentConstraint">Keras's <c>recurrent_constraint</c>, or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <returns>A layer to apply to a sequence tensor, optionally from a given state:
    /// <c>LSTM(64)(decoderInputs, initialState: [stateH, stateC])</c>.</returns>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    public static Layer LSTM(int units, bool returnSequences = false, bool useBias = true, bool unitForgetBias = true, bool returnState = false,
        bool goBackwards = false, bool stateful = false, double dropout = 0.0, double recurrentDropout = 0.0, string? name = null, bool trainable = true, string? kernelInitializer = null, string? recurrentInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? recurrentConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(LSTM));

    /// <summary>
    /// A gated recurrent unit layer over (None, steps, features), as Keras's <c>GRU</c>: gates in Keras's order
    /// (update, reset, candidate), kernel [features, 3 · units], recurrent kernel [units, 3 · units], bias [2, 3 · units]
    /// with <paramref name="resetAfter"/> (Keras's default, cuDNN-compatible) or [3 · units] without.
    /// </summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="returnSequences">Give the output of every step instead of the last.</param>
    /// <param name="resetAfter">Apply the reset gate after the recurrent matrix product (Keras's default).</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="returnState">Also give the last state: <c>var (output, state) = GRU(64, returnState: true)(x);</c></param>
    /// <param name="goBackwards">Process the steps from the last to the first, as Keras's <c>go_backwards=True</c>; the
    /// output sequence is then in that order (reversed).</param>
    /// <param name="stateful">Keras's <c>stateful</c>: not in Unrolled, whose models keep no state between calls (each
    /// prediction is a function of its inputs alone, so one model serves several threads). Stream a sequence chunk by chunk
    /// by returning the states and passing them back as the next chunk's <c>initialState</c> (docs/streaming.md).</param>
    /// <param name="dropout">Keras's <c>dropout</c>: while training, the fraction of the input's features zeroed (the rest
    /// scaled by 1 / (1 − dropout)), with one mask per sample shared by every step, as Keras draws it; in [0, 1).</param>
    /// <param name="recurrentDropout">Keras's <c>recurrent_dropout</c>: while training, the fraction of the state zeroed (the
    /// rest scaled by 1 / (1 − recurrentDropout)) before each gate's recurrent product, with one mask per sample and gate
    /// shared by every step, as Keras draws them (GRU then also draws <paramref name="dropout"/>'s mask per gate, as Keras's implementation 1 does; the update z ⊙ h keeps the undropped state); in [0, 1).</param>
    /// <param name="name">The layer's name (<c>gru</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="recurrentInitializer">Keras's <c>recurrent_initializer</c> by name; null for <c>"orthogonal"</c>.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="recurrentRegularizer">Keras's <c>recurrent_regularizer</c>, or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="recurrentConstraint">Keras's <c>recurrent_constraint</c>, or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a sequence tensor, optionally from a given state: <c>GRU(64)(x, initialState: [state])</c>.</returns>
    public static Layer GRU(int units, bool returnSequences = false, bool resetAfter = true, bool useBias = true, bool returnState = false,
        bool goBackwards = false, bool stateful = false, double dropout = 0.0, double recurrentDropout = 0.0, string? name = null, bool trainable = true, string? kernelInitializer = null, string? recurrentInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? recurrentConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(GRU));

    /// <summary>
    /// A fully connected recurrent layer, as Keras's <c>SimpleRNN</c>: h = tanh(x · kernel + h · recurrent kernel + bias).
    /// </summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="returnSequences">Give the output of every step instead of the last.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="returnState">Also give the last state: <c>var (output, state) = SimpleRNN(64, returnState: true)(x);</c></param>
    /// <param name="goBackwards">Process the steps from the last to the first, as Keras's <c>go_backwards=True</c>; the
    /// output sequence is then in that order (reversed).</param>
    /// <param name="stateful">Keras's <c>stateful</c>: not in Unrolled, whose models keep no state between calls (each
    /// prediction is a function of its inputs alone, so one model serves several threads). Stream a sequence chunk by chunk
    /// by returning the states and passing them back as the next chunk's <c>initialState</c> (docs/streaming.md).</param>
    /// <param name="dropout">Keras's <c>dropout</c>: while training, the fraction of the input's features zeroed (the rest
    /// scaled by 1 / (1 − dropout)), with one mask per sample shared by every step, as Keras draws it; in [0, 1).</param>
    /// <param name="recurrentDropout">Keras's <c>recurrent_dropout</c>: while training, the fraction of the state zeroed (the
    /// rest scaled by 1 / (1 − recurrentDropout)) before each gate's recurrent product, with one mask per sample and gate
    /// shared by every step, as Keras draws them; in [0, 1).</param>
    /// <param name="name">The layer's name (<c>simple_rnn</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <param name="kernelInitializer">Keras's <c>kernel_initializer</c> by name (<c>"he_normal"</c>, <c>"glorot_uniform"</c>, <c>"orthogonal"</c>, …); null for the layer's default.</param>
    /// <param name="recurrentInitializer">Keras's <c>recurrent_initializer</c> by name; null for <c>"orthogonal"</c>.</param>
    /// <param name="biasInitializer">Keras's <c>bias_initializer</c> by name; null for the layer's default.</param>
    /// <param name="kernelRegularizer">Keras's <c>kernel_regularizer</c>: a penalty on the kernel added to the loss (<c>Regularizers.L2(1e-4)</c>), or null.</param>
    /// <param name="recurrentRegularizer">Keras's <c>recurrent_regularizer</c>, or null.</param>
    /// <param name="biasRegularizer">Keras's <c>bias_regularizer</c>, or null.</param>
    /// <param name="kernelConstraint">Keras's <c>kernel_constraint</c>, applied after every update (<c>Constraints.MaxNorm(3)</c>), or null.</param>
    /// <param name="recurrentConstraint">Keras's <c>recurrent_constraint</c>, or null.</param>
    /// <param name="biasConstraint">Keras's <c>bias_constraint</c>, or null.</param>
    /// <param name="activityRegularizer">Keras's <c>activity_regularizer</c>: a penalty on the layer's output added to the loss, divided by the batch size (<c>Regularizers.L1(1e-5)</c>), or null.</param>
    /// <returns>A layer to apply to a sequence tensor, optionally from a given state: <c>SimpleRNN(64)(x, initialState: [state])</c>.</returns>
    public static Layer SimpleRNN(int units, bool returnSequences = false, bool useBias = true, bool returnState = false, bool goBackwards = false,
        bool stateful = false, double dropout = 0.0, double recurrentDropout = 0.0, string? name = null, bool trainable = true, string? kernelInitializer = null, string? recurrentInitializer = null, string? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null, Constraint? kernelConstraint = null, Constraint? recurrentConstraint = null, Constraint? biasConstraint = null, Regularizer? activityRegularizer = null)
        => throw BuilderOnlyException.For(nameof(SimpleRNN));

    /// <summary>
    /// Runs a recurrent layer over the sequence both ways, as Keras's <c>Bidirectional</c>: a copy of
    /// <paramref name="layer"/> named <c>forward_&lt;name&gt;</c> forwards and one named <c>backward_&lt;name&gt;</c>
    /// backwards (or <paramref name="backwardLayer"/>), each with weights of its own; the backward sequence is flipped
    /// back to the input's order and the two are merged. The layer passed in is only a template and is never applied.
    /// With the layer's <c>returnState</c>, the forward states then the backward ones follow the output:
    /// <c>var (output, forwardH, forwardC, backwardH, backwardC) = Bidirectional(LSTM(32, returnState: true))(x);</c>
    /// A call's <c>initialState</c> is split in halves, the forward layer's then the backward layer's.
    /// </summary>
    /// <param name="layer">An <see cref="LSTM"/>, <see cref="GRU"/> or <see cref="SimpleRNN"/> that does not go backwards.</param>
    /// <param name="mergeMode"><c>"concat"</c> (Keras's default: the features side by side), <c>"sum"</c>, <c>"mul"</c>,
    /// <c>"ave"</c>, or null for both outputs: <c>var (forward, backward) = Bidirectional(GRU(8), mergeMode: null)(x);</c></param>
    /// <param name="backwardLayer">The backward direction, if not a copy of <paramref name="layer"/>: a recurrent layer
    /// that goes backwards, with the same <c>returnSequences</c> and <c>returnState</c>.</param>
    /// <param name="name">The wrapper's name (<c>bidirectional</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer Bidirectional(Layer layer, string? mergeMode = "concat", Layer? backwardLayer = null, string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(Bidirectional));

    /// <summary>
    /// Randomly zeroes a fraction of the values while training and scales the rest by 1 / (1 − rate), as Keras's
    /// <c>Dropout</c>; the identity when predicting. The masks are drawn from the model's seed, so training is repeatable.
    /// </summary>
    /// <param name="rate">The fraction to drop, in [0, 1).</param>
    /// <param name="name">The layer's name (<c>dropout</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer Dropout(double rate, string? name = null) => throw BuilderOnlyException.For(nameof(Dropout));

    /// <summary>
    /// Normalises each channel (the last axis) over the batch while training and with moving statistics when predicting,
    /// as Keras's <c>BatchNormalization</c>: gamma and beta are trained; the moving mean and variance are
    /// non-trainable parameters, updated as moving · momentum + batch · (1 − momentum).
    /// </summary>
    /// <param name="momentum">The moving statistics' momentum.</param>
    /// <param name="epsilon">Added to the variance.</param>
    /// <param name="center">Whether there is a beta (offset).</param>
    /// <param name="scale">Whether there is a gamma (scale).</param>
    /// <param name="name">The layer's name (<c>batch_normalization</c>, … by default).</param>
    /// <param name="trainable">Keras's <c>trainable</c>: false starts the layer frozen (no weight updates; a BatchNormalization in inference mode); <c>GetLayer(name).Trainable</c> changes it at run time.</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer BatchNormalization(double momentum = 0.99, double epsilon = 0.001, bool center = true, bool scale = true, string? name = null, bool trainable = true)
        => throw BuilderOnlyException.For(nameof(BatchNormalization));
}

/// <summary>The settings of a recurrent layer: <see cref="Layers.LSTM"/>, <see cref="Layers.GRU"/>,
/// <see cref="Layers.SimpleRNN"/>.</summary>
/// <param name="Units">The size of the state and of the output.</param>
/// <param name="Activation">Keras's name of the activation: <c>tanh</c>.</param>
/// <param name="UseBias">Whether the layer has a bias.</param>
/// <param name="ReturnSequences">Whether the output of every step is given, not only the last.</param>
/// <param name="ReturnState">Whether the last states are given too.</param>
/// <param name="RecurrentActivation">For LSTM and GRU, Keras's name of the gates' activation (<c>sigmoid</c>); null
/// for SimpleRNN.</param>
/// <param name="UnitForgetBias">For LSTM, whether the forget gate's bias starts at one; null for the others.</param>
/// <param name="ResetAfter">For GRU, whether the reset gate applies after the recurrent product (Keras's default);
/// null for the others.</param>
/// <param name="GoBackwards">Whether the steps run from the last to the first (Keras's <c>go_backwards</c>).</param>
/// <param name="Dropout">Keras's <c>dropout</c> on the inputs while training (listed when not 0).</param>
/// <param name="RecurrentDropout">Keras's <c>recurrent_dropout</c> on the state while training (listed when not 0).</param>
/// <param name="ZeroOutputForMask">Keras's <c>zero_output_for_mask</c>, which Bidirectional sets on its copies when they
/// return sequences: a masked step outputs zeros instead of the carried state (listed when set).</param>
public sealed record RecurrentSettings(int Units, string Activation, bool UseBias, bool ReturnSequences, bool ReturnState,
    string? RecurrentActivation = null, bool? UnitForgetBias = null, bool? ResetAfter = null, bool GoBackwards = false, double Dropout = 0,
    double RecurrentDropout = 0, bool ZeroOutputForMask = false) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind switch
    {
        GraphNodeKind.LSTM => RecurrentActivation is not null && UnitForgetBias is not null && ResetAfter is null,
        GraphNodeKind.GRU => RecurrentActivation is not null && UnitForgetBias is null && ResetAfter is not null,
        GraphNodeKind.SimpleRNN => RecurrentActivation is null && UnitForgetBias is null && ResetAfter is null,
        _ => false,
    };

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.Recurrent(node, this, x[0], x[1..]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("units", Units);
        yield return new("activation", Activation);
        if (RecurrentActivation is not null)
        {
            yield return new("recurrent_activation", RecurrentActivation);
        }

        yield return new("use_bias", UseBias);
        yield return new("return_sequences", ReturnSequences);
        yield return new("return_state", ReturnState);
        yield return new("go_backwards", GoBackwards);
        if (UnitForgetBias is bool unitForgetBias)
        {
            yield return new("unit_forget_bias", unitForgetBias);
        }

        if (ResetAfter is bool resetAfter)
        {
            yield return new("reset_after", resetAfter);
        }

        if (Dropout != 0)
        {
            yield return new("dropout", Dropout);
        }

        if (RecurrentDropout != 0)
        {
            yield return new("recurrent_dropout", RecurrentDropout);
        }

        if (ZeroOutputForMask)
        {
            yield return new("zero_output_for_mask", ZeroOutputForMask);
        }
    }
}

/// <summary>The settings of the step that takes one state out of a recurrent layer called with
/// <c>returnState: true</c>.</summary>
/// <param name="Index">Which of the layer's results: 1 for the hidden state, 2 for LSTM's cell state.</param>
public sealed record RecurrentStateSettings(int Index) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.RecurrentState;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.RecurrentState(node, this);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("index", Index);
    }
}

/// <summary>The settings of a <see cref="Layers.Dropout"/> layer.</summary>
/// <param name="Rate">The fraction of inputs dropped while training.</param>
public sealed record DropoutSettings(double Rate) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Dropout;

    // Dropout is the identity when predicting.
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => x[0];

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("rate", Rate);
    }
}

/// <summary>The settings of a <see cref="Layers.BatchNormalization"/> layer.</summary>
/// <param name="Axis">The normalised (channel) axis: -1, the last.</param>
/// <param name="Momentum">The moving statistics' momentum.</param>
/// <param name="Epsilon">Added to the variance.</param>
/// <param name="Center">Whether there is a beta (offset).</param>
/// <param name="Scale">Whether there is a gamma (scale).</param>
public sealed record BatchNormalizationSettings(int Axis, double Momentum, double Epsilon, bool Center, bool Scale) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.BatchNormalization;

    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x) => onnx.BatchNormalization(node, this, x[0]);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("axis", Axis);
        yield return new("momentum", Momentum);
        yield return new("epsilon", Epsilon);
        yield return new("center", Center);
        yield return new("scale", Scale);
    }
}

/// <summary>The settings of a <c>Flip</c> node: <c>Bidirectional</c>'s backward sequence put back in the input's order
/// (Keras's <c>ops.flip</c>).</summary>
/// <param name="Axis">The reversed axis, counting the batch axis as 0.</param>
public sealed record FlipSettings(int Axis) : LayerSettings
{
    /// <inheritdoc/>
    public override bool Describes(GraphNodeKind kind) => kind == GraphNodeKind.Flip;

    /// <summary>ONNX's Slice along the axis from the last element to before the first, step −1.</summary>
    internal override string ExportOnnx(OnnxExporter onnx, GraphNode node, string[] x)
        => onnx.Op("Slice", new[] { x[0], onnx.Int64s(-1), onnx.Int64s(long.MinValue), onnx.Int64s(Axis), onnx.Int64s(-1) }, null);

    private protected override IEnumerable<LayerSetting> Keras()
    {
        yield return new("axis", Axis);
    }
}
