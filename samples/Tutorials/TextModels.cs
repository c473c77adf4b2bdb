using System;
using System.Collections.Generic;
using System.Linq;
using Unrolled;
using static Unrolled.Layers;

namespace Tutorials;

/// <summary>
/// Keras's functional API guide: a headline (100 word ids) and extra features predict two targets; the auxiliary
/// output after the LSTM helps the embedding train. Losses weighted 1.0 and 0.2.
/// </summary>
public partial class NewsHeadlines
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

    public static void Run()
    {
        var model = new NewsHeadlines(seed: 0);
        Console.WriteLine(model.Summary());
        var data = new Data(0);
        float[] headlines = data.Integers(12 * 100, 101), additional = data.Uniform(12 * 5);
        float[] headlineLabels = data.Uniform(12), additionalLabels = data.Uniform(12);

        // By list: one loss for both outputs, weighted 1.0 and 0.2.
        model.Compile("rmsprop", "binary_crossentropy", lossWeights: [1f, 0.2f]);
        var history = model.Fit([headlines, additional], [headlineLabels, additionalLabels], epochs: 5, batchSize: 32, verbose: 0);
        Console.WriteLine($"by list: loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");

        // By name, as the outputs are named.
        model.Compile("rmsprop", new Dictionary<string, Loss> { ["main_output"] = "binary_crossentropy", ["aux_output"] = "binary_crossentropy" },
            new Dictionary<string, float> { ["main_output"] = 1f, ["aux_output"] = 0.2f });
        history = model.Fit(new Dictionary<string, float[]> { ["main_input"] = headlines, ["aux_input"] = additional },
            new Dictionary<string, float[]> { ["main_output"] = headlineLabels, ["aux_output"] = additionalLabels }, epochs: 5, batchSize: 32, verbose: 0);
        Console.WriteLine($"by name: loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
        var (main, auxiliary) = model.Predict(headlines, additional);
        Console.WriteLine($"first headline: main {main[0]:F3}, auxiliary {auxiliary[0]:F3}");
    }
}

/// <summary>Two tweets (280 characters, 256-long codes) read by one shared LSTM: is it the same author?</summary>
public partial class SharedLstmTweets
{
    [ModelBuilder]
    static Model Build()
    {
        var tweetA = Input([280, 256]);
        var tweetB = Input([280, 256]);
        var sharedLstm = LSTM(64);
        var encodedA = sharedLstm(tweetA);
        var encodedB = sharedLstm(tweetB);
        var merged = Concatenate([encodedA, encodedB], axis: -1);
        var predictions = Dense(1, Activation.Sigmoid)(merged);
        return new Model([tweetA, tweetB], predictions);
    }

    public static void Run()
    {
        var model = new SharedLstmTweets(seed: 1);
        Console.WriteLine(model.Summary());
        var data = new Data(1);
        const int samples = 16;
        float[] a = data.Uniform(samples * 280 * 256), b = data.Uniform(samples * 280 * 256), labels = data.Integers(samples, 2);
        model.Compile("rmsprop", "binary_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit([a, b], [labels], epochs: 2, batchSize: 8, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}; one LSTM: {model.Description.Weights.Count(w => w.Layer == "lstm")} weight tensors");
    }
}

/// <summary>Deep Learning with Python 7.1: a text and a question, each of any length, choose one of 500 answers.</summary>
public partial class QuestionAnswering
{
    const int TextVocabularySize = 10000, QuestionVocabularySize = 10000, AnswerVocabularySize = 500;

    [ModelBuilder]
    static Model Build()
    {
        var textInput = Input([null], DType.Int32, name: "text");
        var embeddedText = Embedding(TextVocabularySize, 64)(textInput);
        var encodedText = LSTM(32)(embeddedText);
        var questionInput = Input([null], DType.Int32, name: "question");
        var embeddedQuestion = Embedding(QuestionVocabularySize, 32)(questionInput);
        var encodedQuestion = LSTM(16)(embeddedQuestion);
        var concatenated = Concatenate([encodedText, encodedQuestion], axis: -1);
        var answer = Dense(AnswerVocabularySize, Activation.Softmax)(concatenated);
        return new Model([textInput, questionInput], answer);
    }

