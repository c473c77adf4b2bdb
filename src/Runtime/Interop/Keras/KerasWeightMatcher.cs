using System;
using System.Collections.Generic;
using System.Linq;

namespace Unrolled.Interop.Keras;

/// <summary>
/// Pairs every weight of a model with a tensor of a Keras file, by name or by position, and checks every shape. The
/// result is all or nothing: either each weight has its tensor, or the list of everything that does not fit.
/// </summary>
internal sealed class KerasWeightMatcher
{
    private readonly KerasFile _file;
    private readonly IReadOnlyList<WeightInfo> _weights;

    public KerasWeightMatcher(KerasFile file, IReadOnlyList<WeightInfo> weights)
    {
        _file = file;
        _weights = weights;
    }

    /// <summary>One way of pairing: the tensor for each weight, or the problems.</summary>
    public sealed class Attempt
    {
        public Attempt(KerasLayerMatching mode, int weights)
        {
            Mode = mode;
            Sources = new KerasTensor?[weights];
        }

        public KerasLayerMatching Mode { get; }

        public KerasTensor?[] Sources { get; }

        public List<string> Problems { get; } = new();

        /// <summary>Every layer of the model found something in the file (so the problems, if any, are shapes or counts).</summary>
        public bool FoundEveryLayer { get; set; } = true;
    }

    public Attempt Match(KerasLayerMatching matching)
    {
        bool namesUsable = _file.HasNames;
        bool positionsUsable = _file.Format == KerasFileFormat.Keras2Hdf5 || _weights.All(w => w.KerasPath is not null);
        switch (matching)
        {
            case KerasLayerMatching.ByName:
                if (!namesUsable)
                {
                    var attempt = new Attempt(KerasLayerMatching.ByName, _weights.Count);
                    attempt.Problems.Add("The file does not name its layers (a Keras 3 .weights.h5 from a Keras version before layer names " +
                        "were saved); match by position (KerasLayerMatching.ByPosition or Auto) instead.");
                    return attempt;
                }

                return ByName();
            case KerasLayerMatching.ByPosition:
                return ByPosition();
            default:
                Attempt? byName = null;
                if (namesUsable)
                {
                    byName = ByName();
                    if (byName.Problems.Count == 0)
                    {
                        return byName;
                    }
                }

                if (!positionsUsable)
                {
                    return byName ?? ByPosition();
                }

                var byPosition = ByPosition();
                if (byPosition.Problems.Count == 0 || byName is null)
                {
                    return byPosition;
                }

                // Neither fits: report the pairing that found every layer, whose problems are then about shapes.
                return byName.FoundEveryLayer || !byPosition.FoundEveryLayer ? byName : byPosition;
        }
    }

    /// <summary>The model's weights grouped as the file groups them: per layer (Keras 3) or per model.layers entry (Keras 2).</summary>
    private List<(string Name, List<int> Weights)> Units()
    {
        bool keras2 = _file.Format == KerasFileFormat.Keras2Hdf5;
        var units = new List<(string Name, List<int> Weights)>();
        var byName = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < _weights.Count; i++)
        {
            string name = keras2 ? _weights[i].KerasLayer : _weights[i].Layer;
            if (!byName.TryGetValue(name, out var list))
            {
                list = new List<int>();
                byName[name] = list;
                units.Add((name, list));
            }

            list.Add(i);
        }

        if (keras2)
        {
            // Keras 2 saves an entry's trainable weights, then its non-trainable ones (for a nested model, across all of
            // its layers), each in model.weights order.
            foreach (var (_, list) in units)
            {
                var sorted = list.OrderBy(i => _weights[i].Trainable ? 0 : 1).ThenBy(KerasOrder).ToList();
                list.Clear();
                list.AddRange(sorted);
            }
        }

