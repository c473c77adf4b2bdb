using System;
using System.Linq;
using Unrolled.Generator.Emit;
using Unrolled.Generator.Model;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>The generator's side of the run-time graph: names it emits must exist in the runtime, settings must read back.</summary>
public class GraphTableTests
{
    [Fact]
    public void Every_layer_kind_is_a_member_of_the_runtime_s_graph_node_kind()
    {
        foreach (LayerKind kind in Enum.GetValues(typeof(LayerKind)))
        {
            string name = GraphTable.KindName(kind);
            Assert.True(Enum.IsDefined(typeof(GraphNodeKind), name), $"{kind} is emitted as GraphNodeKind.{name}, which does not exist");
        }

        // The groups, which are not layer kinds of their own in the generator.
        Assert.True(Enum.IsDefined(typeof(GraphNodeKind), "Functional"));
        Assert.Equal(nameof(GraphNodeKind.RecurrentState), GraphTable.KindName(LayerKind.Select));
    }

    [Fact]
    public void Settings_text_reads_back_as_keras_s_typed_settings()
    {
        var span = new SourceSpan(string.Empty, 0, 0, 0, 0, 0, 0);
        LayerSpec Layer(LayerKind kind, int units = 0, int activation = 0, bool useBias = false, int axis = -1, int[]? config = null,
            double scale = 1, double shift = 0, int[]? shape = null)
            => new(kind, "x", units, activation, useBias, axis, (shape ?? Array.Empty<int>()).ToEquatableArray(), 0, span, span, scale, shift,
                (config ?? Array.Empty<int>()).ToEquatableArray());

        string Text(LayerSpec layer) => string.Join(", ", LayerSetting.ParseList(GraphTable.Config(layer, layer.Kind)));

        // Activation 1 is Relu, 10 Softsign, 6 HardSigmoid (Unrolled.Activation's order).
        Assert.Equal("units=8, activation='relu', use_bias=False", Text(Layer(LayerKind.Dense, units: 8, activation: 1)));
        Assert.Equal("filters=4, kernel_size=(5,), strides=(2,), padding='same', data_format='channels_last', dilation_rate=(1,), activation='hard_sigmoid', use_bias=True",
            Text(Layer(LayerKind.Conv1D, units: 4, activation: 6, useBias: true, config: new[] { 1, 5, 1, 2, 1, 1, 1, 1 })));
        Assert.Equal("filters=6, kernel_size=(3, 2), strides=(1, 1), padding='valid', data_format='channels_last', dilation_rate=(2, 2), depth_multiplier=3, activation='softsign', use_bias=False",
            Text(Layer(LayerKind.SeparableConv2D, units: 6, activation: 10, config: new[] { 3, 2, 1, 1, 2, 2, 0, 3 })));
        Assert.Equal("pool_size=(2, 2), padding='valid', strides=(1, 1), data_format='channels_last'",
            Text(Layer(LayerKind.MaxPooling2D, config: new[] { 2, 2, 1, 1, 0 })));
        Assert.Equal("target_shape=(4, -1)", Text(Layer(LayerKind.Reshape, shape: new[] { 4, -1 })));
        Assert.Equal("rate=0.25", Text(Layer(LayerKind.Dropout, scale: 0.25)));
        Assert.Equal("axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=False",
            Text(Layer(LayerKind.BatchNormalization, scale: 0.99, shift: 0.001, config: new[] { 1, 0 })));
        Assert.Equal("units=3, activation='tanh', recurrent_activation='sigmoid', use_bias=True, return_sequences=True, return_state=True, reset_after=True",
            Text(Layer(LayerKind.GRU, units: 3, useBias: true, config: new[] { 1, 1, 1 })));
        Assert.Equal("scale=2.0, shift=-1e-05", Text(Layer(LayerKind.Affine, scale: 2, shift: -1e-5)));
        Assert.Equal("function='math.reduce_mean', axis=2, keepdims=True", Text(Layer(LayerKind.Reduce, units: 1, axis: 2, useBias: true)));
        Assert.Equal("function='math.truediv'", Text(Layer(LayerKind.BinaryOp, units: 3)));
        Assert.Equal("index=2", Text(Layer(LayerKind.Select, units: 2)));
        Assert.Equal(string.Empty, Text(Layer(LayerKind.Add)));

        // Types, not only text: a tuple is integers, a rate a number, a flag a Boolean.
        var conv = LayerSetting.ParseList(GraphTable.Config(Layer(LayerKind.Conv2D, units: 2, config: new[] { 3, 3, 1, 1, 1, 1, 0, 1 }), LayerKind.Conv2D));
        Assert.Equal(LayerSettingKind.Integers, conv.Single(s => s.Name == "kernel_size").Kind);
        Assert.Equal(LayerSettingKind.Integer, conv.Single(s => s.Name == "filters").Kind);
        Assert.Equal(LayerSettingKind.Boolean, conv.Single(s => s.Name == "use_bias").Kind);
        Assert.Equal(LayerSettingKind.Number, LayerSetting.ParseList(GraphTable.Config(Layer(LayerKind.Dropout, scale: 0), LayerKind.Dropout)).Single().Kind);
    }
}
