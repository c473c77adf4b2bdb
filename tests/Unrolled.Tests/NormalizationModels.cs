using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>LayerNormalization as transformers use it: over the last axis, after a Dense layer, with Keras's defaults.</summary>
public partial class LayerNormLast
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6]);
        var h = LayerNormalization()(Dense(8, Activation.Tanh)(x));
        return new Model(x, Dense(3)(h));
    }
}

/// <summary>
/// Every form of LayerNormalization's settings over a sequence: two trailing axes (gamma and beta of shape (5, 8)), an
/// axis followed by another (each channel normalised over the steps), no beta, no gamma, and Keras's rms_scaling.
/// </summary>
public partial class LayerNormForms
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 8]);
        var h = Dense(8)(x);
        h = LayerNormalization(axis: [-2, -1])(h);
        h = LayerNormalization(axis: 1, center: false)(h);
        h = LayerNormalization(scale: false, epsilon: 0.01)(h);
        h = LayerNormalization(rmsScaling: true)(h);
        return new Model(x, Dense(2)(GlobalAveragePooling1D()(h)));
    }
}

/// <summary>LayerNormalization over sequences whose length is given at run time: the groups it normalises are counted
/// at run time, the normalised axes are not.</summary>
public partial class LayerNormSequences
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 3, 2]);
        var h = LayerNormalization(axis: 2)(x);
        h = LayerNormalization(axis: [2, 3], center: false)(h);
        h = TimeDistributed(Flatten())(h);
        h = LayerNormalization()(Dense(6, Activation.Relu)(h));
        return new Model(x, Dense(2)(GlobalAveragePooling1D()(h)));
    }
}

/// <summary>LayerNormalization inside TimeDistributed over (steps, rows, features): each step's rows normalised.</summary>
public partial class LayerNormTimeDistributed
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3, 4, 5]);
        var h = TimeDistributed(LayerNormalization(axis: -1))(x);
        h = TimeDistributed(Flatten())(h);
        return new Model(x, Dense(2)(LayerNormalization(axis: [1, 2])(h)));
    }
}

/// <summary>Only LayerNormalization layers, for PyTorch's <c>layer_norm</c> on the same weights.</summary>
public partial class TorchLayerNorm
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 6]);
        var h = LayerNormalization()(x);
        h = LayerNormalization(axis: [-2, -1], epsilon: 1e-5, center: false)(h);
        return new Model(x, LayerNormalization(rmsScaling: true)(h));
    }
}

/// <summary>LayerNormalization alone, for a case worked out by hand.</summary>
public partial class LayerNormOnly
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4]);
        return new Model(x, LayerNormalization()(x));
    }
}
