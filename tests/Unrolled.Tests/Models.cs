using Unrolled;
using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>The tutorial's MLP.</summary>
public partial class Mlp
{
    [ModelBuilder]
    static Model Build()
    {
        var inputs = Input([784]);
        var x = Dense(64, Activation.Relu)(inputs);
        x = Dense(64, Activation.Relu)(x);
        var outputs = Dense(10, Activation.Softmax)(x);
        return new Model(inputs, outputs, name: "mnist_model");
    }
}

/// <summary>
/// One Dense branch per activation on a shared trunk, concatenated: finite differences of a loss over every weight
/// check each activation's derivative, the Dense kernels, Concatenate, and the gradient flowing back into the trunk.
/// </summary>
public partial class EveryActivation
{
    public const int Activations = 14;

    [ModelBuilder]
    static Model Build()
    {
        var input = Input([5]);
        var trunk = Dense(6, Activation.Tanh, name: "trunk")(input);
        var branches = new Tensor[Activations];
        for (int i = 0; i < Activations; i++)
        {
            branches[i] = Dense(3, (Activation)i, name: $"branch_{i}")(trunk);
        }

        return new Model(input, Concatenate(branches));
    }
}

/// <summary>Two inputs, two outputs (a 4-way softmax and a sigmoid), a residual Add and Concatenate.</summary>
public partial class TwoHeads
{
    [ModelBuilder]
    static Model Build()
    {
        var features = Input([8], name: "features");
        var extra = Input([4], name: "extra");
        var h = Dense(16, Activation.Relu)(Concatenate([features, extra]));
        var skip = Dense(16, useBias: false)(features);
        h = Add([h, skip]);
        h = Dense(16, Activation.Tanh)(h);
        var category = Dense(4, Activation.Softmax, name: "category")(h);
        var flag = Dense(1, Activation.Sigmoid, name: "flag")(h);
        return new Model([features, extra], [category, flag], name: "two_heads");
    }
}

/// <summary>A regression model with a Swish layer (its backward needs the stored pre-activation).</summary>
public partial class Regressor
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3]);
        var h = Dense(8, Activation.Swish)(x);
        h = Dense(8, Activation.Gelu)(h);
        return new Model(x, Dense(2)(h));
    }
}

/// <summary>Every merge layer on two Dense branches, concatenated, so finite differences check each backward.</summary>
public partial class EveryMerge
{
    [ModelBuilder]
    static Model Build()
    {
        var a = Input([6], name: "a");
        var b = Input([6], name: "b");
        var h1 = Dense(6, Activation.Tanh)(a);
        var h2 = Dense(6, Activation.Tanh)(b);
        var difference = Subtract([h1, h2]);
        var parts = new[]
        {
            difference,
            Multiply([h1, h2]),
            Multiply([h1, h2, difference]),
            Average([h1, h2, difference]),
            Maximum([h1, h2, difference]),
            Minimum([h1, h2]),
            Dot([h1, h2], axes: -1),
            Dot([h1, h2], axes: -1, normalize: true),
            Add([h1, h2]),
        };
        return new Model([a, b], Concatenate(parts));
    }
}

/// <summary>A tower model applied to two inputs (shared weights), as the tutorial's shared-LSTM tweet model does.</summary>
public partial class Siamese
{
    static Model Tower()
    {
        var x = Input([5]);
        return new Model(x, Dense(4, Activation.Tanh)(Dense(6, Activation.Elu)(x)), name: "tower");
    }

    [ModelBuilder]
    static Model Build()
    {
        Layer tower = Tower();
        var left = Input([5], name: "left");
        var right = Input([5], name: "right");
        var similarity = Dot([tower(left), tower(right)], axes: -1, normalize: true);
        return new Model([left, right], Dense(1, Activation.Sigmoid, name: "same")(similarity));
    }
}

/// <summary>
/// The tutorial's MaLSTM similarity, exp(-sum(|a - b|)), as a Lambda over a shared encoder (a Dense stand-in for the
/// shared LSTM until recurrent layers exist).
/// </summary>
public partial class Manhattan
{
    static Tensor ExponentNegManhattanDistance(Tensor[] v) => Ops.Exp(-Ops.Sum(Ops.Abs(v[0] - v[1]), axis: 1, keepDims: true));

    static int[] OutShape(int[][] shapes) => [1];

