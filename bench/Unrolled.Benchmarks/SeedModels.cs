using static Unrolled.Layers;

namespace Unrolled.Benchmarks;

/// <summary>The functional API guide's convolutional encoder (28×28×1 → 16).</summary>
public partial class ConvEncoder
{
    [ModelBuilder]
    static Model Build()
    {
        var img = Input([28, 28, 1], name: "img");
        var x = Conv2D(16, 3, activation: Activation.Relu)(img);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = MaxPooling2D(3)(x);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = Conv2D(16, 3, activation: Activation.Relu)(x);
        return new Model(img, GlobalMaxPooling2D()(x), name: "encoder");
    }
}

/// <summary>Keras's news headline model: Embedding 10000×512, LSTM 32, an auxiliary input, 3×Dense 64, two outputs.</summary>
public partial class NewsLstm
{
    [ModelBuilder]
    static Model Build()
    {
        var mainInput = Input([100], DType.Int32, name: "main_input");
        var lstmOut = LSTM(32)(Embedding(10000, 512)(mainInput));
        var auxiliaryOutput = Dense(1, Activation.Sigmoid, name: "aux_output")(lstmOut);
        var auxiliaryInput = Input([5], name: "aux_input");
        var x = Concatenate([lstmOut, auxiliaryInput]);
        x = Dense(64, Activation.Relu)(x);
        x = Dense(64, Activation.Relu)(x);
        x = Dense(64, Activation.Relu)(x);
        return new Model([mainInput, auxiliaryInput], [Dense(1, Activation.Sigmoid, name: "main_output")(x), auxiliaryOutput]);
    }
}
