using Unrolled;
using static Unrolled.Layers;

namespace CharTranslation;

/// <summary>
/// Keras's character-level sequence-to-sequence model, trained with teacher forcing: an LSTM encoder reads the English
/// word, and its last states start an LSTM decoder that reads the French word shifted right (a start character first) and
/// predicts each next character. The characters are ids with 0 as padding, masked in both embeddings, so the encoder's
/// states are those after the word's last character and the loss counts only the real steps.
/// </summary>
public partial class Translator
{
    public const int SourceLength = 20, TargetLength = 22, Characters = 48, Units = 128, EmbeddingSize = 64;

    [ModelBuilder]
    static Model Build()
    {
        var english = Input([SourceLength], dtype: DType.Int32, name: "english");
        var french = Input([TargetLength], dtype: DType.Int32, name: "french_so_far");
        var (_, h, c) = LSTM(Units, returnState: true, name: "encoder")(Embedding(Characters, EmbeddingSize, maskZero: true, name: "english_characters")(english));
        var decoded = LSTM(Units, returnSequences: true, name: "decoder")(
            Embedding(Characters, EmbeddingSize, maskZero: true, name: "french_characters")(french), initialState: [h, c]);
        return new Model([english, french], Dense(Characters, Activation.Softmax, name: "next_character")(decoded), name: "translator");
    }
}

/// <summary>The inference encoder (Keras's <c>encoder_model</c>): the English word to the decoder's first states. Its
/// layers have the training model's names, so the trained weights copy over by name.</summary>
public partial class Encoder
{
    [ModelBuilder]
    static Model Build()
    {
        var english = Input([Translator.SourceLength], dtype: DType.Int32, name: "english");
        var (_, h, c) = LSTM(Translator.Units, returnState: true, name: "encoder")(
            Embedding(Translator.Characters, Translator.EmbeddingSize, maskZero: true, name: "english_characters")(english));
        return new Model(english, [h, c], name: "encoder_model");
    }
}

/// <summary>One step of the inference decoder (Keras's <c>decoder_model</c>): the last character and the states to the
/// next character's probabilities and the new states, which the next step starts from.</summary>
public partial class DecoderStep
{
    [ModelBuilder]
    static Model Build()
    {
        var character = Input([1], dtype: DType.Int32, name: "character");
        var h = Input([Translator.Units], name: "h");
        var c = Input([Translator.Units], name: "c");
        var (step, h2, c2) = LSTM(Translator.Units, returnSequences: true, returnState: true, name: "decoder")(
            Embedding(Translator.Characters, Translator.EmbeddingSize, maskZero: true, name: "french_characters")(character), initialState: [h, c]);
        return new Model([character, h, c], [Dense(Translator.Characters, Activation.Softmax, name: "next_character")(step), h2, c2], name: "decoder_model");
    }
}
