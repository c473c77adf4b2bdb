using static Unrolled.Layers;

namespace Unrolled.Tests;

// The models tests/keras/make_keras_files.py writes Keras files for: the same layers, shapes and names.

/// <summary>Dense 4 → 5 (relu) → 3 (softmax), Keras's default names.</summary>
public partial class KerasMlp
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4], name: "x");
        var h = Dense(5, Activation.Relu)(x);
        return new Model(x, Dense(3, Activation.Softmax)(h), name: "keras_mlp");
    }
}

/// <summary>The MLP with a wider hidden layer: every file of the MLP mismatches it.</summary>
public partial class KerasMlpWide
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4], name: "x");
        var h = Dense(6, Activation.Relu)(x);
        return new Model(x, Dense(3, Activation.Softmax)(h), name: "keras_mlp");
    }
}

/// <summary>
/// Two branches of different depth: Keras orders model.layers by depth (b, a, c, out), not by creation (a, b, c, out),
/// so Keras 3 saves b as layers/dense, a as layers/dense_1, c as layers/dense_2.
/// </summary>
public partial class KerasBranch
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4], name: "x");
        var a = Dense(2, Activation.Tanh, name: "a")(x);
        var b = Dense(3, Activation.Relu, name: "b")(x);
        var c = Dense(2, name: "c")(b);
        return new Model(x, Dense(1, name: "out")(Concatenate([a, c])), name: "keras_branch");
    }
}

/// <summary>Conv2D 3×3 (relu) → max pooling → Flatten → Dense.</summary>
public partial class KerasConv
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([6, 6, 2], name: "image");
        var x = Conv2D(3, 3, activation: Activation.Relu)(image);
        x = Flatten()(MaxPooling2D(2)(x));
        return new Model(image, Dense(2)(x), name: "keras_conv");
    }
}

/// <summary>Embedding → LSTM over all steps → GRU (reset_after) → Dense.</summary>
public partial class KerasRecurrent
{
    [ModelBuilder]
    static Model Build()
    {
        var tokens = Input([5], DType.Int32, name: "tokens");
        var x = Embedding(10, 3)(tokens);
        x = LSTM(4, returnSequences: true)(x);
        x = GRU(3)(x);
        return new Model(tokens, Dense(2)(x), name: "keras_recurrent");
    }
}

/// <summary>Dense → BatchNormalization → relu → Dense.</summary>
public partial class KerasNorm
{
    [ModelBuilder]
    static Model Build()
    {
        var features = Input([4], name: "features");
        var x = BatchNormalization()(Dense(6)(features));
        x = ActivationLayer(Activation.Relu)(x);
        return new Model(features, Dense(2)(x), name: "keras_norm");
    }
}

/// <summary>A nested model "encoder" (Dense "enc") and a head.</summary>
public partial class KerasNested
{
    internal static Model Encoder()
    {
        var input = Input([4], name: "code_in");
        return new Model(input, Dense(3, Activation.Relu, name: "enc")(input), name: "encoder");
    }

    [ModelBuilder]
    static Model Build()
    {
        Layer encoder = Encoder();
        var x = Input([4], name: "x");
        return new Model(x, Dense(2, name: "head")(encoder(x)), name: "keras_nested");
    }
}

/// <summary>The MLP under other layer names (as a Keras session that built other models first would name them).</summary>
public partial class KerasMlpRenamed
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4], name: "x");
        var h = Dense(5, Activation.Relu, name: "hidden")(x);
        return new Model(x, Dense(3, Activation.Softmax, name: "probs")(h), name: "keras_mlp");
    }
}

/// <summary>Nine Dense layers: a Keras 3 file of it written with libver='latest' keeps its ten layer groups in dense
/// link storage.</summary>
public partial class KerasDeep
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([2], name: "x");
        var y = x;
        for (int i = 0; i < 9; i++)
        {
            y = Dense(2, Activation.Tanh)(y);
        }

        return new Model(x, y, name: "keras_deep");
    }
}

/// <summary>Dense, then LayerNormalization over the last axis and over the last two without beta.</summary>
public partial class KerasLayerNorm
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3, 4], name: "x");
        var h = LayerNormalization()(Dense(4)(x));
        h = LayerNormalization(axis: [-2, -1], center: false)(h);
        return new Model(x, Dense(2)(Flatten()(h)), name: "keras_layer_norm");
    }
}

/// <summary>Keras-Hub's PositionEmbedding added to a token Embedding, as tests/keras/make_keras_files.py writes it.</summary>
public partial class KerasPosition
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([5], DType.Int32, name: "words");
        var tokens = Embedding(11, 4)(words);
        var x = Add([tokens, PositionEmbedding(7)(tokens)]);
        return new Model(words, Dense(2)(Flatten()(x)), name: "keras_position");
    }
}

/// <summary>Keras's Attention with use_scale (a scalar weight), as tests/keras/make_keras_files.py writes it.</summary>
public partial class KerasAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = Attention(useScale: true)([Dense(3)(x), Dense(3)(x)]);
        return new Model(x, Dense(2)(Flatten()(y)), name: "keras_attention");
    }
}

/// <summary>Keras's MultiHeadAttention as causal self-attention, its weights in four sublayers' groups.</summary>
public partial class KerasMultiHeadAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = MultiHeadAttention(numHeads: 2, keyDim: 3)(x, x, useCausalMask: true);
        return new Model(x, Dense(2)(Flatten()(y)), name: "keras_mha");
    }
}

/// <summary>Keras's Bidirectional(LSTM(4)): the two copies' weights under forward_layer and backward_layer.</summary>
public partial class KerasBidirectional
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 3], name: "x");
        return new Model(x, Dense(2)(Bidirectional(LSTM(4))(x)), name: "keras_bidirectional");
    }
}

/// <summary>Keras's AdditiveAttention with a learned scale per feature.</summary>
public partial class KerasAdditiveAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = AdditiveAttention()([Dense(3)(x), Dense(3)(x)]);
        return new Model(x, Dense(2)(Flatten()(y)), name: "keras_additive");
    }
}

/// <summary>Keras's EinsumDense as a per-head projection.</summary>
public partial class KerasEinsumDense
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = EinsumDense("abc,cde->abde", [null, 2, 3], biasAxes: "de")(x);
        return new Model(x, Dense(2)(Flatten()(y)), name: "keras_einsum");
    }
}

/// <summary>The MLP as a base model under a new head (Keras's transfer setting): its layers keep the MLP's names, so a
/// file saved from the MLP alone loads into the nested model.</summary>
public partial class KerasMlpUnderHead
{
    static Model Base()
    {
        var x = Input([4], name: "x");
        var h = Dense(5, Activation.Relu)(x);
        return new Model(x, Dense(3, Activation.Softmax)(h), name: "keras_mlp");
    }

    [ModelBuilder]
    static Model Build()
    {
        var baseModel = Base();
        var x = Input([4], name: "features");
        return new Model(x, Dense(2, name: "head")(baseModel.Call(x)), name: "transfer");
    }
}
