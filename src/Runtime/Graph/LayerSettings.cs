using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Unrolled;

/// <summary>
/// A layer's constant settings, typed: one sealed record per family of layer kinds (<see cref="DenseSettings"/>,
/// <see cref="ConvolutionSettings"/>, …), declared beside the builder function that makes the layer, with the layer's
/// ONNX form. Generated model descriptions construct them (<see cref="GraphNode.Settings"/>) and ONNX export reads
/// their properties, so a setting one of them needs and the other lacks fails this library's build rather than a
/// user's export.
/// </summary>
/// <remarks>
/// The set of records is closed: only this library derives from <see cref="LayerSettings"/>. Records that hold a
/// list compare it by reference, as records do.
/// </remarks>
public abstract record LayerSettings
{
    private protected LayerSettings()
    {
    }

    /// <summary>The settings as Keras's <c>get_config()</c> names them, in Keras's order: <c>units=64</c>,
    /// <c>activation='relu'</c>, <c>use_bias=True</c>.</summary>
    /// <returns>A new list of the settings.</returns>
    public IReadOnlyList<LayerSetting> ToConfig() => Array.AsReadOnly(Keras().ToArray());

    /// <summary>As Python prints keyword arguments: <c>units=64, activation='relu', use_bias=True</c>.</summary>
    /// <returns>The text.</returns>
    public sealed override string ToString()
    {
        var text = new StringBuilder();
        foreach (var setting in Keras())
        {
            text.Append(text.Length > 0 ? ", " : string.Empty).Append(setting);
        }

        return text.ToString();
    }

    /// <summary>Whether a node of <paramref name="kind"/> takes these settings.</summary>
    /// <param name="kind">A layer kind.</param>
    /// <returns>True when this record describes layers of that kind.</returns>
    public abstract bool Describes(GraphNodeKind kind);

    /// <summary>The node's ONNX form: operators written through <paramref name="onnx"/>, returning the name of the
    /// value that holds the node's output. Abstract, so a record without its ONNX form does not compile.</summary>
    /// <param name="onnx">The exporter, whose helpers write operators and initializers.</param>
    /// <param name="node">The node these settings belong to.</param>
    /// <param name="x">The names of the node's input values.</param>
    internal abstract string ExportOnnx(Onnx.OnnxExporter onnx, GraphNode node, string[] x);

    /// <summary>The settings under Keras's names, in Keras's order.</summary>
    private protected abstract IEnumerable<LayerSetting> Keras();
}