        // In Keras's model.layers order (which is what position matching pairs).
        return units.OrderBy(u => u.Weights.Min(KerasOrder)).ToList();
    }

    private int KerasOrder(int weight) => _weights[weight].KerasIndex >= 0 ? _weights[weight].KerasIndex : weight;

    private Attempt ByName()
    {
        var attempt = new Attempt(KerasLayerMatching.ByName, _weights.Count);
        var groups = new Dictionary<string, KerasGroup>(StringComparer.Ordinal);
        foreach (var group in _file.Groups)
        {
            if (group.Name is null)
            {
                continue;
            }

            if (groups.ContainsKey(group.Name))
            {
                attempt.Problems.Add($"The file has two layers named '{group.Name}' ({groups[group.Name].Location} and {group.Location}), so names do not say which is which.");
                attempt.FoundEveryLayer = false;
                continue;
            }

            groups[group.Name] = group;
        }

        var used = new HashSet<KerasGroup>();
        var missing = new List<string>();
        foreach (var (name, weights) in Units())
        {
            if (!groups.TryGetValue(name, out var group))
            {
                missing.Add($"'{name}'");
                continue;
            }

            used.Add(group);
            Pair(attempt, name, weights, group);
        }

        Finish(attempt, missing, _file.Groups.Where(g => !used.Contains(g)));
        return attempt;
    }

    private Attempt ByPosition()
    {
        var attempt = new Attempt(KerasLayerMatching.ByPosition, _weights.Count);
        if (_file.Format == KerasFileFormat.Keras2Hdf5)
        {
            // Keras 2's load_weights: the layers with weights, in order, on both sides.
            var units = Units();
            int count = Math.Min(units.Count, _file.Groups.Count);
            for (int i = 0; i < count; i++)
            {
                Pair(attempt, units[i].Name, units[i].Weights, _file.Groups[i]);
            }

            Finish(attempt, units.Skip(count).Select(u => $"'{u.Name}'").ToList(), _file.Groups.Skip(count));
            if (units.Count != _file.Groups.Count)
            {
                attempt.Problems.Insert(0, $"The model has {units.Count} layers with weights but the file has {_file.Groups.Count}.");
            }

            return attempt;
        }

        // Keras 3's load_weights: every weight at its path.
        var usedGroups = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (name, all) in Units())
        {
            if (all.Any(w => _weights[w].KerasPath is null))
            {
                missing.Add($"'{name}' (the model does not know where Keras keeps it)");
                continue;
            }

            // Most layers keep their variables in one group; a layer built of sublayers (MultiHeadAttention's four
            // projections) keeps each sublayer's in its own.
            foreach (var weights in all.GroupBy(w => Location(_weights[w].KerasPath!)).Select(g => g.ToList()))
            {
                string location = Location(_weights[weights[0]].KerasPath!);
                var group = _file.Groups.FirstOrDefault(g => g.Location == location || g.Location == MapLegacy(location));
                if (group is null)
                {
                    missing.Add($"'{name}' (expected at {location})");
                    continue;
                }

                usedGroups.Add(group.Location);
                Pair(attempt, name, weights, group); // the group's tensors are vars/0..n-1, these weights in order
            }
        }

        Finish(attempt, missing, _file.Groups.Where(g => !usedGroups.Contains(g.Location)));
        return attempt;
    }

    private static string Location(string kerasPath) => kerasPath[..kerasPath.LastIndexOf('/')];

    private string MapLegacy(string path)
        => _file.Groups.Count > 0 && _file.Groups[0].Location.StartsWith("_layer_checkpoint_dependencies/", StringComparison.Ordinal) &&
           path.StartsWith("layers/", StringComparison.Ordinal) ? "_layer_checkpoint_dependencies" + path["layers".Length..] : path;

    /// <summary>Pairs a unit's weights with a group's tensors in order, checking the count and every shape.</summary>
    private void Pair(Attempt attempt, string name, List<int> weights, KerasGroup group)
    {
        if (group.Tensors.Count != weights.Count)
        {
            attempt.Problems.Add($"Layer '{name}' has {weights.Count} weight(s) in the model ({string.Join(", ", weights.Select(w => _weights[w].Name))}) " +
                $"but {group.Tensors.Count} in the file ({group.Location}: {string.Join(", ", group.Tensors.Select(t => Leaf(t.Path)))}).");
            return;
        }

        var order = ByWeightNames(weights, group) ?? Enumerable.Range(0, weights.Count).ToList();
        for (int k = 0; k < weights.Count; k++)
        {
            var weight = _weights[weights[k]];
            var tensor = group.Tensors[order[k]];
            var dims = tensor.Dataset.DataSpace;
            if (dims.IsNull || dims.Dims.Length != weight.Shape.Count || dims.Dims.Where((d, i) => d != weight.Shape[i]).Any())
            {
                attempt.Problems.Add($"Weight '{weight.Layer}/{weight.Name}' has shape [{string.Join(", ", weight.Shape)}] in the model " +
                    $"but [{string.Join(", ", dims.Dims)}] in the file ({tensor.Path}).");
                continue;
            }

            attempt.Sources[weights[k]] = tensor;
        }
    }

    /// <summary>
    /// Keras 2 names each weight (<c>enc/kernel:0</c>): for a nested model, whose weights Keras lists trainable first, the
    /// names say which inner layer each belongs to. Returns the file index for each weight when every one is named
    /// unambiguously, else null (order decides).
    /// </summary>
    private List<int>? ByWeightNames(List<int> weights, KerasGroup group)
    {
        if (_file.Format != KerasFileFormat.Keras2Hdf5 || weights.All(w => _weights[w].Layer == _weights[w].KerasLayer))
        {
            return null;
        }

        var order = new List<int>();
        var taken = new HashSet<int>();
        foreach (int w in weights)
        {
            var weight = _weights[w];
            int found = -1;
            for (int t = 0; t < group.Tensors.Count; t++)
            {
                var parts = group.Tensors[t].Path.Split('/');
                string leaf = parts[^1];
                int colon = leaf.LastIndexOf(':');
                leaf = colon > 0 ? leaf[..colon] : leaf;
                if (leaf == weight.Name && Array.IndexOf(parts, weight.Layer) >= 0)
                {
                    if (found >= 0)
                    {
                        return null;
                    }

                    found = t;
                }
            }

            if (found < 0 || !taken.Add(found))
            {
                return null;
            }

            order.Add(found);
        }

        return order;
    }

    private void Finish(Attempt attempt, List<string> missing, IEnumerable<KerasGroup> unused)
    {
        if (missing.Count > 0)
        {
            attempt.FoundEveryLayer = false;
            attempt.Problems.Add($"The file has no weights for these layers of the model: {string.Join(", ", missing)}.");
        }

        var extra = unused.Select(g => g.Name is null ? g.Location : $"'{g.Name}' ({g.Location})").ToList();
        if (extra.Count > 0)
        {
            attempt.Problems.Add($"The file has weights for layers the model does not have: {string.Join(", ", extra)}.");
        }
    }

    private static string Leaf(string path) => path[(path.LastIndexOf('/') + 1)..];
}
