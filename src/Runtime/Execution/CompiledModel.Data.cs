using System;
using System.Collections.Generic;

namespace Unrolled;

public abstract partial class CompiledModel
{
    /// <summary>Arrays for the single-input, single-output overloads, by position.</summary>
    private (float[][] Inputs, float[]?[] Targets) Single(float[] x, float[]? y, string xName, string yName)
    {
        ArgumentNullException.ThrowIfNull(x, xName);
        if (Description.Inputs.Count != 1 || (y is not null && Description.Outputs.Count != 1))
        {
            throw new ArgumentException(
                $"This overload takes one input and one target array, but the model has {Description.Inputs.Count} inputs " +
                $"({NameList(Description.Inputs)}) and {Description.Outputs.Count} outputs ({OutputList()}); " +
                "pass arrays by position (float[][]) or by name (a dictionary).", xName);
        }

        return ([x], [y]);
    }

    /// <summary>
    /// Arrays of other element types and ranks as the flat float arrays the model reads: <c>int[]</c> ids (exact up to
    /// 2²⁴, as float32 holds them), <c>double[]</c>, and rectangular arrays (<c>float[,]</c>, <c>int[,,]</c>, …) whose
    /// first axis is the samples and whose other axes must be the tensor's shape (an axis given at run time takes any
    /// length). A <c>float[]</c> is used as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The element type is not float, int or double, an axis does not match, or an id
    /// is too large for float32.</exception>
    private static float[]? Flatten(Array? array, TensorInfo info, string what, string parameterName)
    {
        switch (array)
        {
            case null:
                return null;
            case float[] values:
                return values;
        }

        var element = array.GetType().GetElementType();
        if (element != typeof(float) && element != typeof(int) && element != typeof(double))
        {
            throw new ArgumentException($"The array for {what} holds {element?.Name}; give float, int or double values.", parameterName);
        }

        if (array.Rank > 1)
        {
            var shape = info.Shape;
            bool fits = array.Rank - 1 == shape.Count;
            for (int d = 1; fits && d < array.Rank; d++)
            {
                fits = shape[d - 1] < 0 || shape[d - 1] == array.GetLength(d);
            }

            if (!fits)
            {
                var given = new int[array.Rank];
                for (int d = 0; d < given.Length; d++)
                {
                    given[d] = array.GetLength(d);
                }

                throw new ArgumentException(
                    $"The array for {what} has shape ({string.Join(", ", given)}), but {what} takes samples of shape {info.KerasShape}.", parameterName);
            }
        }

        var flat = new float[array.Length];
        if (element == typeof(float))
        {
            Buffer.BlockCopy(array, 0, flat, 0, array.Length * sizeof(float));
            return flat;
        }

        if (element == typeof(int))
        {
            var ints = new int[array.Length];
            Buffer.BlockCopy(array, 0, ints, 0, array.Length * sizeof(int));
            for (int i = 0; i < ints.Length; i++)
            {
                if (Math.Abs((long)ints[i]) > (1 << 24))
                {
                    throw new ArgumentException($"The array for {what} holds {ints[i]} at {i}; float32 holds integers exactly only up to 16,777,216.",
                        parameterName);
                }

                flat[i] = ints[i];
            }

            return flat;
        }

        var doubles = new double[array.Length];
        Buffer.BlockCopy(array, 0, doubles, 0, array.Length * sizeof(double));
        for (int i = 0; i < doubles.Length; i++)
        {
            flat[i] = (float)doubles[i];
        }

        return flat;
    }

    /// <summary>Inputs of any supported array type by position (<see cref="Flatten"/>).</summary>
    private float[][] InputsOfAnyType(Array[] x, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(x, parameterName);
        var inputs = new float[x.Length][];
        for (int i = 0; i < x.Length && i < Description.Inputs.Count; i++)
        {
            inputs[i] = Flatten(x[i], Description.Inputs[i], $"input '{Description.Inputs[i].Name}'", parameterName)!;
        }

        return InputsByPosition(inputs, parameterName);
    }

