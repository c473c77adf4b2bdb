using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>
/// A small convolutional base under a head, the shape of every fine-tuning model: two convolutions with a
/// BatchNormalization between them, pooled, then two Dense layers.
/// </summary>
public partial class ConvBaseAndHead
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([10, 10, 2]);
        var h = Conv2D(4, 3, activation: Activation.Relu, name: "conv_a")(x);
        h = BatchNormalization(name: "bn")(h);
        h = Conv2D(6, 3, activation: Activation.Relu, name: "conv_b")(h);
        h = GlobalAveragePooling2D()(h);
        h = Dense(8, Activation.Tanh, name: "head_hidden")(h);
        return new Model(x, Dense(3, name: "head_out")(h));
    }
}

/// <summary>The builder's freezing: a layer's <c>trainable: false</c>, and <c>Model.Trainable = false</c> on a nested
/// base model applied as a layer (Keras's <c>base_model.trainable = False</c>).</summary>
public partial class BuilderFrozen
{
    static Model Base()
    {
        var x = Input([6]);
        var h = Dense(5, Activation.Relu, name: "base_dense")(x);
        h = BatchNormalization(name: "base_bn")(h);
        return new Model(x, h, name: "base");
    }

    [ModelBuilder]
    static Model Build()
    {
        var baseModel = Base();
        baseModel.Trainable = false;
        var x = Input([6]);
        var h = baseModel.Call(x);
        h = Dense(4, Activation.Tanh, trainable: false, name: "frozen_dense")(h);
        return new Model(x, Dense(2, name: "out")(h), name: "fine_tuned");
    }
}
