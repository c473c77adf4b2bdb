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

/// <summary>Keras's initialisers by name on every kind of weight they apply to.</summary>
public partial class InitializedLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([8, 8, 3]);
        var c = Conv2D(64, 3, kernelInitializer: "he_normal", biasInitializer: "ones", name: "conv")(x);
        var h = Dense(400, kernelInitializer: "he_uniform", name: "he_uniform")(Flatten()(c));
        h = Dense(300, kernelInitializer: "lecun_normal", name: "lecun_normal")(h);
        h = Dense(200, kernelInitializer: "glorot_normal", name: "glorot_normal")(h);
        h = Dense(100, kernelInitializer: "truncated_normal", biasInitializer: "random_normal", name: "truncated")(h);
        h = Dense(50, kernelInitializer: "orthogonal", name: "orthogonal")(h);
        h = Dense(10, kernelInitializer: "lecun_uniform", name: "lecun_uniform")(h);
        var ids = Input([4], DType.Int32);
        var e = Embedding(30, 16, embeddingsInitializer: "random_normal", name: "embedding")(ids);
        var r = LSTM(8, kernelInitializer: "glorot_normal", recurrentInitializer: "orthogonal", biasInitializer: "zeros", name: "lstm")(e);
        return new Model([x, ids], [h, r]);
    }
}

/// <summary>Keras's weight regularizers on kernels, biases, embeddings and recurrent kernels.</summary>
public partial class RegularizedLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5]);
        var h = Dense(6, Activation.Tanh, kernelRegularizer: Regularizers.L2(0.01), biasRegularizer: Regularizers.L1(0.02), name: "hidden")(x);
        var y = Dense(3, kernelRegularizer: Regularizers.L1L2(0.005, 0.03), name: "out")(h);
        var ids = Input([4], DType.Int32);
        var s = SimpleRNN(3, kernelRegularizer: Regularizers.L2(0.02), recurrentRegularizer: Regularizers.L1(0.01), name: "rnn")(
            Embedding(10, 4, embeddingsRegularizer: Regularizers.L2(0.05), name: "embedding")(ids));
        return new Model([x, ids], [y, s]);
    }
}

/// <summary>Keras's weight constraints on kernels and biases.</summary>
public partial class ConstrainedLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 5, 2]);
        var c = Conv2D(4, 3, kernelConstraint: Constraints.MaxNorm(0.3, [0, 1, 2]), name: "conv")(x);
        var h = Dense(8, Activation.Tanh, kernelConstraint: Constraints.MaxNorm(0.5), biasConstraint: Constraints.NonNeg(), name: "max_norm")(Flatten()(c));
        h = Dense(4, kernelConstraint: Constraints.UnitNorm(), name: "unit")(h);
        return new Model(x, Dense(3, kernelConstraint: Constraints.MinMaxNorm(0.2, 0.4), name: "min_max")(h));
    }
}
