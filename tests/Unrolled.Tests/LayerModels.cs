using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>Convolutions with same and valid padding, a non-square strided window, max pooling, Flatten.</summary>
public partial class SmallConvNet
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([6, 7, 2], name: "image");
        var x = Conv2D(3, 3, padding: Padding.Same, activation: Activation.Tanh)(image);     // (6, 7, 3)
        x = Conv2D(4, [2, 3], strides: [2, 1], activation: Activation.Tanh)(x);               // (3, 5, 4)
        x = MaxPooling2D(2, padding: Padding.Same)(x);                                        // (2, 3, 4)
        return new Model(image, Dense(2)(Flatten()(x)));
    }
}

/// <summary>Dilation, strided average pooling, global average pooling.</summary>
public partial class DilatedConvNet
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([9, 9, 2]);
        var x = Conv2D(3, 3, dilationRate: 2, activation: Activation.Sigmoid)(image);          // (5, 5, 3)
        x = AveragePooling2D(3, strides: 2, padding: Padding.Same)(x);                         // (3, 3, 3)
        return new Model(image, GlobalAveragePooling2D()(x));
    }
}

/// <summary>The decoder's layers: Reshape, strided transposed convolutions with both paddings, upsampling, global max.</summary>
public partial class Upsampler
{
    [ModelBuilder]
    static Model Build()
    {
        var code = Input([8]);
        var x = Reshape([2, 2, 2])(code);
        x = Conv2DTranspose(3, 3, strides: 2, padding: Padding.Same, activation: Activation.Tanh)(x);    // (4, 4, 3)
        x = Conv2DTranspose(2, 3, activation: Activation.Tanh)(x);                                      // (6, 6, 2)
        x = UpSampling2D(2)(x);                                                                         // (12, 12, 2)
        return new Model(code, [GlobalMaxPooling2D()(x), Conv2DTranspose(1, 2, strides: 3)(x)]);        // (2), (36, 36, 1)
    }
}

/// <summary>A depthwise-separable convolution with a depth multiplier.</summary>
public partial class Separable
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([5, 5, 3]);
        var x = SeparableConv2D(4, 3, depthMultiplier: 2, padding: Padding.Same, activation: Activation.Tanh)(image);
        x = ActivationLayer(Activation.Swish)(x);
        return new Model(image, GlobalAveragePooling2D()(x));
    }
}

/// <summary>1-D convolutions (dilated, strided with same padding), 1-D pooling, global max over time.</summary>
public partial class Sequence1D
{
    [ModelBuilder]
    static Model Build()
    {
        var sequence = Input([12, 3]);
        var x = Conv1D(4, 3, dilationRate: 2, activation: Activation.Tanh)(sequence);          // (8, 4)
        x = MaxPool1D(2)(x);                                                                  // (4, 4)
        x = Conv1D(3, 2, strides: 2, padding: Padding.Same)(x);                               // (2, 3)
        x = ActivationLayer(Activation.Softmax)(x);                                           // over the last axis
        x = AveragePooling1D(2, strides: 1)(x);                                               // (1, 3)
        return new Model(sequence, [GlobalMaxPooling1D()(x), GlobalAveragePooling1D()(x)]);
    }
}

/// <summary>Embedding into every recurrent layer: LSTM over all steps, GRU both ways, SimpleRNN.</summary>
public partial class Recurrents
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([5], DType.Int32, name: "words");
        var embedded = Embedding(10, 4)(words);                                              // (5, 4)
        var steps = LSTM(3, returnSequences: true)(embedded);                                 // (5, 3)
        var a = GRU(3)(steps);
        var b = GRU(2, resetAfter: false, returnSequences: true)(embedded);                   // (5, 2)
        var c = SimpleRNN(2)(b);
        return new Model(words, Dense(1)(Concatenate([a, c])));
    }
}

/// <summary>A variable-length sequence of ids into an LSTM: the seed's ticket classifier's text branch.</summary>
public partial class TextBranch
{
    [ModelBuilder]
    static Model Build()
    {
        var title = Input([null], DType.Int32, name: "title");
        var features = LSTM(4)(Embedding(20, 3)(title));
        return new Model(title, Dense(2, Activation.Softmax)(features));
    }
}

/// <summary>The seed's multi-output posts model, small: Conv1D over a variable-length sequence, pooled.</summary>
public partial class PostsSmall
{
    [ModelBuilder]
    static Model Build()
    {
        var posts = Input([null], DType.Int32, name: "posts");
        var x = Conv1D(4, 3, activation: Activation.Relu)(Embedding(30, 5)(posts));
        x = MaxPool1D(2)(x);
        x = Conv1D(4, 2, activation: Activation.Relu)(x);
        x = GlobalMaxPool1D()(x);
        return new Model(posts, [Dense(1, name: "age")(x), Dense(3, Activation.Softmax, name: "income")(x), Dense(1, Activation.Sigmoid, name: "gender")(x)]);
    }
}

