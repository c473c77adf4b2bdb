using System;
using System.Collections.Generic;
using Unrolled;
using static Unrolled.Layers;

namespace Tutorials;

/// <summary>Deep Learning with Python 7.1.5: one LSTM layer instance applied to two inputs, so its weights learn from both.</summary>
public partial class SharedLstmPair
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

    public static void Run()
    {
        var model = new SharedLstmPair(seed: 11);
        Console.WriteLine(model.Summary());
        var data = new Data(11);
        const int samples = 32;
        model.Compile("rmsprop", "binary_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit([data.Uniform(samples * 50 * 128), data.Uniform(samples * 50 * 128)], [data.Integers(samples, 2)],
            epochs: 2, batchSize: 16, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
    }
}

/// <summary>
/// TensorFlow's functional API guide: a support ticket's title and body (word ids, any length) and tags give its
/// priority and the department that should handle it.
/// </summary>
public partial class TicketClassifier
{
    const int NumTags = 12, NumWords = 10000, NumDepartments = 4;

    [ModelBuilder]
    static Model Build()
    {
        var titleInput = Input([null], DType.Int32, name: "title");
        var bodyInput = Input([null], DType.Int32, name: "body");
        var tagsInput = Input([NumTags], name: "tags");
        var titleFeatures = Embedding(NumWords, 64)(titleInput);
        var bodyFeatures = Embedding(NumWords, 64)(bodyInput);
        titleFeatures = LSTM(128)(titleFeatures);
        bodyFeatures = LSTM(32)(bodyFeatures);
        var x = Concatenate([titleFeatures, bodyFeatures, tagsInput]);
        var priorityPred = Dense(1, name: "priority")(x);
        var departmentPred = Dense(NumDepartments, name: "department")(x);
        return new Model([titleInput, bodyInput, tagsInput], [priorityPred, departmentPred]);
    }

    public static void Run()
    {
        var model = new TicketClassifier(seed: 12);
        Console.WriteLine(model.Summary());
        var data = new Data(12);
        const int samples = 1280;
        float[] title = data.Integers(samples * 10, NumWords), body = data.Integers(samples * 100, NumWords), tags = data.Integers(samples * NumTags, 2);
        float[] priority = data.Uniform(samples), department = data.Integers(samples * NumDepartments, 2);

        model.Compile(new RMSprop(1e-3f), new Loss[] { new BinaryCrossentropy(fromLogits: true), new CategoricalCrossentropy(fromLogits: true) },
            lossWeights: [1f, 0.2f]);
        // Title and body lengths (10 and 100 words) are read off the arrays, since tags has a fixed size.
        var history = model.Fit(new Dictionary<string, float[]> { ["title"] = title, ["body"] = body, ["tags"] = tags },
            new Dictionary<string, float[]> { ["priority"] = priority, ["department"] = department }, epochs: 2, batchSize: 32, verbose: 1);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
    }
}

/// <summary>The Keras documentation's two inputs, two outputs, compiled with losses by list and by name.</summary>
public partial class TwoInTwoOut
{
    [ModelBuilder]
    static Model Build()
    {
        var xIn = Input([100], name: "x_in");
        var yIn = Input([100], name: "y_in");
        var x = Dense(64, Activation.Relu)(xIn);
        var y = Dense(64, Activation.Relu)(yIn);
        var z = Concatenate([x, y]);
        x = Dense(1, Activation.Sigmoid, name: "x_out")(z);
        y = Dense(10, Activation.Softmax, name: "y_out")(z);
        return new Model([xIn, yIn], [x, y]);
    }

