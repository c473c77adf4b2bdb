using System;
using System.IO;
using Unrolled.Onnx;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>The protobuf wire format the ONNX export writes, byte for byte against the encoding's specification.</summary>
public class ProtoWriterTests
{
    private static byte[] Bytes(Action<ProtoWriter> write)
    {
        var writer = new ProtoWriter(1);
        write(writer);
        return writer.Written.ToArray();
    }

    [Fact]
    public void Integers_are_varints_after_a_tag_of_field_and_wire_type()
    {
        Assert.Equal([0x08, 0x01], Bytes(w => w.Int64(1, 1)));
        Assert.Equal([0x08, 0xAC, 0x02], Bytes(w => w.Int64(1, 300)));         // 300 = 0b10_0101100
        Assert.Equal([0xA0, 0x01, 0x07], Bytes(w => w.Int64(20, 7)));           // field 20: tag 160 takes two bytes
        // A negative int64 is its two's complement as an unsigned varint: ten bytes.
        Assert.Equal([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], Bytes(w => w.Int64(1, -1)));
    }

    [Fact]
    public void Floats_are_fixed_32_bit_little_endian()
        => Assert.Equal([0x15, 0x00, 0x00, 0x80, 0x3F], Bytes(w => w.Float(2, 1f)));

    [Fact]
    public void Strings_bytes_and_messages_are_length_delimited()
    {
        Assert.Equal([0x0A, 0x03, (byte)'a', (byte)'b', (byte)'c'], Bytes(w => w.String(1, "abc")));
        Assert.Equal([0x12, 0x02, 0xC3, 0xA9], Bytes(w => w.String(2, "é")));   // UTF-8, length in bytes
        var inner = new ProtoWriter();
        inner.Int64(1, 5);
        Assert.Equal([0x3A, 0x02, 0x08, 0x05], Bytes(w => w.Message(7, inner)));
        Assert.Equal([0x3A, 0x90, 0x03], Bytes(w => w.MessageHeader(7, 400)));
        Assert.Equal([0x4A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0], Bytes(w => w.FloatBytes(9, [1f, -2f])));
    }

    [Fact]
    public void The_buffer_grows_and_copies_out_whole()
    {
        var writer = new ProtoWriter(1);
        var large = new float[100_000];
        large[^1] = 3f;
        writer.FloatBytes(9, large);
        using var stream = new MemoryStream();
        writer.CopyTo(stream);
        Assert.Equal(1 + 3 + 400_000, stream.Length);                           // tag, 3-byte length, data
        Assert.Equal(0x40, stream.ToArray()[^1]);                               // 3f = 0x40400000, little-endian
    }
}
