using System.Linq;
using System.Threading.Tasks;
using Unrolled.Generator.Tests.Infrastructure;
using Xunit;

namespace Unrolled.Generator.Tests;

/// <summary>
/// Each diagnostic, with span markup saying exactly where the squiggle goes. Every case also checks that the
/// generator stays quiet and emits nothing for the invalid model (and never throws).
/// </summary>
public class DiagnosticTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "Add of different shapes", Sources.Builder("""
            var a = Input([4]);
            var b = Input([5]);
            var s = Add([a, {|UNR0001:b|}]);
            return new Model([a, b], s);
            """) },
        { "Concatenate differing off the axis", Sources.Builder("""
            var a = Input([2, 3]);
            var b = Input([4, 3]);
            var s = Concatenate(axis: -1)(a, {|UNR0001:b|});
            return new Model([a, b], s);
            """) },
        { "Shared Dense on another width", Sources.Builder("""
            var a = Input([4]);
            var b = Input([5]);
            var shared = Dense(8);
            var y = Add([shared(a), shared({|UNR0016:b|})]);
            return new Model([a, b], y);
            """) },
        { "Output needs an unlisted input", Sources.Builder("""
            var a = Input([4]);
            var b = Input([4], name: "b");
            var y = Add([a, b]);
            return new Model(a, {|UNR0002:y|});
            """) },
        { "Duplicate layer name", Sources.Builder("""
            var a = Input([4]);
            var x = Dense(4, name: "d")(a);
            var y = Dense(4, name: {|UNR0003:"d"|})(x);
            return new Model(a, y);
            """) },
        { "Non-constant units", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense({|UNR0004:width|})(a));
            """, "static int width = 3;") },
        { "Runtime-only property as argument", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense({|UNR0004:Environment.ProcessorCount|})(a));
            """) },
        { "Console call in a builder", Sources.Builder("""
            var a = Input([4]);
            {|UNR0005:Console.WriteLine("building")|};
            return new Model(a, Dense(2)(a));
            """) },
        { "try statement", Sources.Builder("""
            var a = Input([4]);
            {|UNR0005:try { } finally { }|}
            return new Model(a, Dense(2)(a));
            """) },
        { "Delegate call as an argument", Sources.Builder("""
            var a = Input([4]);
            Func<int> f = () => 1;
            return new Model(a, Dense({|UNR0004:f()|})(a));
            """) },
        { "Lambda output shape disagrees", Sources.Builder("""
            var a = Input([4]);
            var b = Input([4]);
            var d = Lambda((Tensor[] v) => Ops.Sum(v[0] * v[1], axis: -1, keepDims: true), outputShape: {|UNR0001:s => [2]|})([a, b]);
            return new Model([a, b], d);
            """) },
        { "Dense on a run-time last axis", Sources.Builder("""
            var a = Input([4, null]);
            return new Model(a, Dense(2)({|UNR0001:a|}));
            """) },
        { "Add of two inputs' run-time lengths", Sources.Builder("""
            var a = Input([null, 3]);
            var b = Input([null, 3]);
            return new Model([a, b], Add([a, {|UNR0001:b|}]));
            """) },
        { "Run-time length against a fixed size", Sources.Builder("""
            var a = Input([null, 3]);
            var b = Input([5, 3]);
            return new Model([a, b], {|UNR0001:a * b|});
            """) },
        { "Dot over a run-time axis", Sources.Builder("""
            var a = Input([2, null]);
            var b = Input([2, null]);
            return new Model([a, b], Dot([a, {|UNR0001:b|}], axes: -1));
            """) },
        { "Units from a run-time axis", Sources.Builder("""
            var a = Input([null, 3]);
            return new Model(a, Dense({|UNR0004:a.Shape[0]|})(a));
            """) },
        { "Taking one tensor apart", Sources.Builder("""
            var a = Input([5, 3]);
            var (o, h) = {|UNR0009:LSTM(4)(a)|};
            return new Model(a, h);
            """) },
        { "Conv2D on a vector", Sources.Builder("""
            var a = Input([16]);
            return new Model(a, Conv2D(4, 3)({|UNR0001:a|}));
            """) },
        { "Window larger than the image", Sources.Builder("""
            var a = Input([2, 2, 1]);
            return new Model(a, Conv2D(4, 3)({|UNR0001:a|}));
            """) },
        { "Float ids into an Embedding", Sources.Builder("""
            var a = Input([5]);
            return new Model(a, Embedding(10, 4)({|UNR0008:a|}));
            """) },
        { "Reshape that changes the size", Sources.Builder("""
            var a = Input([16]);
            return new Model(a, Reshape([3, 5])({|UNR0001:a|}));
            """) },
        { "Dropout rate of one", Sources.Builder("""
            var a = Input([16]);
            return new Model(a, Dropout({|UNR0009:1.0|})(a));
            """) },
        { "A tensor past 2^31 values", Sources.Builder("""
            var a = {|UNR0009:Input([46341, 46341])|};
            return new Model(a, Dense(1)(a));
            """) },
        { "An embedding past 2^31 weights", Sources.Builder("""
            var a = Input([4], DType.Int32);
            return new Model(a, {|UNR0009:Embedding(1 << 30, 4)(a)|});
            """) },
        { "LayerNormalization over the batch axis", Sources.Builder("""
            var a = Input([8, 4]);
            return new Model(a, {|UNR0009:LayerNormalization(axis: 0)|}(a));
            """) },
        { "LayerNormalization over an axis the input does not have", Sources.Builder("""
            var a = Input([8, 4]);
            return new Model(a, {|UNR0009:LayerNormalization(axis: -3)|}(a));
            """) },
        { "LayerNormalization over axes that are not adjacent", Sources.Builder("""
            var a = Input([2, 3, 4]);
            return new Model(a, {|UNR0009:LayerNormalization(axis: [1, 3])|}(a));
            """) },
        { "LayerNormalization over an axis listed twice", Sources.Builder("""
            var a = Input([2, 3, 4]);
            return new Model(a, {|UNR0009:LayerNormalization(axis: [2, -2])|}(a));
            """) },
        { "LayerNormalization over a run-time length", Sources.Builder("""
            var a = Input([null, 4]);
            return new Model(a, LayerNormalization(axis: 1)({|UNR0001:a|}));
            """) },
        { "LayerNormalization with a zero epsilon", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, LayerNormalization(epsilon: {|UNR0009:0.0|})(a));
            """) },
        { "LayerNormalization of integers", Sources.Builder("""
            var a = Input([4], DType.Int32);
            return new Model(a, LayerNormalization()({|UNR0008:a|}));
            """) },
        { "Padding out of range", Sources.Builder("""
            var a = Input([8, 8, 1]);
            return new Model(a, Conv2D(2, 3, padding: {|UNR0009:(Padding)7|})(a));
            """) },
        { "Broadcast impossible", Sources.Builder("""
            var a = Input([4]);
            var b = Input([3]);
            return new Model([a, b], {|UNR0001:a - b|});
            """) },
        { "Reducing the batch axis", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, {|UNR0009:Ops.Sum(a, axis: 0)|});
            """) },
        { "Wrong return", Sources.Builder("""
            var a = Input([4]);
            Model? m = null;
            return m!;
            """).Replace("static Model Build()", "static Model {|UNR0007:Build|}()") },
        { "Empty model", Sources.Builder("""
            return {|UNR0007:new Model(new Tensor[0], new Tensor[0])|};
            """) },
        { "Int input into Dense", Sources.Builder("""
            var ids = Input([5], DType.Int32);
            return new Model(ids, Dense(3)({|UNR0008:ids|}));
            """) },
        { "Zero units", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense({|UNR0009:0|})(a));
            """) },
        { "Axis out of range", Sources.Builder("""
            var a = Input([4]);
            var b = Input([4]);
            return new Model([a, b], {|UNR0009:Concatenate([a, b], axis: 3)|});
            """) },
        { "Zero dimension", Sources.Builder("""
            var a = Input([4, {|UNR0009:0|}]);
            return new Model(a, Dense(3)(a));
            """) },
        { "Unused input", Sources.Builder("""
            var a = Input([4]);
            var b = Input([4]);
            return new Model([a, {|UNR0010:b|}], Dense(2)(a));
            """) },
        { "Input listed twice", Sources.Builder("""
            var a = Input([4]);
            return new Model([a, {|UNR0011:a|}], Dense(2)(a));
            """) },
        { "Endless loop", Sources.Builder("""
            var a = Input([4]);
            int i = 0;
            while (i >= 0) { i = i + 1; }
            return new Model(a, Dense(2)(a));
            """).Replace("static Model Build()", "static Model {|UNR0012:Build|}()") },
        { "Output listed twice", Sources.Builder("""
            var a = Input([4]);
            var y = Dense(2)(a);
            return new Model(a, [y, {|UNR0011:y|}]);
            """) },
        { "Dot over axes of different lengths", Sources.Builder("""
            var a = Input([5]);
            var b = Input([4, 5]);
            return new Model([a, b], Dot(axes: [1, 1])(a, {|UNR0001:b|}));
            """) },
        { "Dot over the batch axis", Sources.Builder("""
            var a = Input([5]);
            var b = Input([4, 5]);
            return new Model([a, b], {|UNR0009:Dot(axes: [0, 2])|}(a, b));
            """) },
        { "Dot over an axis beyond the input", Sources.Builder("""
            var a = Input([5]);
            var b = Input([4, 5]);
            return new Model([a, b], {|UNR0009:Dot(axes: [1, 3])|}(a, b));
            """) },
        { "Attention with an unknown score mode", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Attention(scoreMode: {|UNR0009:"general"|})([a, a]));
            """) },
        { "Attention with a dropout of 1.5", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Attention(dropout: {|UNR0009:1.5|})([a, a]));
            """) },
        { "Attention with a causal mask known only at run time", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Attention()([a, a], useCausalMask: {|UNR0004:Environment.ProcessorCount > 2|}));
            """) },
        { "A negative regularizer", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2, kernelRegularizer: {|UNR0009:Regularizers.L2(-0.1)|})(a));
            """) },
        { "An initialiser Keras does not have", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2, kernelInitializer: {|UNR0009:"he_gaussian"|})(a));
            """) },
        { "A layer frozen or not at run time", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2, trainable: {|UNR0004:Environment.ProcessorCount > 2|})(a));
            """) },
        { "A model frozen or not at run time", Sources.Builder("""
            var a = Input([4]);
            var inner = new Model(a, Dense(2)(a));
            {|UNR0004:inner.Trainable|} = Environment.ProcessorCount > 2;
            return inner;
            """) },
        { "Trainable set on something that is not a builder model", Sources.Builder("""
            var a = Input([4]);
            Model? other = null;
            {|UNR0009:other!.Trainable|} = false;
            return new Model(a, Dense(2)(a));
            """) },
        { "AdditiveAttention returning scores decided at run time", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, AdditiveAttention()([a, a], returnAttentionScores: {|UNR0004:Environment.ProcessorCount > 2|}));
            """) },
        { "Attention of a query and key of different features", Sources.Builder("""
            var a = Input([4, 3]);
            var b = Input([6, 2]);
            return new Model([a, b], Attention()([a, b, {|UNR0001:b|}]));
            """) },
        { "Bidirectional around a Dense layer", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Bidirectional({|UNR0009:Dense(2)|})(a));
            """) },
        { "Bidirectional with an unknown merge mode", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Bidirectional(LSTM(2), mergeMode: {|UNR0009:"max"|})(a));
            """) },
        { "Bidirectional around a layer that goes backwards", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Bidirectional({|UNR0009:GRU(2, goBackwards: true)|})(a));
            """) },
        { "Bidirectional with a backward layer that goes forwards", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Bidirectional(GRU(2), backwardLayer: {|UNR0009:GRU(2)|})(a));
            """) },
        { "Bidirectional with a backward layer that returns sequences", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Bidirectional(GRU(2), backwardLayer: {|UNR0009:GRU(2, returnSequences: true, goBackwards: true)|})(a));
            """) },
        { "Bidirectional started from an odd number of states", Sources.Builder("""
            var a = Input([4, 3]);
            var (_, h) = GRU(2, returnState: true)(a);
            return new Model(a, Bidirectional(GRU(2))(a, initialState: [{|UNR0009:h|}]));
            """) },
        { "A stateful LSTM", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, LSTM(2, stateful: {|UNR0009:true|})(a));
            """) },
        { "LSTM started from one state", Sources.Builder("""
            var a = Input([4, 3]);
            var (_, h, _) = LSTM(2, returnState: true)(a);
            return new Model(a, LSTM(2)(a, initialState: [{|UNR0001:h|}]));
            """) },
        { "GRU started from a state of another size", Sources.Builder("""
            var a = Input([4, 3]);
            var (_, h) = GRU(3, returnState: true)(a);
            return new Model(a, GRU(2)(a, initialState: [{|UNR0001:h|}]));
            """) },
        { "An initial state for a Dense layer", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Dense(2)(a, initialState: {|UNR0009:[a]|}));
            """) },
        { "An initial state that is not a list of tensors", Sources.Builder("""
            var a = Input([4, 3]);
            Tensor[] states = new Tensor[1];
            return new Model(a, SimpleRNN(2)(a, initialState: {|UNR0009:states|}));
            """) },
        { "MultiHeadAttention with a dropout of 1", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, MultiHeadAttention(2, 4, dropout: {|UNR0009:1.0|})(a, a));
            """) },
        { "MultiHeadAttention over the features axis", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, {|UNR0009:MultiHeadAttention(2, 4, attentionAxes: [2])|}(a, a));
            """) },
        { "MultiHeadAttention with no heads", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, MultiHeadAttention({|UNR0009:0|}, 4)(a, a));
            """) },
        { "MultiHeadAttention with a zero output width", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, MultiHeadAttention(2, 4, outputShape: {|UNR0009:0|})(a, a));
            """) },
        { "MultiHeadAttention of a key and value of different steps", Sources.Builder("""
            var a = Input([4, 3]);
            var b = Input([6, 2]);
            var c = Input([5, 2]);
            return new Model([a, b, c], MultiHeadAttention(2, 4)(a, b, key: {|UNR0001:c|}));
            """) },
        { "MultiHeadAttention over axes that are not the last before the features", Sources.Builder("""
            var a = Input([4, 3, 6]);
            return new Model(a, {|UNR0009:MultiHeadAttention(2, 4, attentionAxes: [1])|}(a, a));
            """) },
        { "MultiHeadAttention over a grid with the causal mask", Sources.Builder("""
            var a = Input([4, 3, 6]);
            return new Model(a, MultiHeadAttention(2, 4)({|UNR0001:a|}, a, useCausalMask: true));
            """) },
        { "MultiHeadAttention of vectors", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, MultiHeadAttention(2, 4)({|UNR0001:a|}, a));
            """) },
        { "MultiHeadAttention with a causal mask known only at run time", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, MultiHeadAttention(2, 4)(a, a, useCausalMask: {|UNR0004:Environment.ProcessorCount > 2|}));
            """) },
        { "AdditiveAttention with a negative dropout", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, AdditiveAttention(dropout: {|UNR0009:-0.2|})([a, a]));
            """) },
        { "AdditiveAttention of a query and key of different features", Sources.Builder("""
            var a = Input([4, 3]);
            var b = Input([6, 2]);
            return new Model([a, b], AdditiveAttention()([a, b, {|UNR0001:b|}]));
            """) },
        { "EinsumDense with a letter in the input, kernel and output", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, EinsumDense({|UNR0009:"abc,bcd->abd"|}, [null, 2])(a));
            """) },
        { "EinsumDense summing an input axis away without the kernel", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, EinsumDense({|UNR0009:"abc,ce->ae"|}, [2])(a));
            """) },
        { "EinsumDense with an ellipsis in the middle", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, EinsumDense({|UNR0009:"a...c,cd->a...d"|}, [2])(a));
            """) },
        { "EinsumDense with a bias over the batch axis", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, EinsumDense("abc,cd->abd", [null, 2], biasAxes: {|UNR0009:"ad"|})(a));
            """) },
        { "EinsumDense whose kept axis changes size", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, EinsumDense("abc,cd->abd", [5, 2])({|UNR0001:a|}));
            """) },
        { "EinsumDense with an output shape of the wrong rank", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, EinsumDense("abc,cd->abd", {|UNR0009:[2]|})(a));
            """) },
        { "EinsumDense on an input of another rank", Sources.Builder("""
            var a = Input([3]);
            return new Model(a, EinsumDense("abc,cd->abd", [null, 2])({|UNR0001:a|}));
            """) },
        { "MatMul of leading axes that do not broadcast", Sources.Builder("""
            var a = Input([2, 4, 3]);
            var b = Input([3, 3, 5]);
            return new Model([a, b], {|UNR0001:Ops.MatMul(a, b)|});
            """) },
        { "MatMul of mismatched inner axes", Sources.Builder("""
            var a = Input([4, 3]);
            var b = Input([4, 3]);
            return new Model([a, b], {|UNR0001:Ops.MatMul(a, b)|});
            """) },
        { "Permute that is no permutation", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, {|UNR0009:Permute([1, 1])|}(a));
            """) },
        { "Transpose that moves the batch axis", Sources.Builder("""
            var a = Input([4, 3]);
            return new Model(a, Ops.Transpose(a, {|UNR0009:[1, 0, 2]|}));
            """) },
        { "Softmax over the batch axis", Sources.Builder("""
            var a = Input([5, 3]);
            return new Model(a, {|UNR0009:Softmax(axis: 0)|}(a));
            """) },
        { "Softmax over an axis beyond the input", Sources.Builder("""
            var a = Input([5, 3]);
            return new Model(a, {|UNR0009:Softmax(axis: 3)|}(a));
            """) },
        { "PositionEmbedding of a vector", Sources.Builder("""
            var a = Input([5]);
            return new Model(a, PositionEmbedding(8)({|UNR0001:a|}));
            """) },
        { "PositionEmbedding shorter than the sequence", Sources.Builder("""
            var a = Input([9, 4]);
            return new Model(a, PositionEmbedding(8)({|UNR0001:a|}));
            """) },
        { "PositionEmbedding without positions", Sources.Builder("""
            var a = Input([9, 4]);
            return new Model(a, PositionEmbedding({|UNR0009:0|})(a));
            """) },
        { "Dot with three axes", Sources.Builder("""
            var a = Input([5]);
            var b = Input([4, 5]);
            return new Model([a, b], Dot(axes: {|UNR0009:[1, 2, 1]|})(a, b));
            """) },
        { "Switch on a run-time value", Sources.Builder("""
            var a = Input([4]);
            var h = a;
            switch ({|UNR0005:depth|})
            {
                case 2:
                    h = Dense(8)(h);
                    break;
            }

            return new Model(a, Dense(2)(h));
            """, "static readonly int depth = 2;") },
        { "Two-output model used as a one-output layer", Sources.Builder("""
            var x = Input([4]);
            Layer encoder = new Model(x, [Dense(2)(x), Dense(3)(x)]);
            var a = Input([4]);
            return new Model(a, Dense(1)({|UNR0009:encoder(a)|}));
            """) },
        { "TimeDistributed of a function that ignores its steps", Sources.Builder("""
            var sequence = Input([5, 4]);
            var other = Input([4]);
            var y = {|UNR0001:TimeDistributed(Lambda((Tensor t) => Ops.Exp(other)))(sequence)|};
            return new Model([{|UNR0010:sequence|}, other], y);
            """) },
        { "Flatten drops a mask", Sources.Builder("""
            var ids = Input([6], dtype: DType.Int32);
            var x = Embedding(10, 4, maskZero: true)(ids);
            return new Model(ids, Dense(1)(Flatten()({|UNR0019:x|})));
            """) },
        { "Lambda drops a mask", Sources.Builder("""
            var ids = Input([6], dtype: DType.Int32);
            var x = Masking()(Embedding(10, 4)(ids));
            return new Model(ids, GlobalAveragePooling1D()(Lambda((Tensor t) => Ops.Exp(t))({|UNR0019:x|})));
            """) },
        { "Concatenating masked sequences of different features along the steps", Sources.Builder("""
            var ids = Input([6], dtype: DType.Int32);
            var x = Embedding(10, 4, maskZero: true)(ids);
            return new Model(ids, LSTM(2)(Concatenate(axis: 1)(x, {|UNR0001:Embedding(10, 3, maskZero: true)(ids)|})));
            """) },
        { "Attention mask of the wrong shape", Sources.Builder("""
            var x = Input([5, 4]);
            var allowed = Input([5, 4]);
            return new Model([x, allowed], MultiHeadAttention(2, 3)(x, x, attentionMask: {|UNR0001:allowed|}));
            """) },
        { "Recurrent dropout out of range", Sources.Builder("""
            var x = Input([5, 3]);
            return new Model(x, LSTM(4, recurrentDropout: {|UNR0009:1.0|})(x));
            """) },
        { "Negative recurrent dropout", Sources.Builder("""
            var x = Input([5, 3]);
            return new Model(x, SimpleRNN(4, recurrentDropout: {|UNR0009:-0.1|})(x));
            """) },
        { "Recurrent layer's dropout out of range", Sources.Builder("""
            var x = Input([5, 3]);
            return new Model(x, GRU(4, dropout: {|UNR0009:1.0|})(x));
            """) },
        { "Masking needs features", Sources.Builder("""
            var a = Input([6]);
            return new Model(a, Masking(maskValue: {|UNR0009:double.NaN|})(a));
            """) },
        { "Intermediate tensor as input", Sources.Builder("""
            var a = Input([4]);
            var h = Dense(4)(a);
            return new Model([a, {|UNR0013:h|}], Dense(2)(h));
            """) },
        { "Recursive helper", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Deep(a));
            """, "static Tensor Deep(Tensor x) => {|UNR0014:Deep(x)|};") },
        { "Instance builder", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2)(a));
            """).Replace("static Model Build()", "Model {|UNR0006:Build|}()") },
        { "Class not partial", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2)(a));
            """).Replace("public partial class M", "public class M").Replace("static Model Build()", "static Model {|UNR0006:Build|}()") },
        { "The output of a shared layer", Sources.Builder("""
            var a = Input([8]);
            var b = Input([8]);
            var shared = Dense(4);
            var ea = shared(a);
            var eb = shared(b);
            var x = {|UNR0015:shared.Output|};
            return new Model([a, b], Add([x, ea, eb]));
            """) },
        { "A hand-written seed constructor", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2)(a));
            """, "public {|UNR0020:M|}(int seed) { }") },
        { "A hand-written size constant and Predict", Sources.Builder("""
            var a = Input([4], name: "features");
            return new Model(a, Dense(2, name: "scores")(a));
            """, "public const int {|UNR0020:FeaturesSize|} = 4; public float[] {|UNR0020:Predict|}(float[] features) => features;") },
        { "Loss function with the wrong parameters", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2)(a));
            """, "[LossFunction] static Tensor {|UNR0006:Bad|}(Tensor yPred) => yPred;") },
        { "Loss function applying a layer", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2)(a));
            """, "[LossFunction] static Tensor Bad(Tensor yTrue, Tensor yPred) => {|UNR0009:Dense(1)|}(yPred - yTrue);") },
        { "Loss function with a shape error", Sources.Builder("""
            var a = Input([4]);
            return new Model(a, Dense(2)(a));
            """, "[LossFunction] static Tensor Bad(Tensor yTrue, Tensor yPred) => {|UNR0001:Ops.MatMul(yTrue, yPred)|};") },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Diagnostic_is_reported_exactly_at_the_marked_span(string name, string markup)
    {
        var (source, expected) = Markup.Parse(markup);
        var compilation = TestCompiler.Compile(source);
        var compilerErrors = compilation.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
        Assert.True(compilerErrors.Count == 0, name + ": the test source must compile: " + TestCompiler.Describe(compilerErrors));

        var reported = (await TestCompiler.AnalyzeAsync(compilation)).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal) || d.Id == "AD0001").ToList();
        var actual = reported.Select(d => (d.Id, d.Location.SourceSpan)).OrderBy(d => d.SourceSpan.Start).ToList();
        Assert.True(expected.OrderBy(e => e.Span.Start).SequenceEqual(actual),
            $"{name}: expected {string.Join(", ", expected.Select(e => $"{e.Id}@{source.Substring(e.Span.Start, e.Span.Length)}"))}; " +
            $"got {string.Join(", ", reported.Select(d => $"{d.Id}@{source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}: {d.GetMessage()}"))}");

        var (result, output) = TestCompiler.Generate(compilation);
        bool formError = expected.Any(e => e.Id == "UNR0006");
        // Warnings alone still give a model; errors give the model's surface, whose members throw; a class that cannot
        // take generated members (UNR0006) gets nothing.
        Assert.Equal(formError ? 0 : 1, result.GeneratedTrees.Length);
        if (!formError)
        {
            // Code using the model as the template's Program.cs does compiles: the diagnostics above are the only errors.
            var used = output.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Consumer, TestCompiler.ParseOptions, path: "Use.cs"));
            var errors = used.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, name + ": code using the model does not compile: " + TestCompiler.Describe(errors));
        }
    }

    [Fact]
    public void A_builder_with_errors_and_run_time_lengths_keeps_its_typed_methods_with_the_lengths()
    {
        string source = Sources.Builder("""
            var ids = Input([null], dtype: DType.Int32, name: "title");
            var h = Dense(8, name: "same")(Embedding(100, 4)(ids));
            return new Model(ids, Dense(2, name: "same")(GlobalAveragePooling1D()(h)));
            """);
        const string user = """
            public static class UseLengths
            {
                public static float Run(M model, float[] ids, float[] y)
                {
                    System.Span<float> scores = stackalloc float[M.SameSize];
                    model.Predict(ids, scores, titleLength: ids.Length, batchSize: 1);
                    return model.Predict(ids, ids.Length)[0] + model.TrainOnBatch(ids, y, titleLength: ids.Length, batchSize: 1);
                }
            }
            """;
        var (result, output) = TestCompiler.Generate(TestCompiler.Compile(source, user));
        Assert.Contains("has errors", Assert.Single(result.GeneratedTrees).ToString());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
    }

    [Fact]
    public async Task A_builder_nested_too_deeply_keeps_its_surface_too()
    {
        // UNR0018's place is the first too-deep node, which markup cannot mark in a generated line: checked apart.
        string source = Sources.Builder(
            "var x = Input([2]); var y = " + string.Concat(Enumerable.Repeat("Dense(2)(", 700)) + "x" + new string(')', 700) + "; return new Model(x, y);");
        var compilation = TestCompiler.Compile(source);
        var reported = (await TestCompiler.AnalyzeAsync(compilation)).Where(d => d.Id.StartsWith("UNR", System.StringComparison.Ordinal)).ToList();
        Assert.Equal("UNR0018", Assert.Single(reported).Id);
        var (result, output) = TestCompiler.Generate(compilation);
        Assert.Single(result.GeneratedTrees);
        var used = output.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Consumer, TestCompiler.ParseOptions, path: "Use.cs"));
        Assert.Empty(used.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
    }

    [Fact]
    public void A_builder_with_errors_keeps_its_typed_surface_whose_members_throw_naming_the_errors()
    {
        // A duplicate name is an error that leaves every shape known: the constants and typed methods are generated.
        string source = Sources.Builder("""
            var features = Input([5], name: "features");
            var h = Dense(8, name: "same")(features);
            return new Model(features, Dense(3, Activation.Softmax, name: "same")(h));
            """);
        const string user = """
            public static class UseTypedMembers
            {
                public static object Run()
                {
                    System.Span<float> probabilities = stackalloc float[M.SameSize];
                    var model = new M(seed: 42);
                    model.Predict(new float[M.FeaturesSize], probabilities, batchSize: 1);
                    return model.Predict(new float[M.FeaturesSize]).Length + model.TrainOnBatch(new float[5], new float[3], 1);
                }

                public static int Sizes() => M.FeaturesSize * 10 + M.SameSize;
            }
            """;
        var compilation = TestCompiler.Compile(source, user);
        var (result, output) = TestCompiler.Generate(compilation);
        string stub = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("has errors", stub);
        using var image = new System.IO.MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, TestCompiler.Describe(emitted.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)));

        var context = new System.Runtime.Loader.AssemblyLoadContext("stub", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            var use = assembly.GetType("UseTypedMembers", throwOnError: true)!;
            Assert.Equal(53, use.GetMethod("Sizes")!.Invoke(null, null));
            var thrown = Assert.Throws<System.Reflection.TargetInvocationException>(() => use.GetMethod("Run")!.Invoke(null, null));
            var error = Assert.IsType<System.InvalidOperationException>(thrown.InnerException);
            Assert.Contains("M.Build has errors (UNR0003 at Model0.cs(", error.Message);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Uses a model <c>M</c> as the template's Program.cs uses its model, through the members every model has.</summary>
    private const string Consumer = """
        using Unrolled;

        public static class UseTheModel
        {
            public static void Run(float[] x, float[] y)
            {
                var model = new M(seed: 42);
                var other = new M();
                System.Console.WriteLine(model.Summary());
                model.Compile(new Adam(learningRate: 0.01f), new CategoricalCrossentropy(), metrics: ["accuracy"]);
                var history = model.Fit(x, y, epochs: 5, batchSize: 32, validationSplit: 0.2, verbose: 1);
                var test = model.Evaluate(x, y);
                model.SaveWeights("m.weights");
                other.LoadWeights("m.weights");
                System.Console.WriteLine(history.Epochs + test["loss"] + model.Predict(new[] { x })[0][0]);
            }
        }
        """;

    [Fact]
    public async Task A_run_time_length_mismatch_explains_None()
    {
        var (source, _) = Markup.Parse((string)Cases.First(c => (string)c[0] == "Run-time length against a fixed size")[1]);
        var diagnostic = Assert.Single((await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id == "UNR0001"));
        string message = diagnostic.GetMessage();
        Assert.Contains("(None, None, 3)", message);
        Assert.Contains("known only at run time", message);
    }

    [Fact]
    public async Task Messages_name_both_shapes_and_the_axis()
    {
        var (source, _) = Markup.Parse((string)Cases.First(c => (string)c[0] == "Concatenate differing off the axis")[1]);
        var diagnostic = Assert.Single((await TestCompiler.AnalyzeAsync(TestCompiler.Compile(source))).Where(d => d.Id == "UNR0001"));
        string message = diagnostic.GetMessage();
        Assert.Contains("(None, 4, 3)", message);
        Assert.Contains("(None, 2, 3)", message);
        Assert.Contains("axis 1", message);
    }

    [Fact]
    public async Task Run_time_lengths_are_accepted_where_Keras_accepts_None()
    {
        var source = Sources.Builder("""
            var words = Input([null, 3]);
            var h = TimeDistributed(Dense(4, Activation.Relu))(words);
            var same = Add([h, Dense(4)(words)]);
            var joined = Concatenate([same, h], axis: 1);
            var pooled = Lambda((Tensor t) => Ops.Mean(t, axis: 1), outputShape: s => [s[1]])(joined);
            var steps = Lambda((Tensor t) => t * 2f, outputShape: s => [s[0], 4])(joined);
            return new Model([words], [Dense(1)(pooled), steps]);
            """);
        var compilation = TestCompiler.Compile(source);
        var diagnostics = (await TestCompiler.AnalyzeAsync(compilation)).Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).ToList();
        Assert.True(diagnostics.Count == 0, TestCompiler.Describe(diagnostics));
        var (result, output) = TestCompiler.Generate(compilation);
        string code = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("int input1Length", code);
        Assert.Contains("(None, None, 4)", code);
        var errors = output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, TestCompiler.Describe(errors));
    }

    [Fact]
    public void The_layer_zoo_generates_code_that_compiles() => Generated.Code(TestModels.Layers);

    [Fact]
    public void Integer_ids_can_be_flattened_before_an_embedding_as_in_Keras()
        => Assert.Contains("(None, 6, 2)", Generated.Code(Sources.Builder("""
            var ids = Input([2, 3], DType.Int32);
            return new Model(ids, Embedding(10, 2)(Flatten()(ids)));
            """)));

    [Fact]
    public async Task A_valid_model_has_no_diagnostics()
    {
        var compilation = TestCompiler.Compile(TestModels.Router);
        var diagnostics = (await TestCompiler.AnalyzeAsync(compilation)).Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).ToList();
        Assert.True(diagnostics.Count == 0, TestCompiler.Describe(diagnostics));
    }
}
