using System;
using System.Collections.Generic;

namespace Unrolled.Interop.Hdf5;

/// <summary>
/// Dense link storage: a group's links kept as records of a fractal heap, indexed by a version 2 B-tree of name hashes
/// (what HDF5 switches to past 8 links in a file written with <c>libver='latest'</c>). Reads the shapes such small heaps
/// take: a B-tree of one leaf, and a heap whose root is a direct block or an indirect block of direct blocks.
/// </summary>
internal static class Hdf5FractalHeap
{
    public static void ReadLinks(Hdf5Object group, long heapAddress, List<Hdf5Link> links)
    {
        var file = group.File;
        string what = $"the dense link storage of '{group.Path}'";
        var info = group.Message(Hdf5Object.LinkInfo, "link info message")!.Value;
        info.U8();
        int flags = info.U8();
        if ((flags & 1) != 0)
        {
            info.U64();
        }

        info.Address();
        long nameIndex = info.Address();
        var heap = new Heap(file, heapAddress, what);
        foreach (var id in BTreeRecords(file, nameIndex, heap.IdLength, what))
        {
            var record = heap.Object(id);
            links.Add(group.ReadLinkMessage(record));
        }
    }

    /// <summary>The heap IDs of a version 2 B-tree of link names (type 5: a 4-byte hash, then the ID).</summary>
    private static List<byte[]> BTreeRecords(Hdf5File file, long address, int idLength, string what)
    {
        var r = file.At(address, what);
        int start = r.Position;
        r.Signature("BTHD");
        r.U8(); // version
        int type = r.U8();
        r.U32(); // node size
        int recordSize = r.U16();
        int depth = r.U16();
        r.U8();
        r.U8();
        long root = r.Address();
        int rootRecords = r.U16();
        r.Length(); // total records
        Verify(file, start, r.Position, r.U32(), what);
        if (type != 5)
        {
            throw Hdf5File.Corrupt($"{what}: its name index is a B-tree of type {type}");
        }

        if (depth != 0)
        {
            throw new NotSupportedException($"HDF5 dense link storage whose B-tree has more than one level ({what}) is not supported.");
        }

        var records = new List<byte[]>();
        if (root < 0 || rootRecords == 0)
        {
            return records;
        }

        if (recordSize != 4 + idLength || (long)rootRecords * recordSize > file.Data.Length)
        {
            throw Hdf5File.Corrupt($"{what}: its B-tree records are {recordSize} bytes for {rootRecords} records");
        }

        var leaf = file.At(root, what);
        int leafStart = leaf.Position;
        leaf.Signature("BTLF");
        leaf.U8();
        if (leaf.U8() != type)
        {
            throw Hdf5File.Corrupt($"{what}: its B-tree leaf has another type than its header");
        }

        for (int i = 0; i < rootRecords; i++)
        {
            leaf.U32(); // the name's hash
            records.Add(leaf.Bytes(idLength).ToArray());
        }

        Verify(file, leafStart, leaf.Position, leaf.U32(), what);
        return records;
    }

    private static void Verify(Hdf5File file, int start, int end, uint stored, string what)
    {
        if (Lookup3.Hash(file.Data.AsSpan(start, end - start)) != stored)
        {
            throw Hdf5File.Corrupt($"{what}: a checksum does not match its contents");
        }
    }

    private sealed class Heap
    {
        private readonly Hdf5File _file;
        private readonly string _what;
        private readonly int _offsetBytes;
        private readonly int _lengthBytes;
        private readonly List<(long HeapOffset, long Size, int Start)> _blocks = new();

