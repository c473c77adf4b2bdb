using System.Linq;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>The generator's side of the run-time graph: the settings it emits must read back as Keras's, typed.</summary>
public class GraphTableTests
{
    private static readonly SourceSpan s_span = new(string.Empty, 0, 0, 0, 0, 0, 0);

    private static LayerSpec Layer(LayerKind kind, LayerConfig? config = null) => new(kind, "x", config ?? NoSettings.Instance, s_span, s_span);

    private static string Text(LayerSpec layer) => GraphTable.Config(layer).ToString();

    [Fact]
    public void Settings_text_reads_back_as_keras_s_typed_settings()
    {
        // Activation 1 is Relu, 10 Softsign, 6 HardSigmoid (Unrolled.Activation's order).
        Assert.Equal("units=8, activation='relu', use_bias=False", Text(Layer(LayerKind.Dense, new DenseConfig(8, 1, false))));
        Assert.Equal("filters=4, kernel_size=(5,), strides=(2,), padding='same', data_format='channels_last', dilation_rate=(1,), activation='hard_sigmoid', use_bias=True",
            Text(Layer(LayerKind.Conv1D, new ConvolutionConfig(4, 1, 5, 1, 2, 1, 1, true, 1, 6, true))));
        Assert.Equal("filters=6, kernel_size=(3, 2), strides=(1, 1), padding='valid', data_format='channels_last', dilation_rate=(2, 2), depth_multiplier=3, activation='softsign', use_bias=False",
            Text(Layer(LayerKind.SeparableConv2D, new ConvolutionConfig(6, 3, 2, 1, 1, 2, 2, false, 3, 10, false))));
        Assert.Equal("pool_size=(2, 2), padding='valid', strides=(1, 1), data_format='channels_last'",
            Text(Layer(LayerKind.MaxPooling2D, new PoolingConfig(2, 2, 1, 1, false))));
        Assert.Equal("target_shape=(4, -1)", Text(Layer(LayerKind.Reshape, new ReshapeConfig(new[] { 4, -1 }.ToEquatableArray()))));
        Assert.Equal("rate=0.25", Text(Layer(LayerKind.Dropout, new DropoutConfig(0.25))));
        Assert.Equal("axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=False",
            Text(Layer(LayerKind.BatchNormalization, new BatchNormalizationConfig(0.99, 0.001, true, false))));
        Assert.Equal("units=3, activation='tanh', recurrent_activation='sigmoid', use_bias=True, return_sequences=True, return_state=True, go_backwards=True, reset_after=True",
            Text(Layer(LayerKind.GRU, new RecurrentConfig(3, true, true, true, false, true, GoBackwards: true))));
        Assert.Equal("scale=2.0, shift=-1e-05", Text(Layer(LayerKind.Affine, new AffineConfig(2, -1e-5))));
        Assert.Equal("function='math.reduce_mean', axis=2, keepdims=True", Text(Layer(LayerKind.Reduce, new ReduceConfig(true, 2, true))));
        Assert.Equal("function='math.truediv'", Text(Layer(LayerKind.BinaryOp, new BinaryOpConfig(BinaryOp.Divide))));
        Assert.Equal("index=2", Text(Layer(LayerKind.RecurrentState, new RecurrentStateConfig(2))));
        Assert.Equal(string.Empty, Text(Layer(LayerKind.Add)));

        // The runtime's typed record, one named argument per key: a key the record lacks, or a property no rule writes,
        // is a compile error in every generated model of this repository's tests.
        Assert.Equal("new global::Unrolled.ConvolutionSettings(Filters: 2, KernelSize: new int[] { 3, 3 }, Strides: new int[] { 1, 1 }, "
            + "Padding: \"valid\", DataFormat: \"channels_last\", DilationRate: new int[] { 1, 1 }, Activation: \"linear\", UseBias: false)",
            GraphTable.Config(Layer(LayerKind.Conv2D, new ConvolutionConfig(2, 3, 3, 1, 1, 1, 1, false, 1, 0, false))).ToCSharp());
        Assert.Equal("new global::Unrolled.DropoutSettings(Rate: 0d)", GraphTable.Config(Layer(LayerKind.Dropout, new DropoutConfig(0))).ToCSharp());
        Assert.Equal("new global::Unrolled.ReduceSettings(Function: \"math.reduce_mean\", Axis: 2, KeepDims: true)",
            GraphTable.Config(Layer(LayerKind.Reduce, new ReduceConfig(true, 2, true))).ToCSharp());
        Assert.Null(GraphTable.Config(Layer(LayerKind.Add)).ToCSharp());
    }
}
