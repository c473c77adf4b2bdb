using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>The class's constants and its description: ports, weights (with their Keras places), sizes, the summary and the graph.</summary>
internal sealed partial class ModelEmitter
{
    private void WriteConstants()
    {
        _w.Line($"/// <summary>The number of parameters, trainable or not, as Keras's <c>count_params()</c> ({_plan.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)}).</summary>");
        _w.Line($"public const int ParameterCount = {N(_plan.ParameterCount)};");
        _w.Line();
        // A port whose size depends on a run-time length has no constant; its size is checked per call.
        foreach (var port in _inputs.Where(p => p.Shape.IsStatic))
        {
            _w.Line($"/// <summary>Floats per sample of input '{Xml(port.Name)}', shape {port.Shape.Keras}.</summary>");
            _w.Line($"public const int {port.SizeConstant} = {N(port.Size)};");
            _w.Line();
        }

        foreach (var port in _outputs.Where(p => p.Shape.IsStatic))
        {
            _w.Line($"/// <summary>Floats per sample of output '{Xml(port.Name)}', shape {port.Shape.Keras}.</summary>");
            _w.Line($"public const int {port.SizeConstant} = {N(port.Size)};");
            _w.Line();
        }
    }

    private void WriteDescription()
    {
        string summary = SummaryWriter.Write(_plan);
        _w.Line($"private static readonly {Rt}ModelDescription s_description = new {Rt}ModelDescription(");
        _w.Line($"    {Naming.Literal(_spec.ModelName)},");
        _w.Line($"    new {Rt}TensorInfo[]");
        _w.Line("    {");
        foreach (var port in _inputs)
        {
            var layer = _spec.Layers[_spec.Nodes[port.Node].Layer];
            _w.Line($"        new {Rt}TensorInfo({Naming.Literal(port.Name)}, {DescribedShape(port)}, " +
                    $"{Rt}DType.{(layer.Settings<InputConfig>().DType == 0 ? "Float32" : "Int32")}, {DescribedDim(_plan.Training.ValueOffset[port.Node])}),");
        }

        _w.Line("    },");
        _w.Line($"    new {Rt}TensorInfo[]");
        _w.Line("    {");
        foreach (var port in _outputs)
        {
            _w.Line($"        new {Rt}TensorInfo({Naming.Literal(port.Name)}, {DescribedShape(port)}, " +
                    $"{Rt}DType.Float32, {DescribedDim(_plan.Training.ValueOffset[port.Node])}, {Rt}Activation.{ActivationInfo.Names[FusableActivation(port)]}" +
                    (_spec.OutputMaskOf(port.Index) is >= 0 and int mask ? $", maskOffset: {DescribedDim(_plan.Training.ValueOffset[mask])}" : string.Empty) + "),");
        }

        _w.Line("    },");
        _w.Line($"    parameterCount: {N(_plan.ParameterCount)},");
        _w.Line($"    activationSize: {DescribedDim(_plan.ActivationSize)},");
        _w.Line($"    predictActivationSize: {DescribedDim(_plan.Predict.ActivationSize)},");
        if (!ReferenceEquals(_plan.Gradients, _plan.Predict))
        {
            _w.Line($"    gradientActivationSize: {DescribedDim(_plan.Gradients.ActivationSize)},");
        }

        if (_plan.BoundedScratch.Count > 0)
        {
            _w.Line("    fixedScratchSize: FixedScratchSize(),");
        }

        _w.Line($"    scratchSize: {DescribedDim(_plan.Scratch)},");
        _w.Line($"    summary: {Naming.Literal(summary)},");
        _w.Line($"    weights: new {Rt}WeightInfo[]");
        _w.Line("    {");
        var keras = KerasLayout.Compute(_plan.Model);
        foreach (int layerIndex in _plan.Layers)
        {
            var layer = _spec.Layers[layerIndex];
            var weights = _plan.Model.WeightsOf(layerIndex);
            var place = keras[layerIndex];
            for (int w = 0; w < weights.Count; w++)
            {
                string trainable = weights[w].Trainable ? string.Empty : ", trainable: false";
                var (l1, l2) = layer.RegularizerOf(weights[w].Name);
                trainable += l1 > 0 || l2 > 0
                    ? $", l1: {l1.ToString("R", CultureInfo.InvariantCulture)}, l2: {l2.ToString("R", CultureInfo.InvariantCulture)}"
                    : string.Empty;
                trainable += layer.ConstraintOf(weights[w].Name) is { } constraint ? $", constraint: {Naming.Literal(constraint)}" : string.Empty;
                trainable += weights[w].RowSparse ? ", rowSparse: true" : string.Empty;
                // Where Keras keeps the weight (saving_lib path, model.layers entry, model.weights position): what
                // LoadKerasWeights needs to read files by position as Keras does.
                string where = place is null ? string.Empty
                    : $", kerasPath: {Naming.Literal(place.Path + LayerRules.Of(layer.Kind).WeightPath(layer, w, weights[w]))}, kerasLayer: {Naming.Literal(place.TopLayer)}, kerasIndex: {N(place.FirstWeight + w)}";
                _w.Line($"        new {Rt}WeightInfo({Naming.Literal(layer.Name)}, {Naming.Literal(weights[w].Name)}, new int[] {{ {string.Join(", ", weights[w].Dims.Select(N))} }}, " +
                        $"{N(_plan.WeightOffsets[layerIndex][w])}{trainable}{where}),");
            }
        }

        _w.Line("    },");
        if (_lengths.Count > 0)
        {
            _w.Line($"    lengths: new {Rt}LengthInfo[]");
            _w.Line("    {");
            foreach (var length in _lengths)
            {
                _w.Line($"        new {Rt}LengthInfo({Naming.Literal(length.Parameter.TrimStart('@'))}, {N(length.Input.Index)}, {N(length.Axis + 1)}),");
            }

            _w.Line("    },");
        }

        // The builder's trainable: false, by layer and by nested model: where the run-time flags start.
        var frozen = _plan.Layers.Where(l => !_spec.Layers[l].Trainable).Select(l => _spec.Layers[l].Name)
            .Concat(_spec.FrozenModels).Distinct().ToList();
        if (frozen.Count > 0)
        {
            _w.Line($"    frozenLayers: new string[] {{ {string.Join(", ", frozen.Select(Naming.Literal))} }},");
        }

        WriteGraph();
        _w.Line();
    }

