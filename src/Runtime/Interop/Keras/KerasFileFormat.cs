namespace Unrolled;

/// <summary>The kinds of Keras weight files <see cref="CompiledModel.LoadKerasWeights(string, KerasLayerMatching)"/> reads.</summary>
public enum KerasFileFormat
{
    /// <summary>Keras 3 <c>model.save_weights("x.weights.h5")</c>: groups <c>layers/&lt;class&gt;/vars/0…n</c>.</summary>
    Keras3Weights,

    /// <summary>Keras 3 <c>model.save("x.keras")</c>: a zip of <c>config.json</c>, <c>metadata.json</c> and
    /// <c>model.weights.h5</c>.</summary>
    Keras3Archive,

    /// <summary>Keras 2 (tf.keras) <c>.h5</c> from <c>model.save</c> or <c>model.save_weights</c>: attributes
    /// <c>layer_names</c> and <c>weight_names</c>, datasets such as <c>dense/dense/kernel:0</c>.</summary>
    Keras2Hdf5,
}
