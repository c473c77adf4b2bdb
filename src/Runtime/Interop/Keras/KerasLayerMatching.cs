namespace Unrolled;

/// <summary>How <see cref="CompiledModel.LoadKerasWeights(string, KerasLayerMatching)"/> pairs the file's layers with
/// the model's.</summary>
public enum KerasLayerMatching
{
    /// <summary>By name when the file names every layer of the model (a Keras 2 file, a <c>.keras</c> archive, a recent
    /// Keras 3 <c>.weights.h5</c>) and all of them fit; otherwise by position, as Keras's <c>load_weights</c> does.</summary>
    Auto,

    /// <summary>Each layer takes the weights the file keeps under its name (Keras 2's <c>by_name=True</c>).</summary>
    ByName,

    /// <summary>As Keras's own <c>load_weights</c>: Keras 3 files by their paths (class names numbered in
    /// <c>model.layers</c> order), Keras 2 files by the order of the layers that have weights. Layer names do not matter,
    /// so a file from a session that named its layers <c>dense_7</c>, <c>dense_8</c> still loads.</summary>
    ByPosition,
}
