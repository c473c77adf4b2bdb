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

/// <summary>
/// The toy ResNet of Keras's functional API guide (32×32×3 → 10, 223,242 parameters): two convolutions, max pooling, two
/// residual blocks of two same-padded convolutions each, a convolution, global average pooling, Dense 256 with dropout.
/// The guide's last Dense gives logits for a from-logits loss; here it has the softmax that the categorical
/// cross-entropy fuses with, which is the same training computation.
/// </summary>
public partial class ToyResNet
{
    [ModelBuilder]
    static Model Build()
    {
        var inputs = Input([32, 32, 3], name: "img");
        var x = Conv2D(32, 3, activation: Activation.Relu)(inputs);
        x = Conv2D(64, 3, activation: Activation.Relu)(x);
        var block1 = MaxPooling2D(3)(x);

        x = Conv2D(64, 3, activation: Activation.Relu, padding: Padding.Same)(block1);
        x = Conv2D(64, 3, activation: Activation.Relu, padding: Padding.Same)(x);
        var block2 = Add([x, block1]);

        x = Conv2D(64, 3, activation: Activation.Relu, padding: Padding.Same)(block2);
        x = Conv2D(64, 3, activation: Activation.Relu, padding: Padding.Same)(x);
        var block3 = Add([x, block2]);

        x = Conv2D(64, 3, activation: Activation.Relu)(block3);
        x = GlobalAveragePooling2D()(x);
        x = Dense(256, Activation.Relu)(x);
        x = Dropout(0.5)(x);
        return new Model(inputs, Dense(10, Activation.Softmax)(x), name: "toy_resnet");
    }
}

/// <summary>
/// Keras's example "Text classification with Transformer": ids (200) → token embedding (20000 × 32) plus a learned
/// position embedding → one transformer block (MultiHeadAttention with 2 heads of key_dim 32, dropout 0.1, Add and
/// LayerNormalization, a feed-forward Dense 32 relu → Dense 32, dropout, Add and LayerNormalization) → global average
/// pooling → dropout → Dense 20 relu → dropout → Dense 2 softmax.
/// </summary>
public partial class TextTransformer
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([200], DType.Int32, name: "ids");
        var tokens = Embedding(20000, 32)(ids);
        var x = Add([tokens, PositionEmbedding(200)(tokens)]);
        var attention = Dropout(0.1)(MultiHeadAttention(numHeads: 2, keyDim: 32)(x, x));
        var first = LayerNormalization(epsilon: 1e-6)(Add([x, attention]));
        var feedForward = Dropout(0.1)(Dense(32)(Dense(32, Activation.Relu)(first)));
        var block = LayerNormalization(epsilon: 1e-6)(Add([first, feedForward]));
        var pooled = Dropout(0.1)(GlobalAveragePooling1D()(block));
        var hidden = Dropout(0.1)(Dense(20, Activation.Relu)(pooled));
        return new Model(ids, Dense(2, Activation.Softmax)(hidden), name: "text_transformer");
    }
}

/// <summary>Self-attention over 128 steps of 64 features: MultiHeadAttention with 4 heads of 16.</summary>
public partial class Attention128
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([128, 64], name: "x");
        return new Model(x, MultiHeadAttention(numHeads: 4, keyDim: 16)(x, x), name: "attention128");
    }
}

/// <summary>Self-attention over 512 steps of 64 features: MultiHeadAttention with 4 heads of 16.</summary>
public partial class Attention512
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([512, 64], name: "x");
        return new Model(x, MultiHeadAttention(numHeads: 4, keyDim: 16)(x, x), name: "attention512");
    }
}

/// <summary><see cref="Attention512"/> with Keras's causal mask.</summary>
public partial class CausalAttention512
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([512, 64], name: "x");
        return new Model(x, MultiHeadAttention(numHeads: 4, keyDim: 16)(x, x, useCausalMask: true), name: "causal512");
    }
}