    public static void Run()
    {
        var model = new QuestionAnswering(seed: 2);
        Console.WriteLine(model.Summary());
        var data = new Data(2);
        const int samples = 1000, maxLength = 100;
        float[] text = data.Integers(samples * maxLength, TextVocabularySize, low: 1);
        float[] question = data.Integers(samples * maxLength, QuestionVocabularySize, low: 1);
        float[] answers = data.OneHot(samples, AnswerVocabularySize);
        model.Compile("rmsprop", "categorical_crossentropy", metrics: ["acc"]);
        // The lengths of the None axes are read off the arrays: 100 words each here.
        var history = model.Fit([text, question], [answers], epochs: 1, batchSize: 128, verbose: 0);
        Console.WriteLine($"by list: loss {history["loss"][^1]:F4}");
        history = model.Fit(new Dictionary<string, float[]> { ["text"] = text, ["question"] = question },
            new Dictionary<string, float[]> { ["dense"] = answers }, epochs: 1, batchSize: 128, verbose: 0);
        Console.WriteLine($"by name: loss {history["loss"][^1]:F4}");
        // Another call may take other lengths: a 7-word text and a 4-word question.
        float[] probabilities = model.Predict(data.Integers(7, TextVocabularySize), data.Integers(4, QuestionVocabularySize), 7, 4);
        Console.WriteLine($"a 7-word text and a 4-word question: {probabilities.Length} answer probabilities, summing to {probabilities.Sum():F3}");
    }
}

/// <summary>Deep Learning with Python 7.1.3: a social media post's words predict age, income group and gender.</summary>
public partial class PostsModel
{
    const int VocabularySize = 50000, NumIncomeGroups = 10;

    [ModelBuilder]
    static Model Build()
    {
        var postsInput = Input([null], DType.Int32, name: "posts");
        var embeddedPosts = Embedding(VocabularySize, 256)(postsInput);
        var x = Conv1D(128, 5, activation: Activation.Relu)(embeddedPosts);
        x = MaxPool1D(5)(x);
        x = Conv1D(256, 5, activation: Activation.Relu)(x);
        x = Conv1D(256, 5, activation: Activation.Relu)(x);
        x = MaxPool1D(5)(x);
        x = Conv1D(256, 5, activation: Activation.Relu)(x);
        x = Conv1D(256, 5, activation: Activation.Relu)(x);
        x = GlobalMaxPool1D()(x);
        x = Dense(128, Activation.Relu)(x);
        var agePrediction = Dense(1, name: "age")(x);
        var incomePrediction = Dense(NumIncomeGroups, Activation.Softmax, name: "income")(x);
        var genderPrediction = Dense(1, Activation.Sigmoid, name: "gender")(x);
        return new Model(postsInput, [agePrediction, incomePrediction, genderPrediction]);
    }

    public static void Run()
    {
        var model = new PostsModel(seed: 3);
        Console.WriteLine(model.Summary());
        var data = new Data(3);
        const int samples = 64, length = 300;
        float[] posts = data.Integers(samples * length, VocabularySize);
        float[] age = data.Uniform(samples), income = data.OneHot(samples, NumIncomeGroups), gender = data.Integers(samples, 2);

        model.Compile("rmsprop", new Loss[] { "mse", "categorical_crossentropy", "binary_crossentropy" }, lossWeights: [0.25f, 1f, 10f]);
        var history = model.Fit([posts], [age, income, gender], epochs: 1, batchSize: 32, verbose: 0);
        Console.WriteLine($"losses by list, weighted: loss {history["loss"][^1]:F4}");

        model.Compile("rmsprop", new Dictionary<string, Loss> { ["age"] = "mse", ["income"] = "categorical_crossentropy", ["gender"] = "binary_crossentropy" },
            new Dictionary<string, float> { ["age"] = 0.25f, ["income"] = 1f, ["gender"] = 10f });
        history = model.Fit(new Dictionary<string, float[]> { ["posts"] = posts },
            new Dictionary<string, float[]> { ["age"] = age, ["income"] = income, ["gender"] = gender }, epochs: 1, batchSize: 32, verbose: 0);
        Console.WriteLine($"losses by name, weighted: loss {history["loss"][^1]:F4}");
        try
        {
            model.Predict(data.Integers(50, VocabularySize), 50);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Five windows of 5 and two pools of 5 need at least 134 words.
            Console.WriteLine("a 50-word post: " + e.Message.Split('\n')[0]);
        }
    }
}
