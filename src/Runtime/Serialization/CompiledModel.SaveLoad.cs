using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Unrolled.Serialization;

namespace Unrolled;

public abstract partial class CompiledModel
{
    private ulong? _restoredRandomState;
    private bool _weightLayoutChecked;

    /// <summary>
    /// Saves the weights, as Keras's <c>model.save_weights(path)</c>, in Unrolled's versioned binary format
    /// (docs/weights-format.md), and with <paramref name="includeOptimizer"/> the optimizer's state too, so that training
    /// can resume exactly where it stopped. The file is replaced atomically: the data goes to a temporary file in the same
    /// directory, is flushed to disk, and is renamed over <paramref name="path"/>, so a failed or interrupted save leaves
    /// the previous file as it was.
    /// </summary>
    /// <remarks>
    /// The temporary file is named <c>.NAME.GUID.unrolled-tmp</c> beside <c>NAME</c>. A process killed mid-save leaves
    /// it behind; the next save (or successful <see cref="LoadWeights(string, bool?)"/>) of the same file removes such
    /// leftovers of that file only: files named exactly so for this target, regular files (not links or directories),
    /// last written over a minute ago and not held open by a writer (a save in progress holds its temporary exclusively:
    /// a share mode on Windows, a <c>flock</c> on Unix). Other files in the directory are never touched. Cleaning is best
    /// effort: a leftover it cannot remove is skipped, and never makes the save fail.
    /// </remarks>
    /// <param name="path">The file to write (conventionally <c>*.unrw</c>); replaced if it exists.</param>
    /// <param name="includeOptimizer">Also save the optimizer's state: its iterations, learning rate, hyper-parameters
    /// and per-weight buffers (momenta, velocities), and the training steps' random sequence (Dropout's masks). Needs a
    /// compiled model.</param>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="includeOptimizer"/> is true but the model is not
    /// compiled, or another call is running on this instance.</exception>
    /// <exception cref="IOException">The file could not be written (the path is a directory, the disk is full, …); the
    /// previous file is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public void SaveWeights(string path, bool includeOptimizer = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Enter();
        try
        {
            var optimizer = SnapshotOptimizer(includeOptimizer);
            CheckWeightLayout();
            AtomicFile.Write(path, stream => WeightsWriter.Write(stream, Description, _weights, optimizer));
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Writes the weights (and with <paramref name="includeOptimizer"/> the optimizer's state) to a stream, from its
    /// current position, in the format of <see cref="SaveWeights(string, bool)"/>. The stream need not be seekable; it is
    /// flushed, not closed. A stream cannot be replaced atomically: if it fails part-way, what it holds is incomplete (and
    /// a load reports it as truncated).
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="includeOptimizer">Also save the optimizer's state; needs a compiled model.</param>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="includeOptimizer"/> is true but the model is not
    /// compiled, or another call is running on this instance.</exception>
    /// <exception cref="IOException">The stream failed.</exception>
    public void SaveWeights(Stream stream, bool includeOptimizer = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        Enter();
        try
        {
            var optimizer = SnapshotOptimizer(includeOptimizer);
            CheckWeightLayout();
            WeightsWriter.Write(stream, Description, _weights, optimizer);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Loads weights saved by <see cref="SaveWeights(string, bool)"/>, as Keras's <c>model.load_weights(path)</c>.
    /// Tensors are matched by layer and weight name (<c>dense_1/kernel</c>), so the file must come from a model with the
    /// same weights: every tensor present, with the same shape, and no other. Loading is all-or-nothing: the whole file is
    /// read and checked (format version, every length, both checksums, every tensor against the model, the optimizer)
    /// before anything changes, so on any exception the weights and the optimizer's state are as they were.
    /// </summary>
    /// <remarks>
    /// To resume training, compile the model first (with the same optimizer type and hyper-parameters), then load a file
    /// saved with <c>includeOptimizer: true</c>: the optimizer continues with the saved iterations, learning rate and
    /// buffers, and Dropout with the saved random sequence, so the following steps are bit for bit those of an
    /// uninterrupted run.
    /// <para>A load that succeeds also removes what interrupted saves of the same file left behind, as the next
    /// <see cref="SaveWeights(string, bool)"/> would (its remarks say which files); a load that fails removes nothing.</para>
    /// </remarks>
    /// <param name="path">The file to read.</param>
    /// <param name="includeOptimizer">Whether to restore the optimizer's state from the file. <c>null</c> (the default):
    /// restore it when the file has one and the model is compiled; otherwise load only the weights. <c>true</c>: the file
    /// must hold optimizer state and the model must be compiled. <c>false</c>: load only the weights (the optimizer's
    /// section is still checked).</param>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="WeightsFileException">The file is not an Unrolled weights file, was written by a newer Unrolled,
    /// is truncated or corrupt, was saved from another model, or holds state for another optimizer;
    /// <see cref="WeightsFileException.Error"/> says which, the message names the problem.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="includeOptimizer"/> is true but the model is not
    /// compiled, or another call is running on this instance.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read, or the path is a directory.</exception>
    public void LoadWeights(string path, bool? includeOptimizer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);

        // FileShare.Delete: a save may replace the file (a rename) while it is being read, even on Windows.
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1 << 16))
        {
            LoadCore(stream, $"Weights file '{full}'", stream.Length, exactLength: true, includeOptimizer);
        }

        // Only after a load that succeeded: a failed load changes nothing, on disk either.
        AtomicFile.RemoveStaleTemporaries(full);
    }

    /// <summary>
    /// Loads weights from a stream, from its current position, as <see cref="LoadWeights(string, bool?)"/> does from a
    /// file. The stream need not be seekable; it is read up to the end of the weights file, and not closed.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="includeOptimizer">As for <see cref="LoadWeights(string, bool?)"/>.</param>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    /// <exception cref="WeightsFileException">The data is not an Unrolled weights file, was written by a newer Unrolled,
    /// is truncated or corrupt, or does not fit the model or its optimizer; nothing was changed.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="includeOptimizer"/> is true but the model is not
    /// compiled, or another call is running on this instance.</exception>
    /// <exception cref="IOException">The stream failed.</exception>
    public void LoadWeights(Stream stream, bool? includeOptimizer = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        long available = -1;
        if (stream.CanSeek)
        {
            try
            {
                available = Math.Max(0, stream.Length - stream.Position);
            }
            catch (NotSupportedException)
            {
            }
        }

        LoadCore(stream, "The weights stream", available, exactLength: false, includeOptimizer);
    }

    private void LoadCore(Stream stream, string source, long available, bool exactLength, bool? includeOptimizer)
    {
        Enter();
        try
        {
            CheckWeightLayout();
            var reader = new WeightsReader(stream, source, available, exactLength);
            WeightsHeader header = reader.ReadHeader();
            int[] targets = MatchTensors(header, source, reader);
            Optimizer? optimizer = OptimizerToRestore(header, source, includeOptimizer);

            // Everything is read into new buffers (as large as the model's, whatever the file claims) and checked
            // before the model changes.
            var weights = new float[_weights.Length];
            var buffers = new float[]?[header.Optimizer?.Buffers.Length ?? 0];
            if (optimizer is not null)
            {
                for (int b = 0; b < buffers.Length; b++)
                {
                    buffers[b] = new float[_weights.Length];
                }
            }

            reader.ReadData(header, weights, targets, buffers);

            // Commit: copies only, which cannot fail half-way.
            WeightsWritten();
            weights.CopyTo(_weights.AsSpan());
            if (optimizer is not null)
            {
                var live = optimizer.StateBuffers;
                for (int b = 0; b < buffers.Length; b++)
                {
                    buffers[b]!.CopyTo(live[b].Values.AsSpan());
                }

                var saved = header.Optimizer!;
                optimizer.Restore(saved.Iterations, saved.LearningRate);
                _restoredRandomState = saved.RandomState;
                _trainingWorkspace?.RestoreRandomState(saved.RandomState);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Where each file tensor goes in the weight buffer; throws naming every mismatch.</summary>
    private int[] MatchTensors(WeightsHeader header, string source, WeightsReader reader)
    {
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Tensors.Length; i++)
        {
            if (!byKey.TryAdd(header.Tensors[i].Key, i))
            {
                throw reader.Corrupt($"it lists tensor {header.Tensors[i].Key} twice.");
            }
        }

        string model = Description.Name;
        var targets = new int[header.Tensors.Length];
        var matched = new bool[header.Tensors.Length];
        var problems = new List<string>();
        foreach (var weight in Description.Weights)
        {
            string key = weight.Layer + "/" + weight.Name;
            if (!byKey.TryGetValue(key, out int i))
            {
                problems.Add($"{key} {WeightsFormat.Format(weight.Shape)} of model '{model}' is not in the file");
                continue;
            }

            matched[i] = true;
            var tensor = header.Tensors[i];
            if (!System.Linq.Enumerable.SequenceEqual(tensor.Shape, weight.Shape))
            {
                problems.Add($"{key} has shape {WeightsFormat.Format(tensor.Shape)} in the file but {WeightsFormat.Format(weight.Shape)} in model '{model}'");
                continue;
            }

            targets[i] = weight.Offset;
        }

        for (int i = 0; i < header.Tensors.Length; i++)
        {
            if (!matched[i])
            {
                problems.Add($"the file has {header.Tensors[i]}, which model '{model}' does not have");
            }
        }

        if (problems.Count > 0)
        {
            const int Shown = 8;
            string list = string.Join("; ", problems.GetRange(0, Math.Min(Shown, problems.Count))) +
                (problems.Count > Shown ? $"; and {problems.Count - Shown} more" : string.Empty);
            throw new WeightsFileException(WeightsFileError.ModelMismatch,
                $"{source} was saved from model '{header.ModelName}' and does not fit model '{model}': {list}. " +
                "Nothing was loaded.");
        }

        return targets;
    }

    /// <summary>The compiled optimizer whose state the file restores, or null; throws when it cannot.</summary>
    private Optimizer? OptimizerToRestore(WeightsHeader header, string source, bool? includeOptimizer)
    {
        var saved = header.Optimizer;
        if (includeOptimizer == false)
        {
            return null;
        }

        if (saved is null)
        {
            return includeOptimizer == true
                ? throw new WeightsFileException(WeightsFileError.OptimizerMismatch,
                    $"{source} holds no optimizer state (it was saved without includeOptimizer: true), but includeOptimizer is true. " +
                    "Nothing was loaded.")
                : null;
        }

        var compiled = _compiled;
        if (compiled is null)
        {
            return includeOptimizer == true
                ? throw new InvalidOperationException(
                    $"{source} holds the state of a {saved.Name} optimizer, but this {GetType().Name} is not compiled. Compile it " +
                    $"with {saved.Name} before loading to resume training, or pass includeOptimizer: false to load only the weights.")
                : null;
        }

        var optimizer = compiled.Optimizer;
        string advice = $"Compile the model with {saved.Name}({Describe(saved.Hyperparameters)}) to resume training, or pass " +
            "includeOptimizer: false to load only the weights. Nothing was loaded.";
        if (optimizer.Name != saved.Name)
        {
            throw new WeightsFileException(WeightsFileError.OptimizerMismatch,
                $"{source} holds the state of a {saved.Name} optimizer, but model '{Description.Name}' is compiled with " +
                $"{optimizer.Name}. {advice}");
        }

        var differences = new List<string>();
        var ours = optimizer.Hyperparameters;
        foreach (var (name, value) in saved.Hyperparameters)
        {
            int k = Array.FindIndex(ours, p => p.Name == name);
            if (k < 0)
            {
                differences.Add($"the file's {saved.Name} has {name} = {Format(name, value)}, which this {optimizer.Name} does not know");
            }
            else if (ours[k].Value != value)
            {
                differences.Add($"{name} is {Format(name, value)} in the file but {Format(name, ours[k].Value)} in the model's optimizer");
            }
        }

        foreach (var (name, value) in ours)
        {
            if (Array.FindIndex(saved.Hyperparameters, p => p.Name == name) < 0)
            {
                differences.Add($"the file does not record {name} (the model's optimizer has {Format(name, value)})");
            }
        }

        var live = optimizer.StateBuffers;
        if (differences.Count == 0 && !BufferNamesEqual(live, saved.Buffers))
        {
            differences.Add($"the file holds the buffers [{string.Join(", ", Array.ConvertAll(saved.Buffers, b => b.Name))}] but the " +
                $"model's optimizer has [{string.Join(", ", Array.ConvertAll(live, b => b.Name))}]");
        }

        if (differences.Count > 0)
        {
            throw new WeightsFileException(WeightsFileError.OptimizerMismatch,
                $"{source} holds the state of a {saved.Name} optimizer with other hyper-parameters than model '{Description.Name}''s: " +
                $"{string.Join("; ", differences)}. {advice}");
        }

        return optimizer;
    }

    private static bool BufferNamesEqual((string Name, float[] Values)[] live, (string Name, long Offset)[] saved)
    {
        if (live.Length != saved.Length)
        {
            return false;
        }

        for (int b = 0; b < live.Length; b++)
        {
            if (live[b].Name != saved[b].Name)
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe((string Name, double Value)[] hyperparameters)
        => string.Join(", ", Array.ConvertAll(hyperparameters, p => $"{p.Name}: {Format(p.Name, p.Value)}"));

    private static string Format(string name, double value)
        => name is "nesterov" or "centered" or "amsgrad"
            ? (value != 0 ? "true" : "false")
            : ((float)value).ToString(CultureInfo.InvariantCulture);

    private OptimizerSnapshot? SnapshotOptimizer(bool includeOptimizer)
    {
        if (!includeOptimizer)
        {
            return null;
        }

        var compiled = _compiled ?? throw new InvalidOperationException(
            $"This {GetType().Name} is not compiled, so it has no optimizer state to save. Compile it (and train), or save " +
            "with includeOptimizer: false.");
        return new OptimizerSnapshot(compiled.Optimizer, _trainingWorkspace?.RandomState ?? _restoredRandomState ?? _randomSeed);
    }

    /// <summary>A file names each weight tensor, so the described tensors must tile the weight buffer exactly.</summary>
    private void CheckWeightLayout()
    {
        if (_weightLayoutChecked)
        {
            return;
        }

        var weights = new List<WeightInfo>(Description.Weights);
        weights.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        long next = 0;
        foreach (var weight in weights)
        {
            if (weight.Offset != next)
            {
                throw new InvalidOperationException(
                    $"Model '{Description.Name}' describes its weight {weight} at offset {weight.Offset}, but the tensors before it end at " +
                    $"{next}: its weight tensors do not tile its {Description.ParameterCount} parameters, so they cannot be saved by name.");
            }

            next += weight.Size;
        }

        if (next != Description.ParameterCount)
        {
            throw new InvalidOperationException(
                $"Model '{Description.Name}' describes weight tensors holding {next} of its {Description.ParameterCount} parameters, " +
                "so its weights cannot be saved or loaded by name.");
        }

        _weightLayoutChecked = true;
    }
}
