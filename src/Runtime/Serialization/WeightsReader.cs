using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Unrolled.Serialization;

/// <summary>
/// Reads a weights file front to back from any readable stream, checking every field before it is used: every length
/// against the bytes that remain and the limits of the format, both checksums, and the canonical layout. It allocates
/// the header's bytes only as they arrive, and float buffers only as large as the caller's model, so a truncated,
/// corrupt or hostile file costs no more memory than its own bytes. Every problem is a <see cref="WeightsFileException"/>;
/// the stream's own failures (an <see cref="IOException"/>) pass through.
/// </summary>
internal sealed class WeightsReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Stream _stream;
    private readonly string _source;
    private readonly long _available;
    private readonly bool _exactLength;
    private long _position;
    private uint _crc = Crc32C.Start;
    private long _fileLength = -1;
    private long _badPadding = -1;

    /// <param name="stream">The stream, at the file's first byte.</param>
    /// <param name="source">How messages name the file: <c>Weights file '/data/model.unrw'</c>.</param>
    /// <param name="available">The bytes the stream holds from its position, or -1 when it cannot tell.</param>
    /// <param name="exactLength">Whether bytes after the end the preamble records are an error (a file), or the
    /// stream's business (a stream).</param>
    public WeightsReader(Stream stream, string source, long available, bool exactLength)
    {
        _stream = stream;
        _source = source;
        _available = available;
        _exactLength = exactLength;
    }

    /// <summary>Reads and checks the preamble, the header and its checksum.</summary>
    /// <returns>The header; the stream is then at the first byte the data checksum covers.</returns>
    public WeightsHeader ReadHeader()
    {
        Span<byte> preamble = stackalloc byte[WeightsFormat.PreambleSize];
        int n = ReadAtMost(preamble);
        CheckMagic(preamble[..n]);
        if (n < WeightsFormat.PreambleSize)
        {
            throw Fail(WeightsFileError.Truncated,
                $"is truncated: it holds only {n} bytes, and the fixed start of a weights file alone is {WeightsFormat.PreambleSize}.");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
        if (version > WeightsFormat.Version)
        {
            throw Fail(WeightsFileError.NewerVersion,
                $"was written by a newer Unrolled: it is in format version {version}, and this Unrolled reads versions up to " +
                $"{WeightsFormat.Version}. Update the Unrolled package to load it.");
        }

        if (version == 0)
        {
            throw Corrupt("its format version is 0, which no Unrolled writes.");
        }

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(preamble[12..]);
        if ((flags & ~WeightsFormat.HasOptimizerFlag) != 0)
        {
            throw Corrupt($"its flags are 0x{flags:X8}, and format version {version} defines only bit 0 (optimizer state).");
        }

        ulong fileLength = BinaryPrimitives.ReadUInt64LittleEndian(preamble[16..]);
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(preamble[24..]);
        if (fileLength < WeightsFormat.MinimumLength || fileLength > long.MaxValue)
        {
            throw Corrupt($"its preamble records a length of {fileLength} bytes; a weights file holds at least {WeightsFormat.MinimumLength}.");
        }

        if (headerLength > (long)fileLength - WeightsFormat.MinimumLength || headerLength > Array.MaxLength)
        {
            throw Corrupt($"its preamble records a header of {headerLength} bytes, which does not fit in the {fileLength} bytes it records for the file.");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(preamble[28..]) != 0)
        {
            throw Corrupt("the reserved field of its preamble is not zero.");
        }

        _fileLength = (long)fileLength;
        if (_available >= 0 && _available < _fileLength)
        {
            throw Fail(WeightsFileError.Truncated,
                $"is truncated: it holds {_available} bytes, but its preamble says the file is {_fileLength} bytes long " +
                "(an interrupted save, copy or download?).");
        }

        if (_exactLength && _available > _fileLength)
        {
            throw Corrupt($"it holds {_available - _fileLength} bytes after the end its preamble records ({_fileLength} bytes).");
        }

        byte[] header = ReadGrowing((int)headerLength);
        _crc = Crc32C.Append(Crc32C.Append(_crc, preamble), header);
        ReadChecksum("header");
        return Parse(header, version, (flags & WeightsFormat.HasOptimizerFlag) != 0);
    }

    /// <summary>
    /// Reads the data: each file tensor's floats into <paramref name="weights"/> at <paramref name="targets"/>[i], each
    /// optimizer buffer's slices likewise into <paramref name="buffers"/>[b] (or read past when it is null); then checks
    /// the padding and the data checksum.
    /// </summary>
    public void ReadData(WeightsHeader header, float[] weights, int[] targets, float[]?[] buffers)
    {
        byte[] scratch = new byte[1 << 16];
        for (int i = 0; i < header.Tensors.Length; i++)
        {
            TensorEntry tensor = header.Tensors[i];
            SkipPadding(tensor.Offset, scratch);
            ReadFloats(weights.AsSpan(targets[i], tensor.Count));
        }

        var optimizer = header.Optimizer;
        for (int b = 0; b < (optimizer?.Buffers.Length ?? 0); b++)
        {
            SkipPadding(optimizer!.Buffers[b].Offset, scratch);
            float[]? buffer = buffers[b];
            for (int i = 0; i < header.Tensors.Length; i++)
            {
                int count = header.Tensors[i].Count;
                if (buffer is not null)
                {
                    ReadFloats(buffer.AsSpan(targets[i], count));
                }
                else
                {
                    Discard(4L * count, scratch);
                }
            }
        }

        ReadChecksum("data");
        if (_badPadding >= 0)
        {
            throw Corrupt($"the padding before offset {_badPadding} is not zero.");
        }
    }

    private void CheckMagic(ReadOnlySpan<byte> start)
    {
        if (start.IsEmpty)
        {
            throw Fail(WeightsFileError.Truncated, "is empty.");
        }

        int n = Math.Min(start.Length, WeightsFormat.Magic.Length);
        if (start[..n].SequenceEqual(WeightsFormat.Magic[..n]))
        {
            return;
        }

        string what = start.StartsWith(WeightsFormat.Hdf5Magic)
            ? "It is an HDF5 file, as Keras's .h5 and .weights.h5 files are; Unrolled reads only its own weights format."
            : start.StartsWith("PK\u0003\u0004"u8)
                ? "It is a ZIP archive, as a Keras .keras file is; Unrolled reads only its own weights format."
                : $"It starts with {Convert.ToHexString(start[..n])}; a weights file starts with {Convert.ToHexString(WeightsFormat.Magic)}.";
        throw Fail(WeightsFileError.NotAWeightsFile, $"is not an Unrolled weights file. {what}");
    }

    private WeightsHeader Parse(byte[] bytes, uint version, bool hasOptimizer)
    {
        var header = new HeaderReader(bytes, this);
        string producer = header.String("the producer");
        string modelName = header.String("the model's name");
        uint tensorCount = header.UInt32("the tensor count");
        ulong parameterCount = header.UInt64("the parameter count");

        // Each entry takes at least 23 bytes: the header's length bounds the count before anything is allocated.
        const int MinimumEntry = 2 + 2 + 1 + 1 + 1 + 8 + 8;
        if (tensorCount > header.Remaining / MinimumEntry)
        {
            throw Corrupt($"its header lists {tensorCount} tensors, more than its {bytes.Length} bytes can describe.");
        }

        long position = WeightsFormat.PreambleSize + bytes.Length + WeightsFormat.ChecksumSize;
        long dataStart = position;
        long total = 0;
        var tensors = new TensorEntry[tensorCount];
        for (int i = 0; i < tensors.Length; i++)
        {
            string layer = header.String("a layer's name");
            string name = header.String("a weight's name");
            string key = $"{layer}/{name}";
            byte dtype = header.Byte(key);
            if (dtype != WeightsFormat.Float32)
            {
                throw Corrupt($"tensor {key} has element type {dtype}; format version {version} knows only 1 (float32).");
            }

            byte trainable = header.Byte(key);
            if (trainable > 1)
            {
                throw Corrupt($"tensor {key} has trainable flag {trainable}; it must be 0 or 1.");
            }

            byte rank = header.Byte(key);
            if (rank > WeightsFormat.MaxRank)
            {
                throw Corrupt($"tensor {key} has rank {rank}; a weights file holds ranks up to {WeightsFormat.MaxRank}.");
            }

            var shape = new int[rank];
            long count = 1;
            for (int d = 0; d < rank; d++)
            {
                uint dim = header.UInt32(key);
                count *= dim;
                if (dim > int.MaxValue || count > Array.MaxLength)
                {
                    throw Corrupt($"tensor {key} has a shape too large to hold in memory (dimension {d} is {dim}).");
                }

                shape[d] = (int)dim;
            }

            ulong offset = header.UInt64(key);
            ulong byteLength = header.UInt64(key);
            long expected = WeightsFormat.Align(position);
            if (offset != (ulong)expected || byteLength != (ulong)(4 * count))
            {
                throw Corrupt($"tensor {key} {WeightsFormat.Format(shape)} is recorded at offset {offset} with {byteLength} bytes; " +
                    $"its {4 * count} bytes belong at offset {expected}.");
            }

            position = expected + (4 * count);
            total += count;
            tensors[i] = new TensorEntry(layer, name, shape, trainable == 1, expected, (int)count);
        }

        if (parameterCount != (ulong)total || total > Array.MaxLength)
        {
            throw Corrupt($"its header records {parameterCount} parameters, but its tensors hold {total}.");
        }

        OptimizerEntry? optimizer = null;
        if (hasOptimizer)
        {
            string name = header.String("the optimizer's name");
            ulong iterations = header.UInt64("the optimizer's iterations");
            float learningRate = header.Single("the learning rate");
            ulong randomState = header.UInt64("the random state");
            if (iterations > long.MaxValue)
            {
                throw Corrupt($"its optimizer records {iterations} iterations.");
            }

            if (!float.IsFinite(learningRate) || learningRate < 0)
            {
                throw Corrupt($"its optimizer records a learning rate of {learningRate}.");
            }

            var hyperparameters = new (string, double)[header.Byte("the hyper-parameter count")];
            for (int k = 0; k < hyperparameters.Length; k++)
            {
                string parameter = header.String("a hyper-parameter's name");
                double value = header.Double(parameter);
                if (!double.IsFinite(value))
                {
                    throw Corrupt($"its optimizer's {parameter} is {value}.");
                }

                hyperparameters[k] = (parameter, value);
            }

            var buffers = new (string, long)[header.Byte("the state buffer count")];
            for (int b = 0; b < buffers.Length; b++)
            {
                string buffer = header.String("a state buffer's name");
                ulong offset = header.UInt64(buffer);
                ulong byteLength = header.UInt64(buffer);
                long expected = WeightsFormat.Align(position);
                if (offset != (ulong)expected || byteLength != (ulong)(4 * total))
                {
                    throw Corrupt($"optimizer buffer '{buffer}' is recorded at offset {offset} with {byteLength} bytes; " +
                        $"its {4 * total} bytes belong at offset {expected}.");
                }

                position = expected + (4 * total);
                buffers[b] = (buffer, expected);
            }

            optimizer = new OptimizerEntry(name, (long)iterations, learningRate, randomState, hyperparameters, buffers);
        }

        if (header.Remaining != 0)
        {
            throw Corrupt($"its header holds {header.Remaining} bytes after its last field.");
        }

        if (position + WeightsFormat.ChecksumSize != _fileLength)
        {
            throw Corrupt($"its header describes {position + WeightsFormat.ChecksumSize} bytes, but its preamble records {_fileLength}.");
        }

        return new WeightsHeader(version, producer, modelName, total, tensors, optimizer, dataStart, _fileLength);
    }

    private void ReadFloats(Span<float> values)
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(values);
        ReadExactly(bytes);
        _crc = Crc32C.Append(_crc, bytes);
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
            }
        }
    }

    private void SkipPadding(long offset, byte[] scratch)
    {
        int length = (int)(offset - _position);
        Span<byte> padding = scratch.AsSpan(0, length);
        ReadExactly(padding);
        _crc = Crc32C.Append(_crc, padding);
        if (padding.ContainsAnyExcept((byte)0) && _badPadding < 0)
        {
            // Reported after the checksum: damage is the likelier cause, and the checksum says so.
            _badPadding = offset;
        }
    }

    private void Discard(long length, byte[] scratch)
    {
        while (length > 0)
        {
            Span<byte> chunk = scratch.AsSpan(0, (int)Math.Min(length, scratch.Length));
            ReadExactly(chunk);
            _crc = Crc32C.Append(_crc, chunk);
            length -= chunk.Length;
        }
    }

    private void ReadChecksum(string part)
    {
        Span<byte> stored = stackalloc byte[4];
        ReadExactly(stored);
        uint expected = Crc32C.Finish(_crc);
        uint actual = BinaryPrimitives.ReadUInt32LittleEndian(stored);
        if (actual != expected)
        {
            throw Corrupt($"the checksum of its {part} does not match (CRC-32C 0x{actual:X8} recorded, 0x{expected:X8} computed): " +
                $"the {part} was damaged.");
        }

        _crc = Crc32C.Start;
    }

    /// <summary>Reads the header, growing the array only as bytes arrive so a lying length costs nothing.</summary>
    private byte[] ReadGrowing(int length)
    {
        byte[] buffer = new byte[Math.Min(length, 1 << 16)];
        int filled = 0;
        while (true)
        {
            ReadExactly(buffer.AsSpan(filled));
            filled = buffer.Length;
            if (filled == length)
            {
                return buffer;
            }

            Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
        }
    }

    private int ReadAtMost(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        _position += total;
        return total;
    }

    private void ReadExactly(Span<byte> buffer)
    {
        int n = ReadAtMost(buffer);
        if (n < buffer.Length)
        {
            throw Fail(WeightsFileError.Truncated,
                $"is truncated: it ends after {_position} bytes, but its preamble says the file is {_fileLength} bytes long " +
                "(an interrupted save, copy or download?).");
        }
    }

    internal WeightsFileException Corrupt(string detail)
        => Fail(WeightsFileError.Corrupt, $"is corrupt: {detail} It was damaged in storage or transfer, or was not written by Unrolled.");

    private WeightsFileException Fail(WeightsFileError error, string detail) => new(error, $"{_source} {detail}");

    /// <summary>Little-endian fields of the header, each read checked against the bytes left.</summary>
    private sealed class HeaderReader
    {
        private readonly byte[] _bytes;
        private readonly WeightsReader _owner;
        private int _at;

        public HeaderReader(byte[] bytes, WeightsReader owner)
        {
            _bytes = bytes;
            _owner = owner;
        }

        public int Remaining => _bytes.Length - _at;

        public byte Byte(string what) => Take(1, what)[0];

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

        public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

        public float Single(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

        public double Double(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

        public string String(string what)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
            if (length > WeightsFormat.MaxNameBytes)
            {
                throw _owner.Corrupt($"{what} is recorded as {length} bytes long; names are at most {WeightsFormat.MaxNameBytes}.");
            }

            ReadOnlySpan<byte> utf8 = Take(length, what);
            try
            {
                return StrictUtf8.GetString(utf8);
            }
            catch (DecoderFallbackException)
            {
                throw _owner.Corrupt($"{what} is not valid UTF-8.");
            }
        }

        private ReadOnlySpan<byte> Take(int count, string what)
        {
            if (count > Remaining)
            {
                throw _owner.Corrupt($"its header ends inside {what}.");
            }

            var span = new ReadOnlySpan<byte>(_bytes, _at, count);
            _at += count;
            return span;
        }
    }
}
