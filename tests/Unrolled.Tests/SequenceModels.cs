using static Unrolled.Layers;

namespace Unrolled.Tests;

/// <summary>Variable-length sequences: a Dense on every step, the mean over time, a classifier.</summary>
public partial class MeanOverTime
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([null, 4], name: "words");
        var steps = Dense(6, Activation.Tanh)(words);     // (None, None, 6)
        var pooled = Ops.Mean(steps, axis: 1);              // (None, 6)
        return new Model(words, Dense(3, Activation.Softmax)(pooled));
    }
}

/// <summary>A variable-length sequence tagged step by step, plus a fixed bias broadcast over every step.</summary>
public partial class Tagger
{
    [ModelBuilder]
    static Model Build()
    {
        var tokens = Input([null, 3], name: "tokens");
        var bias = Input([1, 2], name: "bias");
        var tags = TimeDistributed(Dense(2, Activation.Tanh))(tokens);   // (None, None, 2)
        return new Model([tokens, bias], Add([tags, bias]));             // (None, None, 2)
    }
}

/// <summary>
/// The ticket classifier's graph with Dense stand-ins: two sequences of their own lengths joined along time and
/// pooled, a fixed-size input beside them, two outputs.
/// </summary>
public partial class JoinedSequences
{
    [ModelBuilder]
    static Model Build()
    {
        var title = Input([null, 3], name: "title");
        var body = Input([null, 3], name: "body");
        var tags = Input([4], name: "tags");
        var joined = Concatenate([title, body], axis: 1);                  // (None, None, 3): both lengths
        var pooled = Ops.Sum(Dense(5, Activation.Tanh)(joined), axis: 1);   // (None, 5)
        var x = Concatenate([pooled, tags]);
        return new Model([title, body, tags],
            [Dense(1, name: "priority")(x), Dense(4, Activation.Softmax, name: "department")(x)]);
    }
}

/// <summary>An input with two unknown axes (an image of any size): a Dense per pixel, pooled over both axes.</summary>
public partial class AnySizeImage
{
    [ModelBuilder]
    static Model Build()
    {
        var image = Input([null, null, 2], name: "image");
        var pixels = Dense(3, Activation.Relu)(image);       // (None, None, None, 3)
        var rows = Ops.Mean(pixels, axis: 1);                // (None, None, 3)
        return new Model(image, Ops.Mean(rows, axis: 1));    // (None, 3)
    }
}

/// <summary>
/// Recurrent layers fed straight by Embeddings, whose input projections inference folds into the tables: a GRU
/// (reset_after, two bias rows) and a SimpleRNN share an Embedding that a pooling also reads, so it still runs; an
/// LSTM without bias has an Embedding of its own, read by nothing else, so a folded pass skips it.
/// </summary>
public partial class FoldedRecurrents
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([6], DType.Int32, name: "words");
        var shared = Embedding(12, 5)(words);
        var a = GRU(3)(shared);
        var b = SimpleRNN(2, returnSequences: true)(shared);
        var pooled = GlobalAveragePooling1D()(shared);
        var c = LSTM(2, useBias: false)(Embedding(12, 3)(words));
        return new Model(words, Dense(2)(Concatenate([a, Flatten()(b), pooled, c])));
    }
}

/// <summary>
/// Keras's seq2seq decoder: an Embedding feeds an LSTM and a GRU that start from an encoder's states, so the folded
/// (inference) pass must start from them too.
/// </summary>
public partial class FoldedDecoder
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([6], DType.Int32, name: "words");
        var embedded = Embedding(12, 5)(words);
        var (_, h, c) = LSTM(3, returnState: true)(embedded);
        var lstm = LSTM(3, returnSequences: true)(Embedding(12, 4)(words), initialState: [h, c]);
        var gru = GRU(3, goBackwards: true)(Embedding(12, 2)(words), initialState: [Dense(3)(Flatten()(embedded))]);
        return new Model(words, Dense(2)(Concatenate([Flatten()(lstm), gru])));
    }
}

/// <summary>Each recurrent kind with <c>goBackwards</c>, every step returned and the last states too, for the check
/// against the same layers run forwards on the reversed sequence (<see cref="ForwardsOnReversed"/>).</summary>
public partial class Backwards
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 3], name: "x");
        var (lstm, lstmH, lstmC) = LSTM(4, returnSequences: true, returnState: true, goBackwards: true, name: "lstm")(x);
        var (gru, gruH) = GRU(3, returnSequences: true, returnState: true, goBackwards: true, name: "gru")(x);
        var (rnn, rnnH) = SimpleRNN(2, returnSequences: true, returnState: true, goBackwards: true, name: "rnn")(x);
        return new Model(x, [lstm, lstmH, lstmC, gru, gruH, rnn, rnnH]);
    }
}

/// <summary><see cref="Backwards"/>'s layers without <c>goBackwards</c>, under the same names (so the same weights).</summary>
public partial class ForwardsOnReversed
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([5, 3], name: "x");
        var (lstm, lstmH, lstmC) = LSTM(4, returnSequences: true, returnState: true, name: "lstm")(x);
        var (gru, gruH) = GRU(3, returnSequences: true, returnState: true, name: "gru")(x);
        var (rnn, rnnH) = SimpleRNN(2, returnSequences: true, returnState: true, name: "rnn")(x);
        return new Model(x, [lstm, lstmH, lstmC, gru, gruH, rnn, rnnH]);
    }
}

/// <summary>goBackwards layers stacked, for finite differences: a backwards LSTM's sequence into a backwards GRU
/// (so the gradient reaches the first layer's input through the reversal), and a backwards SimpleRNN's last state.</summary>
public partial class BackwardsStack
{
    [ModelBuilder]
    static Model Build()
    {
        var x = Input([4, 3], name: "x");
        var sequence = LSTM(3, returnSequences: true, goBackwards: true)(Dense(3, Activation.Tanh)(x));
        var (gru, state) = GRU(2, returnState: true, goBackwards: true, resetAfter: false)(sequence);
        var rnn = SimpleRNN(2, goBackwards: true)(x);
        return new Model(x, Concatenate([gru, state, rnn]));
    }
}

/// <summary>Backwards recurrent layers fed by an Embedding, whose projections inference folds.</summary>
public partial class FoldedBackwards
{
    [ModelBuilder]
    static Model Build()
    {
        var words = Input([6], DType.Int32, name: "words");
        var shared = Embedding(12, 5)(words);
        var a = GRU(3, goBackwards: true)(shared);
        var b = SimpleRNN(2, returnSequences: true, goBackwards: true)(shared);
        var c = LSTM(2, goBackwards: true)(shared);
        return new Model(words, Concatenate([a, Flatten()(b), c]));
    }
}
