#!/usr/bin/python3
"""An independent reader and writer of Unrolled weights files (docs/weights-format.md), in plain Python.

Written from the format document alone, so the tests can check the C# code against a second implementation:
  unrw.py dump FILE          prints the file as JSON (floats as their IEEE-754 bit patterns), after checking
                             both checksums and the layout; exits 1 with a message on any problem
  unrw.py golden FILE        writes the golden file the C# tests load (two_input_adam.unrw)
"""
import json
import struct
import sys

MAGIC = b"\x89UNRW\r\n\x1a"
ALIGN = 64


def _crc32c_table():
    table = []
    for b in range(256):
        crc = b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


class Cursor:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("header ends early")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def f32(self):
        return struct.unpack("<f", self.take(4))[0]

    def f64(self):
        return struct.unpack("<d", self.take(8))[0]

    def string(self):
        n = struct.unpack("<H", self.take(2))[0]
        return self.take(n).decode("utf-8")


def read(data):
    if data[:8] != MAGIC:
        raise ValueError("bad magic")
    version, flags, file_length, header_length, reserved = struct.unpack("<IIQII", data[8:32])
    if version != 1 or flags & ~1 or reserved != 0 or file_length != len(data):
        raise ValueError("bad preamble")
    header = data[32:32 + header_length]
    (header_crc,) = struct.unpack("<I", data[32 + header_length:36 + header_length])
    if crc32c(data[:32 + header_length]) != header_crc:
        raise ValueError("header checksum")
    data_start = 36 + header_length
    (data_crc,) = struct.unpack("<I", data[-4:])
    if crc32c(data[data_start:-4]) != data_crc:
        raise ValueError("data checksum")
    c = Cursor(header)
    out = {"version": version, "producer": c.string(), "model": c.string(), "tensors": []}
    count, parameters = c.u32(), c.u64()
    position = data_start
    for _ in range(count):
        layer, name = c.string(), c.string()
        dtype, trainable, rank = c.u8(), c.u8(), c.u8()
        shape = [c.u32() for _ in range(rank)]
        offset, length = c.u64(), c.u64()
        size = 1
        for d in shape:
            size *= d
        if dtype != 1 or offset != align(position) or length != 4 * size:
            raise ValueError("bad tensor entry " + layer + "/" + name)
        if any(data[position:offset]):
            raise ValueError("non-zero padding")
        position = offset + length
        bits = list(struct.unpack("<%dI" % size, data[offset:offset + length]))
        out["tensors"].append({"layer": layer, "name": name, "shape": shape, "trainable": bool(trainable), "bits": bits})
    if sum(len(t["bits"]) for t in out["tensors"]) != parameters:
        raise ValueError("parameter count")
    if flags & 1:
        opt = {"name": c.string(), "iterations": c.u64(), "learning_rate_bits": struct.unpack("<I", c.take(4))[0],
               "random_state": str(c.u64()), "hyperparameters": {}, "buffers": {}}
        for _ in range(c.u8()):
            key = c.string()
            opt["hyperparameters"][key] = c.f64()
        for _ in range(c.u8()):
            key, offset, length = c.string(), c.u64(), c.u64()
            if offset != align(position) or length != 4 * parameters:
                raise ValueError("bad buffer entry " + key)
            position = offset + length
            opt["buffers"][key] = list(struct.unpack("<%dI" % parameters, data[offset:offset + length]))
        out["optimizer"] = opt
    if c.at != len(header) or position + 4 != len(data):
        raise ValueError("trailing bytes")
    return out


def write(model, tensors, optimizer=None, producer="unrw.py"):
    """tensors: [(layer, name, shape, trainable, [float])]; optimizer: dict with name, iterations, learning_rate,
    random_state, hyperparameters [(name, value)], buffers [(name, [float] in tensor order)]."""

    def s(text):
        b = text.encode("utf-8")
        return struct.pack("<H", len(b)) + b

    def header(offsets, buffer_offsets):
        h = s(producer) + s(model) + struct.pack("<IQ", len(tensors), sum(len(t[4]) for t in tensors))
        for (layer, name, shape, trainable, values), offset in zip(tensors, offsets):
            h += s(layer) + s(name) + struct.pack("<BBB", 1, int(trainable), len(shape))
            h += b"".join(struct.pack("<I", d) for d in shape) + struct.pack("<QQ", offset, 4 * len(values))
        if optimizer:
            h += s(optimizer["name"]) + struct.pack("<QfQB", optimizer["iterations"], optimizer["learning_rate"],
                                                    optimizer["random_state"], len(optimizer["hyperparameters"]))
            for key, value in optimizer["hyperparameters"]:
                h += s(key) + struct.pack("<d", value)
            h += struct.pack("<B", len(optimizer["buffers"]))
            total = sum(len(t[4]) for t in tensors)
            for (key, _), offset in zip(optimizer["buffers"], buffer_offsets):
                h += s(key) + struct.pack("<QQ", offset, 4 * total)
        return h

    buffers = optimizer["buffers"] if optimizer else []
    length = len(header([0] * len(tensors), [0] * len(buffers)))
    position = 36 + length
    blocks, offsets, buffer_offsets = [], [], []
    for t in tensors:
        offsets.append(align(position))
        blocks.append((offsets[-1], struct.pack("<%df" % len(t[4]), *t[4])))
        position = offsets[-1] + 4 * len(t[4])
    for _, values in buffers:
        buffer_offsets.append(align(position))
        blocks.append((buffer_offsets[-1], struct.pack("<%df" % len(values), *values)))
        position = buffer_offsets[-1] + 4 * len(values)
    h = header(offsets, buffer_offsets)
    pre = MAGIC + struct.pack("<IIQII", 1, 1 if optimizer else 0, position + 4, len(h), 0)
    head = pre + h
    head += struct.pack("<I", crc32c(head))
    body = bytearray()
    for offset, block in blocks:
        body += bytes(offset - len(head) - len(body)) + block
    return head + bytes(body) + struct.pack("<I", crc32c(body))


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def golden():
    """TwoInputModel (tests/Unrolled.Runtime.Tests/TwoInputModel.cs) with weight i = (i - 12) / 8 in the order of its
    weight buffer, and an Adam state: iterations 7, learning rate 0.0025, momentum i / 64, velocity i / 128."""
    shapes = [("class", "kernel", [5, 3]), ("class", "bias", [3]), ("flag", "kernel", [5, 1]), ("flag", "bias", [1])]
    tensors, i = [], 0
    for layer, name, shape in shapes:
        size = 1
        for d in shape:
            size *= d
        tensors.append((layer, name, shape, True, [(i + k - 12) / 8 for k in range(size)]))
        i += size
    adam = {"name": "Adam", "iterations": 7, "learning_rate": 0.0025, "random_state": 0x0123456789ABCDEF,
            "hyperparameters": [("beta_1", f32(0.9)), ("beta_2", f32(0.999)), ("epsilon", f32(1e-7)), ("amsgrad", 0.0)],
            "buffers": [("momentum", [k / 64 for k in range(i)]), ("velocity", [k / 128 for k in range(i)])]}
    return write("two_input", tensors, adam)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        try:
            with open(sys.argv[2], "rb") as f:
                print(json.dumps(read(f.read())))
        except ValueError as e:
            print("invalid: %s" % e, file=sys.stderr)
            sys.exit(1)
    elif len(sys.argv) == 3 and sys.argv[1] == "golden":
        with open(sys.argv[2], "wb") as f:
            f.write(golden())
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