    /// <summary>Targets of any supported array type by position (null for an output without a loss).</summary>
    private float[]?[] TargetsOfAnyType(Array?[] y, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(y, parameterName);
        var targets = new float[]?[y.Length];
        for (int j = 0; j < y.Length && j < Description.Outputs.Count; j++)
        {
            targets[j] = Flatten(y[j], Description.Outputs[j], $"output '{Description.Outputs[j].Name}'", parameterName);
        }

        return TargetsByPosition(targets!, parameterName);
    }

    /// <summary>Checks that there is one array per input, in the model's order.</summary>
    private float[][] InputsByPosition(float[][] x, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(x, parameterName);
        if (x.Length != Description.Inputs.Count)
        {
            throw new ArgumentException(
                $"{x.Length} input arrays were given but the model has {Description.Inputs.Count} inputs: {NameList(Description.Inputs)}.",
                parameterName);
        }

        return x;
    }

    /// <summary>Checks that there is one array per output, in the model's order.</summary>
    private float[]?[] TargetsByPosition(float[][] y, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(y, parameterName);
        if (y.Length != Description.Outputs.Count)
        {
            throw new ArgumentException(
                $"{y.Length} target arrays were given but the model has {Description.Outputs.Count} outputs: {OutputList()}.",
                parameterName);
        }

        return y;
    }

    /// <summary>Orders inputs given by name; every input must be named, and nothing else.</summary>
    private float[][] InputsByName(IReadOnlyDictionary<string, float[]> x, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(x, parameterName);
        var inputs = new float[Description.Inputs.Count][];
        foreach (var (name, values) in x)
        {
            int i = Description.IndexOfInput(name);
            if (i < 0)
            {
                throw new ArgumentException(
                    $"The model has no input named '{name}'. Its inputs are {NameList(Description.Inputs)}.", parameterName);
            }

            inputs[i] = values;
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null)
            {
                throw new ArgumentException(
                    $"No array was given for input '{Description.Inputs[i].Name}'. The model's inputs are {NameList(Description.Inputs)}.",
                    parameterName);
            }
        }

