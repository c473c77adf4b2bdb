using System;
using System.Collections.Generic;

namespace Unrolled.Interop.Hdf5;

/// <summary>One header message: its type, flags and where its data lies in the file.</summary>
internal readonly record struct Hdf5Message(int Type, int Flags, int Start, int Length);

/// <summary>
/// An object of the file (a group or a dataset): its header messages, parsed once. Links, attributes and data are
/// read on demand (see the partial files).
/// </summary>
internal sealed partial class Hdf5Object
{
    // Message types (HDF5 file format specification, section IV.A.2).
    internal const int Nil = 0x00, Dataspace = 0x01, LinkInfo = 0x02, Datatype = 0x03, FillValueOld = 0x04, FillValue = 0x05,
        Link = 0x06, ExternalFiles = 0x07, Layout = 0x08, GroupInfo = 0x0A, FilterPipeline = 0x0B, AttributeMessage = 0x0C,
        Continuation = 0x10, SymbolTable = 0x11, AttributeInfo = 0x15;

    /// <summary>How many continuation blocks a header may have: far more than h5py writes, few enough to end a loop.</summary>
    private const int MaxHeaderBlocks = 4096;

    private readonly List<Hdf5Message> _messages = new();

    internal Hdf5Object(Hdf5File file, long address, string path)
    {
        File = file;
        Address = address;
        Path = path;
        var r = file.At(address, $"the object header of '{path}'");
        if (r.Remaining >= 4 && file.Data[r.Position] == 'O' && file.Data[r.Position + 1] == 'H' && file.Data[r.Position + 2] == 'D' &&
            file.Data[r.Position + 3] == 'R')
        {
            ReadVersion2(r);
        }
        else
        {
            ReadVersion1(r);
        }
    }

    public Hdf5File File { get; }

    /// <summary>The address of the object's header (identifies the object: two links to it share it).</summary>
    public long Address { get; }

    /// <summary>The path it was first reached by.</summary>
    public string Path { get; }

    public IReadOnlyList<Hdf5Message> Messages => _messages;

    /// <summary>Whether it is a dataset (it has a data layout message).</summary>
    public bool IsDataset => Has(Layout);

    /// <summary>Whether it is a group (a symbol table, link info or link messages).</summary>
    public bool IsGroup => Has(SymbolTable) || Has(LinkInfo) || Has(Link);

