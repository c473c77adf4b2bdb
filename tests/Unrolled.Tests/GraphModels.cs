using Unrolled;
using static Unrolled.Layers;

namespace Unrolled.Tests;

// The seed tutorials' models exactly as they write them, for the graph's description and drawings, and two models that
// nest groups inside groups.

/// <summary>The news-headline model of the Keras functional-API tutorial (seed 000): two inputs, two outputs.</summary>
public partial class GraphNews
{
    [ModelBuilder]
    static Model Build()
    {
        var mainInput = Input([100], DType.Int32, name: "main_input");
        var x = Embedding(inputDim: 10000, outputDim: 512)(mainInput);
        var lstmOut = LSTM(32)(x);
        var auxiliaryOutput = Dense(1, Activation.Sigmoid, name: "aux_output")(lstmOut);
        var auxiliaryInput = Input([5], name: "aux_input");
        x = Concatenate([lstmOut, auxiliaryInput]);
        x = Dense(64, Activation.Relu)(x);
        x = Dense(64, Activation.Relu)(x);
        x = Dense(64, Activation.Relu)(x);
        var mainOutput = Dense(1, Activation.Sigmoid, name: "main_output")(x);
        return new Model([mainInput, auxiliaryInput], [mainOutput, auxiliaryOutput]);
    }
}

/// <summary>Deep Learning with Python 7.1.4's residual connections (seed 001), on an input and under a head.</summary>
public partial class GraphResidual
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([16, 16, 32]);
        var y = Conv2D(32, 3, activation: Activation.Relu, padding: Padding.Same)(x);
        y = Conv2D(32, 3, activation: Activation.Relu, padding: Padding.Same)(y);
        y = Conv2D(32, 3, activation: Activation.Relu, padding: Padding.Same)(y);
        var identity = Add([y, x]);

        y = Conv2D(32, 3, activation: Activation.Relu, padding: Padding.Same)(identity);
        y = Conv2D(32, 3, activation: Activation.Relu, padding: Padding.Same)(y);
        y = MaxPooling2D(2, strides: 2)(y);
        var residual = Conv2D(32, 1, strides: 2, padding: Padding.Same)(identity);
        var projected = Add([y, residual]);
        return new Model(x, Dense(1, Activation.Sigmoid)(GlobalMaxPooling2D()(projected)));
    }
}

/// <summary>Deep Learning with Python 7.1.5 (seed 001): one LSTM instance applied to two inputs, two nodes of one layer.</summary>
public partial class GraphSharedLstm
{
    [ModelBuilder]
    static Model Build()
    {
        var lstm = LSTM(32);
        var leftInput = Input([50, 128]);
        var leftOutput = lstm(leftInput);
        var rightInput = Input([50, 128]);
        var rightOutput = lstm(rightInput);
        var merged = Concatenate([leftOutput, rightOutput], axis: -1);
        var predictions = Dense(1, Activation.Sigmoid)(merged);
        return new Model([leftInput, rightInput], predictions);
    }
}

/// <summary>TensorFlow's functional API guide (seed 002, section 5): an encoder and a decoder model nested in an autoencoder.</summary>
public partial class GraphNestedAutoencoder
{
    static Model Encoder()
    {
        var encoderInput = Input([28, 28, 1], name: "original_img");
        var x = Conv2D(16, 3, activation: Activation.Relu)(encoderInput);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = MaxPooling2D(3)(x);
        x = Conv2D(32, 3, activation: Activation.Relu)(x);
        x = Conv2D(16, 3, activation: Activation.Relu)(x);
        var encoderOutput = GlobalMaxPooling2D()(x);
        return new Model(encoderInput, encoderOutput, name: "encoder");
    }

    static Model Decoder()
    {
        var decoderInput = Input([16], name: "encoded_img");
        var x = Reshape([4, 4, 1])(decoderInput);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        x = Conv2DTranspose(32, 3, activation: Activation.Relu)(x);
        x = UpSampling2D(3)(x);
        x = Conv2DTranspose(16, 3, activation: Activation.Relu)(x);
        var decoderOutput = Conv2DTranspose(1, 3, activation: Activation.Relu)(x);
        return new Model(decoderInput, decoderOutput, name: "decoder");
    }

    [ModelBuilder]
    static Model Build()
    {
        Layer encoder = Encoder();
        Layer decoder = Decoder();
        var autoencoderInput = Input([28, 28, 1], name: "img");
        var encodedImg = encoder(autoencoderInput);
        var decodedImg = decoder(encodedImg);
        return new Model(autoencoderInput, decodedImg, name: "autoencoder");
    }
}

/// <summary>
/// Groups inside groups: a model whose graph applies TimeDistributed to another model that holds a Lambda, itself
/// applied twice; and top-level operations. Every value is a Dense-family computation, so a small interpreter of the
/// flat graph can check it against <c>Predict</c>.
/// </summary>
public partial class GraphDeepNesting
{
    static Model Inner()
    {
        var x = Input([4], name: "inner_in");
        var h = Dense(3, Activation.Tanh, name: "inner_dense")(x);
        var squashed = Lambda(v => 1 - Ops.Exp(-Ops.Square(v)), name: "inner_lambda")(h);
        return new Model(x, Concatenate([squashed, x]), name: "inner");
    }

    static Model Middle()
    {
        var sequence = Input([2, 4], name: "middle_in");
        var steps = TimeDistributed(Inner(), name: "middle_steps")(sequence);     // (2, 7)
        var mean = Ops.Mean(steps, axis: 1);                                   // (7)
        return new Model(sequence, Dense(2, Activation.Elu, name: "middle_dense")(mean), name: "middle");
    }

    [ModelBuilder]
    static Model Build()
    {
        Layer middle = Middle();
        var a = Input([2, 4], name: "a");
        var b = Input([2, 4], name: "b");
        var difference = middle(a) - middle(b);
        var gated = Multiply([difference, Ops.Sigmoid(Dense(2, name: "gate")(Ops.Sum(b, axis: 1)))]);
        return new Model([a, b], Dense(1, name: "out")(Average([gated, difference * 0.5f])), name: "deep");
    }
}