/// <summary>Dropout and batch normalisation: behave differently while training.</summary>
public partial class Regularized
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6]);
        var h = Dense(8)(x);
        h = BatchNormalization()(h);
        h = Dropout(0.5)(h);
        return new Model(x, Dense(1)(h));
    }
}

/// <summary>Dense layers, for the comparison with PyTorch.</summary>
public partial class TorchDense
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5]);
        var h = Dense(4, Activation.Tanh)(x);
        return new Model(x, Dense(3)(h));
    }
}

/// <summary>Strided same-padded and dilated valid Conv2D, for the comparison with PyTorch.</summary>
public partial class TorchConv
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([7, 8, 3]);
        var y = Conv2D(5, 3, strides: 2, padding: Padding.Same, activation: Activation.Relu)(x);   // (4, 4, 5)
        return new Model(x, Conv2D(2, [2, 3], dilationRate: [1, 1])(y));                           // (3, 2, 2)
    }
}

/// <summary>3×3 stride-1 convolutions from 32 channels, same then valid, odd sizes: the Winograd path, for the comparison
/// with PyTorch.</summary>
public partial class TorchWinograd
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([7, 9, 32]);
        var y = Conv2D(32, 3, padding: Padding.Same, activation: Activation.Relu)(x);               // (7, 9, 32)
        return new Model(x, Conv2D(17, 3)(y));                                                       // (5, 7, 17)
    }
}

/// <summary>Self-attention written by hand with Dot, as Keras users write it without MultiHeadAttention, for the
/// comparison with PyTorch.</summary>
public partial class TorchAttentionByHand
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 5]);
        var queries = Dense(4, name: "query")(x);                                   // (6, 4)
        var keys = Dense(4, name: "key")(x);                                        // (6, 4)
        var values = Dense(3, name: "value")(x);                                    // (6, 3)
        var scores = Lambda(s => s * 0.5f)(Dot(axes: [2, 2])([queries, keys]));    // (6, 6), scaled by 1 / sqrt(4)
        var weights = ActivationLayer(Activation.Softmax)(scores);                  // over the keys
        return new Model(x, Dot(axes: [2, 1])([weights, values]));                  // (6, 3)
    }
}

/// <summary>Keras's Attention layer with a learned scale, a separate key and the causal mask, for PyTorch.</summary>
public partial class TorchCausalAttentionLayer
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4]);
        var q = Dense(3, name: "query")(x);
        var v = Dense(2, name: "value")(x);
        var k = Dense(3, name: "key")(x);
        return new Model(x, Attention(useScale: true, name: "attention")([q, v, k], useCausalMask: true));
    }
}

/// <summary>Keras's Attention layer with a learned scale and a separate key, for the comparison with PyTorch.</summary>
public partial class TorchAttentionLayer
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4]);
        var q = Dense(3, name: "query")(x);
        var v = Dense(2, name: "value")(x);
        var k = Dense(3, name: "key")(x);
        return new Model(x, Attention(useScale: true, name: "attention")([q, v, k]));
    }
}

/// <summary>Multi-head self-attention by hand (two heads of 3), for the comparison with PyTorch's
/// multi_head_attention_forward: linear projections, scores scaled by 1/√3, softmax over the keys, heads merged back.</summary>
/// <summary>Keras's EinsumDense as MultiHeadAttention's projections use it: per head, then the heads collapsed.</summary>
public partial class TorchEinsumDense
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4]);
        var heads = EinsumDense("abc,cde->abde", [null, 2, 3], Activation.Tanh, biasAxes: "de", name: "heads")(x);
        return new Model(x, EinsumDense("abcd,cde->abe", [null, 4], biasAxes: "e", name: "merge")(heads));
    }
}

/// <summary>EinsumDense's other forms: the kernel [out, in], a new axis before a kept one (bias over the kept axis), and
/// Keras's trailing ellipsis.</summary>
public partial class TorchEinsumGeneral
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4]);
        var a = EinsumDense("abc,dc->abd", [null, 3], biasAxes: "d", name: "transposed_kernel")(x);
        var b = EinsumDense("abc,cd->adb", [2, null], Activation.Tanh, biasAxes: "b", name: "new_first")(a);
        return new Model(x, EinsumDense("ab...,bc->ac...", [3], biasAxes: "c", name: "trailing")(b));
    }
}

/// <summary>Keras's AdditiveAttention between Dense projections of the input (the value as the key).</summary>
public partial class TorchAdditiveAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4]);
        return new Model(x, AdditiveAttention(name: "attention")([Dense(3, name: "query")(x), Dense(3, name: "value")(x)]));
    }
}

/// <summary>Keras's MultiHeadAttention as self-attention, first with the causal mask, then without.</summary>
public partial class TorchMultiHeadAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 6]);
        var h = MultiHeadAttention(numHeads: 2, keyDim: 3, name: "causal")(x, x, useCausalMask: true);
        return new Model(x, MultiHeadAttention(numHeads: 3, keyDim: 2, name: "plain")(h, h));
    }
}