    public bool Has(int type)
    {
        foreach (var m in _messages)
        {
            if (m.Type == type)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A cursor over the data of the first message of <paramref name="type"/>, or null.</summary>
    public Hdf5Reader? Message(int type, string what)
    {
        foreach (var m in _messages)
        {
            if (m.Type == type)
            {
                CheckNotShared(m, what);
                return new Hdf5Reader(File.Data, m.Start, m.Start + m.Length, File.OffsetSize, File.LengthSize, $"{what} of '{Path}'");
            }
        }

        return null;
    }

    /// <summary>A message stored elsewhere and referred to (a committed datatype, a shared dataspace) is not read.</summary>
    internal void CheckNotShared(Hdf5Message m, string what)
    {
        if ((m.Flags & 0x02) != 0)
        {
            throw new NotSupportedException($"'{Path}' in {File.Source} uses a shared {what} (an HDF5 committed datatype or shared message), which is not supported.");
        }
    }

    private void ReadVersion1(Hdf5Reader r)
    {
        int start = r.Position;
        int version = r.U8();
        if (version != 1)
        {
            throw Hdf5File.Corrupt($"the object header of '{Path}' at byte {start} has version {version}");
        }

        r.U8();
        int count = r.U16();
        r.U32(); // reference count
        long size = r.U32();
        r.Skip(4); // the header is padded to 8 bytes before its messages
        var blocks = new Queue<(long Start, long Length)>();
        var seen = new HashSet<long>();
        blocks.Enqueue((r.Position, size));
        seen.Add(r.Position);
        int read = 0;
        int blockCount = 0;
        while (blocks.Count > 0 && read < count)
        {
            if (++blockCount > MaxHeaderBlocks)
            {
                throw Hdf5File.Corrupt($"the object header of '{Path}' has more than {MaxHeaderBlocks} continuation blocks");
            }

            var (blockStart, blockLength) = blocks.Dequeue();
            var block = new Hdf5Reader(File.Data, blockStart, CheckedEnd(blockStart, blockLength), File.OffsetSize, File.LengthSize,
                $"the object header of '{Path}'");
            while (block.Remaining >= 8 && read < count)
            {
                int type = block.U16();
                int length = block.U16();
                int flags = block.U8();
                block.Skip(3);
                int dataStart = block.Position;
                block.Skip(length);
                read++;
                Add(type, flags, dataStart, length, blocks, seen);
            }
        }
    }

    private void ReadVersion2(Hdf5Reader r)
    {
        int start = r.Position;
        r.Signature("OHDR");
        int version = r.U8();
        if (version != 2)
        {
            throw new NotSupportedException($"HDF5 object header version {version} ('{Path}') is not supported.");
        }

        int flags = r.U8();
        if ((flags & 0x20) != 0)
        {
            r.Skip(16); // access, modification, change and birth times
        }

        if ((flags & 0x10) != 0)
        {
            r.Skip(4); // attribute storage phase change values
        }

        long size = (long)r.Unsigned(1 << (flags & 3));
        bool creationOrder = (flags & 0x04) != 0;
        int messagesStart = r.Position;
        long end = CheckedEnd(messagesStart, size);
        VerifyChecksum(start, end, "object header");
        var blocks = new Queue<(long Start, long Length)>();
        var seen = new HashSet<long> { start };
        ReadVersion2Messages(messagesStart, end, creationOrder, blocks, seen);
        int blockCount = 0;
        while (blocks.Count > 0)
        {
            if (++blockCount > MaxHeaderBlocks)
            {
                throw Hdf5File.Corrupt($"the object header of '{Path}' has more than {MaxHeaderBlocks} continuation blocks");
            }

            var (blockStart, blockLength) = blocks.Dequeue();
            long blockEnd = CheckedEnd(blockStart, blockLength);
            if (blockLength < 8)
            {
                throw Hdf5File.Corrupt($"a continuation block of '{Path}' is {blockLength} bytes long");
            }

            var c = new Hdf5Reader(File.Data, blockStart, blockEnd, File.OffsetSize, File.LengthSize, $"the object header of '{Path}'");
            c.Signature("OCHK");
            VerifyChecksum((int)blockStart, blockEnd - 4, "object header continuation block");
            ReadVersion2Messages(c.Position, blockEnd - 4, creationOrder, blocks, seen);
        }
    }

    private void ReadVersion2Messages(long start, long end, bool creationOrder, Queue<(long, long)> blocks, HashSet<long> seen)
    {
        var r = new Hdf5Reader(File.Data, start, end, File.OffsetSize, File.LengthSize, $"the object header of '{Path}'");
        int headerSize = creationOrder ? 6 : 4;
        while (r.Remaining >= headerSize)
        {
            int type = r.U8();
            int length = r.U16();
            int flags = r.U8();
            if (creationOrder)
            {
                r.U16();
            }

            int dataStart = r.Position;
            r.Skip(length);
            Add(type, flags, dataStart, length, blocks, seen);
        }
    }

    private void Add(int type, int flags, int dataStart, int length, Queue<(long, long)> blocks, HashSet<long> seen)
    {
        if (type == Continuation)
        {
            var c = new Hdf5Reader(File.Data, dataStart, dataStart + length, File.OffsetSize, File.LengthSize, $"a continuation message of '{Path}'");
            long address = c.Address();
            long blockLength = c.Length();
            long blockStart = File.Absolute(address, $"a continuation block of '{Path}'");
            if (!seen.Add(blockStart))
            {
                throw Hdf5File.Corrupt($"the object header of '{Path}' continues into a block it already read (a cycle)");
            }

            blocks.Enqueue((blockStart, blockLength));
            return;
        }

        if (type != Nil)
        {
            _messages.Add(new Hdf5Message(type, flags, dataStart, length));
        }
    }

    private long CheckedEnd(long start, long length)
    {
        if (length < 0 || length > File.Data.Length - start)
        {
            throw Hdf5File.Corrupt($"the object header of '{Path}' claims {length} bytes at byte {start}, past the end of the file");
        }

        return start + length;
    }

    private void VerifyChecksum(int start, long end, string what)
    {
        var r = new Hdf5Reader(File.Data, end, end + 4 <= File.Data.Length ? end + 4 : end, File.OffsetSize, File.LengthSize,
            $"the {what} of '{Path}'");
        uint stored = r.U32();
        if (Lookup3.Hash(File.Data.AsSpan(start, (int)(end - start))) != stored)
        {
            throw Hdf5File.Corrupt($"the checksum of the {what} of '{Path}' does not match its contents");
        }
    }
}