    public static void Run()
    {
        var model = new TwoInTwoOut(seed: 13);
        Console.WriteLine(model.Summary());
        var random = new Data(13);
        float[] data = random.Uniform(1000 * 100), xs = random.Integers(1000, 2), ys = random.OneHot(1000, 10);

        model.Compile("rmsprop", new Loss[] { "binary_crossentropy", "categorical_crossentropy" }, lossWeights: [1f, 0.2f]);
        var history = model.Fit([data, data], [xs, ys], epochs: 1, batchSize: 32, verbose: 0);
        Console.WriteLine($"by list: loss {history["loss"][^1]:F4}");

        model.Compile("rmsprop", new Dictionary<string, Loss> { ["x_out"] = "binary_crossentropy", ["y_out"] = "categorical_crossentropy" },
            new Dictionary<string, float> { ["x_out"] = 1f, ["y_out"] = 0.2f });
        history = model.Fit(new Dictionary<string, float[]> { ["x_in"] = data, ["y_in"] = data },
            new Dictionary<string, float[]> { ["x_out"] = xs, ["y_out"] = ys }, epochs: 1, batchSize: 32, verbose: 0);
        Console.WriteLine($"by name: loss {history["loss"][^1]:F4}");
    }

    /// <summary>
    /// A short fit with a validation split on targets the model can learn (which half of x_in has the larger sum, which
    /// tenth of y_in has), for the training-curves picture of <c>--graph</c>.
    /// </summary>
    internal static History FitForCurves()
    {
        const int samples = 2000;
        var random = new Data(13);
        float[] x = random.Uniform(samples * 100), y = random.Uniform(samples * 100);
        float[] xs = new float[samples], ys = new float[samples * 10];
        for (int s = 0; s < samples; s++)
        {
            var row = x.AsSpan(s * 100, 100);
            float first = 0, second = 0;
            for (int i = 0; i < 50; i++)
            {
                first += row[i];
                second += row[50 + i];
            }

            xs[s] = first > second ? 1f : 0f;
            int best = 0;
            float bestSum = float.MinValue;
            for (int g = 0; g < 10; g++)
            {
                float sum = 0;
                for (int i = 0; i < 10; i++)
                {
                    sum += y[s * 100 + g * 10 + i];
                }

                (best, bestSum) = sum > bestSum ? (g, sum) : (best, bestSum);
            }

            ys[s * 10 + best] = 1f;
        }

        var model = new TwoInTwoOut(seed: 13);
        model.Compile("rmsprop", new Loss[] { "binary_crossentropy", "categorical_crossentropy" }, lossWeights: [1f, 0.2f], metrics: ["accuracy"]);
        return model.Fit([x, y], [xs, ys], epochs: 12, batchSize: 32, validationSplit: 0.2, verbose: 0);
    }
}

/// <summary>
/// The Manhattan LSTM: two sentences through one embedding and one LSTM, merged by a Lambda computing
/// exp(−‖left − right‖₁), the similarity, differentiated at compile time.
/// </summary>
public partial class ManhattanLstm
{
    static Tensor ExponentNegManhattanDistance(Tensor[] v) => Ops.Exp(-Ops.Sum(Ops.Abs(v[0] - v[1]), axis: 1, keepDims: true));

    static int[] OutShape(int[][] shapes) => [1];

    [ModelBuilder]
    static Model Build()
    {
        var left = Input([null], DType.Int32, name: "left");
        var right = Input([null], DType.Int32, name: "right");
        var embedding = Embedding(1000, 50);
        var sharedLstm = LSTM(50);
        var leftOutput = sharedLstm(embedding(left));
        var rightOutput = sharedLstm(embedding(right));
        var malstmDistance = Lambda(ExponentNegManhattanDistance, outputShape: OutShape)([leftOutput, rightOutput]);
        return new Model([left, right], malstmDistance);
    }

    public static void Run()
    {
        var model = new ManhattanLstm(seed: 14);
        Console.WriteLine(model.Summary());
        var data = new Data(14);
        const int samples = 128, length = 12;
        float[] left = data.Integers(samples * length, 1000), right = data.Integers(samples * length, 1000), similar = data.Integers(samples, 2);
        model.Compile("adam", "mse");
        // Both inputs have run-time lengths and the target is one number per pair, so Fit reads the lengths off the arrays.
        var history = model.Fit([left, right], [similar], epochs: 3, batchSize: 32, verbose: 0);
        Console.WriteLine($"loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
        float[] same = data.Integers(length, 1000);
        Console.WriteLine($"a sentence against itself: similarity {model.Predict(same, same, length, length)[0]:F3}");
    }
}
