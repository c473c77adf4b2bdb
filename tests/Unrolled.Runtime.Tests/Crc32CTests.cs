using System;
using System.Linq;
using System.Text;
using Unrolled.Serialization;
using Xunit;

namespace Unrolled.Runtime.Tests;

/// <summary>The weights files' checksum against published CRC-32C values and a bit-by-bit reference.</summary>
public class Crc32CTests
{
    /// <summary>The check value of the CRC catalogue ("123456789") and the test vectors of RFC 3720, appendix B.4.</summary>
    [Fact]
    public void Matches_the_published_values()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0xE3069283u, Crc32C.Finish(Crc32C.AppendSoftware(Crc32C.Start, "123456789"u8)));
    }

    [Fact]
    public void Hardware_software_and_bitwise_agree_on_every_length_and_split()
    {
        var random = new Random(17);
        var data = new byte[600];
        random.NextBytes(data);
        for (int length = 0; length <= 300; length++)
        {
            int start = length % 7;
            ReadOnlySpan<byte> span = data.AsSpan(start, length);
            uint expected = Bitwise(span);
            Assert.Equal(expected, Crc32C.Compute(span));
            Assert.Equal(expected, Crc32C.Finish(Crc32C.AppendSoftware(Crc32C.Start, span)));
            int split = random.Next(length + 1);
            Assert.Equal(expected, Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start, span[..split]), span[split..])));
        }
    }

    [Fact]
    public void Detects_every_single_byte_change()
    {
        var data = Encoding.ASCII.GetBytes("dense_1/kernel [64, 10] and some floats").Concat(new byte[40]).ToArray();
        uint clean = Crc32C.Compute(data);
        for (int i = 0; i < data.Length; i++)
        {
            for (int bit = 1; bit < 256; bit++)
            {
                data[i] ^= (byte)bit;
                Assert.NotEqual(clean, Crc32C.Compute(data));
                data[i] ^= (byte)bit;
            }
        }
    }

    /// <summary>The definition: reflected polynomial 0x82F63B78, one bit at a time.</summary>
    private static uint Bitwise(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
