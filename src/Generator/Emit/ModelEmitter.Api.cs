using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Unrolled.Generator.Layers;
using Unrolled.Generator.Model;
using Unrolled.Generator.Planning;
using Unrolled.Generator.Shapes;

namespace Unrolled.Generator.Emit;

/// <summary>The public API: typed Predict over spans and arrays, and TrainOnBatch.</summary>
internal sealed partial class ModelEmitter
{
    private string InputParameters(string type) => string.Join(", ", _inputs.Select(p => $"{type} {p.Parameter}"));

    private void WriteChecks(IEnumerable<Port> ports, bool targets = false)
    {
        foreach (var port in ports)
        {
            string parameter = targets ? port.TargetParameter : port.Parameter;
            string size = port.Shape.IsStatic ? port.SizeConstant : _inputs.Contains(port) ? $"InputSize({N(port.Index)})" : $"OutputSize({N(port.Index)})";
            _w.Line($"CheckLength({parameter}.Length, batchSize, {size}, {Naming.Literal(port.Name)}, nameof({parameter}));");
        }
    }

    private void WriteParameterDocs(IEnumerable<Port> ports, System.Func<Port, string> parameter, System.Func<Port, string> text)
    {
        foreach (var port in ports)
        {
            _w.Line($"/// <param name=\"{Xml(parameter(port).TrimStart('@'))}\">{text(port)}</param>");
        }
    }

    /// <summary>A port's floats per sample for the docs: the constant, or a product naming the length parameters.</summary>
    private string SizeText(Port port)
    {
        string code = Dims.Code(Sz(port.Node), atom => _lengths[_lengthOfAtom[atom]].Parameter.TrimStart('@'));
        code = code.StartsWith("(", System.StringComparison.Ordinal) ? code.Substring(1, code.Length - 2) : code;
        return code.Replace(" * ", " × ");
    }

    private string LengthParameters => string.Concat(_lengths.Select(l => $"int {l.Parameter}, "));

    private string LengthArguments => "[" + string.Join(", ", _lengths.Select(l => l.Parameter)) + "]";

    private void WriteLengthDocs()
    {
        foreach (var length in _lengths)
        {
            _w.Line($"/// <param name=\"{Xml(length.Parameter.TrimStart('@'))}\">The length of axis {N(length.Axis + 1)} of input '{Xml(length.Input.Name)}' " +
                    "(declared null) for this call, the same for every sample; at least 1.</param>");
        }
    }

    private void WritePredict()
    {
        _w.Line(_plan.IsDynamic
            ? "/// <summary>Runs the model on a batch. Allocates nothing once the workspace has grown to the batch size and lengths (see <c>Reserve</c>).</summary>"
            : "/// <summary>Runs the model on a batch. Allocates nothing once the workspace has grown to the batch size.</summary>");
        WriteParameterDocs(_inputs, p => p.Parameter, p => $"Input '{Xml(p.Name)}': <paramref name=\"batchSize\"/> × {Xml(SizeText(p))} floats, shape {p.Shape.Keras}, row-major.");
        WriteParameterDocs(_outputs, p => p.Parameter, p => $"Receives output '{Xml(p.Name)}': <paramref name=\"batchSize\"/> × {Xml(SizeText(p))} floats, shape {p.Shape.Keras}.");
        WriteLengthDocs();
        _w.Line("/// <param name=\"batchSize\">The number of samples.</param>");
        _w.Line("/// <exception cref=\"global::System.ArgumentException\">A span's length is not <paramref name=\"batchSize\"/> times its per-sample size" +
                (_plan.IsDynamic ? ", or a length is below 1" : string.Empty) + ".</exception>");
        string parameters = string.Join(", ", _inputs.Select(p => $"{ReadOnlySpan} {p.Parameter}").Concat(_outputs.Select(p => $"{Span} {p.Parameter}")));
        _w.Open($"public void Predict({parameters}, {LengthParameters}int batchSize)");
        if (!_plan.IsDynamic)
        {
            WriteChecks(_inputs);
            WriteChecks(_outputs);
        }

        WriteWithWorkspace("AcquirePredictWorkspace", () =>
        {
            if (_plan.IsDynamic)
            {
                WriteChecks(_inputs);
                WriteChecks(_outputs);
            }

            if (_inputOf.Count == 0)
            {
                WriteInputCopies();
                _w.Line("Forward(workspace, batchSize, training: false);");
            }
            else
            {
                // The forward pass reads the caller's spans (checked to hold batchSize samples each): no copy.
                _w.Line($"Forward(workspace, batchSize, false, {string.Join(", ", _inputs.Select(p => p.Parameter))});");
            }

            foreach (var port in _outputs)
            {
                _w.Line($"{Values(port.Node)}.CopyTo({port.Parameter});");
            }
        });
        _w.Close();
        _w.Line();
    }

