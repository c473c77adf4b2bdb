using System;
using System.IO;
using Unrolled.Onnx;
using Unrolled.Serialization;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>
    /// Writes the model with its current weights as an ONNX model, to serve with ONNX Runtime or any other ONNX
    /// runtime. Inputs and outputs keep the model's names and layout (batch first, channels last); the batch axis is
    /// the symbolic dimension <c>batch</c>, and an axis whose length is given at run time is symbolic too, named as in
    /// <see cref="ModelDescription.Lengths"/>. Weights are initializers named <c>layer/weight</c>. See docs/onnx-export.md
    /// for what each layer becomes.
    /// </summary>
    /// <param name="path">The file to write. It is written to a temporary file beside it first and then renamed, so a
    /// failure never leaves a partial file and a reader never sees one.</param>
    /// <param name="opset">The ONNX operator set, 17 (the default) to 22; the IR version follows from it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="opset"/> is outside 17–22.</exception>
    /// <exception cref="NotSupportedException">A layer has no ONNX form (the message names it); nothing is written.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public void ExportOnnx(string path, int opset = 17)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = BuildOnnx(opset);
        AtomicFile.Write(path, model.WriteTo);
    }

    /// <summary>Writes the model with its current weights as an ONNX model to <paramref name="stream"/>, as
    /// <see cref="ExportOnnx(string, int)"/> does to a file. The stream is left open.</summary>
    /// <param name="stream">A writable stream; the model is written at its current position.</param>
    /// <param name="opset">The ONNX operator set, 17 (the default) to 22.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="opset"/> is outside 17–22.</exception>
    /// <exception cref="NotSupportedException">A layer has no ONNX form (the message names it); nothing is written.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this instance.</exception>
    public void ExportOnnx(Stream stream, int opset = 17)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        BuildOnnx(opset).WriteTo(stream);
    }

    /// <summary>The whole ONNX model in memory, from a snapshot of the weights taken while no other call runs.</summary>
    private OnnxModel BuildOnnx(int opset)
    {
        if (opset < OnnxExporter.MinOpset || opset > OnnxExporter.MaxOpset)
        {
            throw new ArgumentOutOfRangeException(nameof(opset), opset,
                $"The ONNX export writes operator sets {OnnxExporter.MinOpset} to {OnnxExporter.MaxOpset}.");
        }

        float[] weights;
        Enter();
        try
        {
            weights = (float[])_weights.Clone();
        }
        finally
        {
            Exit();
        }

        return OnnxExporter.Export(Description, weights, opset);
    }
}