    [ModelBuilder]
    static Model Build()
    {
        var left = Input([12], name: "left");
        var right = Input([12], name: "right");
        var shared = Dense(6, Activation.Tanh, name: "encoder");
        var distance = Lambda(ExponentNegManhattanDistance, outputShape: OutShape)([shared(left), shared(right)]);
        return new Model([left, right], distance, name: "malstm");
    }
}

/// <summary>Every tensor operation inside Lambdas, with broadcasting, for finite differences.</summary>
public partial class EveryOp
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3, 4], name: "x");
        var h = Dense(4, Activation.Tanh)(x);
        var positive = Lambda(t => Ops.Square(t) + 0.5f)(h);
        var ops = Lambda((Tensor[] v) =>
        {
            var a = v[0];
            var p = v[1];
            var logs = Ops.Log(p) * Ops.Sqrt(p);
            var normalised = p / Ops.Sum(p, axis: -1, keepDims: true);        // broadcast [3,4] / [3,1]
            var centred = a - Ops.Mean(a, axis: 1, keepDims: true);           // broadcast [3,4] - [1,4]
            var bounded = Ops.Maximum(Ops.Minimum(a, p), -p);                 // p = t² + 0.5 > |a|: no kink; OpBound tests crossings
            var gates = Ops.Sigmoid(a) * Ops.Tanh(centred) + Ops.Relu(a - 0.1f);
            return 2f - (logs + normalised + bounded + gates) / 3f;
        })([h, positive]);
        var pooled = Lambda(t => Ops.Mean(Ops.Exp(t * 0.5f), axis: 1))(ops);  // [3,4] -> [4]
        return new Model(x, Dense(2)(pooled));
    }
}

/// <summary>Keras's Attention layer: the value as the key, and a separate key with a learned scale.</summary>
public partial class AttentionLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = Input([6, 4], name: "y");
        var query = Dense(3)(x);                                                         // (5, 3)
        var plain = Attention()([query, Dense(3, Activation.Tanh)(y)]);                 // (5, 3): value = key
        var scaled = Attention(useScale: true)([query, Dense(2)(y), Dense(3)(y)]);       // (5, 2)
        return new Model([x, y], Dense(2)(Flatten()(Concatenate([plain, scaled]))));
    }
}

/// <summary>
/// Keras's seq2seq wiring: encoders' returned states start decoders (initial_state) of each kind, one going backwards,
/// one from a Dense's output rather than an encoder's; the gradients flow through the states into the encoders.
/// </summary>
public partial class EncoderDecoders
{
    [ModelBuilder]
    static Model Build()
    {
        var source = Input([5, 3], name: "source");
        var target = Input([4, 2], name: "target");
        var (_, h, c) = LSTM(4, returnState: true)(source);
        var lstm = LSTM(4, returnSequences: true)(target, initialState: [h, c]);
        var (_, g) = GRU(3, returnState: true, resetAfter: false)(source);
        var gru = GRU(3, goBackwards: true)(target, initialState: [g]);
        var rnn = SimpleRNN(2, returnSequences: true)(target, initialState: [Dense(2, Activation.Tanh)(Flatten()(source))]);
        return new Model([source, target], [lstm, gru, rnn]);
    }
}

/// <summary>
/// Keras's Bidirectional with every merge mode, each recurrent kind, returned states (forward then backward), an initial
/// state split in halves, a given backward layer, and a run-time length in <see cref="BidirectionalRunTimeLengths"/>.
/// </summary>
public partial class BidirectionalLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 3], name: "x");
        var sequences = Bidirectional(LSTM(4, returnSequences: true))(x);                                   // (5, 8)
        var summed = Bidirectional(GRU(3, returnSequences: true), mergeMode: "sum")(sequences);            // (5, 3)
        var last = Bidirectional(SimpleRNN(2), mergeMode: "ave")(summed);                                   // (2)
        var (forward, backward) = Bidirectional(GRU(2, resetAfter: false), mergeMode: null)(x);            // (2), (2)
        var (output, fh, fc, bh, bc) = Bidirectional(LSTM(2, returnSequences: true, returnState: true), mergeMode: "mul")(x);
        var started = Bidirectional(SimpleRNN(2), backwardLayer: SimpleRNN(2, goBackwards: true))(x, initialState: [fh, bc]); // (4)
        return new Model(x, Dense(2)(Concatenate([last, forward, backward, Flatten()(output), fh, fc, bh, bc, started])));
    }
}

