using System;
using System.Collections.Generic;
using System.IO;

namespace Unrolled.Interop.Hdf5;

/// <summary>
/// A read-only HDF5 file held in memory: the subset h5py writes for Keras (superblock versions 0 to 3, object headers
/// v1 and v2, symbol-table and link-message groups, attributes, contiguous / compact / chunked datasets with deflate,
/// shuffle and Fletcher-32). Anything else is a <see cref="NotSupportedException"/> naming the feature; a corrupt or
/// truncated file is an <see cref="InvalidDataException"/>. Nothing is allocated beyond what the file's length allows,
/// and every walk is guarded against cycles.
/// </summary>
internal sealed class Hdf5File
{
    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1a, (byte)'\n'];

    /// <summary>How deep groups may nest before a walk stops (a cycle of hard links would otherwise never end).</summary>
    internal const int MaxDepth = 64;

    private readonly Dictionary<long, Hdf5Object> _objects = new();
    private readonly Dictionary<long, byte[][]> _globalHeaps = new();
    private readonly long _rootAddress;

    private Hdf5File(byte[] data, string source)
    {
        Data = data;
        Source = source;
        int start = FindSuperblock(data);
        var r = new Hdf5Reader(data, start, data.Length, 8, 8, "the superblock");
        r.Skip(8);
        SuperblockVersion = r.U8();
        switch (SuperblockVersion)
        {
            case 0:
            case 1:
            {
                r.U8(); // free-space storage version
                r.U8(); // root group symbol table entry version
                r.U8();
                r.U8(); // shared header message format version
                OffsetSize = CheckSize(r.U8(), "addresses");
                LengthSize = CheckSize(r.U8(), "lengths");
                r.U8();
                r.U16(); // group leaf node K
                r.U16(); // group internal node K
                r.U32(); // file consistency flags
                if (SuperblockVersion == 1)
                {
                    r.U16(); // indexed storage internal node K
                    r.U16();
                }

                var sized = new Hdf5Reader(data, r.Position, data.Length, OffsetSize, LengthSize, "the superblock");
                BaseAddress = AbsoluteBase(sized.Address(), start);
                sized.Address(); // free-space info
                sized.Address(); // end of file
                sized.Address(); // driver information block
                sized.Address(); // root symbol table entry: link name offset
                _rootAddress = sized.Address();
                break;
            }

            case 2:
            case 3:
            {
                OffsetSize = CheckSize(r.U8(), "addresses");
                LengthSize = CheckSize(r.U8(), "lengths");
                r.U8(); // file consistency flags
                var sized = new Hdf5Reader(data, r.Position, data.Length, OffsetSize, LengthSize, "the superblock");
                BaseAddress = AbsoluteBase(sized.Address(), start);
                sized.Address(); // superblock extension
                sized.Address(); // end of file
                _rootAddress = sized.Address();
                int checksummed = sized.Position - start;
                uint stored = sized.U32();
                if (Lookup3.Hash(data.AsSpan(start, checksummed)) != stored)
                {
                    throw Corrupt("the superblock's checksum does not match its contents");
                }

                break;
            }

            default:
                throw new NotSupportedException($"HDF5 superblock version {SuperblockVersion} is not supported (versions 0 to 3 are).");
        }

        if (_rootAddress < 0)
        {
            throw Corrupt("the superblock has no root group");
        }
    }

    /// <summary>The file's bytes.</summary>
    public byte[] Data { get; }

    /// <summary>Where the bytes came from, for messages.</summary>
    public string Source { get; }

    public int SuperblockVersion { get; }

    public int OffsetSize { get; }

    public int LengthSize { get; }

    /// <summary>The absolute position that addresses are relative to.</summary>
    public long BaseAddress { get; }

    /// <summary>The root group.</summary>
    public Hdf5Object Root => Open(_rootAddress, "/");

    /// <summary>Whether <paramref name="data"/> starts like an HDF5 file (the signature at byte 0).</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Magic);

    /// <summary>Reads the superblock of a file held in memory.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="source">Its name, for messages.</param>
    /// <exception cref="InvalidDataException">It is not an HDF5 file, or its superblock is corrupt.</exception>
    /// <exception cref="NotSupportedException">It uses a superblock version this reader does not know.</exception>
    public static Hdf5File Open(byte[] data, string source) => new(data, source);

    /// <summary>An <see cref="InvalidDataException"/> for a corrupt structure.</summary>
    public static InvalidDataException Corrupt(string detail) => new($"The HDF5 file is corrupt or truncated: {detail}.");

    /// <summary>A cursor over <c>[address, address + length)</c>, an address relative to the base.</summary>
    public Hdf5Reader At(long address, long length, string what)
    {
        long start = Absolute(address, what);
        long end = length < 0 || length > Data.Length - start ? Data.Length : start + length;
        if (length >= 0 && length > Data.Length - start)
        {
            throw Corrupt($"{what} at byte {start} runs {length} bytes, past the end of the file ({Data.Length} bytes)");
        }

        return new Hdf5Reader(Data, start, end, OffsetSize, LengthSize, what);
    }

    /// <summary>A cursor from <paramref name="address"/> to the end of the file.</summary>
    public Hdf5Reader At(long address, string what) => At(address, -1, what);

    /// <summary>The absolute position of an address; throws unless it lies inside the file.</summary>
    public long Absolute(long address, string what)
    {
        if (address < 0)
        {
            throw Corrupt($"{what} has an undefined address");
        }

        if (address > Data.Length - BaseAddress)
        {
            throw Corrupt($"{what} is at address {address}, past the end of the file ({Data.Length} bytes)");
        }

        return BaseAddress + address;
    }

    /// <summary>The object whose header is at <paramref name="address"/> (parsed once, then cached).</summary>
    public Hdf5Object Open(long address, string path)
    {
        if (!_objects.TryGetValue(address, out var obj))
        {
            obj = new Hdf5Object(this, address, path);
            _objects[address] = obj;
        }

        return obj;
    }

    /// <summary>One object of a global heap collection (variable-length data).</summary>
    public byte[] GlobalHeapObject(long collection, uint index)
    {
        if (!_globalHeaps.TryGetValue(collection, out var objects))
        {
            objects = ReadGlobalHeap(collection);
            _globalHeaps[collection] = objects;
        }

        if (index >= objects.Length || objects[index] is null)
        {
            throw Corrupt($"the global heap at address {collection} has no object {index}");
        }

        return objects[index];
    }

    private byte[][] ReadGlobalHeap(long address)
    {
        var r = At(address, "a global heap collection");
        r.Signature("GCOL");
        if (r.U8() != 1)
        {
            throw new NotSupportedException("HDF5 global heap collections other than version 1 are not supported.");
        }

        r.Skip(3);
        long size = r.Length();
        int start = r.Position - 8 - LengthSize;
        if (size < 8 + LengthSize || size > r.End - start)
        {
            throw Corrupt($"the global heap collection at address {address} claims {size} bytes");
        }

        var heap = new Hdf5Reader(Data, r.Position, start + size, OffsetSize, LengthSize, "a global heap collection");
        var objects = new Dictionary<int, byte[]>();
        int highest = 0;
        while (heap.Remaining >= 8 + LengthSize)
        {
            int index = heap.U16();
            heap.U16(); // reference count
            heap.U32();
            long objectSize = heap.Length();
            if (index == 0)
            {
                break; // free space: the rest of the collection
            }

            var bytes = heap.Bytes(objectSize).ToArray();
            heap.Align(start, 8);
            objects[index] = bytes;
            highest = Math.Max(highest, index);
        }

        var table = new byte[highest + 1][];
        foreach (var (index, bytes) in objects)
        {
            table[index] = bytes;
        }

        return table;
    }

    private static int FindSuperblock(byte[] data)
    {
        // The superblock is at 0, or after a user block at 512, 1024, 2048, ...
        for (long at = 0; at + 8 <= data.Length; at = at == 0 ? 512 : at * 2)
        {
            if (data.AsSpan((int)at, 8).SequenceEqual(Magic))
            {
                return (int)at;
            }
        }

        throw new InvalidDataException("This is not an HDF5 file: no HDF5 signature at byte 0 or after a user block.");
    }

    private static int CheckSize(byte size, string what)
    {
        if (size is not (2 or 4 or 8))
        {
            throw new NotSupportedException($"HDF5 files whose {what} take {size} bytes are not supported (2, 4 or 8 are).");
        }

        return size;
    }

    private long AbsoluteBase(long baseAddress, int superblock)
    {
        // h5py writes 0, or with a user block the superblock's position; addresses count from there.
        if (baseAddress < 0 || baseAddress > superblock)
        {
            throw Corrupt($"the base address {baseAddress} is not at or before the superblock (byte {superblock})");
        }

        return baseAddress;
    }
}