    private void WritePredictArrays()
    {
        string returnType = _outputs.Count == 1
            ? "float[]"
            : "(" + string.Join(", ", _outputs.Select(p => "float[] " + p.TupleName)) + ")";
        _w.Line("/// <summary>Runs the model on every sample of the given arrays (the batch size is inferred) and returns new arrays.</summary>");
        WriteParameterDocs(_inputs, p => p.Parameter, p => $"Input '{Xml(p.Name)}': samples × {Xml(SizeText(p))} floats, row-major.");
        WriteLengthDocs();
        _w.Line("/// <returns>The output" + (_outputs.Count == 1 ? $" '{Xml(_outputs[0].Name)}'" : "s") + ", samples × size floats each.</returns>");
        if (_plan.IsDynamic)
        {
            // The sizes depend on the lengths: the runtime's array Predict checks them and runs in batches.
            _w.Open($"public {returnType} Predict({InputParameters("float[]")}, {LengthParameters.TrimEnd(',', ' ')})");
            _w.Line($"float[][] outputs = Predict(new float[][] {{ {string.Join(", ", _inputs.Select(p => p.Parameter))} }}, 32, new int[] {{ {string.Join(", ", _lengths.Select(l => l.Parameter))} }});");
            _w.Line(_outputs.Count == 1 ? "return outputs[0];" : $"return ({string.Join(", ", _outputs.Select(p => $"outputs[{N(p.Index)}]"))});");
            _w.Close();
            _w.Line();
            return;
        }

        _w.Open($"public {returnType} Predict({InputParameters("float[]")})");
        var first = _inputs[0];
        _w.Line($"int batchSize = CountSamples({first.Parameter}, {first.SizeConstant}, {Naming.Literal(first.Name)}, nameof({first.Parameter}));");
        foreach (var port in _inputs.Skip(1))
        {
            _w.Line($"CheckSameSamples(batchSize, {port.Parameter}, {port.SizeConstant}, {Naming.Literal(port.Name)}, nameof({port.Parameter}));");
        }

        foreach (var port in _outputs)
        {
            _w.Line($"var {port.Parameter} = NewOutput(batchSize, {port.SizeConstant}, {Naming.Literal(port.Name)}, nameof({first.Parameter}));");
        }

        _w.Line($"Predict({string.Join(", ", _inputs.Select(p => p.Parameter).Concat(_outputs.Select(p => p.Parameter)))}, batchSize);");
        _w.Line(_outputs.Count == 1 ? $"return {_outputs[0].Parameter};" : $"return ({string.Join(", ", _outputs.Select(p => p.Parameter))});");
        _w.Close();
        _w.Line();
    }

    private void WriteTrainOnBatch()
    {
        _w.Line("/// <summary>");
        _w.Line("/// One training step on a batch, as Keras's <c>train_on_batch</c>: forward, loss, backward and an optimizer update.");
        _w.Line("/// Needs <c>Compile</c> first. Allocates nothing once the workspace has grown to the batch size.");
        _w.Line("/// </summary>");
        WriteParameterDocs(_inputs, p => p.Parameter, p => $"Input '{Xml(p.Name)}': <paramref name=\"batchSize\"/> × {Xml(SizeText(p))} floats.");
        WriteParameterDocs(_outputs, p => p.TargetParameter,
            p => $"Targets for output '{Xml(p.Name)}' (one class index per sample for a sparse loss, else {Xml(SizeText(p))} floats per sample).");
        WriteLengthDocs();
        _w.Line("/// <param name=\"batchSize\">The number of samples.</param>");
        _w.Line("/// <returns>The batch's loss (the weighted sum over outputs), computed before the update.</returns>");
        string parameters = string.Join(", ", _inputs.Select(p => $"{ReadOnlySpan} {p.Parameter}").Concat(_outputs.Select(p => $"{ReadOnlySpan} {p.TargetParameter}")));
        _w.Open($"public float TrainOnBatch({parameters}, {LengthParameters}int batchSize)");
        if (!_plan.IsDynamic)
        {
            WriteChecks(_inputs);
        }

        WriteWithWorkspace("AcquireTrainingWorkspace", () =>
        {
            if (_plan.IsDynamic)
            {
                WriteChecks(_inputs);
            }

            foreach (var port in _outputs)
            {
                _w.Line($"SetTarget(workspace, {N(port.Index)}, {port.TargetParameter}, batchSize, nameof({port.TargetParameter}));");
            }

            WriteInputCopies();
            _w.Line("return TrainStep(workspace, batchSize);");
        });
        _w.Close();
    }

    /// <summary>Takes a workspace (which also guards against a concurrent call), runs the body, always gives it back.</summary>
    private void WriteWithWorkspace(string acquire, System.Action body)
    {
        _w.Line(_plan.IsDynamic ? $"var workspace = {acquire}(batchSize, {LengthArguments});" : $"var workspace = {acquire}(batchSize);");
        _w.Open("try");
        WriteLengthsLocal("workspace");
        body();
        _w.Close();
        _w.Open("finally");
        _w.Line("ReleaseWorkspace(workspace);");
        _w.Close();
    }

    private void WriteInputCopies()
    {
        foreach (var port in _inputs)
        {
            _w.Line($"{port.Parameter}.CopyTo({Values(port.Node)});");
        }
    }
}