public partial class TorchMultiHead
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 6]);
        var q = Reshape([5, 2, 3])(Dense(6, name: "query")(x));
        var k = Reshape([5, 2, 3])(Dense(6, name: "key")(x));
        var v = Reshape([5, 2, 3])(Dense(6, name: "value")(x));
        var attended = Lambda((Tensor[] t) =>
        {
            var scores = Ops.MatMul(Ops.Transpose(t[0], [0, 2, 1, 3]), Ops.Transpose(t[1], [0, 2, 3, 1])) * 0.577350269f;
            return Ops.Transpose(Ops.MatMul(Ops.Softmax(scores), Ops.Transpose(t[2], [0, 2, 1, 3])), [0, 2, 1, 3]);
        })([q, k, v]);
        return new Model(x, Reshape([5, 6])(attended));
    }
}

/// <summary>An LSTM and a GRU with goBackwards, stacked, for the comparison with PyTorch.</summary>
public partial class TorchBackwards
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 3]);
        var y = LSTM(4, returnSequences: true, goBackwards: true)(x);   // (5, 4), in processing order
        return new Model(x, GRU(2, goBackwards: true)(y));                // (2)
    }
}

/// <summary>Strided same-padded and valid Conv2DTranspose, for the comparison with PyTorch.</summary>
public partial class TorchConvTranspose
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3, 4, 2]);
        var y = Conv2DTranspose(3, 3, strides: 2, padding: Padding.Same, activation: Activation.Tanh)(x);   // (6, 8, 3)
        return new Model(x, Conv2DTranspose(2, 3)(y));                                                     // (8, 10, 2)
    }
}

/// <summary>An LSTM over all steps into one that returns the last, for the comparison with PyTorch.</summary>
public partial class TorchLstm
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 3]);
        var steps = LSTM(4, returnSequences: true)(x);
        return new Model(x, LSTM(2)(steps));
    }
}

/// <summary>Bidirectional LSTM then GRU (concat), for PyTorch's bidirectional modules.</summary>
public partial class TorchBidirectional
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 3]);
        var sequences = Bidirectional(LSTM(4, returnSequences: true), name: "lstms")(x);
        return new Model(x, Bidirectional(GRU(3), name: "grus")(sequences));
    }
}

/// <summary>Bidirectional LSTM then GRU over a sequence whose all-zero steps are masked, for PyTorch's packed sequences.</summary>
public partial class TorchMaskedBidirectional
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 3]);
        var sequences = Bidirectional(LSTM(4, returnSequences: true), name: "lstms")(Masking(0.0)(x));
        return new Model(x, Bidirectional(GRU(3), name: "grus")(sequences));
    }
}

/// <summary>An encoder's returned states start a decoder over the same input (Keras's initial_state), LSTM and GRU.</summary>
public partial class TorchEncoderDecoder
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 3]);
        var (_, h, c) = LSTM(4, returnState: true, name: "encoder")(x);
        var lstm = LSTM(4, returnSequences: true, name: "decoder")(x, initialState: [h, c]);
        var (_, g) = GRU(5, returnState: true, name: "gru_encoder")(x);
        var gru = GRU(5, returnSequences: true, name: "gru_decoder")(x, initialState: [g]);
        return new Model(x, [lstm, gru]);
    }
}

/// <summary>GRUs (reset_after, PyTorch's form), for the comparison with PyTorch.</summary>
public partial class TorchGru
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 3]);
        var steps = GRU(4, returnSequences: true)(x);
        return new Model(x, GRU(2)(steps));
    }
}

/// <summary>return_state: an LSTM's sequence and both states, a GRU's output and state, all used downstream.</summary>
public partial class ReturnedStates
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 3]);
        var (output, stateH, stateC) = LSTM(4, returnSequences: true, returnState: true)(x);
        var (last, state) = GRU(3, returnState: true)(output);
        return new Model(x, Dense(2)(Concatenate([stateH, stateC, last, state])));
    }
}

/// <summary>Convolutional and recurrent layers inside TimeDistributed (a video-style model).</summary>
public partial class TimeDistributedLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var clips = Input([3, 6, 2]);                                        // 3 clips of 6 steps
        var x = TimeDistributed(Conv1D(3, 2, activation: Activation.Tanh))(clips);   // (3, 5, 3)
        var y = TimeDistributed(LSTM(2))(x);                                 // (3, 2)
        return new Model(clips, Dense(1)(Flatten()(y)));
    }
}

/// <summary>A tensor and a view of it, both outputs: each loss's gradient must reach the tensor.</summary>
public partial class ViewOutputs
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([2, 3]);
        var h = Dense(3, Activation.Tanh)(x);
        return new Model(x, [h, Flatten()(h), Reshape([3, 2])(h)]);
    }
}

/// <summary>A valid-padded window over a run-time length: too short a sequence is an error, not zeros.</summary>
public partial class ShortSequences
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 3]);
        return new Model(x, LSTM(2)(Conv1D(4, 5)(x)));
    }
}
