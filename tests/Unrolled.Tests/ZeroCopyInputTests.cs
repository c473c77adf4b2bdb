using System;
using System.Linq;
using Xunit;
using static Unrolled.Tests.GradientTests;

namespace Unrolled.Tests;

/// <summary>
/// Predict on spans hands the caller's input spans to the forward pass instead of copying them into the workspace
/// (where every reader of an input is in the forward pass's own body); the array Predict and the training step still
/// copy. Both routes must give the same outputs bit for bit on the same batch, and the caller's inputs must be left as
/// they were.
/// </summary>
public class ZeroCopyInputTests
{
    public static TheoryData<string> Models() => new() { "mlp", "two_heads", "siamese", "sequence_mlp", "time_distributed_layers", "text_branch" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_on_spans_matches_the_copying_path_and_leaves_the_inputs_alone(string name)
    {
        const int batch = 3;
        CompiledModel model = name switch
        {
            "mlp" => new Mlp(seed: 1),
            "two_heads" => new TwoHeads(seed: 2),
            "siamese" => new Siamese(seed: 3),
            "sequence_mlp" => new SequenceMlp(seed: 4),            // TimeDistributed reads the input: copied
            "time_distributed_layers" => new TimeDistributedLayers(seed: 5),
            _ => new TextBranch(seed: 6),                          // run-time lengths
        };
        int[]? lengths = name == "text_branch" ? [7] : null;
        var description = model.Description;
        float[][] inputs = description.Inputs.Select((input, i) =>
            name == "text_branch"
                ? Enumerable.Range(0, batch * 7).Select(k => (float)(k * 3 % 20)).ToArray()
                : Random(batch * input.Size, 10 + i)).ToArray();
        float[][] before = inputs.Select(a => (float[])a.Clone()).ToArray();

        // The array overload copies each batch into the workspace (here one batch of all the samples).
        float[][] copied = model.Predict(inputs, batchSize: batch, lengths);

        // The generated span overload, which hands the spans to the forward pass.
        float[][] outputs = copied.Select(o => new float[o.Length]).ToArray();
        SpanPredict(model, inputs, outputs, lengths, batch);

        for (int o = 0; o < outputs.Length; o++)
        {
            Assert.Equal(copied[o], outputs[o]);
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(before[i], inputs[i]);
        }
    }

    /// <summary>Calls each model's generated span Predict (spans cannot go through reflection).</summary>
    private static void SpanPredict(CompiledModel model, float[][] x, float[][] y, int[]? lengths, int batch)
    {
        switch (model)
        {
            case Mlp m: m.Predict(x[0], y[0], batch); break;
            case TwoHeads m: m.Predict(x[0], x[1], y[0], y[1], batch); break;
            case Siamese m: m.Predict(x[0], x[1], y[0], batch); break;
            case SequenceMlp m: m.Predict(x[0], y[0], batch); break;
            case TimeDistributedLayers m: m.Predict(x[0], y[0], batch); break;
            case TextBranch m: m.Predict(x[0], y[0], lengths![0], batch); break;
            default: throw new ArgumentException(model.GetType().Name);
        }
    }
}
