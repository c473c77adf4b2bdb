using Unrolled;
using UnrolledModel;

// Train on synthetic data, evaluate on held-out samples, and predict one sample without allocating.
var (xTrain, yTrain) = SyntheticData.Make(samples: 2000, seed: 1);
var (xTest, yTest) = SyntheticData.Make(samples: 500, seed: 2);

var model = new Classifier(seed: 42);
Console.WriteLine(model.Summary());

model.Compile(new Adam(learningRate: 0.01f), new CategoricalCrossentropy(), metrics: ["accuracy"]);
var history = model.Fit(xTrain, yTrain, epochs: 5, batchSize: 32, validationSplit: 0.2, verbose: 1);

var test = model.Evaluate(xTest, yTest);
Console.WriteLine($"Test loss {test["loss"]:F4}, accuracy {test["accuracy"]:P1}");

Span<float> probabilities = stackalloc float[Classifier.ClassesSize];
model.Predict(xTest.AsSpan(0, Classifier.FeaturesSize), probabilities, batchSize: 1);
Console.WriteLine($"First test sample: class probabilities [{string.Join(", ", probabilities.ToArray().Select(p => p.ToString("F3")))}]");

// Save the trained weights (atomically; a versioned, checksummed file) and load them into a fresh model, as an app
// that only predicts would (it can be published with NativeAOT).
model.SaveWeights("classifier.weights");
var deployed = new Classifier();
deployed.LoadWeights("classifier.weights");
Span<float> again = stackalloc float[Classifier.ClassesSize];
deployed.Predict(xTest.AsSpan(0, Classifier.FeaturesSize), again, batchSize: 1);
Console.WriteLine($"Saved to classifier.weights; the reloaded model predicts the same: {again.SequenceEqual(probabilities)}");
