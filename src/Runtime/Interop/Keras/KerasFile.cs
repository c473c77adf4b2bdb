using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Unrolled.Interop.Hdf5;

namespace Unrolled.Interop.Keras;

/// <summary>One weight tensor in a file: the path of its dataset.</summary>
internal sealed record KerasTensor(string Path, Hdf5Object Dataset);

/// <summary>The weights a file keeps for one layer, in the layer's order.</summary>
/// <param name="Name">The layer's name, when the file says it (null for an unnamed Keras 3 group).</param>
/// <param name="Location">Where the group is, for messages.</param>
/// <param name="Tensors">Its weights in order.</param>
internal sealed record KerasGroup(string? Name, string Location, List<KerasTensor> Tensors);

/// <summary>
/// A Keras weight file opened for reading: its format, and its weights grouped per layer. Keras 3 files keep each
/// layer's variables as datasets <c>0…n</c> of a <c>vars</c> group, at a path made of class names; Keras 2 files keep
/// one group per layer name, listed (in <c>model.layers</c> order) by the attribute <c>layer_names</c>.
/// </summary>
internal sealed class KerasFile
{
    private readonly Hdf5Object _root;

    private KerasFile(KerasFileFormat format, Hdf5Object root, string? version)
    {
        Format = format;
        _root = root;
        Version = version;
    }

    public KerasFileFormat Format { get; }

    public string? Version { get; private set; }

    /// <summary>The groups with weights: Keras 3 in path order, Keras 2 in <c>layer_names</c> order.</summary>
    public List<KerasGroup> Groups { get; } = new();

    /// <summary>Keras 3: whether the file names the layers (a <c>.keras</c> config, or <c>name</c> attributes).</summary>
    public bool HasNames { get; private set; }

    /// <summary>Keras 2.13's layout uses <c>_layer_checkpoint_dependencies</c> where Keras 3 has <c>layers</c>.</summary>
    private string _layersGroup = "layers";

    /// <summary>Opens the bytes of a <c>.keras</c> archive or a Keras <c>.h5</c> file.</summary>
    public static KerasFile Open(byte[] bytes, string source)
    {
        if (bytes.Length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4)
        {
            return OpenArchive(bytes, source);
        }

        if (!Hdf5File.HasSignature(bytes))
        {
            throw new InvalidDataException($"{source} is neither a .keras archive (a zip file) nor an HDF5 file (.weights.h5, .h5).");
        }

        var h5 = Hdf5File.Open(bytes, source);
        var root = h5.Root;
        if (Keras2Root(root) is { } keras2)
        {
            var file = new KerasFile(KerasFileFormat.Keras2Hdf5, keras2, null);
            file.ReadKeras2(root);
            return file;
        }

        var keras3 = new KerasFile(KerasFileFormat.Keras3Weights, root, null);
        keras3.ReadKeras3(config: null, source);
        return keras3;
    }

    /// <summary>The dataset at a Keras 3 path (<see cref="WeightInfo.KerasPath"/>), or null.</summary>
    public KerasTensor? AtPath(string path)
    {
        if (_layersGroup != "layers" && path.StartsWith("layers/", StringComparison.Ordinal))
        {
            path = _layersGroup + path["layers".Length..];
        }

        var obj = _root.Resolve(path);
        return obj is { IsDataset: true } ? new KerasTensor(path, obj) : null;
    }

    private static KerasFile OpenArchive(byte[] bytes, string source)
    {
        byte[]? weights = null, config = null, metadata = null;
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            foreach (var entry in zip.Entries)
            {
                switch (entry.FullName)
                {
                    case "model.weights.h5":
                        weights = ReadEntry(entry, bytes.Length, source);
                        break;
                    case "config.json":
                        config = ReadEntry(entry, bytes.Length, source);
                        break;
                    case "metadata.json":
                        metadata = ReadEntry(entry, bytes.Length, source);
                        break;
                    case "model.weights.npz":
                        throw new NotSupportedException($"{source} keeps its weights as model.weights.npz (Keras's npz weights format); only model.weights.h5 is read.");
                }
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException || (e is InvalidDataException && !IsOurs(e)))
        {
            throw new InvalidDataException($"{source} is not a valid .keras archive: {e.Message}", e);
        }

        if (weights is null)
        {
            throw new InvalidDataException($"{source} is a zip file without model.weights.h5, so not a Keras 3 .keras archive.");
        }

        string? version = null;
        using (var meta = Json(metadata, source, "metadata.json"))
        {
            if (meta is not null && meta.RootElement.ValueKind == JsonValueKind.Object && meta.RootElement.TryGetProperty("keras_version", out var v) &&
                v.ValueKind == JsonValueKind.String)
            {
                version = Text(v, source);
            }
        }

        var h5 = Hdf5File.Open(weights, source + "!model.weights.h5");
        var file = new KerasFile(KerasFileFormat.Keras3Archive, h5.Root, version);
        using var configDocument = Json(config, source, "config.json");
        file.ReadKeras3(configDocument?.RootElement, source);
        return file;
    }

