using System;
using System.Collections.Generic;
using System.IO;

namespace Unrolled.Onnx;

/// <summary>ONNX's <c>TensorProto.DataType</c> values this exporter uses.</summary>
internal enum OnnxType
{
    Float = 1,
    Int32 = 6,
    Int64 = 7,
}

/// <summary>One attribute of a node: a float, an integer, a string, or a list of floats or integers.</summary>
internal sealed class OnnxAttribute
{
    // AttributeProto.AttributeType.
    private const int FloatType = 1, IntType = 2, StringType = 3, FloatsType = 6, IntsType = 7;

    private readonly int _type;
    private readonly double _number;
    private readonly string? _text;
    private readonly long[]? _ints;
    private readonly float[]? _floats;

    private OnnxAttribute(string name, int type, double number = 0, string? text = null, long[]? ints = null, float[]? floats = null)
        => (Name, _type, _number, _text, _ints, _floats) = (name, type, number, text, ints, floats);

    public string Name { get; }

    public static OnnxAttribute Int(string name, long value) => new(name, IntType, number: value);

    public static OnnxAttribute Float(string name, float value) => new(name, FloatType, number: value);

    public static OnnxAttribute String(string name, string value) => new(name, StringType, text: value);

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, IntsType, ints: values);

    public static OnnxAttribute Floats(string name, params float[] values) => new(name, FloatsType, floats: values);

    /// <summary>AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20.</summary>
    public void WriteTo(ProtoWriter w)
    {
        w.String(1, Name);
        switch (_type)
        {
            case FloatType:
                w.Float(2, (float)_number);
                break;
            case IntType:
                w.Int64(3, (long)_number);
                break;
            case StringType:
                w.Bytes(4, System.Text.Encoding.UTF8.GetBytes(_text!));
                break;
            case FloatsType:
                foreach (float value in _floats!)
                {
                    w.Float(7, value);
                }

                break;
            case IntsType:
                foreach (long value in _ints!)
                {
                    w.Int64(8, value);
                }

                break;
        }

        w.Int64(20, _type);
    }
}

/// <summary>One operator call.</summary>
internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes)
{
    /// <summary>NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.</summary>
    public void WriteTo(ProtoWriter w)
    {
        foreach (string input in Inputs)
        {
            w.String(1, input);
        }

        foreach (string output in Outputs)
        {
            w.String(2, output);
        }

        w.String(3, Name);
        w.String(4, OpType);
        foreach (var attribute in Attributes)
        {
            var a = new ProtoWriter();
            attribute.WriteTo(a);
            w.Message(5, a);
        }
    }
}

/// <summary>A constant tensor (an initializer): weights, or the shapes and axes some operators take as inputs.</summary>
internal sealed class OnnxTensor
{
    private readonly float[]? _floats;
    private readonly long[]? _longs;

    public OnnxTensor(string name, long[] dims, float[] values)
        => (Name, Dims, Type, _floats) = (name, dims, OnnxType.Float, values);

    public OnnxTensor(string name, long[] dims, long[] values)
        => (Name, Dims, Type, _longs) = (name, dims, OnnxType.Int64, values);

    public string Name { get; }

    public long[] Dims { get; }

    public OnnxType Type { get; }

    /// <summary>TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian).</summary>
    public void WriteTo(ProtoWriter w)
    {
        foreach (long dim in Dims)
        {
            w.Int64(1, dim);
        }

        w.Int64(2, (int)Type);
        w.String(8, Name);
        if (_floats is not null)
        {
            w.FloatBytes(9, _floats);
        }
        else
        {
            var bytes = new byte[_longs!.Length * 8];
            for (int i = 0; i < _longs.Length; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8, 8), _longs[i]);
            }

            w.Bytes(9, bytes);
        }
    }
}

/// <summary>One axis of a graph input's or output's shape: a length, a symbolic name, or unknown (neither).</summary>
internal readonly record struct OnnxDim(long Value, string? Param)
{
    public static OnnxDim Fixed(long value) => new(value, null);

    public static OnnxDim Symbolic(string? name) => new(-1, name);
}

/// <summary>A graph input or output: name, element type and shape.</summary>
internal sealed record OnnxValueInfo(string Name, OnnxType Type, OnnxDim[] Shape)
{
    /// <summary>ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 →
    /// dim_value 1 | dim_param 2.</summary>
    public void WriteTo(ProtoWriter w)
    {
        var shape = new ProtoWriter();
        foreach (var dim in Shape)
        {
            var d = new ProtoWriter();
            if (dim.Value >= 0)
            {
                d.Int64(1, dim.Value);
            }
            else if (dim.Param is not null)
            {
                d.String(2, dim.Param);
            }

            shape.Message(1, d);
        }

        var tensor = new ProtoWriter();
        tensor.Int64(1, (int)Type);
        tensor.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensor);
        w.String(1, Name);
        w.Message(2, type);
    }
}

/// <summary>A whole ONNX model (one graph, the default operator set), ready to serialise.</summary>
internal sealed class OnnxModel
{
    public required long IrVersion { get; init; }

    public required int Opset { get; init; }

    public required string ProducerName { get; init; }

    public required string ProducerVersion { get; init; }

    public required string GraphName { get; init; }

    public string DocString { get; init; } = string.Empty;

    public List<OnnxNode> Nodes { get; } = new();

    public List<OnnxTensor> Initializers { get; } = new();

    public List<OnnxValueInfo> Inputs { get; } = new();

    public List<OnnxValueInfo> Outputs { get; } = new();

    /// <summary>ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8
    /// (OperatorSetIdProto: domain 1, empty for the default set, version 2). GraphProto: node 1, name 2, initializer 5,
    /// doc_string 10, input 11, output 12.</summary>
    public void WriteTo(Stream stream)
    {
        var graph = new ProtoWriter(1 << 12);
        foreach (var node in Nodes)
        {
            var n = new ProtoWriter();
            node.WriteTo(n);
            graph.Message(1, n);
        }

        graph.String(2, GraphName);
        foreach (var initializer in Initializers)
        {
            var t = new ProtoWriter();
            initializer.WriteTo(t);
            graph.Message(5, t);
        }

        if (DocString.Length > 0)
        {
            graph.String(10, DocString);
        }

        foreach (var input in Inputs)
        {
            var v = new ProtoWriter();
            input.WriteTo(v);
            graph.Message(11, v);
        }

        foreach (var output in Outputs)
        {
            var v = new ProtoWriter();
            output.WriteTo(v);
            graph.Message(12, v);
        }

        var opset = new ProtoWriter();
        opset.String(1, string.Empty);
        opset.Int64(2, Opset);

        // The graph (all the weights) goes to the stream after its field header instead of being copied once more.
        var model = new ProtoWriter(256);
        model.Int64(1, IrVersion);
        model.String(2, ProducerName);
        model.String(3, ProducerVersion);
        model.Message(8, opset);
        model.MessageHeader(7, graph.Length);
        model.CopyTo(stream);
        graph.CopyTo(stream);
    }
}
