using System;
using System.Collections.Generic;

namespace Unrolled.Serialization;

/// <summary>
/// Constants of the weights file format, version 1 (docs/weights-format.md has the byte-level table). All numbers are
/// little-endian. A file is: a 32-byte preamble; the header (names, shapes, where each tensor's data is); the CRC-32C of
/// preamble and header; the data, each block aligned to 64 bytes with zero padding; the CRC-32C of everything after the
/// header's checksum.
/// </summary>
internal static class WeightsFormat
{
    /// <summary>The first eight bytes: 0x89 "UNRW" CR LF 0x1A. As with PNG, the high first byte and the CR LF catch
    /// transfers that treat the file as text.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, 0x55, 0x4E, 0x52, 0x57, 0x0D, 0x0A, 0x1A];

    /// <summary>HDF5's signature (Keras's <c>.h5</c> and <c>.weights.h5</c>), to name it in the error.</summary>
    public static ReadOnlySpan<byte> Hdf5Magic => [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The format version this Unrolled writes and the newest it reads.</summary>
    public const uint Version = 1;

    /// <summary>Flag bit: the file holds optimizer state.</summary>
    public const uint HasOptimizerFlag = 1;

    /// <summary>Bytes of the preamble: magic, version, flags, file length, header length, reserved.</summary>
    public const int PreambleSize = 32;

    /// <summary>Bytes of a checksum.</summary>
    public const int ChecksumSize = 4;

    /// <summary>Every data block starts at a multiple of this, so a reader may map the file and use the floats in place.</summary>
    public const int Alignment = 64;

    /// <summary>The longest name (UTF-8 bytes) a file may hold; Keras names are far shorter.</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>The highest rank of a weight tensor (Keras's largest kernels, Conv3D's, have rank 5).</summary>
    public const int MaxRank = 16;

    /// <summary>The only element type of version 1.</summary>
    public const byte Float32 = 1;

    /// <summary>The smallest file: preamble, an empty header, and both checksums.</summary>
    public const long MinimumLength = PreambleSize + ChecksumSize + ChecksumSize;

    /// <summary>Rounds up to <see cref="Alignment"/>.</summary>
    public static long Align(long offset) => (offset + (Alignment - 1)) & ~(long)(Alignment - 1);

    /// <summary>A shape as the messages print it: [64, 10].</summary>
    public static string Format(IReadOnlyList<int> shape) => $"[{string.Join(", ", shape)}]";
}

/// <summary>One weight tensor as a file lists it.</summary>
internal sealed class TensorEntry
{
    public TensorEntry(string layer, string name, int[] shape, bool trainable, long offset, int count)
    {
        Layer = layer;
        Name = name;
        Shape = shape;
        Trainable = trainable;
        Offset = offset;
        Count = count;
    }

    public string Layer { get; }

    public string Name { get; }

    public string Key => Layer + "/" + Name;

    public int[] Shape { get; }

    public bool Trainable { get; }

    /// <summary>Where its floats start, from the start of the file.</summary>
    public long Offset { get; }

    /// <summary>The number of floats.</summary>
    public int Count { get; }

    public override string ToString() => $"{Key} {WeightsFormat.Format(Shape)}";
}

/// <summary>The optimizer state a file holds: what its header says (the buffers' floats follow the weights').</summary>
internal sealed class OptimizerEntry
{
    public OptimizerEntry(string name, long iterations, float learningRate, ulong randomState,
        (string Name, double Value)[] hyperparameters, (string Name, long Offset)[] buffers)
    {
        Name = name;
        Iterations = iterations;
        LearningRate = learningRate;
        RandomState = randomState;
        Hyperparameters = hyperparameters;
        Buffers = buffers;
    }

    /// <summary>Keras's name of the optimizer class.</summary>
    public string Name { get; }

    public long Iterations { get; }

    public float LearningRate { get; }

    /// <summary>The state of the training workspace's random sequence (Dropout's masks), so a resumed run draws the
    /// masks the uninterrupted run would have.</summary>
    public ulong RandomState { get; }

    public (string Name, double Value)[] Hyperparameters { get; }

    /// <summary>Each state buffer: its Keras name and where its floats start (one slice per tensor, in the order of
    /// the tensors, without gaps).</summary>
    public (string Name, long Offset)[] Buffers { get; }
}

/// <summary>Everything before the data: what the preamble and header say, checked against each other.</summary>
internal sealed class WeightsHeader
{
    public WeightsHeader(uint version, string producer, string modelName, long parameterCount, TensorEntry[] tensors,
        OptimizerEntry? optimizer, long dataStart, long fileLength)
    {
        Version = version;
        Producer = producer;
        ModelName = modelName;
        ParameterCount = parameterCount;
        Tensors = tensors;
        Optimizer = optimizer;
        DataStart = dataStart;
        FileLength = fileLength;
    }

    public uint Version { get; }

    /// <summary>What wrote the file (<c>Unrolled 1.0.0</c>).</summary>
    public string Producer { get; }

    /// <summary>The name of the model the weights were saved from.</summary>
    public string ModelName { get; }

    public long ParameterCount { get; }

    public TensorEntry[] Tensors { get; }

    public OptimizerEntry? Optimizer { get; }

    /// <summary>The first byte after the header's checksum: where the data checksum starts counting.</summary>
    public long DataStart { get; }

    public long FileLength { get; }
}
