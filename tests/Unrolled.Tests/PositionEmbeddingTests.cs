using System;
using System.Linq;
using Xunit;

namespace Unrolled.Tests;

/// <summary>
/// Keras-Hub's PositionEmbedding: the output is the table's first rows for every sample, whatever the input's values;
/// a run-time sequence longer than the table is refused with Keras's reason; Keras's weight and settings. (Gradients:
/// LayerGradientTests; ONNX Runtime: OnnxExportTests.)
/// </summary>
public class PositionEmbeddingTests
{
    [Fact]
    public void The_output_is_the_tables_first_rows_for_every_sample()
    {
        var model = new PositionsOnly(seed: 3);
        var table = model.GetReadOnlyWeights("position_embedding", "embeddings").ToArray();
        Assert.Equal(6 * 3, table.Length);
        Assert.Equal(6 * 3, PositionsOnly.ParameterCount);

        // Glorot-uniform over [6, 3]: limit sqrt(6 / (6 + 3)).
        double limit = Math.Sqrt(6.0 / 9);
        Assert.All(table, v => Assert.InRange(v, -limit, limit));
        Assert.True(table.Distinct().Count() > 10);

        foreach (int steps in new[] { 1, 4, 6 })
        {
            float[] x = GradientTests.Random(2 * steps * 3, steps);
            float[] y = model.Predict([x], batchSize: 2, lengths: [steps])[0];
            Assert.Equal(2 * steps * 3, y.Length);
            for (int b = 0; b < 2; b++)
            {
                Assert.Equal(table[..(steps * 3)], y[(b * steps * 3)..((b + 1) * steps * 3)]);
            }
        }
    }

    [Fact]
    public void A_sequence_longer_than_the_table_is_refused_at_run_time()
    {
        var model = new PositionsOnly(seed: 3);
        var error = Assert.Throws<ArgumentException>(() => model.Predict([new float[7 * 3]], batchSize: 1, lengths: [7]));
        Assert.Contains("7 steps", error.Message);
        Assert.Contains("positions for 6", error.Message);
    }

    [Fact]
    public void Keras_settings_and_summary()
    {
        var model = new PositionsOnly(seed: 3);
        var node = model.Description.Graph.Nodes.Single(n => n.Kind == GraphNodeKind.PositionEmbedding);
        Assert.Equal(6, node.Setting("sequence_length")!.AsInt32());
        Assert.Equal("glorot_uniform", node.Setting("initializer")!.AsString());
        string summary = model.Summary();
        Assert.Contains("position_embedding (Position (None, None, 3)           18", summary); // Keras cuts the column at 29
    }
}
