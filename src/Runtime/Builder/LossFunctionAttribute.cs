using System;

namespace Unrolled;

/// <summary>
/// Marks a static method of a model's class as a custom loss, Keras's <c>def my_loss(y_true, y_pred)</c>: the method
/// takes <c>(Tensor yTrue, Tensor yPred)</c> and returns the loss of each sample (or of each step, or element) written
/// with tensor operations (<c>+ - * /</c> and <see cref="Ops"/>). The generator evaluates it at compile time on each
/// output's shape, differentiates it like a Lambda's function and adds it to the class's generated <c>Losses</c>:
/// <c>model.Compile("adam", loss: Classifier.Losses.AsymmetricError)</c>.
/// </summary>
/// <remarks>
/// <para>As in Keras, what the method returns is reduced by the mean over every element and sample
/// (<c>sum_over_batch_size</c>); sample weights and a sequence output's mask weigh each sample (or each step, when the
/// method returns one value per step: reduce the last axis only, as <c>Ops.Mean(…, axis: -1)</c>).</para>
/// <para>The targets have the output's shape. The method runs only at compile time: calling it throws.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class LossFunctionAttribute : Attribute
{
}