    /// <summary>The graph (<c>ModelGraph</c>): one row per layer call, group and step, for drawing and export tools.</summary>
    private void WriteGraph()
    {
        // The graph is a picture of the model, not part of what it computes: should building it fail (our bug), the
        // model is still emitted, with an empty graph.
        var table = Guard.Run(() => GraphTable.Build(_plan));
        if (table is null)
        {
            _w.Line("    graph: null);");
            return;
        }

        static string Ints(IEnumerable<int> values)
        {
            string items = string.Join(", ", values.Select(N));
            return items.Length == 0 ? "new int[0]" : "new int[] { " + items + " }";
        }

        _w.Line($"    graph: new {Rt}ModelGraph({Ints(table.Inputs)}, {Ints(table.Outputs)}, new {Rt}GraphNode[]");
        _w.Line("    {");
        for (int i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i];
            var line = new System.Text.StringBuilder();
            line.Append($"        new {Rt}GraphNode({Naming.Literal(row.Name)}, {Naming.Literal(row.ClassName)}, {Rt}GraphNodeKind.{row.Kind}, ")
                .Append($"{N(row.Parent)}, {Ints(row.Inputs)}, {Ints(row.Shape)}");
            if (row.Config.ToCSharp() is { } settings)
            {
                line.Append(", ").Append(settings);
            }

            if (row.WeightCount > 0)
            {
                line.Append($", firstWeight: {N(row.FirstWeight)}, weightCount: {N(row.WeightCount)}");
            }

            if (row.Outputs is not null)
            {
                line.Append($", outputs: {Ints(row.Outputs)}");
            }

            if (row.IsInt32)
            {
                line.Append($", dtype: {Rt}DType.Int32");
            }

            if (row.Masks is not null)
            {
                line.Append($", masks: {Ints(row.Masks)}");
            }

            if (row.Setup.Count > 0)
            {
                line.Append($", setup: new {Rt}LayerSetting[] {{ ")
                    .Append(string.Join(", ", row.Setup.Select(s => $"new {Rt}LayerSetting({Naming.Literal(s.Name)}, {s.Value})")))
                    .Append(" }");
            }

            _w.Line(line.Append("), // ").Append(N(i)).ToString());
        }

        _w.Line("    }));");
    }

    /// <summary>A port's per-sample shape for its <c>TensorInfo</c>: -1 for an axis known only at run time.</summary>
    private static string DescribedShape(Port port) => $"new int[] {{ {string.Join(", ", port.Shape.Dims.Select(d => N(d >= 0 ? d : -1)))} }}";

    /// <summary>A size or offset for the description: the constant, or -1 when it depends on run-time lengths.</summary>
    private static string DescribedDim(int dim) => N(dim >= 0 ? dim : -1);

    /// <summary>
    /// The activation a loss may fuse with (softmax / sigmoid with cross-entropy): only when the output feeds nothing
    /// else and is listed once, since the fused gradient skips the activation's own derivative.
    /// </summary>
    private int FusableActivation(Port port)
    {
        if (_spec.Layers[_spec.Nodes[port.Node].Layer].Config is not DenseConfig { Activation: ActivationInfo.Softmax or ActivationInfo.Sigmoid } dense)
        {
            return ActivationInfo.Linear;
        }

        bool consumed = _plan.Model.UsedNodes.Any(n => _spec.Nodes[n].Inputs.Contains(port.Node));
        bool listedOnce = _spec.Outputs.Count(o => o == port.Node) == 1;

        // An activity regularizer adds its gradient to the probabilities' gradient, which a fused loss never writes.
        var (l1, l2) = _spec.Layers[_spec.Nodes[port.Node].Layer].RegularizerOf(ActivityRegularizer);
        return !consumed && listedOnce && l1 == 0 && l2 == 0 ? dense.Activation : ActivationInfo.Linear;
    }

    /// <summary>The index of the output port that is node <paramref name="node"/> with an activation the loss may fuse, or -1.</summary>
    internal int FusedOutputOf(int node)
        => _outputs.FirstOrDefault(o => o.Node == node && FusableActivation(o) != ActivationInfo.Linear)?.Index ?? -1;
}
