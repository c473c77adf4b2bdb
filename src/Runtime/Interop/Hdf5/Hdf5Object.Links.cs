using System;
using System.Collections.Generic;

namespace Unrolled.Interop.Hdf5;

/// <summary>A link of a group: a name and the object it leads to (hard links), or a link this reader does not follow.</summary>
internal readonly record struct Hdf5Link(string Name, long Address, string? Unsupported);

internal sealed partial class Hdf5Object
{
    private List<Hdf5Link>? _links;

    /// <summary>The group's links, sorted by name (as h5py lists them). Empty for a dataset.</summary>
    public IReadOnlyList<Hdf5Link> Links => _links ??= ReadLinks();

    /// <summary>The child called <paramref name="name"/>, or null when the group has no such link.</summary>
    /// <exception cref="NotSupportedException">The link is soft or external.</exception>
    public Hdf5Object? Child(string name)
    {
        foreach (var link in Links)
        {
            if (link.Name == name)
            {
                if (link.Unsupported is not null)
                {
                    throw new NotSupportedException($"'{Join(Path, name)}' in {File.Source} is {link.Unsupported}, which is not followed.");
                }

                return File.Open(link.Address, Join(Path, name));
            }
        }

        return null;
    }

    /// <summary>The object at a '/'-separated path below this group, or null when a part is missing.</summary>
    public Hdf5Object? Resolve(string path)
    {
        var current = this;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > Hdf5File.MaxDepth)
        {
            return null;
        }

        foreach (var part in parts)
        {
            if (!current.IsGroup)
            {
                return null;
            }

            var next = current.Child(part);
            if (next is null)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    internal static string Join(string path, string name) => path == "/" ? "/" + name : path + "/" + name;

    private List<Hdf5Link> ReadLinks()
    {
        var links = new List<Hdf5Link>();
        var symbols = Message(SymbolTable, "symbol table message");
        if (symbols is { } s)
        {
            long btree = s.Address();
            long heap = s.Address();
            var names = LocalHeap(heap);
            ReadGroupTree(btree, names, links, new HashSet<long>(), level: -1, depth: 0);
        }

        foreach (var m in Messages)
        {
            if (m.Type == Link)
            {
                CheckNotShared(m, "link message");
                links.Add(ReadLinkMessage(new Hdf5Reader(File.Data, m.Start, m.Start + m.Length, File.OffsetSize, File.LengthSize,
                    $"a link message of '{Path}'")));
            }
        }

        if (Message(LinkInfo, "link info message") is { } info)
        {
            if (info.U8() != 0)
            {
                throw new NotSupportedException($"HDF5 link info message versions other than 0 ('{Path}') are not supported.");
            }

            int flags = info.U8();
            if ((flags & 1) != 0)
            {
                info.U64(); // maximum creation index
            }

            long fractalHeap = info.Address();
            if (fractalHeap >= 0)
            {
                Hdf5FractalHeap.ReadLinks(this, fractalHeap, links);
            }
        }

        links.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 1; i < links.Count; i++)
        {
            if (links[i].Name == links[i - 1].Name)
            {
                throw Hdf5File.Corrupt($"group '{Path}' has two links named '{links[i].Name}'");
            }
        }

        return links;
    }

    /// <summary>Parses one link message (also the records of dense link storage).</summary>
    internal Hdf5Link ReadLinkMessage(Hdf5Reader r)
    {
        int version = r.U8();
        if (version != 1)
        {
            throw Hdf5File.Corrupt($"a link of '{Path}' has version {version}");
        }

        int flags = r.U8();
        int type = (flags & 0x08) != 0 ? r.U8() : 0;
        if ((flags & 0x04) != 0)
        {
            r.U64(); // creation order
        }

        if ((flags & 0x10) != 0)
        {
            r.U8(); // character set: ASCII or UTF-8, both read as UTF-8
        }

        long nameLength = (long)r.Unsigned(1 << (flags & 3));
        if (nameLength == 0)
        {
            throw Hdf5File.Corrupt($"a link of '{Path}' has an empty name");
        }

        string name = Hdf5Reader.Decode(r.Bytes(nameLength));
        return type switch
        {
            0 => new Hdf5Link(name, r.Address(), null),
            1 => new Hdf5Link(name, -1, "a soft link"),
            64 => new Hdf5Link(name, -1, "an external link"),
            _ => new Hdf5Link(name, -1, $"a link of type {type}"),
        };
    }

