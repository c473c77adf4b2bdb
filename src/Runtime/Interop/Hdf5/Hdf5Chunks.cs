using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;

namespace Unrolled.Interop.Hdf5;

/// <summary>
/// Reads a chunked dataset: finds its chunks through the chunk index (a version 1 B-tree, or for layout version 4 a
/// single chunk, an implicit index or a fixed array), undoes the filters (deflate, shuffle, Fletcher-32) and copies
/// each chunk's part into the dataset's row-major bytes. Every chunk must be present (Keras writes them all).
/// </summary>
internal sealed class Hdf5Chunks
{
    /// <summary>Deflate cannot expand data more than about 1032 times: a chunk claiming more is corrupt.</summary>
    private const long MaxInflation = 1100;

    private readonly Hdf5Object _dataset;
    private readonly Hdf5File _file;
    private readonly long _size;
    private readonly long[] _dims;
    private readonly long[] _chunkDims;
    private readonly int _elementSize;
    private readonly long _chunkBytes;
    private readonly List<(int Id, bool Optional, uint[] Values)> _filters;
    private readonly byte[] _output;
    private readonly bool[] _filled;
    private readonly long[] _grid;
    private readonly string _what;

    public Hdf5Chunks(Hdf5Object dataset, Hdf5Reader layout, int version, long size)
    {
        _dataset = dataset;
        _file = dataset.File;
        _size = size;
        _what = $"chunked dataset '{dataset.Path}'";
        _dims = dataset.DataSpace.Dims;
        _elementSize = dataset.DataType.Size;
        int rank = _dims.Length;
        _filters = dataset.Filters();
        foreach (var (id, optional, _) in _filters)
        {
            if (id is not (1 or 2 or 3) && !optional)
            {
                throw new NotSupportedException($"{Capital(_what)} in {_file.Source} uses HDF5 filter {FilterName(id)}; only deflate (gzip), " +
                    "shuffle and Fletcher-32 are supported.");
            }
        }

        int flags = 0;
        int dimensionality;
        if (version == 3)
        {
            dimensionality = layout.U8();
            IndexAddress = layout.Address();
        }
        else
        {
            flags = layout.U8();
            dimensionality = layout.U8();
        }

        if (dimensionality != rank + 1)
        {
            throw Hdf5File.Corrupt($"{_what} has {dimensionality - 1} chunk dimensions for a rank of {rank}");
        }

        int encoded = version == 3 ? 4 : layout.U8();
        _chunkDims = new long[rank];
        for (int i = 0; i < dimensionality; i++)
        {
            long d = (long)layout.Unsigned(encoded);
            if (i < rank)
            {
                _chunkDims[i] = d;
            }
            else if (d != _elementSize)
            {
                throw Hdf5File.Corrupt($"{_what} has chunks of {d}-byte elements, but its datatype has {_elementSize}");
            }
        }

        _chunkBytes = _elementSize;
        _grid = new long[rank];
        long chunks = 1;
        for (int i = 0; i < rank; i++)
        {
            if (_chunkDims[i] < 1 || _chunkDims[i] > uint.MaxValue)
            {
                throw Hdf5File.Corrupt($"{_what} has a chunk dimension of {_chunkDims[i]}");
            }

            _chunkBytes = _chunkBytes > int.MaxValue / _chunkDims[i] ? long.MaxValue : _chunkBytes * _chunkDims[i];
            _grid[i] = (_dims[i] + _chunkDims[i] - 1) / _chunkDims[i];
            chunks = _grid[i] == 0 || chunks > int.MaxValue / _grid[i] ? (_grid[i] == 0 ? 0 : long.MaxValue) : chunks * _grid[i];
        }

        if (_chunkBytes > int.MaxValue || chunks > _file.Data.Length)
        {
            throw Hdf5File.Corrupt($"{_what} has chunks of {_chunkBytes} bytes in a grid of {chunks}, more than the file can hold");
        }

        _output = new byte[size];
        _filled = new bool[chunks];
        if (version == 4)
        {
            IndexType = layout.U8();
            switch (IndexType)
            {
                case 1:
                    if ((flags & 2) != 0)
                    {
                        SingleFilteredSize = layout.Length();
                        SingleFilterMask = layout.U32();
                    }
                    else
                    {
                        SingleFilteredSize = -1;
                    }

                    break;
                case 2:
                    break;
                case 3:
                    layout.U8(); // page bits
                    break;
                case 4:
                    throw new NotSupportedException($"{Capital(_what)} in {_file.Source} indexes its chunks with an HDF5 extensible array (a dataset with an unlimited dimension), which is not supported.");
                case 5:
                    throw new NotSupportedException($"{Capital(_what)} in {_file.Source} indexes its chunks with an HDF5 version 2 B-tree (several unlimited dimensions), which is not supported.");
                default:
                    throw Hdf5File.Corrupt($"{_what} has chunk index type {IndexType}");
            }

            IndexAddress = layout.Address();
        }
    }