/// <summary>A bidirectional LSTM classifier over sequences whose length is given at run time.</summary>
public partial class BidirectionalRunTimeLengths
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 3], name: "x");
        var sequences = Bidirectional(LSTM(3, returnSequences: true))(x);
        return new Model(x, Dense(2)(Bidirectional(GRU(2))(sequences)));
    }
}

/// <summary>
/// Streaming a sequence chunk by chunk without stateful layers: the states are inputs and outputs of the model, so the
/// caller carries them from one chunk to the next (docs/streaming.md).
/// </summary>
public partial class StreamingLstm
{
    [ModelBuilder]
    static Model Build()
    {
        var chunk = Input([null, 3], name: "chunk");
        var h = Input([4], name: "h");
        var c = Input([4], name: "c");
        var (steps, hOut, cOut) = LSTM(4, returnSequences: true, returnState: true)(chunk, initialState: [h, c]);
        return new Model([chunk, h, c], [Dense(2)(steps), hOut, cOut]);
    }
}

/// <summary>A GRU encoder and decoder over sequences whose lengths are given at run time.</summary>
public partial class EncoderDecoderRunTimeLengths
{
    [ModelBuilder]
    static Model Build()
    {
        var source = Input([null, 3], name: "source");
        var target = Input([null, 2], name: "target");
        var (_, state) = GRU(4, returnState: true)(source);
        return new Model([source, target], GRU(4, returnSequences: true)(target, initialState: [state]));
    }
}

/// <summary>
/// Keras's MultiHeadAttention: one layer called twice (self-attention with the causal mask, then without it on another
/// query), so its calls share weights; and a cross-attention layer with a separate key, valueDim, outputShape and no
/// biases.
/// </summary>
public partial class MultiHeadAttentionLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = Input([6, 3], name: "y");
        var self = MultiHeadAttention(numHeads: 2, keyDim: 3, name: "self");
        var causal = self(x, x, useCausalMask: true);                                                   // (5, 4)
        var plain = self(causal, x);                                                                     // (5, 4)
        var cross = MultiHeadAttention(3, keyDim: 2, valueDim: 4, useBias: false, outputShape: 5, name: "cross")(plain, y, key: Dense(2)(y)); // (5, 5)
        return new Model([x, y], [causal, cross]);
    }
}

/// <summary>
/// Outputs that lie in temporaries next to an attention whose weights a prediction does not keep: a MultiHeadAttention's
/// output, an LSTM's returned state (a view of its temporaries) and another attention's returned scores. The ports must
/// lie at the same offsets in the prediction and training layouts.
/// </summary>
public partial class AttentionBesideReturnedStates
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 4], name: "x");
        var attended = MultiHeadAttention(numHeads: 2, keyDim: 3, name: "plain")(x, x);                  // (6, 4)
        var (last, h, c) = LSTM(3, returnState: true)(attended);
        var (output, scores) = MultiHeadAttention(numHeads: 2, keyDim: 2, name: "scored")(x, attended, returnAttentionScores: true);
        return new Model(x, [attended, last, h, scores, output]);
    }
}

/// <summary>Causal attention over more query steps than one block of the kernel computes at a time, self and cross
/// (more queries than keys), for the flat-graph reference.</summary>
public partial class LongCausalAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([150, 4], name: "x");
        var y = Input([100, 4], name: "y");
        var attention = MultiHeadAttention(numHeads: 2, keyDim: 3);
        return new Model([x, y], [attention(x, x, useCausalMask: true), attention(x, y, useCausalMask: true)]);
    }
}

/// <summary>MultiHeadAttention, Attention and AdditiveAttention with dropout on their weights (training only).</summary>
public partial class DroppedAttention
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([6, 4], name: "x");
        var heads = MultiHeadAttention(numHeads: 2, keyDim: 3, dropout: 0.5)(x, x);
        var dot = Attention(useScale: true, dropout: 0.3)([x, x]);
        var additive = AdditiveAttention(dropout: 0.3)([x, x]);
        return new Model(x, Dense(2)(Flatten()(Concatenate([heads, dot, additive]))));
    }
}