        public Heap(Hdf5File file, long address, string what)
        {
            _file = file;
            _what = what;
            var r = file.At(address, what);
            int start = r.Position;
            r.Signature("FRHP");
            r.U8();
            IdLength = r.U16();
            int filterLength = r.U16();
            int flags = r.U8();
            long maxManaged = r.U32();
            r.Length(); // next huge object id
            r.Address(); // huge objects' B-tree
            r.Length(); // free space
            r.Address(); // free space manager
            r.Length(); // managed space
            r.Length(); // allocated managed space
            r.Length(); // direct block allocation iterator
            r.Length(); // managed objects
            r.Length(); // huge objects' size
            r.Length(); // huge objects
            r.Length(); // tiny objects' size
            r.Length(); // tiny objects
            int width = r.U16();
            long startSize = r.Length();
            long maxDirect = r.Length();
            int maxHeapBits = r.U16();
            r.U16(); // starting rows
            long root = r.Address();
            int rows = r.U16();
            if (filterLength != 0)
            {
                throw new NotSupportedException($"HDF5 fractal heaps with I/O filters ({what}) are not supported.");
            }

            Verify(file, start, r.Position, r.U32(), what);
            if (width < 1 || width > 65536 || startSize < 1 || maxDirect < startSize || maxHeapBits is < 1 or > 64 ||
                startSize > file.Data.Length * 2L + 4096)
            {
                throw Hdf5File.Corrupt($"{what}: its heap header has impossible sizes");
            }

            bool checksummed = (flags & 0x02) != 0;
            _offsetBytes = (maxHeapBits + 7) / 8;
            int lengthBits = Math.Min(Log2(maxDirect), Log2(Math.Max(1, maxManaged)));
            _lengthBytes = (lengthBits + 7) / 8;
            if (root < 0)
            {
                return;
            }

            if (rows == 0)
            {
                AddDirect(root, 0, startSize, checksummed);
                return;
            }

            // A root indirect block: rows of `width` children, each row's blocks twice the previous row's size from the
            // third row on; only rows of direct blocks are read.
            int maxDirectRows = Log2(maxDirect) - Log2(startSize) + 2;
            if (rows > maxDirectRows)
            {
                throw new NotSupportedException($"HDF5 fractal heaps with nested indirect blocks ({what}) are not supported.");
            }

            var ib = file.At(root, what);
            ib.Signature("FHIB");
            ib.U8();
            ib.Address();
            ib.Skip(_offsetBytes);
            long heapOffset = 0;
            for (int row = 0; row < rows; row++)
            {
                long size = row < 2 ? startSize : startSize << (row - 1);
                for (int col = 0; col < width; col++)
                {
                    long child = ib.Address();
                    if (child >= 0)
                    {
                        AddDirect(child, heapOffset, size, checksummed);
                    }

                    heapOffset += size;
                }
            }
        }

        public int IdLength { get; }

        private static int Log2(long value)
        {
            int bits = 0;
            while ((1L << bits) < value && bits < 63)
            {
                bits++;
            }

            return bits;
        }

        private void AddDirect(long address, long heapOffset, long size, bool checksummed)
        {
            var r = _file.At(address, size, _what);
            r.Signature("FHDB");
            r.U8();
            r.Address();
            r.Skip(_offsetBytes);
            if (checksummed)
            {
                r.U32();
            }

            if (_blocks.Count > 4096)
            {
                throw Hdf5File.Corrupt($"{_what}: its heap has too many blocks");
            }

            _blocks.Add((heapOffset, size, (int)_file.Absolute(address, _what)));
        }

        /// <summary>The managed object a heap ID points at.</summary>
        public Hdf5Reader Object(byte[] id)
        {
            var r = new Hdf5Reader(id, 0, id.Length, _file.OffsetSize, _file.LengthSize, _what);
            int kind = (r.U8() >> 4) & 3;
            if (kind != 0)
            {
                throw new NotSupportedException($"HDF5 {(kind == 1 ? "huge" : "tiny")} heap objects ({_what}) are not supported.");
            }

            long offset = (long)r.Unsigned(_offsetBytes);
            long length = (long)r.Unsigned(_lengthBytes);
            foreach (var (heapOffset, size, start) in _blocks)
            {
                if (offset >= heapOffset && offset < heapOffset + size)
                {
                    long within = offset - heapOffset;
                    if (length > size - within)
                    {
                        break;
                    }

                    return new Hdf5Reader(_file.Data, start + within, start + within + length, _file.OffsetSize, _file.LengthSize, _what);
                }
            }

            throw Hdf5File.Corrupt($"{_what}: a heap ID points outside the heap's blocks");
        }
    }
}
