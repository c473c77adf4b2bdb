namespace Unrolled;

/// <summary>
/// Keras's <c>SwapEMAWeights</c>: evaluates (and predicts) with the optimizer's exponential moving average of the
/// weights (Polyak averaging) instead of the weights being trained, swapping them in place before each evaluation and
/// back after it. Needs an optimizer with <see cref="Optimizer.UseEma"/>. With <c>swapOnEpoch</c>, the average is also in
/// the model from the end of each epoch to the start of the next, so later callbacks (<see cref="ModelCheckpoint"/>) see
/// it; list this callback before them.
/// </summary>
/// <remarks>Keras's <c>on_predict_end</c> never swaps back (its condition is inverted); here a prediction ends with the
/// trained weights back in the model, as an evaluation does. As in Keras, with <c>swapOnEpoch</c> a run stopped before its
/// last epoch (<see cref="EarlyStopping"/>) ends with the trained weights rather than their average.</remarks>
public sealed class SwapEMAWeights : Callback
{
    private bool _averageInModel;

    /// <summary>Creates the callback.</summary>
    /// <param name="swapOnEpoch">Also swap the average in at each epoch's end and out at the next epoch's start.</param>
    public SwapEMAWeights(bool swapOnEpoch = false) => SwapOnEpoch = swapOnEpoch;

    /// <summary>Whether the average is in the model between epochs.</summary>
    public bool SwapOnEpoch { get; }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, Logs logs)
    {
        if (SwapOnEpoch && _averageInModel)
        {
            Swap(false);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, Logs logs)
    {
        if (SwapOnEpoch && !_averageInModel)
        {
            Swap(true);

            // Fit ends by putting the average into the weights; after the last epoch the average must be what the
            // model now holds, not the trained weights swapped into it.
            if (Parameters is { } parameters && epoch == parameters.Epochs - 1)
            {
                RequireModel().EmaFromWeights();
            }
        }
    }

    /// <inheritdoc/>
    public override void OnTestBegin(Logs logs) => SwapIn();

    /// <inheritdoc/>
    public override void OnTestEnd(Logs logs) => SwapOut();

    /// <inheritdoc/>
    public override void OnPredictBegin(Logs logs) => SwapIn();

    /// <inheritdoc/>
    public override void OnPredictEnd(Logs logs) => SwapOut();

    private void SwapIn()
    {
        if (!_averageInModel)
        {
            Swap(true);
        }
    }

    private void SwapOut()
    {
        if (_averageInModel)
        {
            Swap(false);
        }
    }

    private void Swap(bool averageIn)
    {
        RequireModel().SwapEmaWeights();
        _averageInModel = averageIn;
    }
}
