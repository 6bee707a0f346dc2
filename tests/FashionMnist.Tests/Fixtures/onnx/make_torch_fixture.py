#!/usr/bin/python3
"""Makes the import test's fixture: a small CNN trained and exported to ONNX by PyTorch (Debian's python3-torch 1.13).

    /usr/bin/python3 tests/FashionMnist.Tests/Fixtures/onnx/make_torch_fixture.py

Writes next to this script:
  torch-small-cnn.onnx   input 'image' float32 [N,1,28,28] holding pixels / 255 (values in [0, 1]),
                         output 'logits' float32 [N,10] (not probabilities: fmnist applies the softmax);
  torch-small-cnn.json   PyTorch's own test accuracy of that file's model on all 10,000 test images, which
                         fmnist must reproduce to 4 digits (FashionMnist.Tests.Onnx.OnnxImportTests).
Deterministic for its seed on one thread; the data comes from Debian's dataset-fashion-mnist.
"""
import gzip, json, os, struct, sys

import numpy as np
import torch
from torch import nn

DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, count = struct.unpack(">II", raw[:8])
    if magic == 2051:
        return np.frombuffer(raw, np.uint8, offset=16).reshape(count, 1, 28, 28)
    return np.frombuffer(raw, np.uint8, offset=8)


def main():
    torch.manual_seed(12)
    torch.set_num_threads(1)
    train_x, train_y = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
    test_x, test_y = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
    x = torch.from_numpy(train_x[:20000].astype(np.float32) / 255.0)
    y = torch.from_numpy(train_y[:20000].astype(np.int64))

    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),      # 26 -> 13
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),     # 11 -> 5
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(3):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 128):
            batch = order[start:start + 128]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}", file=sys.stderr)

    model.eval()
    path = os.path.join(HERE, "torch-small-cnn.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}}, opset_version=13)

    # PyTorch's accuracy of the exported weights on all test images, fed exactly as the file documents.
    with torch.no_grad():
        logits = model(torch.from_numpy(test_x.astype(np.float32) / 255.0))
    accuracy = float((logits.argmax(1).numpy() == test_y).mean())
    with open(os.path.join(HERE, "torch-small-cnn.json"), "w") as f:
        json.dump({"model": "torch-small-cnn.onnx", "framework": f"PyTorch {torch.__version__}",
                   "input": "image float32 [N,1,28,28] = pixels / 255", "output": "logits float32 [N,10]",
                   "test_images": int(len(test_y)), "test_correct": int((logits.argmax(1).numpy() == test_y).sum()),
                   "test_accuracy": round(accuracy, 4)}, f, indent=2)
        f.write("\n")
    print(f"PyTorch test accuracy {accuracy:.4f}; wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
