using System.Collections.Generic;
using System.IO;

namespace Unrolled;

/// <summary>
/// The callbacks of one <c>Fit</c>, <c>Evaluate</c> or <c>Predict</c>, called in order. Each call hands the model's guard to the
/// callbacks and takes it back after them, so that they may use the model (<see cref="Callback"/>).
/// </summary>
internal sealed class CallbackList
{
    private readonly Callback[] _callbacks;
    private readonly CompiledModel _model;

    public CallbackList(CompiledModel model, IReadOnlyList<Callback>? callbacks, TextWriter output)
    {
        _model = model;
        var list = new List<Callback>();
        if (callbacks is not null)
        {
            for (int i = 0; i < callbacks.Count; i++)
            {
                var callback = callbacks[i] ?? throw new System.ArgumentException($"Callback {i} is null.", nameof(callbacks));
                callback.Bind(model, output);
                list.Add(callback);
            }
        }

        _callbacks = list.ToArray();
    }

    public bool IsEmpty => _callbacks.Length == 0;

    public void SetParameters(TrainingParameters parameters)
    {
        foreach (var c in _callbacks)
        {
            c.SetParameters(parameters);
        }
    }

    public IReadOnlyList<Callback> Items => _callbacks;

    public void TrainBegin(Logs logs) => Run(0, logs, static (c, _, l) => c.OnTrainBegin(l));

    public void TrainEnd(Logs logs) => Run(0, logs, static (c, _, l) => c.OnTrainEnd(l));

    public void EpochBegin(int epoch, Logs logs) => Run(epoch, logs, static (c, e, l) => c.OnEpochBegin(e, l));

    public void EpochEnd(int epoch, Logs logs) => Run(epoch, logs, static (c, e, l) => c.OnEpochEnd(e, l));

    public void TrainBatchBegin(int batch, Logs logs) => Run(batch, logs, static (c, b, l) => c.OnTrainBatchBegin(b, l));

    public void TrainBatchEnd(int batch, Logs logs) => Run(batch, logs, static (c, b, l) => c.OnTrainBatchEnd(b, l));

    public void TestBegin(Logs logs) => Run(0, logs, static (c, _, l) => c.OnTestBegin(l));

    public void TestEnd(Logs logs) => Run(0, logs, static (c, _, l) => c.OnTestEnd(l));

    public void TestBatchBegin(int batch, Logs logs) => Run(batch, logs, static (c, b, l) => c.OnTestBatchBegin(b, l));

    public void TestBatchEnd(int batch, Logs logs) => Run(batch, logs, static (c, b, l) => c.OnTestBatchEnd(b, l));

    public void PredictBegin(Logs logs) => Run(0, logs, static (c, _, l) => c.OnPredictBegin(l));

    public void PredictEnd(Logs logs) => Run(0, logs, static (c, _, l) => c.OnPredictEnd(l));

    public void PredictBatchBegin(int batch, Logs logs) => Run(batch, logs, static (c, b, l) => c.OnPredictBatchBegin(b, l));

    public void PredictBatchEnd(int batch, Logs logs) => Run(batch, logs, static (c, b, l) => c.OnPredictBatchEnd(b, l));

    /// <summary>Calls one hook of every callback in order, with the model handed to them (the static hooks allocate nothing).</summary>
    private void Run(int index, Logs logs, System.Action<Callback, int, Logs> hook)
    {
        if (!Enter())
        {
            return;
        }

        try
        {
            foreach (var c in _callbacks)
            {
                hook(c, index, logs);
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Hands the model to the callbacks; false (nothing to do) when there are none.</summary>
    private bool Enter()
    {
        if (_callbacks.Length == 0)
        {
            return false;
        }

        _model.LeaveForCallbacks();
        return true;
    }

    private void Leave() => _model.ReturnFromCallbacks();
}
