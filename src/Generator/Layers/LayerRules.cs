using System.Collections.Generic;
using System.Linq;
using Unrolled.Generator.Model;

namespace Unrolled.Generator.Layers;

/// <summary>
/// The registry of layer rules: every <see cref="LayerRule"/> class of the generator, each serving its kinds (one file
/// per family in this folder). Every kind of the catalogue
/// (src/Shared/LayerKind.cs) has exactly one rule, except the groups (Lambda, TimeDistributed, a nested model's call),
/// which compute nothing themselves; a test checks this.
/// </summary>
internal static class LayerRules
{
    /// <summary>Every rule class of this assembly, found rather than listed, so that adding a family is adding its
    /// file; ordered by name, so that the order never depends on the loader.</summary>
    private static readonly LayerRule[] s_rules = typeof(LayerRule).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(LayerRule)) && !t.IsAbstract)
        .OrderBy(t => t.FullName, System.StringComparer.Ordinal)
        .Select(t => (LayerRule)System.Activator.CreateInstance(t))
        .ToArray();

    private static readonly Dictionary<LayerKind, LayerRule> s_byKind = Index();

    private static readonly Dictionary<string, (LayerRule Rule, LayerKind Kind)> s_byFunction = s_rules
        .SelectMany(r => r.Functions.Select(f => (f.Function, Entry: (r, f.Kind))))
        .ToDictionary(f => f.Function, f => f.Entry);

    /// <summary>Every rule, in the registry's order.</summary>
    public static IReadOnlyList<LayerRule> All => s_rules;

    /// <summary>Kinds that group other nodes and compute nothing themselves, so have no rule.</summary>
    public static bool IsGroup(LayerKind kind) => kind is LayerKind.Lambda or LayerKind.TimeDistributed or LayerKind.Functional or LayerKind.Bidirectional;

    /// <summary>The rule of a kind.</summary>
    /// <exception cref="MissingLayerRuleException">No rule serves the kind: a bug in Unrolled, which the generator
    /// reports as UNR0017 naming the kind.</exception>
    public static LayerRule Of(LayerKind kind) => TryOf(kind) ?? throw new MissingLayerRuleException(kind);

    /// <summary>The rule of a kind, or null when none serves it (the evaluator, which must not fail on a builder,
    /// goes on; the shape step then reports the missing rule as UNR0017).</summary>
    public static LayerRule? TryOf(LayerKind kind)
        => kind != MissingForTests.Value && s_byKind.TryGetValue(kind, out var rule) ? rule : null;

    /// <summary>Tests set a kind here to see what happens when its rule is missing (per async flow).</summary>
    internal static readonly System.Threading.AsyncLocal<LayerKind?> MissingForTests = new();

    /// <summary>The rule and kind a builder function (<c>Dense</c>, <c>MaxPool2D</c>) creates, if any.</summary>
    public static bool TryFunction(string function, out LayerRule rule, out LayerKind kind)
    {
        if (s_byFunction.TryGetValue(function, out var entry))
        {
            (rule, kind) = entry;
            return true;
        }

        (rule, kind) = (null!, default);
        return false;
    }

    private static Dictionary<LayerKind, LayerRule> Index()
    {
        var index = new Dictionary<LayerKind, LayerRule>();
        foreach (var rule in s_rules)
        {
            foreach (var kind in rule.Kinds)
            {
                index.Add(kind, rule); // a kind with two rules fails here, at the first use, and in every test
            }
        }

        return index;
    }
}

/// <summary>A layer kind that no rule serves: a bug in Unrolled (a kind added to the catalogue without its rule).</summary>
internal sealed class MissingLayerRuleException : System.InvalidOperationException
{
    public MissingLayerRuleException(LayerKind kind)
        : base($"no layer rule serves the kind '{kind}'; add one to src/Generator/Layers and to LayerRules (docs/adding-a-layer.md)")
    {
        Kind = kind;
    }

    public LayerKind Kind { get; }
}