    private long IndexAddress { get; }

    private int IndexType { get; }

    private long SingleFilteredSize { get; }

    private uint SingleFilterMask { get; }

    public byte[] Read()
    {
        if (_filled.Length == 0)
        {
            return _output;
        }

        if (IndexAddress < 0)
        {
            throw Hdf5File.Corrupt($"{_what} has no chunks allocated");
        }

        switch (IndexType)
        {
            case 0:
                ReadTree(IndexAddress, level: -1, new HashSet<long>(), depth: 0);
                break;
            case 1:
                Place(new long[_dims.Length], IndexAddress, SingleFilteredSize < 0 ? _chunkBytes : SingleFilteredSize,
                    SingleFilteredSize < 0 ? 0 : SingleFilterMask);
                break;
            case 2:
                ReadImplicit();
                break;
            case 3:
                ReadFixedArray();
                break;
        }

        for (int i = 0; i < _filled.Length; i++)
        {
            if (!_filled[i])
            {
                throw Hdf5File.Corrupt($"{_what} lacks chunk {i} of {_filled.Length}");
            }
        }

        return _output;
    }

    /// <summary>A version 1 B-tree of chunks (node type 1): keys hold each chunk's stored size, filter mask and offset.</summary>
    private void ReadTree(long address, int level, HashSet<long> seen, int depth)
    {
        if (depth > Hdf5File.MaxDepth || !seen.Add(address))
        {
            throw Hdf5File.Corrupt($"the chunk B-tree of {_what} has a cycle");
        }

        var r = _file.At(address, $"a chunk B-tree node of {_what}");
        r.Signature("TREE");
        int type = r.U8();
        int nodeLevel = r.U8();
        int entries = r.U16();
        if (type != 1 || (level >= 0 && nodeLevel != level))
        {
            throw Hdf5File.Corrupt($"a chunk B-tree node of {_what} has type {type} at level {nodeLevel}");
        }

        r.Address();
        r.Address();
        int rank = _dims.Length;
        int keySize = 8 + 8 * (rank + 1);
        if ((long)entries * (keySize + _file.OffsetSize) + keySize > r.Remaining)
        {
            throw Hdf5File.Corrupt($"a chunk B-tree node of {_what} claims {entries} entries, more than the file holds");
        }

        for (int i = 0; i < entries; i++)
        {
            long stored = r.U32();
            uint mask = r.U32();
            var offset = new long[rank];
            for (int d = 0; d < rank; d++)
            {
                ulong o = r.U64();
                offset[d] = o > long.MaxValue ? long.MaxValue : (long)o;
            }

            r.U64(); // the element-size dimension's offset, always 0
            long child = r.Address();
            if (nodeLevel > 0)
            {
                ReadTree(child, nodeLevel - 1, seen, depth + 1);
            }
            else
            {
                Place(offset, child, stored, mask);
            }
        }
    }

    private void ReadImplicit()
    {
        if (_filters.Count > 0)
        {
            throw Hdf5File.Corrupt($"{_what} has an implicit chunk index and filters");
        }

        for (long i = 0; i < _filled.Length; i++)
        {
            Place(Offset(i), IndexAddress + i * _chunkBytes, _chunkBytes, 0);
        }
    }

