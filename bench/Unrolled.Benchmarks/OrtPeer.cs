using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace Unrolled.Benchmarks;

/// <summary>
/// ONNX Runtime in this process, its strongest configuration for the comparison: one intra-op thread (as Unrolled's
/// side), every graph optimisation on, sequential execution, and inputs and outputs bound once to preallocated
/// buffers, so a call is one <c>Run</c> with no copies or allocations of ours around it. The model is the Unrolled
/// model's own ONNX export, so both sides compute with the same weights.
/// </summary>
public sealed class OrtPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Exports <paramref name="model"/> and opens it for batches of <paramref name="batch"/>.</summary>
    public OrtPeer(CompiledModel model, int batch, Func<int, Array> inputData)
    {
        string path = Path.Combine(Path.GetTempPath(), $"unrolled-bench-{model.Description.Name}-{Environment.ProcessId}.onnx");
        model.ExportOnnx(path);
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(path, options);
        File.Delete(path);

        _inputNames = _session.InputNames.ToArray();
        _inputs = new OrtValue[_inputNames.Length];
        for (int i = 0; i < _inputNames.Length; i++)
        {
            var meta = _session.InputMetadata[_inputNames[i]];
            long[] shape = meta.Dimensions.Select((d, a) => a == 0 ? batch : d).Select(d => (long)d).ToArray();
            _inputs[i] = inputData(i) switch
            {
                float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
                int[] n => OrtValue.CreateTensorValueFromMemory(n, shape),
                var other => throw new ArgumentException($"input {i}: {other.GetType()}"),
            };
        }

        _outputNames = _session.OutputNames.ToArray();
        _outputs = new OrtValue[_outputNames.Length];
        for (int o = 0; o < _outputNames.Length; o++)
        {
            var meta = _session.OutputMetadata[_outputNames[o]];
            long[] shape = meta.Dimensions.Select((d, a) => a == 0 ? batch : d).Select(d => (long)d).ToArray();
            _outputs[o] = OrtValue.CreateTensorValueFromMemory(new float[shape.Aggregate(1L, (p, d) => p * d)], shape);
        }
    }

    /// <summary>One inference into the bound outputs.</summary>
    public void Run() => _session.Run(_run, _inputNames, _inputs, _outputNames, _outputs);

    /// <summary>The first output's values after <see cref="Run"/>.</summary>
    public ReadOnlySpan<float> FirstOutput => _outputs[0].GetTensorDataAsSpan<float>();

    public void Dispose()
    {
        foreach (var value in _inputs.Concat(_outputs))
        {
            value.Dispose();
        }

        _run.Dispose();
        _session.Dispose();
    }
}
