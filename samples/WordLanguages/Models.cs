using Unrolled;
using static Unrolled.Layers;

namespace WordLanguages;

/// <summary>
/// Keras's example "Text classification with Transformer", on characters: token and position embeddings, one
/// transformer block (two-head self-attention, a feed-forward network, two LayerNormalization, dropout), average pooling,
/// a small classifier. The token embedding masks the padding (id 0), so attention ignores padded characters and the
/// pooling averages the real ones.
/// </summary>
public partial class WordTransformer
{
    public const int MaxLength = 16, Vocabulary = 64, Languages = 5, EmbedDim = 32, Heads = 2, FeedForward = 32;

    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([MaxLength], dtype: DType.Int32, name: "characters");
        var tokens = Embedding(Vocabulary, EmbedDim, maskZero: true)(ids);
        var x = Add()([tokens, PositionEmbedding(MaxLength)(tokens)]);

        var attention = MultiHeadAttention(numHeads: Heads, keyDim: EmbedDim)(x, x);
        x = LayerNormalization(epsilon: 1e-6)(Add()([x, Dropout(0.1)(attention)]));
        var feedForward = Dense(EmbedDim)(Dense(FeedForward, Activation.Relu)(x));
        x = LayerNormalization(epsilon: 1e-6)(Add()([x, Dropout(0.1)(feedForward)]));

        x = Dropout(0.1)(GlobalAveragePooling1D()(x));
        x = Dropout(0.1)(Dense(20, Activation.Relu)(x));
        return new Model(ids, Dense(Languages, Activation.Softmax, name: "language")(x), name: "word_transformer");
    }
}

/// <summary>A bidirectional LSTM over the masked characters (the padding skipped in both directions), then the language.</summary>
public partial class WordBiLstm
{
    [ModelBuilder]
    static Model Build()
    {
        var ids = Input([WordTransformer.MaxLength], dtype: DType.Int32, name: "characters");
        var x = Embedding(WordTransformer.Vocabulary, 32, maskZero: true)(ids);
        x = Bidirectional(LSTM(32))(x);
        return new Model(ids, Dense(WordTransformer.Languages, Activation.Softmax, name: "language")(x), name: "word_bilstm");
    }
}