/// <summary>A transformer encoder block as Keras's text-classification example builds it, over a run-time length.</summary>
public partial class TransformerBlockOverRunTimeLengths
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 4], name: "x");
        var attention = MultiHeadAttention(numHeads: 2, keyDim: 4)(x, x);
        var first = LayerNormalization(epsilon: 1e-6)(Add()([x, attention]));
        var feedForward = Dense(4)(Dense(8, Activation.Relu)(first));
        var second = LayerNormalization(epsilon: 1e-6)(Add()([first, feedForward]));
        return new Model(x, Dense(2)(GlobalAveragePooling1D()(second)));
    }
}

/// <summary>
/// Keras's EinsumDense in the forms its MultiHeadAttention uses: Dense over the last axis with a bias and an activation,
/// one projection per head ("abc,cde->abde", bias over both new axes), the heads collapsed ("abcd,cde->abe"), and the
/// one-axis form with a bias over only the last of two new axes.
/// </summary>
public partial class EinsumDenseLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var dense = EinsumDense("abc,cd->abd", [null, 3], Activation.Relu, biasAxes: "d")(x);          // (5, 3)
        var heads = EinsumDense("abc,cde->abde", [null, 2, 3], biasAxes: "de")(x);                     // (5, 2, 3)
        var merged = EinsumDense("abcd,cde->abe", [null, 4], Activation.Tanh, biasAxes: "e")(heads);   // (5, 4)
        var flat = EinsumDense("ab,bcd->acd", [2, 3], biasAxes: "d")(Flatten()(merged));              // (2, 3)
        var last = EinsumDense("ab,bc->ac", 2)(Flatten()(dense));                                      // (2)
        return new Model(x, [Flatten()(flat), last]);
    }
}

/// <summary>EinsumDense beyond the dense-product forms: a kernel in [out, in] order, a new axis before a kept one with a bias
/// over the kept axis, a contracted middle axis, Keras's leading and trailing ellipsis, and a softmax over a reordered
/// output's last axis.</summary>
public partial class EinsumGeneralLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var a = EinsumDense("abc,dc->abd", [null, 3], biasAxes: "d", name: "transposed_kernel")(x);             // (5, 3)
        var b = EinsumDense("abc,cd->adb", [2, null], Activation.Tanh, biasAxes: "b", name: "new_first")(a);     // (2, 5)
        var c = EinsumDense("abc,bd->acd", [null, 3], Activation.Relu, name: "middle")(b);                       // (5, 3)
        var d = EinsumDense("...c,cd->...d", 4, biasAxes: "d", name: "leading")(c);                             // (5, 4)
        var e = EinsumDense("ab...,bc->ac...", [3], biasAxes: "c", name: "trailing")(d);                        // (3, 4)
        var f = EinsumDense("abc,cd->adb", [2, null], Activation.Softmax, biasAxes: "db", name: "softmax")(e);   // (2, 3)
        return new Model(x, [Flatten()(e), Flatten()(f)]);
    }
}

/// <summary>Ops.MatMul broadcasting its leading axes as NumPy's: a missing axis, an axis of 1, on either side.</summary>
public partial class BroadcastMatMuls
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([2, 4, 3], name: "x");
        var w = Input([3, 5], name: "w");
        var one = Input([1, 4, 3], name: "one");
        var shared = Ops.MatMul(x, w);                                  // (2, 4, 5): w for both
        var expanded = Ops.MatMul(one, Ops.MatMul(Permute([1, 3, 2])(x), Dense(5)(one))); // (1,4,3)·((2,3,3)·(1,3,5)) → (2, 4, 5)
        return new Model([x, w, one], [shared, expanded]);
    }
}

/// <summary>Keras's AdditiveAttention: a learned scale per feature with the value as the key, and no scale with a key.</summary>
public partial class AdditiveAttentionLayers
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 4], name: "x");
        var y = Input([6, 4], name: "y");
        var query = Dense(3)(x);                                                                  // (5, 3)
        var scaled = AdditiveAttention()([query, Dense(3, Activation.Tanh)(y)]);                 // (5, 3): value = key
        var plain = AdditiveAttention(useScale: false)([query, Dense(2)(y), Dense(3)(y)]);       // (5, 2)
        return new Model([x, y], Dense(2)(Flatten()(Concatenate([scaled, plain]))));
    }
}

