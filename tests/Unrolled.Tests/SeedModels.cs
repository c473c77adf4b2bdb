using Unrolled;
using static Unrolled.Layers;

namespace Unrolled.Tests;

// The tutorials' models, with Dense layers standing in for Embedding + LSTM until recurrent layers exist. The graph,
// names, losses and the way they are fitted are the tutorials' own.

/// <summary>Tutorial 7.1.1: 64 → Dense 32 relu → Dense 32 relu → Dense 10 softmax.</summary>
public partial class FunctionalIntro
{
    [ModelBuilder]
    static Model Build()
    {
        var inputTensor = Input([64]);
        var x = Dense(32, Activation.Relu)(inputTensor);
        x = Dense(32, Activation.Relu)(x);
        var outputTensor = Dense(10, Activation.Softmax)(x);
        return new Model(inputTensor, outputTensor);
    }
}

/// <summary>The news-headline model: main and auxiliary inputs and outputs.</summary>
public partial class NewsHeadlines
{
    [ModelBuilder]
    static Model Build()
    {
        var mainInput = Input([100], name: "main_input");
        var lstmOut = Dense(32, Activation.Tanh, name: "lstm_stand_in")(mainInput);
        var auxiliaryOutput = Dense(1, Activation.Sigmoid, name: "aux_output")(lstmOut);
        var auxiliaryInput = Input([5], name: "aux_input");
        var x = Concatenate([lstmOut, auxiliaryInput]);
        x = Dense(64, Activation.Relu)(x);
        x = Dense(64, Activation.Relu)(x);
        x = Dense(64, Activation.Relu)(x);
        var mainOutput = Dense(1, Activation.Sigmoid, name: "main_output")(x);
        return new Model([mainInput, auxiliaryInput], [mainOutput, auxiliaryOutput]);
    }
}

/// <summary>Tutorial 7-1's two-input question-answering model.</summary>
public partial class QuestionAnswering
{
    const int AnswerVocabularySize = 500;

    [ModelBuilder]
    static Model Build()
    {
        var textInput = Input([100], name: "text");
        var encodedText = Dense(32, Activation.Tanh)(textInput);
        var questionInput = Input([100], name: "question");
        var encodedQuestion = Dense(16, Activation.Tanh)(questionInput);
        var concatenated = Concatenate([encodedText, encodedQuestion], axis: -1);
        var answer = Dense(AnswerVocabularySize, Activation.Softmax, name: "answer")(concatenated);
        return new Model([textInput, questionInput], answer);
    }
}
