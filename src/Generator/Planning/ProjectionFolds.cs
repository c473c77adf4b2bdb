using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Planning;

/// <summary>
/// A recurrent layer fed directly by an <c>Embedding</c>: at inference its input projection <c>x·W + b</c> is a
/// function of the id alone, so the runtime folds it into a [vocabulary, width] table once the weights are stable
/// (<c>CompiledModel.FoldedProjection</c>) and each step looks a row up instead of multiplying by W.
/// </summary>
/// <param name="Slot">The fold's number in the model.</param>
/// <param name="Embedding">The Embedding node.</param>
/// <param name="Recurrent">The recurrent node.</param>
/// <param name="Vocabulary">Rows of the embedding table.</param>
/// <param name="Dim">The embedding width.</param>
/// <param name="Width">Gates × units: the width of a projected row.</param>
/// <param name="SkipsEmbedding">Whether the Embedding's output is read only by folded layers, so a folded pass need
/// not compute it.</param>
internal sealed record ProjectionFold(int Slot, int Embedding, int Recurrent, int Vocabulary, int Dim, int Width, bool SkipsEmbedding);

/// <summary>Finds the <see cref="ProjectionFold"/>s of a model.</summary>
internal static class ProjectionFolds
{
    /// <summary>A table up to this many floats (16 MiB) is always worth keeping; a larger one only when it is no
    /// larger than the embedding table itself.</summary>
    private const long SmallTable = 1 << 22;

    public static IReadOnlyList<ProjectionFold> Find(AnalyzedModel model, bool[] aliased)
    {
        var spec = model.Spec;
        var found = new List<(int Embedding, int Recurrent, int Vocabulary, int Dim, int Width)>();
        foreach (int n in model.UsedNodes)
        {
            var node = spec.Nodes[n];
            var layer = spec.Layers[node.Layer];
            int gates = layer.Kind switch { LayerKind.LSTM => 4, LayerKind.GRU => 3, LayerKind.SimpleRNN => 1, _ => 0 };
            // The sequence is the first input (an initial state may follow; the folded kernels start from it too).
            if (gates == 0 || model.ShapeOf(n).Repeat != 1)
            {
                continue;
            }

            int source = node.Inputs[0];
            var embedding = spec.Layers[spec.Nodes[source].Layer];
            if (embedding.Kind != LayerKind.Embedding || aliased[source] || model.ShapeOf(source).Repeat != 1)
            {
                continue;
            }

            var e = embedding.Settings<EmbeddingConfig>();
            int width = gates * layer.Settings<RecurrentConfig>().Units;
            long table = (long)e.InputDim * width;
            if (table <= SmallTable || width <= e.OutputDim)
            {
                found.Add((source, n, e.InputDim, e.OutputDim, width));
            }
        }

        var folded = new HashSet<int>(found.Select(f => f.Recurrent));
        return found.Select((f, slot) => new ProjectionFold(slot, f.Embedding, f.Recurrent, f.Vocabulary, f.Dim, f.Width,
            SkipsEmbedding: !spec.Outputs.Contains(f.Embedding) &&
                            model.UsedNodes.All(n => !spec.Nodes[n].Inputs.Skip(folded.Contains(n) ? 1 : 0).Contains(f.Embedding)))).ToList();
    }
}