/// <summary>
/// Multi-head self-attention written by hand, as Keras users write it with ops: per-head queries, keys and values by
/// Reshape, heads to the front with Ops.Transpose, Ops.MatMul for the scores and the weighted values, Ops.Softmax over
/// the keys, and back; then Permute and a head.
/// </summary>
public partial class MultiHeadByHand
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 6], name: "x");
        var q = Reshape([4, 2, 3])(Dense(6)(x));                                        // (T, heads, d)
        var k = Reshape([4, 2, 3])(Dense(6)(x));
        var v = Reshape([4, 2, 3])(Dense(6, Activation.Tanh)(x));
        var attended = Lambda((Tensor[] t) =>
        {
            var queries = Ops.Transpose(t[0], [0, 2, 1, 3]);                           // (heads, T, d)
            var keys = Ops.Transpose(t[1], [0, 2, 3, 1]);                              // (heads, d, T)
            var values = Ops.Transpose(t[2], [0, 2, 1, 3]);                            // (heads, T, d)
            var weights = Ops.Softmax(Ops.MatMul(queries, keys) * 0.57735f, axis: -1); // (heads, T, T)
            return Ops.Transpose(Ops.MatMul(weights, values), [0, 2, 1, 3]);           // (T, heads, d)
        })([q, k, v]);
        var merged = Reshape([4, 6])(attended);
        return new Model(x, Dense(2)(Flatten()(Permute([2, 1])(merged))));
    }
}

/// <summary>Softmax along every kind of axis: the Keras layer over the last axis, over a middle axis of a rank-3 tensor
/// and over the first, and Ops.Softmax inside a Lambda (attention's weights over the queries instead of the keys).</summary>
public partial class EverySoftmax
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 3], name: "x");
        var h = Dense(3, Activation.Tanh)(x);                                            // (4, 3)
        var last = Softmax()(h);
        var first = Softmax(axis: 1)(h);
        var cube = Reshape([2, 2, 3])(Dense(3)(x));                                      // (2, 2, 3)
        var middle = Softmax(axis: 2)(cube);
        var scores = Dot(axes: [2, 2])([h, Dense(3)(x)]);                                // (4, 4)
        var byQuery = Lambda(s => Ops.Softmax(s * 2f, axis: 1))(scores);
        return new Model(x, Concatenate([Flatten()(last), Flatten()(first), Flatten()(middle), Flatten()(byQuery)]));
    }
}

/// <summary>Self-attention written with Dot over sequences whose length is given at run time: the weights' key axis
/// and the values' step axis are the same run-time length, contracted.</summary>
public partial class AttentionOverRunTimeLengths
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([null, 4], name: "x");
        var queries = Dense(3)(x);
        var keys = Dense(3)(x);
        var values = Dense(2, Activation.Tanh)(x);
        var weights = ActivationLayer(Activation.Softmax)(Dot(axes: [2, 2])([queries, keys]));   // (T, T)
        var attended = Dot(axes: [2, 1])([weights, values]);                                     // (T, 2)
        return new Model(x, Dense(2)(GlobalAveragePooling1D()(attended)));
    }
}

/// <summary>
/// Dot over every kind of axis pair (Keras's batch_dot): attention by hand (scores over the feature axes, then the
/// weights against the values over the key axis), contractions over the time axis, a vector against a sequence, rank-4
/// inputs whose contracted axis sits in the middle, and normalize over an axis that is not the last.
/// </summary>
public partial class EveryDot
{
    [ModelBuilder]
    static Model Build()
    {
        var a = Input([4, 3], name: "a");
        var b = Input([5, 3], name: "b");
        var queries = Dense(3, Activation.Tanh)(a);                                 // (4, 3)
        var keys = Dense(3, Activation.Tanh)(b);                                    // (5, 3)
        var values = Dense(2)(b);                                                   // (5, 2)
        var wide = Dense(4)(b);                                                     // (5, 4)
        var scores = Dot(axes: [2, 2])([queries, keys]);                            // (4, 5)
        var attended = Dot(axes: [2, 1])([ActivationLayer(Activation.Tanh)(scores), values]); // (4, 2)
        var overTime = Dot(axes: [1, 1])([queries, Dense(2)(a)]);                   // (3, 2)
        var crossed = Dot(axes: [1, 2])([queries, wide]);                           // (3, 5)
        var cosine = Dot(axes: [1, 1], normalize: true)([queries, Dense(2)(a)]);    // (3, 2)
        var vector = Dot(axes: [1, 2])([Flatten()(Dense(1)(a)), wide]);             // (5)
        var cube = Reshape([2, 2, 3])(queries);                                     // (2, 2, 3)
        var middle = Dot(axes: [2, 1])([cube, Reshape([2, 3, 2])(Dense(12)(Flatten()(b)))]); // (2, 3, 3, 2)
        var last = Dot([keys, keys], axes: -1, normalize: true);                    // (5, 5)
        return new Model([a, b], Concatenate([Flatten()(scores), Flatten()(attended), Flatten()(overTime), Flatten()(crossed),
            Flatten()(cosine), vector, Flatten()(middle), Flatten()(last)]));
    }
}

