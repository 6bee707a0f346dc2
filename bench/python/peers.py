#!/usr/bin/env python3
"""Python peers of fmnist's models, timed on this machine, for a side-by-side comparison.

Uses only Debian's packages (python3-sklearn 1.2, python3-xgboost 1.7, python3-torch 1.13), reads the
same idx files fmnist reads, and writes one JSON file. Settings mirror the issues' reference runs:
  knn-l1 / knn-l2   KNeighborsClassifier(k=5, weights=distance), whole test set
  random-forest     RandomForestClassifier(100 trees, n_jobs=2)
  hist-gb           HistGradientBoostingClassifier(max_iter=100)
  xgboost           XGBClassifier(hist, 200 rounds, depth 6, eta 0.3)
  svm-pca50         SVC(rbf, C=10) on PCA-50 of X/255   (svm-raw: on X/255, ~6 minutes; opt-in)
  torch-mlp / torch-cnn1 / torch-cnn3   batch 128, Adam, per-epoch seconds and inference images/s
Usage: bench/python/run.sh [--only knn-l2,torch-mlp] [--epochs 1] [--out bench/results/python-peers.json]
"""
import argparse, gzip, json, os, platform, struct, sys, time

import numpy as np

DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(name):
    path = os.path.join(DATA, name)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = [struct.unpack(">I", f.read(4))[0] for _ in range(magic & 0xFF)]
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def load():
    xtr = read_idx("train-images-idx3-ubyte.gz").reshape(-1, 784)
    ytr = read_idx("train-labels-idx1-ubyte.gz")
    xte = read_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    yte = read_idx("t10k-labels-idx1-ubyte.gz")
    return xtr, ytr, xte, yte


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def sklearn_runs(name, xtr, ytr, xte, yte):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.ensemble import RandomForestClassifier, HistGradientBoostingClassifier
    from sklearn.svm import SVC
    from sklearn.decomposition import PCA
    if name in ("knn-l1", "knn-l2"):
        m = KNeighborsClassifier(n_neighbors=5, weights="distance", p=1 if name == "knn-l1" else 2, n_jobs=2)
        _, fit = timed(lambda: m.fit(xtr, ytr))
        pred, predict = timed(lambda: m.predict(xte))
    elif name == "random-forest":
        m = RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0)
        _, fit = timed(lambda: m.fit(xtr, ytr))
        pred, predict = timed(lambda: m.predict(xte))
    elif name == "hist-gb":
        m = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)
        _, fit = timed(lambda: m.fit(xtr, ytr))
        pred, predict = timed(lambda: m.predict(xte))
    elif name in ("svm-pca50", "svm-raw"):
        a, b = xtr / 255.0, xte / 255.0
        if name == "svm-pca50":
            pca = PCA(50, random_state=0).fit(a)
            a, b = pca.transform(a), pca.transform(b)
        m = SVC(C=10, kernel="rbf", gamma="scale", cache_size=1000)
        _, fit = timed(lambda: m.fit(a, ytr))
        pred, predict = timed(lambda: m.predict(b))
    else:
        return None
    return {"fit_seconds": fit, "predict_seconds": predict, "test_accuracy": float((pred == yte).mean())}


def xgboost_run(xtr, ytr, xte, yte):
    import xgboost as xgb
    m = xgb.XGBClassifier(tree_method="hist", n_estimators=200, max_depth=6, learning_rate=0.3, n_jobs=2)
    _, fit = timed(lambda: m.fit(xtr, ytr))
    pred, predict = timed(lambda: m.predict(xte))
    return {"fit_seconds": fit, "predict_seconds": predict, "test_accuracy": float((pred == yte).mean())}


def torch_run(name, xtr, ytr, xte, yte, epochs, threads=2, infer_repeat=1, export_dir=None):
    import torch
    import torch.nn as nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if name == "torch-mlp":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    elif name == "torch-cnn1":
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                            nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                            nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Dropout(0.4), nn.Flatten(),
                            nn.Linear(128 * 3 * 3, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
    x = torch.tensor(xtr, dtype=torch.float32).view(-1, 1, 28, 28) / 255.0
    y = torch.tensor(ytr, dtype=torch.long)
    xt = torch.tensor(xte, dtype=torch.float32).view(-1, 1, 28, 28) / 255.0
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    epoch_seconds = []
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(x))
        t = time.perf_counter()
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t)
    net.eval()
    # One pass over the test set at batch 1000 (a warm-up when infer_repeat > 1), then the median of infer_repeat passes.
    passes = []
    with torch.no_grad():
        for _ in range(1 + (infer_repeat if infer_repeat > 1 else 0)):
            t = time.perf_counter()
            logits = torch.cat([net(xt[i:i + 1000]) for i in range(0, len(xt), 1000)])
            passes.append(time.perf_counter() - t)
    infer = sorted(passes[1:])[len(passes[1:]) // 2] if infer_repeat > 1 else passes[0]
    acc = float((logits.argmax(1).numpy() == yte).mean())
    result = {"epochs": epochs, "epoch_seconds": epoch_seconds, "threads": threads, "inference_repeat": infer_repeat,
              "inference_images_per_second": len(xt) / infer, "test_accuracy": acc}
    if export_dir:
        # The same trained network for ONNX Runtime (bench/FashionMnist.Bench ort-infer): input N x 1 x 28 x 28, pixels / 255.
        os.makedirs(export_dir, exist_ok=True)
        path = os.path.join(export_dir, name.removeprefix("torch-") + ".onnx")
        torch.onnx.export(net, xt[:1], path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}}, opset_version=13)
        result["onnx"] = path
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="knn-l2,random-forest,hist-gb,xgboost,svm-pca50,torch-mlp,torch-cnn1,torch-cnn3")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--out", default="bench/results/python-peers.json")
    p.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads (torch peers)")
    p.add_argument("--infer-repeat", type=int, default=1, help="torch peers: median of N inference passes after a warm-up")
    p.add_argument("--export-onnx", default=None, metavar="DIR", help="torch peers: also export the trained network to DIR/NAME.onnx")
    a = p.parse_args()
    xtr, ytr, xte, yte = load()
    results = {}
    for name in a.only.split(","):
        print(f"[peers] {name} …", file=sys.stderr, flush=True)
        if name == "xgboost":
            r = xgboost_run(xtr, ytr, xte, yte)
        elif name.startswith("torch-"):
            r = torch_run(name, xtr, ytr, xte, yte, a.epochs, a.threads, a.infer_repeat, a.export_onnx)
        else:
            r = sklearn_runs(name, xtr, ytr, xte, yte)
        if r is None:
            sys.exit(f"unknown peer '{name}'")
        results[name] = r
        print(f"[peers] {name}: {json.dumps(r)}", file=sys.stderr, flush=True)
    doc = {"machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "python": platform.python_version()}, "results": results}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, a.out)
    print(a.out)


if __name__ == "__main__":
    main()
