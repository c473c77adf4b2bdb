namespace Unrolled;

public static partial class Layers
{
    /// <summary>
    /// Normalises each sample over the last axis, as Keras's <c>LayerNormalization</c>: y = (x − mean) / sqrt(variance
    /// + epsilon) · gamma + beta, the mean and (biased) variance taken over the normalised axes of each sample, gamma
    /// (ones) and beta (zeros) spanning those axes.
    /// </summary>
    /// <param name="axis">The axis to normalise over: -1 (the last, Keras's default), or a positive axis counting the
    /// batch axis as 0.</param>
    /// <param name="epsilon">Added to the variance (Keras's default 0.001).</param>
    /// <param name="center">Whether there is a beta (offset).</param>
    /// <param name="scale">Whether there is a gamma (scale).</param>
    /// <param name="rmsScaling">Keras's <c>rms_scaling</c> (deprecated in Keras 3.11): divide by sqrt(variance +
    /// epsilon) without subtracting the mean, always with gamma and never with beta. As in Keras, the variance is still
    /// the centred one, so this is not RMS normalisation.</param>
    /// <param name="name">The layer's name (<c>layer_normalization</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer LayerNormalization(int axis = -1, double epsilon = 0.001, bool center = true, bool scale = true, bool rmsScaling = false,
        string? name = null)
        => throw BuilderOnlyException.For(nameof(LayerNormalization));

    /// <summary>
    /// Normalises each sample over several adjacent axes (<c>axis: [-2, -1]</c>), as Keras's <c>LayerNormalization</c>
    /// with a list of axes; gamma and beta have the shape of those axes.
    /// </summary>
    /// <param name="axis">The adjacent axes to normalise over, counting the batch axis as 0 (or from the end, -1 the last).</param>
    /// <param name="epsilon">Added to the variance (Keras's default 0.001).</param>
    /// <param name="center">Whether there is a beta (offset).</param>
    /// <param name="scale">Whether there is a gamma (scale).</param>
    /// <param name="rmsScaling">Keras's <c>rms_scaling</c>; see the overload above.</param>
    /// <param name="name">The layer's name (<c>layer_normalization</c>, … by default).</param>
    /// <returns>A layer to apply to a tensor.</returns>
    public static Layer LayerNormalization(int[] axis, double epsilon = 0.001, bool center = true, bool scale = true, bool rmsScaling = false,
        string? name = null)
        => throw BuilderOnlyException.For(nameof(LayerNormalization));
}