/// <summary>Merge layers with Keras's broadcasting: a per-sample scale [1] and a per-row bias [1, 4] against [3, 4], with two and three inputs.</summary>
public partial class BroadcastMerges
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([3, 4], name: "x");
        var h = Dense(4, Activation.Tanh)(x);                                    // [3, 4]
        var scale = Dense(1, Activation.Sigmoid)(Ops.Mean(h, axis: 1));          // [1]
        var row = Ops.Mean(Dense(4)(x), axis: 1, keepDims: true);                // [1, 4]
        var parts = new[]
        {
            Multiply([h, scale]),
            Add([h, row, scale]),
            Subtract([row, h]),
            Maximum([h, row]),
            Minimum([scale, h]),
            Average([h, row, scale]),
            Multiply([scale, h, row]),
            Maximum([row, h, scale]),
            Minimum([h, scale, row]),
        };
        return new Model(x, Dense(2)(Ops.Mean(Concatenate(parts, axis: -1), axis: 1)));
    }
}

/// <summary>The tutorial's TimeDistributed(model): the MLP applied to each of 20 steps of a (20, 784) sequence.</summary>
public partial class SequenceMlp
{
    static Model Classifier()
    {
        var inputs = Input([784]);
        var x = Dense(64, Activation.Relu)(inputs);
        x = Dense(64, Activation.Relu)(x);
        return new Model(inputs, Dense(10, Activation.Softmax)(x));
    }

    [ModelBuilder]
    static Model Build()
    {
        var inputSequences = Input([20, 784]);
        var processedSequences = TimeDistributed(Classifier())(inputSequences);
        return new Model(inputSequences, processedSequences);
    }
}

/// <summary>TimeDistributed of a Dense layer and of a small model, pooled over time, for finite differences.</summary>
public partial class TimeSteps
{
    static Model Step()
    {
        var x = Input([3]);
        return new Model(x, Dense(2)(Dense(3, Activation.Elu)(x)), name: "step");
    }

    [ModelBuilder]
    static Model Build()
    {
        var sequence = Input([5, 4]);
        var h = TimeDistributed(Dense(3, Activation.Tanh))(sequence);   // (None, 5, 3)
        var s = TimeDistributed(Step())(h);                               // (None, 5, 2)
        return new Model(sequence, Dense(1)(Ops.Mean(s, axis: 1)));
    }
}

/// <summary>TimeDistributed inside TimeDistributed: a Dense over the last axis of a (2, 3, 4) tensor.</summary>
public partial class NestedTime
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([2, 3, 4]);
        var y = TimeDistributed(TimeDistributed(Dense(5, Activation.Tanh)))(x);
        return new Model(x, y);
    }
}

/// <summary>The same Dense applied to the (2, 3, 4) tensor directly (Keras's Dense works on the last axis).</summary>
public partial class FlatTime
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([2, 3, 4]);
        return new Model(x, Dense(5, Activation.Tanh)(x));
    }
}

/// <summary>The tutorial's encoder, built from the layers <see cref="Autoencoder"/> also uses.</summary>
public partial class Encoder
{
    internal static Tensor Encode(Tensor img)
    {
        var x = Dense(32, Activation.Relu, name: "encode_1")(img);
        return Dense(8, Activation.Relu, name: "encode_2")(x);
    }

    [ModelBuilder]
    static Model Build()
    {
        var img = Input([64], name: "img");
        return new Model(img, Encode(img), name: "encoder");
    }
}

/// <summary>The autoencoder: the encoder's layers, a decoder, and the code as a second output.</summary>
public partial class Autoencoder
{
    [ModelBuilder]
    static Model Build()
    {
        var img = Input([64], name: "img");
        var code = Encoder.Encode(img);
        var decoded = Dense(64, Activation.Sigmoid, name: "decoded")(Dense(32, Activation.Relu)(code));
        return new Model(img, [decoded, code], name: "autoencoder");
    }
}
