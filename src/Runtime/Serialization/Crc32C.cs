using System;
using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Unrolled.Serialization;

/// <summary>
/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF), the checksum of
/// weights files. Castagnoli's polynomial detects every error of up to 32 consecutive bits, so every single-byte
/// corruption, and x64 (SSE4.2) and Arm64 compute it in hardware at several GB/s; elsewhere a slicing-by-8 table does.
/// </summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    // Table[k][b]: the CRC of byte b followed by k zero bytes (slicing-by-8).
    private static readonly uint[] Table = BuildTable();

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The running value before any byte.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>The checksum from a running value.</summary>
    public static uint Finish(uint running) => ~running;

    /// <summary>Continues a running value (start from <see cref="Start"/>, end with <see cref="Finish"/>).</summary>
    public static uint Append(uint running, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            return AppendSse42(running, data);
        }

        if (Crc32.Arm64.IsSupported)
        {
            return AppendArm(running, data);
        }

        return AppendSoftware(running, data);
    }

    /// <summary>The portable path; public to the tests so they can compare it with the hardware one.</summary>
    internal static uint AppendSoftware(uint running, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        uint crc = running;
        while (data.Length >= 8)
        {
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (low & 0xFF)] ^ t[(6 * 256) + ((low >> 8) & 0xFF)] ^
                  t[(5 * 256) + ((low >> 16) & 0xFF)] ^ t[(4 * 256) + (low >> 24)] ^
                  t[(3 * 256) + (high & 0xFF)] ^ t[(2 * 256) + ((high >> 8) & 0xFF)] ^
                  t[256 + ((high >> 16) & 0xFF)] ^ t[high >> 24];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint AppendSse42(uint running, ReadOnlySpan<byte> data)
    {
        ulong crc = running;
        while (data.Length >= 8)
        {
            crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        uint crc32 = (uint)crc;
        foreach (byte b in data)
        {
            crc32 = Sse42.Crc32(crc32, b);
        }

        return crc32;
    }

    private static uint AppendArm(uint running, ReadOnlySpan<byte> data)
    {
        uint crc = running;
        while (data.Length >= 8)
        {
            crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = Crc32.ComputeCrc32C(crc, b);
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            uint crc = b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }

            table[b] = crc;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint previous = table[((k - 1) * 256) + b];
                table[(k * 256) + b] = table[previous & 0xFF] ^ (previous >> 8);
            }
        }

        return table;
    }
}