    private void ReadFixedArray()
    {
        var r = _file.At(IndexAddress, $"the chunk index of {_what}");
        int start = r.Position;
        r.Signature("FAHD");
        r.U8();
        int client = r.U8();
        int entrySize = r.U8();
        int pageBits = r.U8();
        long entries = r.Length();
        long dataBlock = r.Address();
        Verify(start, r.Position, r.U32());
        bool filtered = client == 1;
        if (entries != _filled.Length)
        {
            throw Hdf5File.Corrupt($"the chunk index of {_what} lists {entries} chunks for a grid of {_filled.Length}");
        }

        if (pageBits < 63 && entries > (1L << pageBits))
        {
            throw new NotSupportedException($"{Capital(_what)} in {_file.Source} has a paged HDF5 fixed-array chunk index (more than {1L << pageBits} chunks), which is not supported.");
        }

        int sizeBytes = entrySize - _file.OffsetSize - 4;
        if (filtered ? sizeBytes is < 1 or > 8 : entrySize != _file.OffsetSize)
        {
            throw Hdf5File.Corrupt($"the chunk index of {_what} has entries of {entrySize} bytes");
        }

        var d = _file.At(dataBlock, $"the chunk index of {_what}");
        int dataStart = d.Position;
        d.Signature("FADB");
        d.U8();
        d.U8();
        d.Address();
        if (entries * entrySize > d.Remaining)
        {
            throw Hdf5File.Corrupt($"the chunk index of {_what} is truncated");
        }

        var chunks = new List<(long Address, long Size, uint Mask)>();
        for (long i = 0; i < entries; i++)
        {
            long address = d.Address();
            long size = filtered ? (long)d.Unsigned(sizeBytes) : _chunkBytes;
            uint mask = filtered ? d.U32() : 0;
            chunks.Add((address, size, mask));
        }

        Verify(dataStart, d.Position, d.U32());
        for (int i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].Address >= 0)
            {
                Place(Offset(i), chunks[i].Address, chunks[i].Size, chunks[i].Mask);
            }
        }
    }

    private void Verify(int start, int end, uint stored)
    {
        if (Lookup3.Hash(_file.Data.AsSpan(start, end - start)) != stored)
        {
            throw Hdf5File.Corrupt($"a checksum of the chunk index of {_what} does not match its contents");
        }
    }

    /// <summary>The element offset of the chunk at a row-major position in the chunk grid.</summary>
    private long[] Offset(long linear)
    {
        var offset = new long[_dims.Length];
        for (int d = _dims.Length - 1; d >= 0; d--)
        {
            offset[d] = linear % _grid[d] * _chunkDims[d];
            linear /= _grid[d];
        }

        return offset;
    }

    /// <summary>Decodes one chunk and copies its part of the dataset into the output.</summary>
    private void Place(long[] offset, long address, long stored, uint mask)
    {
        long linear = 0;
        for (int d = 0; d < _dims.Length; d++)
        {
            if (offset[d] % _chunkDims[d] != 0 || offset[d] >= _dims[d])
            {
                throw Hdf5File.Corrupt($"{_what} has a chunk at an offset that is not on its chunk grid");
            }

            linear = linear * _grid[d] + offset[d] / _chunkDims[d];
        }

        if (_filled[linear])
        {
            throw Hdf5File.Corrupt($"{_what} lists chunk {linear} twice");
        }

        bool unfiltered = _filters.Count == 0 || mask == (1u << _filters.Count) - 1;
        if (stored < 0 || stored > _file.Data.Length || (unfiltered ? stored != _chunkBytes : _chunkBytes > stored * MaxInflation + 4096))
        {
            throw Hdf5File.Corrupt($"{_what} has a chunk of {stored} stored bytes for {_chunkBytes} bytes of data");
        }

        var data = _file.At(address, stored, $"a chunk of {_what}").Bytes(stored);
        var chunk = Decode(data, mask);
        Copy(chunk, offset);
        _filled[linear] = true;
    }

    private byte[] Decode(ReadOnlySpan<byte> stored, uint mask)
    {
        byte[] current = stored.ToArray();
        for (int i = _filters.Count - 1; i >= 0; i--)
        {
            if ((mask & (1u << i)) != 0)
            {
                continue;
            }

            var (id, _, values) = _filters[i];
            current = id switch
            {
                1 => Inflate(current),
                2 => Unshuffle(current, values.Length > 0 ? (int)Math.Min(values[0], 65536) : _elementSize),
                3 => current.Length >= 4 ? current.AsSpan(0, current.Length - 4).ToArray() : throw Hdf5File.Corrupt($"a chunk of {_what} is too short for its checksum"),
                _ => throw new NotSupportedException($"{Capital(_what)} in {_file.Source} applied HDF5 filter {FilterName(id)} to a chunk; it cannot be undone here."),
            };
        }

        if (current.Length != _chunkBytes)
        {
            throw Hdf5File.Corrupt($"a chunk of {_what} decodes to {current.Length} bytes, not {_chunkBytes}");
        }

        return current;
    }

    private byte[] Inflate(byte[] compressed)
    {
        var output = new byte[_chunkBytes];
        try
        {
            using var stream = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            int total = 0;
            while (total < output.Length)
            {
                int read = stream.Read(output, total, output.Length - total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            Span<byte> extra = stackalloc byte[1];
            if (total != output.Length || stream.Read(extra) != 0)
            {
                throw Hdf5File.Corrupt($"a compressed chunk of {_what} does not inflate to its {_chunkBytes} bytes");
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("The HDF5 file", StringComparison.Ordinal))
        {
            throw Hdf5File.Corrupt($"a compressed chunk of {_what} is not valid deflate data ({e.Message})");
        }

        return output;
    }

    private static byte[] Unshuffle(byte[] shuffled, int elementSize)
    {
        if (elementSize <= 1)
        {
            return shuffled;
        }

        var output = new byte[shuffled.Length];
        int n = shuffled.Length / elementSize;
        for (int b = 0; b < elementSize; b++)
        {
            for (int i = 0; i < n; i++)
            {
                output[(i * elementSize) + b] = shuffled[(b * n) + i];
            }
        }

        // Bytes past the last whole element are left as they are.
        Array.Copy(shuffled, n * elementSize, output, n * elementSize, shuffled.Length - (n * elementSize));
        return output;
    }

    /// <summary>Copies the part of a chunk that lies inside the dataset, one run along the last axis at a time.</summary>
    private void Copy(byte[] chunk, long[] offset)
    {
        int rank = _dims.Length;
        if (rank == 0)
        {
            chunk.AsSpan(0, (int)_size).CopyTo(_output);
            return;
        }

        // Only the part inside the dataset is copied: edge chunks extend past it.
        var limit = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            limit[d] = Math.Min(_chunkDims[d], _dims[d] - offset[d]);
        }

        var index = new long[rank]; // position within the chunk, over all axes but the last
        long run = limit[rank - 1] * _elementSize;
        while (true)
        {
            long source = 0, target = 0;
            for (int d = 0; d < rank; d++)
            {
                source = (source * _chunkDims[d]) + index[d];
                target = (target * _dims[d]) + offset[d] + index[d];
            }

            Array.Copy(chunk, source * _elementSize, _output, target * _elementSize, run);
            int axis = rank - 2;
            while (axis >= 0 && ++index[axis] == limit[axis])
            {
                index[axis] = 0;
                axis--;
            }

            if (axis < 0)
            {
                return;
            }
        }
    }

    private static string FilterName(int id) => id switch
    {
        4 => "szip (id 4)",
        5 => "n-bit (id 5)",
        6 => "scale-offset (id 6)",
        32001 => "blosc (id 32001)",
        32004 => "lz4 (id 32004)",
        32015 => "zstd (id 32015)",
        _ => $"id {id}",
    };

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
