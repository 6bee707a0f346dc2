namespace FashionMnist.Neural.Layers;

/// <summary>
/// The weights and bias a conv or dense layer's forward pass multiplies with: its own, or for inference passes with
/// the batch norm after it folded in (<see cref="Layer.FoldedNorm"/>, <see cref="BatchNorm.Fold"/>). The fold is kept
/// until <see cref="Sequential.WeightsChanged"/> (every training pass, optimiser step, load or weight swap calls it), so a
/// server predicting one photo at a time folds once, not per request. The layer's parameters themselves are never
/// changed, so training, saving and ONNX export see the unfolded network.
/// </summary>
internal sealed class InferenceWeights
{
    private float[]? _weights, _bias;
    private bool _current;

    /// <summary>The layer's or the norm's parameters changed: fold again on the next inference pass.</summary>
    public void Invalidate() => _current = false;

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
            _current = true;
        }
        return (_weights!, _bias);
    }
}
