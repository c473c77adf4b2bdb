using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Unrolled.Onnx;

/// <summary>
/// Writes Protocol Buffers wire format into a growable buffer: varints, 64-bit and 32-bit fixed values, and
/// length-delimited fields (strings, bytes, packed numbers and nested messages, each written whole into its own
/// writer first so its length is known). Only what an ONNX <c>ModelProto</c> needs.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0;
    private const int Fixed32 = 5;
    private const int LengthDelimited = 2;

    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int capacity = 64) => _buffer = new byte[Math.Max(capacity, 16)];

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public int Length => _length;

    /// <summary>An <c>int64</c>, <c>int32</c> or enum field; negative values take ten bytes, as the format says.</summary>
    public void Int64(int field, long value)
    {
        Tag(field, Varint);
        VarintValue(unchecked((ulong)value));
    }

    /// <summary>A <c>float</c> field (fixed 32 bits, little-endian).</summary>
    public void Float(int field, float value)
    {
        Tag(field, Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
        _length += 4;
    }

    /// <summary>A <c>string</c> field, UTF-8.</summary>
    public void String(int field, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        Tag(field, LengthDelimited);
        VarintValue((ulong)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
        _length += count;
    }

    /// <summary>A <c>bytes</c> field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        VarintValue((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
        _length += value.Length;
    }

    /// <summary>A nested message, already written into <paramref name="message"/>.</summary>
    public void Message(int field, ProtoWriter message) => Bytes(field, message.Written);

    /// <summary>The tag and length of a length-delimited field whose <paramref name="length"/> bytes the caller writes next.</summary>
    public void MessageHeader(int field, int length)
    {
        Tag(field, LengthDelimited);
        VarintValue((ulong)length);
    }

    /// <summary>Floats as little-endian bytes (a tensor's <c>raw_data</c>).</summary>
    public void FloatBytes(int field, ReadOnlySpan<float> values)
    {
        Tag(field, LengthDelimited);
        VarintValue((ulong)values.Length * 4);
        var target = Reserve(values.Length * 4);
        if (BitConverter.IsLittleEndian)
        {
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(target);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(target.Slice(i * 4, 4), values[i]);
            }
        }

        _length += values.Length * 4;
    }

    public void CopyTo(Stream stream) => stream.Write(_buffer, 0, _length);

    private void Tag(int field, int wireType) => VarintValue(((ulong)field << 3) | (uint)wireType);

    private void VarintValue(ulong value)
    {
        var target = Reserve(10);
        int i = 0;
        while (value >= 0x80)
        {
            target[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        target[i++] = (byte)value;
        _length += i;
    }

    /// <summary>Room for <paramref name="count"/> more bytes at the end; the caller advances the length.</summary>
    private Span<byte> Reserve(int count)
    {
        long needed = (long)_length + count;
        if (needed > _buffer.Length)
        {
            if (needed > Array.MaxLength)
            {
                throw new InvalidOperationException("The ONNX model would be larger than 2 GB, the most one protobuf message may hold.");
            }

            Array.Resize(ref _buffer, (int)Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Array.MaxLength));
        }

        return _buffer.AsSpan(_length, count);
    }
}
