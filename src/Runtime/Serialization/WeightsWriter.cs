using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Unrolled.Serialization;

/// <summary>What a weights file records of an optimizer: taken under the model's guard, written after.</summary>
internal sealed class OptimizerSnapshot
{
    public OptimizerSnapshot(Optimizer optimizer, ulong randomState)
    {
        Name = optimizer.Name;
        Iterations = optimizer.Iterations;
        LearningRate = optimizer.LearningRate;
        RandomState = randomState;
        Hyperparameters = optimizer.Hyperparameters;
        Buffers = optimizer.StateBuffers;
    }

    public string Name { get; }

    public long Iterations { get; }

    public float LearningRate { get; }

    public ulong RandomState { get; }

    public (string Name, double Value)[] Hyperparameters { get; }

    /// <summary>The live buffers, laid out as the model's weights.</summary>
    public (string Name, float[] Values)[] Buffers { get; }
}

/// <summary>Writes a weights file (format version 1) to a stream, front to back, so any writable stream will do.</summary>
internal static class WeightsWriter
{
    private static readonly string Producer = "Unrolled " +
        (typeof(WeightsWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?");

    /// <summary>Writes the weights of a model described by <paramref name="description"/>.</summary>
    /// <param name="stream">Where the file goes, from its current position.</param>
    /// <param name="description">The model: its name and weight tensors.</param>
    /// <param name="weights">The model's weight buffer.</param>
    /// <param name="optimizer">The optimizer state to include, or null.</param>
    public static void Write(Stream stream, ModelDescription description, ReadOnlySpan<float> weights, OptimizerSnapshot? optimizer)
    {
        var tensors = description.Weights;
        long parameterCount = 0;
        foreach (var weight in tensors)
        {
            parameterCount += weight.Size;
        }

        // The header records absolute offsets, which depend on the header's length, which does not depend on them.
        int headerLength = BuildHeader(description, parameterCount, optimizer, new long[tensors.Count], new long[optimizer?.Buffers.Length ?? 0]).Length;
        long position = WeightsFormat.PreambleSize + headerLength + WeightsFormat.ChecksumSize;
        long dataStart = position;
        var tensorOffsets = new long[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            tensorOffsets[i] = WeightsFormat.Align(position);
            position = tensorOffsets[i] + (4L * tensors[i].Size);
        }

        var bufferOffsets = new long[optimizer?.Buffers.Length ?? 0];
        for (int b = 0; b < bufferOffsets.Length; b++)
        {
            bufferOffsets[b] = WeightsFormat.Align(position);
            position = bufferOffsets[b] + (4L * parameterCount);
        }

        long fileLength = position + WeightsFormat.ChecksumSize;
        byte[] header = BuildHeader(description, parameterCount, optimizer, tensorOffsets, bufferOffsets);

        Span<byte> preamble = stackalloc byte[WeightsFormat.PreambleSize];
        preamble.Clear();
        WeightsFormat.Magic.CopyTo(preamble);
        BinaryPrimitives.WriteUInt32LittleEndian(preamble[8..], WeightsFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(preamble[12..], optimizer is null ? 0 : WeightsFormat.HasOptimizerFlag);
        BinaryPrimitives.WriteUInt64LittleEndian(preamble[16..], (ulong)fileLength);
        BinaryPrimitives.WriteUInt32LittleEndian(preamble[24..], (uint)header.Length);

        var output = new ChecksumWriter(stream);
        output.Write(preamble);
        output.Write(header);
        output.WriteChecksum();
        if (output.Position != dataStart)
        {
            throw new InvalidOperationException("The weights header's length changed between measuring and writing it.");
        }

        for (int i = 0; i < tensors.Count; i++)
        {
            output.PadTo(tensorOffsets[i]);
            output.WriteFloats(weights.Slice(tensors[i].Offset, tensors[i].Size));
        }

        for (int b = 0; b < bufferOffsets.Length; b++)
        {
            output.PadTo(bufferOffsets[b]);
            float[] values = optimizer!.Buffers[b].Values;
            foreach (var weight in tensors)
            {
                output.WriteFloats(values.AsSpan(weight.Offset, weight.Size));
            }
        }

        output.WriteChecksum();
        output.Flush();
        if (output.Position != fileLength)
        {
            throw new InvalidOperationException("The weights file's length differs from the one its preamble records.");
        }
    }

    private static byte[] BuildHeader(ModelDescription description, long parameterCount, OptimizerSnapshot? optimizer,
        long[] tensorOffsets, long[] bufferOffsets)
    {
        var header = new HeaderBuilder();
        header.String(Producer, "the producer");
        header.String(description.Name ?? string.Empty, "the model's name");
        header.UInt32((uint)description.Weights.Count);
        header.UInt64((ulong)parameterCount);
        for (int i = 0; i < description.Weights.Count; i++)
        {
            var weight = description.Weights[i];
            header.String(weight.Layer, "a layer's name");
            header.String(weight.Name, "a weight's name");
            header.Byte(WeightsFormat.Float32);
            header.Byte(weight.Trainable ? (byte)1 : (byte)0);
            if (weight.Shape.Count > WeightsFormat.MaxRank)
            {
                throw new InvalidOperationException($"Weight {weight} has rank {weight.Shape.Count}; a weights file holds ranks up to {WeightsFormat.MaxRank}.");
            }

            header.Byte((byte)weight.Shape.Count);
            foreach (int dim in weight.Shape)
            {
                header.UInt32((uint)dim);
            }

            header.UInt64((ulong)tensorOffsets[i]);
            header.UInt64((ulong)weight.Size * 4);
        }

        if (optimizer is not null)
        {
            header.String(optimizer.Name, "the optimizer's name");
            header.UInt64((ulong)optimizer.Iterations);
            header.Single(optimizer.LearningRate);
            header.UInt64(optimizer.RandomState);
            header.Byte(checked((byte)optimizer.Hyperparameters.Length));
            foreach (var (name, value) in optimizer.Hyperparameters)
            {
                header.String(name, "a hyper-parameter's name");
                header.Double(value);
            }

            header.Byte(checked((byte)optimizer.Buffers.Length));
            for (int b = 0; b < optimizer.Buffers.Length; b++)
            {
                header.String(optimizer.Buffers[b].Name, "a state buffer's name");
                header.UInt64((ulong)bufferOffsets[b]);
                header.UInt64((ulong)parameterCount * 4);
            }
        }

        return header.ToArray();
    }

    /// <summary>Little-endian fields into a growing array.</summary>
    private sealed class HeaderBuilder
    {
        private readonly List<byte> _bytes = new();

        public void Byte(byte value) => _bytes.Add(value);

        public void UInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            _bytes.AddRange(b);
        }

        public void UInt64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            _bytes.AddRange(b);
        }

        public void Single(float value) => UInt32(BitConverter.SingleToUInt32Bits(value));

        public void Double(double value) => UInt64(BitConverter.DoubleToUInt64Bits(value));

        public void String(string value, string what)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            if (utf8.Length > WeightsFormat.MaxNameBytes)
            {
                throw new InvalidOperationException(
                    $"The name '{value[..Math.Min(value.Length, 40)]}…' ({what}) is {utf8.Length} bytes long in UTF-8; a weights file holds names of up to {WeightsFormat.MaxNameBytes}.");
            }

            _bytes.Add((byte)utf8.Length);
            _bytes.Add((byte)(utf8.Length >> 8));
            _bytes.AddRange(utf8);
        }

        public byte[] ToArray() => _bytes.ToArray();
    }

