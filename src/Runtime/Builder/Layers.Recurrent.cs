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
    /// <param name="name">The layer's name (<c>lstm</c>, … by default).</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer LSTM(int units, bool returnSequences = false, bool useBias = true, bool unitForgetBias = true, bool returnState = false,
        string? name = null)
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
    /// <param name="name">The layer's name (<c>gru</c>, … by default).</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer GRU(int units, bool returnSequences = false, bool resetAfter = true, bool useBias = true, bool returnState = false,
        string? name = null)
        => throw BuilderOnlyException.For(nameof(GRU));

    /// <summary>
    /// A fully connected recurrent layer, as Keras's <c>SimpleRNN</c>: h = tanh(x · kernel + h · recurrent kernel + bias).
    /// </summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="returnSequences">Give the output of every step instead of the last.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="returnState">Also give the last state: <c>var (output, state) = SimpleRNN(64, returnState: true)(x);</c></param>
    /// <param name="name">The layer's name (<c>simple_rnn</c>, … by default).</param>
    /// <returns>A layer to apply to a sequence tensor.</returns>
    public static Layer SimpleRNN(int units, bool returnSequences = false, bool useBias = true, bool returnState = false, string? name = null)
        => throw BuilderOnlyException.For(nameof(SimpleRNN));

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
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer BatchNormalization(double momentum = 0.99, double epsilon = 0.001, bool center = true, bool scale = true, string? name = null)
        => throw BuilderOnlyException.For(nameof(BatchNormalization));
}
