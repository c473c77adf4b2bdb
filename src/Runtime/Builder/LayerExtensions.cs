namespace Unrolled;

/// <summary>
/// Keras's node API on layers, for use inside a <see cref="ModelBuilderAttribute">[ModelBuilder]</see> method. A layer
/// applied several times (a shared layer) has one node per call, indexed 0, 1, 2 … in call order. <c>Output</c>,
/// <c>Input</c>, <c>OutputShape</c> and <c>InputShape</c> are only defined for a layer with one node; on a shared layer
/// they are a compile-time error (UNR0015) whose code fix offers <c>GetOutputAt(i)</c> and the like.
/// </summary>
public static class LayerExtensions
{
    extension(Layer layer)
    {
        /// <summary>The output of the layer's only node (Keras's <c>layer.output</c>).</summary>
        public Tensor Output => throw BuilderOnlyException.For("Output");

        /// <summary>The input of the layer's only node (Keras's <c>layer.input</c>).</summary>
        public Tensor Input => throw BuilderOnlyException.For("Input");

        /// <summary>The output shape of the layer's only node, batch axis excluded.</summary>
        public int[] OutputShape => throw BuilderOnlyException.For("OutputShape");

        /// <summary>The input shape of the layer's only node, batch axis excluded.</summary>
        public int[] InputShape => throw BuilderOnlyException.For("InputShape");

        /// <summary>The output of node <paramref name="nodeIndex"/> (Keras's <c>get_output_at</c>).</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>That call's output tensor.</returns>
        public Tensor GetOutputAt(int nodeIndex) => throw BuilderOnlyException.For("GetOutputAt");

        /// <summary>The input of node <paramref name="nodeIndex"/> (Keras's <c>get_input_at</c>).</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>That call's input tensor.</returns>
        public Tensor GetInputAt(int nodeIndex) => throw BuilderOnlyException.For("GetInputAt");

        /// <summary>The output shape of node <paramref name="nodeIndex"/>, batch axis excluded.</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>The shape.</returns>
        public int[] GetOutputShapeAt(int nodeIndex) => throw BuilderOnlyException.For("GetOutputShapeAt");

        /// <summary>The input shape of node <paramref name="nodeIndex"/>, batch axis excluded.</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>The shape.</returns>
        public int[] GetInputShapeAt(int nodeIndex) => throw BuilderOnlyException.For("GetInputShapeAt");
    }

    extension(MergeLayer layer)
    {
        /// <summary>The output of the layer's only node (Keras's <c>layer.output</c>).</summary>
        public Tensor Output => throw BuilderOnlyException.For("Output");

        /// <summary>The inputs of the layer's only node (Keras's <c>layer.input</c>).</summary>
        public Tensor[] Input => throw BuilderOnlyException.For("Input");

        /// <summary>The output shape of the layer's only node, batch axis excluded.</summary>
        public int[] OutputShape => throw BuilderOnlyException.For("OutputShape");

        /// <summary>The output of node <paramref name="nodeIndex"/> (Keras's <c>get_output_at</c>).</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>That call's output tensor.</returns>
        public Tensor GetOutputAt(int nodeIndex) => throw BuilderOnlyException.For("GetOutputAt");

        /// <summary>The inputs of node <paramref name="nodeIndex"/> (Keras's <c>get_input_at</c>).</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>That call's input tensors.</returns>
        public Tensor[] GetInputAt(int nodeIndex) => throw BuilderOnlyException.For("GetInputAt");

        /// <summary>The output shape of node <paramref name="nodeIndex"/>, batch axis excluded.</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>The shape.</returns>
        public int[] GetOutputShapeAt(int nodeIndex) => throw BuilderOnlyException.For("GetOutputShapeAt");
    }

    extension(SequenceAttentionLayer layer)
    {
        /// <summary>The output of the layer's only node (Keras's <c>layer.output</c>).</summary>
        public Tensor Output => throw BuilderOnlyException.For("Output");

        /// <summary>The inputs of the layer's only node (Keras's <c>layer.input</c>).</summary>
        public Tensor[] Input => throw BuilderOnlyException.For("Input");

        /// <summary>The output shape of the layer's only node, batch axis excluded.</summary>
        public int[] OutputShape => throw BuilderOnlyException.For("OutputShape");

        /// <summary>The output of node <paramref name="nodeIndex"/> (Keras's <c>get_output_at</c>).</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>That call's output tensor.</returns>
        public Tensor GetOutputAt(int nodeIndex) => throw BuilderOnlyException.For("GetOutputAt");

        /// <summary>The inputs of node <paramref name="nodeIndex"/> (Keras's <c>get_input_at</c>).</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>That call's input tensors.</returns>
        public Tensor[] GetInputAt(int nodeIndex) => throw BuilderOnlyException.For("GetInputAt");

        /// <summary>The output shape of node <paramref name="nodeIndex"/>, batch axis excluded.</summary>
        /// <param name="nodeIndex">Which call of the layer, from 0.</param>
        /// <returns>The shape.</returns>
        public int[] GetOutputShapeAt(int nodeIndex) => throw BuilderOnlyException.For("GetOutputShapeAt");
    }
}
