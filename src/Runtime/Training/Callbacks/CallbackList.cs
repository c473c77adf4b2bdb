using System.Collections.Generic;
using System.IO;

namespace Unrolled;

/// <summary>
/// The callbacks of one <c>Fit</c> or <c>Evaluate</c>, called in order. Each call hands the model's guard to the
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

    public void TrainBegin(Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnTrainBegin(logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void TrainEnd(Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnTrainEnd(logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void EpochBegin(int epoch, Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnEpochBegin(epoch, logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void EpochEnd(int epoch, Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnEpochEnd(epoch, logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void TrainBatchBegin(int batch, Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnTrainBatchBegin(batch, logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void TrainBatchEnd(int batch, Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnTrainBatchEnd(batch, logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void TestBegin(Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnTestBegin(logs);
                }
            }
            finally
            {
                Leave();
            }
        }
    }

    public void TestEnd(Logs logs)
    {
        if (Enter())
        {
            try
            {
                foreach (var c in _callbacks)
                {
                    c.OnTestEnd(logs);
                }
            }
            finally
            {
                Leave();
            }
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