    private static bool IsOurs(Exception e) => e.Message.StartsWith("The HDF5 file", StringComparison.Ordinal);

    /// <summary>An entry's bytes; its declared size is checked against what a zip of this size can hold.</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long archiveLength, string source)
    {
        long length = entry.Length;
        long limit = entry.CompressedLength * 1100 + 4096; // deflate expands at most ~1032 times
        if (length < 0 || length > int.MaxValue || length > limit || entry.CompressedLength > archiveLength)
        {
            throw new InvalidDataException($"{source}: the archive entry {entry.FullName} claims {length} bytes, which cannot be.");
        }

        // Grown as the entry yields bytes, not allocated at its declared size, which a corrupt header can inflate.
        using var stream = entry.Open();
        byte[] data = BoundedRead.UpTo(stream, length)
            ?? throw new InvalidDataException($"{source}: the archive entry {entry.FullName} holds more than the {length} bytes it declares.");
        if (data.Length != length)
        {
            throw new InvalidDataException($"{source}: the archive entry {entry.FullName} holds {data.Length} bytes, not the {length} it declares.");
        }

        return data;
    }

    private static JsonDocument? Json(byte[]? bytes, string source, string name)
    {
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {name} is not valid JSON ({e.Message}).", e);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Keras 3
    // ----------------------------------------------------------------------------------------------------------------

    private void ReadKeras3(JsonElement? config, string source)
    {
        var layers = _root.IsGroup ? _root.Child("layers") : null;
        if (layers is null && _root.IsGroup && _root.Child("_layer_checkpoint_dependencies") is { } legacy)
        {
            layers = legacy;
            _layersGroup = "_layer_checkpoint_dependencies";
        }

        if (layers is null || !layers.IsGroup)
        {
            throw new InvalidDataException($"{source} is not a Keras weights file: it has neither the 'layers' group of Keras 3 " +
                "(model.save_weights / model.save) nor the 'layer_names' attribute of Keras 2.");
        }

        // Names from the archive's config.json: the path of each layer as saving_lib numbers it, and its name.
        var configNames = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config is { ValueKind: JsonValueKind.Object } c)
        {
            NameConfigLayers(c, _layersGroup + "/", configNames, depth: 0);
        }

        var groups = new List<(string Path, Hdf5Object Vars)>();
        FindVars(layers, _layersGroup, groups, new HashSet<long>(), depth: 0);
        foreach (var (path, vars) in groups)
        {
            var tensors = new List<KerasTensor>();
            foreach (var link in vars.Links)
            {
                if (int.TryParse(link.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    var dataset = vars.Child(link.Name);
                    if (dataset is { IsDataset: true })
                    {
                        tensors.Add(new KerasTensor($"{path}/vars/{link.Name}", dataset));
                    }
                }
            }

            if (tensors.Count == 0)
            {
                continue;
            }

            // Keras names them 0, 1, 2, ...: a gap means a lost variable.
            tensors.Sort((a, b) => VarIndex(a).CompareTo(VarIndex(b)));
            for (int i = 0; i < tensors.Count; i++)
            {
                if (VarIndex(tensors[i]) != i)
                {
                    throw new InvalidDataException($"{source}: {path}/vars holds variables {string.Join(", ", tensors.ConvertAll(t => VarIndex(t)))}, not 0 to {tensors.Count - 1}.");
                }
            }

            string? name = configNames.Count > 0 ? Owner(path, configNames) : AttributeOwner(path);
            Groups.Add(new KerasGroup(name, path + "/vars", tensors));
        }

        HasNames = Groups.Count > 0 && Groups.TrueForAll(g => g.Name is not null);
    }

    private static int VarIndex(KerasTensor tensor)
        => int.Parse(tensor.Path[(tensor.Path.LastIndexOf('/') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Every <c>vars</c> group below <paramref name="group"/>, guarded against cycles of hard links.</summary>
    private static void FindVars(Hdf5Object group, string path, List<(string, Hdf5Object)> found, HashSet<long> seen, int depth)
    {
        if (depth > Hdf5File.MaxDepth || !seen.Add(group.Address))
        {
            return;
        }

        foreach (var link in group.Links)
        {
            if (link.Unsupported is not null)
            {
                continue;
            }

            var child = group.Child(link.Name);
            if (child is null || !child.IsGroup)
            {
                continue;
            }

            if (link.Name == "vars")
            {
                found.Add((path, child));
            }
            else
            {
                FindVars(child, path + "/" + link.Name, found, seen, depth + 1);
            }
        }
    }

    /// <summary>The layer that owns the variables at <paramref name="path"/>: a recurrent layer owns its cell's.</summary>
    private static string? Owner(string path, Dictionary<string, string> names)
    {
        if (names.TryGetValue(path, out var name))
        {
            return name;
        }

        return path.EndsWith("/cell", StringComparison.Ordinal) && names.TryGetValue(path[..^"/cell".Length], out var owner) ? owner : null;
    }

    /// <summary>The owner from recent Keras's <c>name</c> attributes (a cell's group names the cell, so the layer's is used).</summary>
    private string? AttributeOwner(string path)
    {
        string layerPath = path.EndsWith("/cell", StringComparison.Ordinal) ? path[..^"/cell".Length] : path;
        var vars = _root.Resolve(layerPath + "/vars");
        if (vars?.Attribute("name") is not { } attribute)
        {
            return null;
        }

        var names = vars.Strings(attribute);
        return names.Count == 1 && names[0].Length > 0 ? names[0] : null;
    }

    /// <summary>Walks a model's config as saving_lib walks the model: each layer's path is its class's snake-case name.</summary>
    private static void NameConfigLayers(JsonElement model, string prefix, Dictionary<string, string> names, int depth)
    {
        if (depth > 32 || !model.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object ||
            !config.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in layers.EnumerateArray())
        {
            if (layer.ValueKind != JsonValueKind.Object || !layer.TryGetProperty("class_name", out var cls) || cls.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            string snake = KerasNaming.SnakeCase(Text(cls, "config.json"));
            if (counters.TryGetValue(snake, out int count))
            {
                counters[snake] = ++count;
                snake += "_" + count.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                counters[snake] = 0;
            }

            string path = prefix + snake;
            if (LayerName(layer) is { } name)
            {
                names[path] = name;
            }

            NameConfigLayers(layer, path + "/layers/", names, depth + 1);
            if (layer.TryGetProperty("config", out var layerConfig) && layerConfig.ValueKind == JsonValueKind.Object &&
                layerConfig.TryGetProperty("layer", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object)
            {
                // A wrapper (TimeDistributed): the wrapped layer is its attribute `layer`.
                if (LayerName(wrapped) is { } inner)
                {
                    names[path + "/layer"] = inner;
                }

                NameConfigLayers(wrapped, path + "/layer/layers/", names, depth + 1);
            }
        }
    }

    private static string? LayerName(JsonElement layer)
    {
        if (layer.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object &&
            config.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            return Text(name, "config.json");
        }

        return layer.TryGetProperty("name", out var top) && top.ValueKind == JsonValueKind.String ? Text(top, "config.json") : null;
    }

    /// <summary>A JSON string's text; invalid UTF-8 inside it is corrupt data.</summary>
    private static string Text(JsonElement element, string source)
    {
        try
        {
            return element.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{source}: a JSON string is not valid UTF-8 ({e.Message}).", e);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Keras 2
    // ----------------------------------------------------------------------------------------------------------------

    /// <summary>The group holding Keras 2's <c>layer_names</c>: the root (save_weights) or <c>model_weights</c> (save).</summary>
    private static Hdf5Object? Keras2Root(Hdf5Object root)
    {
        if (!root.IsGroup)
        {
            return null;
        }

        if (HasChunkedAttribute(root, "layer_names"))
        {
            return root;
        }

        var modelWeights = root.Child("model_weights");
        return modelWeights is { IsGroup: true } && HasChunkedAttribute(modelWeights, "layer_names") ? modelWeights : null;
    }

    private static bool HasChunkedAttribute(Hdf5Object obj, string name) => obj.Attribute(name) is not null || obj.Attribute(name + "0") is not null;

    /// <summary>An attribute Keras 2 may split into <c>name0</c>, <c>name1</c>, … when it exceeds the header's limit.</summary>
    private static List<string> ChunkedStrings(Hdf5Object obj, string name)
    {
        if (obj.Attribute(name) is { } whole)
        {
            return obj.Strings(whole);
        }

        var all = new List<string>();
        for (int i = 0; obj.Attribute(name + i.ToString(CultureInfo.InvariantCulture)) is { } part; i++)
        {
            all.AddRange(obj.Strings(part));
        }

        return all;
    }

    private void ReadKeras2(Hdf5Object fileRoot)
    {
        foreach (var holder in new[] { _root, fileRoot })
        {
            if (Version is null && holder.Attribute("keras_version") is { } version && holder.Strings(version) is { Count: 1 } text)
            {
                Version = text[0];
            }
        }

        HasNames = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string layerName in ChunkedStrings(_root, "layer_names"))
        {
            if (!seen.Add(layerName))
            {
                throw new InvalidDataException($"{_root.File.Source} lists layer '{layerName}' twice in layer_names.");
            }

            var group = _root.Child(layerName);
            if (group is null || !group.IsGroup)
            {
                throw new InvalidDataException($"{_root.File.Source} lists layer '{layerName}' in layer_names but has no group for it.");
            }

            var tensors = new List<KerasTensor>();
            foreach (string weightName in ChunkedStrings(group, "weight_names"))
            {
                var dataset = group.Resolve(weightName);
                if (dataset is null || !dataset.IsDataset)
                {
                    throw new InvalidDataException($"{_root.File.Source}: layer '{layerName}' lists weight '{weightName}' but has no dataset for it.");
                }

                tensors.Add(new KerasTensor(Hdf5Object.Join(group.Path, weightName), dataset));
            }

            if (tensors.Count > 0)
            {
                Groups.Add(new KerasGroup(layerName, group.Path, tensors));
            }
        }
    }
}
