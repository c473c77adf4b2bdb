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

/// <summary>
/// Keras's TokenAndPositionEmbedding written with PositionEmbedding: token embeddings plus learned positions, a fixed
/// length shorter than the table (its first rows), and a rank-4 input whose positions repeat over a leading axis.
/// </summary>
public partial class PositionEmbeddings
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([5], DType.Int32, name: "words");
        var grid = Input([2, 3, 4], name: "grid");
        var tokens = Embedding(11, 4)(words);                                      // (5, 4)
        var x = Add([tokens, PositionEmbedding(7)(tokens)]);                       // positions 0..4 of 7
        var g = Add([Dense(4, Activation.Tanh)(grid), PositionEmbedding(3)(grid)]); // (2, 3, 4): the same rows for both of axis 1
        return new Model([words, grid], Concatenate([Flatten()(Dense(2)(x)), Flatten()(Dense(2)(g))]));
    }
}

/// <summary>PositionEmbedding over sequences whose length is given at run time (at most the table's 6 positions).</summary>
public partial class PositionEmbeddingSequences
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 3]);
        var h = Dense(3, Activation.Tanh)(x);
        h = Add([h, PositionEmbedding(6)(h)]);
        return new Model(x, Dense(2)(GlobalAveragePooling1D()(h)));
    }
}

/// <summary>PositionEmbedding alone over sequences of a run-time length: its output is the table's first rows.</summary>
public partial class PositionsOnly
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 3]);
        return new Model(x, PositionEmbedding(6)(x));
    }
}
