"""autodiff.keras.summary: the torchkeras-style layer table, its totals and size estimates."""
import pytest

import autodiff
from autodiff import nn
from autodiff.keras import ModelSummary, summary


def _cnn():
    """The small CNN of the course's image chapter (torchkeras's example: 54,273 parameters)."""
    return nn.Sequential(
        nn.Conv2d(3, 32, kernel_size=3), nn.MaxPool2d(2, 2), nn.Conv2d(32, 64, kernel_size=5),
        nn.MaxPool2d(2, 2), nn.Dropout2d(0.1), nn.AdaptiveMaxPool2d((1, 1)), nn.Flatten(),
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))


CNN_TABLE = """\
--------------------------------------------------------------------------
Layer (type)                            Output Shape              Param #
==========================================================================
Conv2d-1                            [-1, 32, 30, 30]                  896
MaxPool2d-2                         [-1, 32, 15, 15]                    0
Conv2d-3                            [-1, 64, 11, 11]               51,264
MaxPool2d-4                           [-1, 64, 5, 5]                    0
Dropout2d-5                           [-1, 64, 5, 5]                    0
AdaptiveMaxPool2d-6                   [-1, 64, 1, 1]                    0
Flatten-7                                   [-1, 64]                    0
Linear-8                                    [-1, 32]                2,080
ReLU-9                                      [-1, 32]                    0
Linear-10                                    [-1, 1]                   33
==========================================================================
Total params: 54,273
Trainable params: 54,273
Non-trainable params: 0
--------------------------------------------------------------------------
Input size (MB): 0.011719
Forward/backward pass size (MB): 0.359627
Params size (MB): 0.207035
Estimated Total Size (MB): 0.578381
--------------------------------------------------------------------------"""


def test_cnn_table_is_printed_and_returned(capsys):
    text = summary(_cnn(), input_shape=(3, 32, 32))
    assert text == CNN_TABLE                      # torchkeras prints these very numbers
    assert capsys.readouterr().out == CNN_TABLE + "\n"
    assert isinstance(text, ModelSummary)
    assert (text.total_params, text.trainable_params, text.non_trainable_params) == \
        (54273, 54273, 0)
    assert text.layers[0] == ("Conv2d-1", "[-1, 32, 30, 30]", 896)


def test_frozen_parameters_are_non_trainable(capsys):
    net = _cnn()
    net[0].requires_grad_(False)
    text = summary(net, input_data=autodiff.randn(5, 3, 32, 32))
    assert "Total params: 54,273\nTrainable params: 53,377\nNon-trainable params: 896" in text
    assert "Input size (MB): 0.058594" in text           # the 5 given images: 5*3*32*32*4 bytes


def test_batch_size_in_shapes_and_sizes(capsys):
    text = summary(nn.Linear(10, 4), input_shape=(10,), batch_size=8)
    assert text.layers == [("Linear-1", "[8, 4]", 44)]
    assert "Input size (MB): 0.000305" in text          # 8 * 10 * 4 bytes


@pytest.mark.parametrize("layer, params", [(nn.GRU(64, 32), 9408), (nn.LSTM(64, 32), 12544),
                                           (nn.RNN(64, 32), 3136)])
def test_bare_recurrent_layer_reports_its_first_output(capsys, layer, params):
    text = summary(layer, input_shape=(10, 64))
    assert text.layers == [(f"{type(layer).__name__}-1", "[-1, 10, 32]", params)]
    assert f"Total params: {params:,}" in text


def test_attention_layer_counts_its_projections(capsys):
    if not hasattr(nn, "MultiheadAttention"):
        pytest.skip("nn.MultiheadAttention not available yet")
    mha = nn.MultiheadAttention(16, num_heads=4, batch_first=True)
    q = autodiff.randn(2, 5, 16)
    text = summary(mha, input_data_args=(q, q, q))
    # 4 d^2 weights and 4 d biases, whatever the number of heads; out_proj is not its own row
    assert text.layers == [("MultiheadAttention-1", "[-1, 5, 16]", 4 * 16 * 16 + 4 * 16)]


class _Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 8)
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))
        return self.head(out[:, -1])


def test_integer_inputs_for_embeddings(capsys):
    text = summary(_Tagger(), input_shape=(12,), input_dtype=autodiff.int64)
    assert [row[:2] for row in text.layers] == [
        ("Embedding-1", "[-1, 12, 8]"), ("LSTM-2", "[-1, 12, 16]"), ("Linear-3", "[-1, 3]")]
    assert text.total_params == 800 + 4 * (16 * 8 + 16 * 16 + 32) + 51


def test_without_input_lists_layers_and_counts(capsys):
    text = summary(_Tagger())
    assert [row[1] for row in text.layers] == ["-", "-", "-"]
    assert text.total_params == 800 + 1664 + 51


def test_shared_layer_is_counted_once_in_the_totals(capsys):
    shared = nn.Linear(4, 4)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    text = summary(net, input_shape=(4,))
    assert [row[0] for row in text.layers] == ["Linear-1", "ReLU-2", "Linear-3"]
    assert text.total_params == 20


def test_model_is_left_unchanged(capsys):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    mean = net[1].running_mean.clone()
    summary(net, input_shape=(3,))
    assert net.training and all(m.training for m in net.modules())
    assert autodiff.equal(net[1].running_mean, mean)          # ran in eval mode
    assert not net._forward_hooks and not net[0]._forward_hooks


def test_summary_of_a_keras_model(capsys):
    from autodiff.keras import KerasModel
    model = KerasModel(_cnn(), nn.BCEWithLogitsLoss())
    assert summary(model, input_shape=(3, 32, 32)) == CNN_TABLE


def test_not_a_module():
    with pytest.raises(TypeError, match="nn.Module"):
        summary(lambda x: x, input_shape=(3,))


def test_layers_match_torch_hooks(capsys, torch):
    """The rows are what forward hooks on torch's leaf modules see for the same network."""
    tnn = torch.nn
    tnet = tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(4 * 4 * 4, 5))
    rows = []
    for m in tnet.modules():
        if not list(m.children()):
            m.register_forward_hook(lambda mod, i, o: rows.append(
                (f"{type(mod).__name__}-{len(rows) + 1}", str([-1] + list(o.shape[1:])),
                 sum(p.numel() for p in mod.parameters()))))
    tnet.eval()
    tnet(torch.rand(2, 1, 8, 8))
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
    assert summary(net, input_shape=(1, 8, 8)).layers == rows