    /// <summary>Buffers writes in 64 KiB blocks and keeps a running CRC-32C of what was written since the last checksum.</summary>
    private sealed class ChecksumWriter
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _used;
        private uint _crc = Crc32C.Start;

        public ChecksumWriter(Stream stream) => _stream = stream;

        public long Position { get; private set; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                int n = Math.Min(bytes.Length, _buffer.Length - _used);
                bytes[..n].CopyTo(_buffer.AsSpan(_used));
                _used += n;
                bytes = bytes[n..];
                if (_used == _buffer.Length)
                {
                    Drain();
                }
            }
        }

        public void WriteFloats(ReadOnlySpan<float> values)
        {
            if (BitConverter.IsLittleEndian)
            {
                Write(MemoryMarshal.AsBytes(values));
                return;
            }

            Span<byte> b = stackalloc byte[4];
            foreach (float value in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(b, value);
                Write(b);
            }
        }

        public void PadTo(long offset)
        {
            Span<byte> zeros = stackalloc byte[WeightsFormat.Alignment];
            zeros.Clear();
            long current = Position + _used;
            Write(zeros[..(int)(offset - current)]);
        }

        /// <summary>Writes the checksum of everything since the last one, and starts a new one.</summary>
        public void WriteChecksum()
        {
            Drain();
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, Crc32C.Finish(_crc));
            _stream.Write(b);
            Position += 4;
            _crc = Crc32C.Start;
        }

        public void Flush()
        {
            Drain();
            _stream.Flush();
        }

        private void Drain()
        {
            if (_used > 0)
            {
                _crc = Crc32C.Append(_crc, _buffer.AsSpan(0, _used));
                _stream.Write(_buffer, 0, _used);
                Position += _used;
                _used = 0;
            }
        }
    }
}
