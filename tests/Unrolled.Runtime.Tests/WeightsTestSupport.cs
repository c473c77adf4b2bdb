using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Unrolled.Serialization;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>A model that only has weights (named and shaped as given), for the tests of matching files to models.</summary>
internal sealed class StubModel : CompiledModel
{
    public StubModel(string name, params (string Layer, string Name, int[] Shape)[] tensors)
        : base(Describe(name, tensors), seed: 5)
    {
    }

    private static ModelDescription Describe(string name, (string Layer, string Name, int[] Shape)[] tensors)
    {
        var weights = new WeightInfo[tensors.Length];
        int offset = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            weights[i] = new WeightInfo(tensors[i].Layer, tensors[i].Name, tensors[i].Shape, offset);
            offset += weights[i].Size;
        }

        return new ModelDescription(name, [new TensorInfo("x", [1], DType.Float32, 0)], [new TensorInfo("y", [1], DType.Float32, 1)],
            offset, 2, 0, name, weights);
    }

    protected override void InitializeWeights(Span<float> weights, ref WeightInitializer initializer)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (i % 97) * 0.125f;
        }
    }

    protected override void Forward(Workspace workspace, int batchSize, bool training)
    {
    }

    protected override void Backward(Workspace workspace, int batchSize)
    {
    }
}

/// <summary>A stream that cannot seek or tell its length, like a network or decompression stream.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    // Hands out at most 7 bytes a read, so the reader's loops over short reads are exercised too.
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
}

/// <summary>A writable stream that fails once <see cref="Limit"/> bytes have been written (a full disk, a dropped
/// connection).</summary>
internal sealed class FailingStream(long limit) : Stream
{
    public long Limit => limit;

    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (Written + count > limit)
        {
            throw new IOException($"No space left on device (simulated after {limit} bytes).");
        }

        Written += count;
    }
}

/// <summary>Helpers: the bytes of a saved model, the state a failed load must leave alone, and the Python reader.</summary>
internal static class WeightsFiles
{
    public static byte[] Save(CompiledModel model, bool includeOptimizer = false)
    {
        using var stream = new MemoryStream();
        model.SaveWeights(stream, includeOptimizer);
        return stream.ToArray();
    }

    /// <summary>Everything a load may change: the weights, and the optimizer's counters and buffers.</summary>
    public static string State(CompiledModel model)
    {
        var parts = new List<string> { Bits(model.Weights.ToArray()) };
        if (model.Optimizer is { } optimizer)
        {
            parts.Add($"{optimizer.Name} {optimizer.Iterations} {BitConverter.SingleToUInt32Bits(optimizer.LearningRate)}");
            parts.AddRange(optimizer.StateBuffers.Select(b => b.Name + ":" + Bits(b.Values)));
        }

        return string.Join("\n", parts);
    }

    public static string Bits(float[] values) => string.Join(",", values.Select(v => BitConverter.SingleToUInt32Bits(v).ToString("X8")));

    /// <summary>Recomputes both checksums after a test edited the header, so the edit reaches the checks behind them.</summary>
    public static byte[] Reseal(byte[] file)
    {
        var bytes = (byte[])file.Clone();
        int headerLength = BitConverter.ToInt32(bytes, 24);
        int headerEnd = WeightsFormat.PreambleSize + headerLength;
        BitConverter.GetBytes(Crc32C.Compute(bytes.AsSpan(0, headerEnd))).CopyTo(bytes, headerEnd);
        BitConverter.GetBytes(Crc32C.Compute(bytes.AsSpan(headerEnd + 4, bytes.Length - headerEnd - 8))).CopyTo(bytes, bytes.Length - 4);
        return bytes;
    }

    public static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "WeightsFiles", name);

    /// <summary>Runs tests/Unrolled.Runtime.Tests/WeightsFiles/unrw.py, the independent Python reader, on a file.</summary>
    public static JsonElement PythonDump(byte[] file)
    {
        Assert.True(File.Exists("/usr/bin/python3"), "The format tests read files with /usr/bin/python3 (apt-get install python3).");
        string path = Path.Combine(Path.GetTempPath(), $"unrolled-weights-{Guid.NewGuid():N}.unrw");
        File.WriteAllBytes(path, file);
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3", $"\"{DataFile("unrw.py")}\" dump \"{path}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"unrw.py rejected the file: {error}");
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
