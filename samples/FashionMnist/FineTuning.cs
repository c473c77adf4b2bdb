using System;
using System.Collections.Generic;
using System.Diagnostics;
using Unrolled;
using Unrolled.Data;

namespace FashionMnist;

/// <summary>
/// Keras's transfer-learning recipe on Fashion-MNIST, in three stages: pre-train a convnet on classes 0–4; move its base
/// into a model with a new head for classes 5–9, freeze the base and train the head; unfreeze the base's top block and
/// fine-tune with a learning rate a hundred times lower. Each stage reports its test accuracy and time per epoch.
/// </summary>
internal static class FineTuning
{
    public static int Run(IdxImages trainImages, byte[] trainLabels, IdxImages testImages, byte[] testLabels, int epochs, int limit, int seed)
    {
        var (xFirst, yFirst) = Subset(trainImages, trainLabels, 0, limit);
        var (xLast, yLast) = Subset(trainImages, trainLabels, 5, limit);
        var (xFirstTest, yFirstTest) = Subset(testImages, testLabels, 0, 0);
        var (xLastTest, yLastTest) = Subset(testImages, testLabels, 5, 0);
        var rows = new List<(string Stage, int Trainable, double Accuracy, double Seconds)>();

        // 1. Pre-train base and head on the first five classes.
        var pretrained = new FashionFirstFive(seed);
        Console.WriteLine(pretrained.Summary());
        pretrained.Compile(new Adam(), new CategoricalCrossentropy(), metrics: ["accuracy"]);
        double seconds = Train(pretrained, xFirst, yFirst, epochs, seed);
        double accuracy = pretrained.Evaluate(xFirstTest, yFirstTest, batchSize: 64, verbose: 0)["accuracy"];
        rows.Add(("1. pre-train on classes 0-4 (test on 0-4)", pretrained.TrainableParameterCount, accuracy, seconds));

        // 2. A new head for the last five classes on the pre-trained base, frozen in the builder (base.Trainable = false).
        var transfer = new FashionLastFive(seed);
        int copied = transfer.CopyWeightsFrom(pretrained);
        Console.WriteLine();
        Console.WriteLine($"Copied {copied} weight tensors of the base by name; the base is frozen:");
        Console.WriteLine(transfer.Summary());
        transfer.Compile(new Adam(), new CategoricalCrossentropy(), metrics: ["accuracy"]);
        double before = transfer.Evaluate(xLastTest, yLastTest, batchSize: 64, verbose: 0)["accuracy"];
        rows.Add(("   new head, untrained (test on 5-9)", transfer.TrainableParameterCount, before, 0));
        seconds = Train(transfer, xLast, yLast, epochs, seed);
        accuracy = transfer.Evaluate(xLastTest, yLastTest, batchSize: 64, verbose: 0)["accuracy"];
        rows.Add(("2. train the head, base frozen (test on 5-9)", transfer.TrainableParameterCount, accuracy, seconds));

        // 3. Unfreeze the top block (block1 stays frozen, its BatchNormalization in inference mode) and fine-tune slowly.
        var baseLayer = transfer.GetLayer("base");
        baseLayer.Trainable = true;
        baseLayer.GetLayer("block1_conv").Trainable = false;
        baseLayer.GetLayer("block1_bn").Trainable = false;
        transfer.Compile(new Adam(1e-5f), new CategoricalCrossentropy(), metrics: ["accuracy"]);
        seconds = Train(transfer, xLast, yLast, epochs, seed + 1);
        accuracy = transfer.Evaluate(xLastTest, yLastTest, batchSize: 64, verbose: 0)["accuracy"];
        rows.Add(("3. fine-tune block2 and head, lr 1e-5 (test on 5-9)", transfer.TrainableParameterCount, accuracy, seconds));

        Console.WriteLine();
        Console.WriteLine($"{"stage",-52} {"trainable",10} {"test accuracy",14} {"s / epoch",10}");
        foreach (var (stage, trainable, acc, time) in rows)
        {
            Console.WriteLine($"{stage,-52} {trainable,10:N0} {acc,14:F4} {(time > 0 ? time.ToString("F2") : "-"),10}");
        }

        return 0;
    }

    private static double Train(CompiledModel model, float[] x, float[] y, int epochs, int seed)
    {
        var clock = Stopwatch.StartNew();
        model.Fit(x, y, epochs: epochs, batchSize: 64, validationSplit: 0.1, shuffle: true, seed: seed);
        return clock.Elapsed.TotalSeconds / epochs;
    }

    /// <summary>The images of five classes from <paramref name="first"/> on, with one-hot labels over those five (at most
    /// <paramref name="limit"/> images when positive).</summary>
    private static (float[] Images, float[] Labels) Subset(IdxImages images, byte[] labels, int first, int limit)
    {
        var pixels = new List<float>();
        var kept = new List<byte>();
        for (int i = 0; i < labels.Length && (limit <= 0 || kept.Count < limit); i++)
        {
            if (labels[i] >= first && labels[i] < first + 5)
            {
                pixels.AddRange(images.Pixels.AsSpan(i * 784, 784).ToArray());
                kept.Add((byte)(labels[i] - first));
            }
        }

        return (pixels.ToArray(), Idx.OneHot(kept.ToArray(), 5));
    }
}