    /// <summary>A local heap's data segment (the names of a symbol-table group's links).</summary>
    private Hdf5Reader LocalHeap(long address)
    {
        var r = File.At(address, $"the local heap of '{Path}'");
        r.Signature("HEAP");
        if (r.U8() != 0)
        {
            throw Hdf5File.Corrupt($"the local heap of '{Path}' has an unknown version");
        }

        r.Skip(3);
        long size = r.Length();
        r.Length(); // free list head
        long data = r.Address();
        return File.At(data, size, $"the local heap of '{Path}'");
    }

    /// <summary>Walks a version 1 B-tree of group nodes (type 0) down to its symbol table nodes.</summary>
    private void ReadGroupTree(long address, Hdf5Reader names, List<Hdf5Link> links, HashSet<long> seen, int level, int depth)
    {
        if (depth > Hdf5File.MaxDepth || !seen.Add(address))
        {
            throw Hdf5File.Corrupt($"the B-tree of group '{Path}' has a cycle");
        }

        var r = File.At(address, $"a B-tree node of group '{Path}'");
        r.Signature("TREE");
        int type = r.U8();
        int nodeLevel = r.U8();
        int entries = r.U16();
        if (type != 0)
        {
            throw Hdf5File.Corrupt($"the B-tree of group '{Path}' has a node of type {type}");
        }

        if (level >= 0 && nodeLevel != level)
        {
            throw Hdf5File.Corrupt($"a B-tree node of group '{Path}' is at level {nodeLevel}, expected {level}");
        }

        r.Address(); // left sibling
        r.Address(); // right sibling
        // Keys (heap offsets, lengths) and children alternate: key, child, key, ..., key.
        long needed = (long)entries * (File.LengthSize + File.OffsetSize) + File.LengthSize;
        if (needed > r.Remaining)
        {
            throw Hdf5File.Corrupt($"a B-tree node of group '{Path}' claims {entries} entries, more than the file holds");
        }

        r.Length();
        for (int i = 0; i < entries; i++)
        {
            long child = r.Address();
            r.Length();
            if (nodeLevel > 0)
            {
                ReadGroupTree(child, names, links, seen, nodeLevel - 1, depth + 1);
            }
            else
            {
                ReadSymbolNode(child, names, links, seen);
            }
        }
    }

    private void ReadSymbolNode(long address, Hdf5Reader names, List<Hdf5Link> links, HashSet<long> seen)
    {
        if (!seen.Add(address))
        {
            throw Hdf5File.Corrupt($"the B-tree of group '{Path}' lists a symbol table node twice");
        }

        var r = File.At(address, $"a symbol table node of group '{Path}'");
        r.Signature("SNOD");
        if (r.U8() != 1)
        {
            throw Hdf5File.Corrupt($"a symbol table node of group '{Path}' has an unknown version");
        }

        r.U8();
        int count = r.U16();
        if ((long)count * (2 * File.OffsetSize + 24) > r.Remaining)
        {
            throw Hdf5File.Corrupt($"a symbol table node of group '{Path}' claims {count} entries, more than the file holds");
        }

        for (int i = 0; i < count; i++)
        {
            long nameOffset = r.Address();
            long header = r.Address();
            r.Skip(24); // cache type, reserved, scratch pad
            if (nameOffset < 0 || nameOffset >= names.End - names.Position)
            {
                throw Hdf5File.Corrupt($"a link of group '{Path}' names an offset outside its heap");
            }

            var at = names;
            at.Skip(nameOffset);
            string name = at.NullTerminated(at.Remaining);
            if (name.Length == 0)
            {
                throw Hdf5File.Corrupt($"a link of group '{Path}' has an empty name");
            }

            links.Add(new Hdf5Link(name, header, null));
        }
    }
}