        return inputs;
    }

    /// <summary>Orders targets given by name; unknown names throw, missing ones are caught by <see cref="ValidateData"/>.</summary>
    private float[]?[] TargetsByName(IReadOnlyDictionary<string, float[]> y, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(y, parameterName);
        var targets = new float[]?[Description.Outputs.Count];
        foreach (var (name, values) in y)
        {
            targets[OutputIndex(name, parameterName)] = values;
        }

        return targets;
    }

    /// <summary>
    /// Validates flat row-major arrays and returns the number of samples: each array must hold a whole number of
    /// samples, all the same number; every output with a loss needs targets (the output's size per sample, or one
    /// class index per row for a sparse loss, each a valid class). Runs before any work, so a bad argument never
    /// leaves a model half-trained.
    /// </summary>
    private int ValidateData(float[][] inputs, float[]?[]? targets, CompiledTraining? compiled, string xName, string yName)
    {
        int samples = -1;
        string reference = string.Empty;
        for (int i = 0; i < inputs.Length; i++)
        {
            TensorInfo info = Description.Inputs[i];
            float[] values = inputs[i] ?? throw new ArgumentException($"The array for input '{info.Name}' is null.", xName);
            Check(values.Length, _layout.InputSize(i), $"input '{info.Name}'", xName);
        }

        if (targets is not null && compiled is not null)
        {
            for (int j = 0; j < targets.Length; j++)
            {
                Loss? loss = compiled.Losses[j];
                if (loss is null)
                {
                    continue;
                }

                string name = compiled.OutputNames[j];
                float[] values = targets[j] ?? throw new ArgumentException(
                    $"No target was given for output '{name}', which has a loss ({loss.Name}). The model's outputs are {OutputList()}.",
                    yName);
                Check(values.Length, compiled.TargetSizes[j], $"the target of output '{name}' ({loss.Name})", yName);
                if (loss.IsSparse)
                {
                    SparseCategoricalCrossentropy.ValidateLabels(values, compiled.Columns[j], compiled.RowsPerSample[j], 0, name, yName);
                }
            }
        }

        return samples;

        void Check(int length, int perSample, string what, string parameterName)
        {
            if (perSample == 0 || length % perSample != 0)
            {
                throw new ArgumentException(
                    $"{Capitalize(what)} expects {perSample} values per sample, but its array holds {length} values, " +
                    "which is not a whole number of samples.", parameterName);
            }

            int count = length / perSample;
            if (samples < 0)
            {
                samples = count;
                reference = what;
            }
            else if (count != samples)
            {
                throw new ArgumentException(
                    $"{Capitalize(what)} holds {count} samples ({length} values of {perSample}) but {reference} holds {samples}; " +
                    "every input and target must hold the same number of samples.", parameterName);
            }
        }
    }

    /// <summary>
    /// The run-time lengths for a call on whole arrays: those given, or, as Keras reads them from the arrays' shapes,
    /// worked out from the sizes. The number of samples comes from an input or target whose size per sample is fixed;
    /// each length is then what is left of its input's size. Checked later by <see cref="UseLengths"/>.
    /// </summary>
    private int[] ResolveLengths(float[][] inputs, float[]?[]? targets, CompiledTraining? compiled, int[]? lengths)
    {
        if (lengths is not null || !Description.IsDynamic)
        {
            return lengths ?? [];
        }

        long samples = -1;
        string source = string.Empty;
        for (int i = 0; i < inputs.Length && samples < 0; i++)
        {
            TensorInfo info = Description.Inputs[i];
            if (info.IsStatic && inputs[i] is { Length: > 0 } values && values.Length % info.Size == 0)
            {
                (samples, source) = (values.Length / info.Size, $"input '{info.Name}'");
            }
        }

        for (int j = 0; targets is not null && compiled is not null && j < targets.Length && samples < 0; j++)
        {
            TensorInfo info = Description.Outputs[j];
            Loss? loss = compiled.Losses[j];
            int perSample = loss is { IsSparse: true } ? info.Size / Math.Max(compiled.Columns[j], 1) : info.Size;
            if (loss is not null && info.IsStatic && targets[j] is { Length: > 0 } values && values.Length % perSample == 0)
            {
                (samples, source) = (values.Length / perSample, $"the target of output '{info.Name}'");
            }
        }

        if (samples <= 0)
        {
            throw new ArgumentException(
                $"The run-time lengths of model '{Description.Name}' ({LengthList()}) cannot be worked out from the arrays, since no input " +
                "or target has a fixed size per sample. Pass them: lengths: [" + LengthList() + "].", nameof(lengths));
        }

        var result = new int[Description.Lengths.Count];
        for (int k = 0; k < result.Length; k++)
        {
            LengthInfo length = Description.Lengths[k];
            TensorInfo info = Description.Inputs[length.Input];
            long fixedSize = 1;
            int unknown = 0;
            foreach (int d in info.Shape)
            {
                if (d < 0)
                {
                    unknown++;
                }
                else
                {
                    fixedSize *= d;
                }
            }

            int total = inputs[length.Input]?.Length ?? 0;
            if (unknown > 1 || fixedSize == 0 || total % (samples * fixedSize) != 0 || total == 0)
            {
                throw new ArgumentException(
                    unknown > 1
                        ? $"Input '{info.Name}' has shape {info.KerasShape}, with {unknown} run-time lengths, so they cannot be worked out " +
                          $"from its array. Pass them: lengths: [{LengthList()}]."
                        : $"Input '{info.Name}' (shape {info.KerasShape}) holds {total} values, which is not {samples} samples (as in {source}) " +
                          $"of {fixedSize} values times a whole length '{length.Name}'.",
                    nameof(lengths));
            }

            result[k] = (int)Math.Min(int.MaxValue, total / (samples * fixedSize));
        }

        return result;
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>Copies samples <paramref name="start"/>.. of every input into the workspace, in order.</summary>
    private void LoadInputs(Workspace workspace, float[][] inputs, int start, int count)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            int size = _layout.InputSize(i);
            inputs[i].AsSpan(start * size, count * size).CopyTo(workspace.Values(_layout.InputOffset(i), count * size));
        }
    }
}
