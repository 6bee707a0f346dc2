namespace FashionMnist.Neural.Layers;

/// <summary>
/// The weights and bias a conv or dense layer's forward pass multiplies with: its own, or for inference passes with
/// the batch norm after it folded in (<see cref="Layer.FoldedNorm"/>, <see cref="BatchNorm.Fold"/>). Inside a
/// <see cref="Sequential.FreezeWeights"/> scope (a prediction) the fold is computed once; outside one (validation
/// during training, when the weights change between passes) every inference pass folds again, which costs one
/// multiply per weight against the pass's thousands. The layer's parameters themselves are never changed, so training,
/// saving and ONNX export see the unfolded network.
/// </summary>
internal sealed class InferenceWeights
{
    private float[]? _weights, _bias;
    private bool _frozen, _current;

    /// <summary>Follows the layer's <see cref="Layer.SetWeightsFrozen"/>: a new scope (or its end) drops the fold.</summary>
    public void SetFrozen(bool frozen) => (_frozen, _current) = (frozen, false);

    /// <summary>What a pass of <paramref name="layer"/> uses (rows of <paramref name="rowLength"/> weights per output channel).</summary>
    public (float[] Weights, float[]? Bias) Select(Layer layer, Parameter weights, Parameter? bias, int rowLength, bool training)
    {
        BatchNorm? norm = layer.FoldedNorm;
        if (training || norm is null) return (weights.Value, bias?.Value);
        if (!_current)
        {
            if (_weights is null || _weights.Length != weights.Length) _weights = new float[weights.Length];
            int channels = weights.Length / rowLength;
            if (_bias is null || _bias.Length != channels) _bias = new float[channels];
            norm.Fold(weights.Value, rowLength, bias is null ? default : bias.Value, _weights, _bias);
            _current = _frozen;
        }
        return (_weights!, _bias);
    }
}
