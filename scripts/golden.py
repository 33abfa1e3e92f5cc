#!/usr/bin/python3
"""Generate golden cases for xent's tests with PyTorch (Debian's python3-torch).

Writes src/test/resources/golden/: one .npy per array and manifest.json. Expected values are PyTorch's
F.cross_entropy / F.nll_loss / F.log_softmax / F.softmax in float64 on exactly the stored inputs (float16 inputs are
stored as float16 and upcast), so they are the true values of PyTorch's formulas; each case also records PyTorch's own
float32 result where PyTorch computes one, as a check on the tolerance. Deterministic: re-running gives the same files.

    /usr/bin/python3 scripts/golden.py            # regenerate
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "golden")
rng = np.random.default_rng(20261123)
cases = []


def logits(shape, kind="normal"):
    x = rng.standard_normal(shape) * 2.0
    cdim = 0 if len(shape) == 1 else 1
    if kind == "huge":          # a constant offset of 1e4: only a max-subtracted computation survives it in float32
        x = x + 1e4
    elif kind == "neg_inf":     # some -inf logits (never a whole row)
        mask = rng.random(shape) < 0.2
        first = [slice(None)] * len(shape)
        first[cdim] = 0
        mask[tuple(first)] = False
        x = np.where(mask, -np.inf, x)
    elif kind == "peaked":      # one very large logit per row: probabilities near 0 and 1
        x = x + np.where(rng.random(shape) < 1.0 / shape[cdim], 30.0, 0.0)
    elif kind == "ties":        # integers: many equal logits, so argmax and top-k tie-breaking matter
        x = np.round(x)
    elif kind == "nan":         # a NaN in some rows: those rows give NaN
        flat = x.reshape(-1)
        flat[rng.integers(0, flat.size, size=max(1, flat.size // 50))] = np.nan
    return x


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.array(arr, order="C"))  # keeps 0-d arrays 0-d
    return name + ".npy"


def num(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def reduced_with_z(x64, tt, w, loss, reduction, ignore_index, smoothing, zscale, cap, cdim, prob):
    """The loss as xent defines it with Liger-Kernel's z-loss and softcap: per-row CE (+ s * lse^2 on non-ignored
    rows); 'mean' divides the CE part by PyTorch's divisor and the z part by the count of non-ignored rows."""
    xc = cap * torch.tanh(x64 / cap) if cap else x64
    if loss == "ce":
        per = F.cross_entropy(xc, tt, weight=w, ignore_index=ignore_index, reduction="none", label_smoothing=smoothing)
    else:
        per = F.nll_loss(xc, tt, weight=w, ignore_index=ignore_index, reduction="none")
    mask = torch.ones_like(per) if prob else (tt != ignore_index).to(per.dtype)
    z = zscale * torch.logsumexp(xc, dim=cdim) ** 2 * mask if (zscale and loss == "ce") else torch.zeros_like(per)
    if reduction == "none":
        return per + z, None
    if reduction == "sum":
        return (per + z).sum(), z.sum()
    if prob:
        W = torch.tensor(float(per.numel()), dtype=per.dtype)
    elif w is not None:
        W = (w[tt.clamp(min=0)] * mask).sum()
    else:
        W = mask.sum()
    return per.sum() / W + z.sum() / mask.sum(), z.sum() / mask.sum()


def case(name, shape, dtype="f32", loss="ce", target="index", reduction="mean", weights=False, ignore_index=-100,
         smoothing=0.0, kind="normal", ignore_frac=0.0, target_dtype="i64", ignore_all=False, zscale=0.0, cap=0.0):
    np_dtype = {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]
    x = logits(shape, kind).astype(np_dtype)
    cdim = 0 if len(shape) == 1 else 1
    C = shape[cdim]
    if loss == "nll":  # nll takes log-probabilities
        x = F.log_softmax(torch.from_numpy(x.astype(np.float64)), dim=cdim).numpy().astype(np_dtype)
    tshape = tuple(s for i, s in enumerate(shape) if i != cdim)
    if target == "index":
        t = rng.integers(0, C, size=tshape)
        if ignore_frac > 0 or ignore_all:
            m = rng.random(tshape) < ignore_frac if not ignore_all else np.ones(tshape, bool)
            t = np.where(m, ignore_index, t)
        t = t.astype(np.int64 if target_dtype == "i64" else np.int32)
        tt = torch.from_numpy(t.astype(np.int64))
    else:
        p = rng.random(shape) ** 3
        p = p / p.sum(axis=cdim, keepdims=True)
        t = p.astype(np_dtype)
        tt = torch.from_numpy(t.astype(np.float64))
    w = (rng.random(C) * 2 + 0.1) if weights else None
    x64 = torch.from_numpy(x.astype(np.float64))
    w64 = torch.from_numpy(w) if w is not None else None

    def run(xx, tg, ww):
        if loss == "ce":
            return F.cross_entropy(xx, tg, weight=ww, ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
        return F.nll_loss(xx, tg, weight=ww, ignore_index=ignore_index, reduction=reduction)

    expected = run(x64, tt, w64)
    if loss == "ce":
        per = F.cross_entropy(x64, tt, weight=w64, ignore_index=ignore_index, reduction="none", label_smoothing=smoothing)
    else:
        per = F.nll_loss(x64, tt, weight=w64, ignore_index=ignore_index, reduction="none")
    entry = {
        "name": name, "loss": loss, "reduction": reduction, "ignore_index": ignore_index, "label_smoothing": smoothing,
        "logits": save(name + ".logits", x), "target": save(name + ".target", t),
        "weights": save(name + ".weights", w.astype(np.float32)) if w is not None else None,
        "expected_none": save(name + ".none", per.numpy()),
        "expected": num(expected) if reduction != "none" else None,
        "dim": cdim,
        "log_softmax": save(name + ".log_softmax", F.log_softmax(x64, dim=cdim).numpy()),
        "softmax": save(name + ".softmax", F.softmax(x64, dim=cdim).numpy()),
    }
    if w is not None:  # the weights as stored (float32) are what xent reads; recompute with them exactly
        w32 = torch.from_numpy(w.astype(np.float32).astype(np.float64))
        entry["expected"] = num(run(x64, tt, w32)) if reduction != "none" else None
        if loss == "ce":
            per = F.cross_entropy(x64, tt, weight=w32, ignore_index=ignore_index, reduction="none", label_smoothing=smoothing)
        else:
            per = F.nll_loss(x64, tt, weight=w32, ignore_index=ignore_index, reduction="none")
        entry["expected_none"] = save(name + ".none", per.numpy())
    # training outputs: the gradient by autograd (of the reduced loss; of the sum for 'none'), z-loss, accuracy
    w_used = torch.from_numpy(w.astype(np.float32).astype(np.float64)) if w is not None else None
    xg = x64.clone().requires_grad_(True)
    total, zpart = reduced_with_z(xg, tt, w_used, loss, reduction, ignore_index, smoothing, zscale, cap, cdim, target != "index")
    (total.sum() if reduction == "none" else total).backward()
    entry["grad"] = save(name + ".grad", xg.grad.numpy())
    entry["z_loss_scale"], entry["softcap"] = zscale, cap
    if zscale or cap:
        entry["expected"] = num(total) if reduction != "none" else None
        entry["expected_none"] = save(name + ".none", reduced_with_z(x64, tt, w_used, loss, "none", ignore_index, smoothing, zscale, cap, cdim, target != "index")[0].numpy())
        entry["z_loss"] = num(zpart) if zpart is not None else None
        entry.pop("torch_float32", None)
    if target == "index" and x.size > 0:
        xm = np.moveaxis(x.astype(np.float64), cdim, -1).reshape(-1, C)
        yv = t.reshape(-1).astype(np.int64)
        pred = torch.argmax(torch.from_numpy(xm), dim=1).numpy()  # first maximum, NaN as maximum
        valid = yv != ignore_index
        k = min(3, C)
        hits1 = hitsk = 0
        for r in np.nonzero(valid)[0]:
            xr, yr = xm[r], yv[r]
            rank = np.sum((xr > xr[yr]) | ((xr == xr[yr]) & (np.arange(C) < yr)))
            hits1 += int(pred[r] == yr)
            hitsk += int(rank < k)
        n = int(valid.sum())
        entry["topk"] = k
        entry["accuracy"] = num(hits1 / n) if n else "NaN"
        entry["topk_accuracy"] = num(hitsk / n) if n else "NaN"
        entry["predictions"] = save(name + ".pred", pred.reshape(tshape).astype(np.int64))
    if dtype == "f32" and reduction != "none" and not (zscale or cap):  # PyTorch's own float32 answer, to keep the tolerance honest
        x32 = torch.from_numpy(x)
        t32 = tt if target == "index" else tt.float()
        w32f = torch.from_numpy(w.astype(np.float32)) if w is not None else None
        entry["torch_float32"] = num(run(x32, t32, w32f))
    cases.append(entry)


bce_cases = []


def bce_case(name, shape, dtype="f32", reduction="mean", weight_shape=None, pos_shape=None, kind="normal"):
    """F.binary_cross_entropy_with_logits: expected in float64 on the stored inputs; gradient by autograd."""
    np_dtype = {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]
    x = (rng.standard_normal(shape) * 3)
    t = rng.random(shape)
    if kind == "extreme":
        x = rng.choice([-100.0, -50.0, -5.0, 0.0, 5.0, 50.0, 100.0], size=shape)
        t = rng.integers(0, 2, size=shape).astype(np.float64)
    x = x.astype(np_dtype)
    t = t.astype(np_dtype)
    w = (rng.random(weight_shape) * 2 + 0.1).astype(np.float32) if weight_shape is not None else None
    pw = (rng.random(pos_shape) * 3 + 0.2).astype(np.float32) if pos_shape is not None else None
    xg = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    tt = torch.from_numpy(t.astype(np.float64))
    wt = torch.from_numpy(w.astype(np.float64)) if w is not None else None
    pt = torch.from_numpy(pw.astype(np.float64)) if pw is not None else None
    out = F.binary_cross_entropy_with_logits(xg, tt, weight=wt, pos_weight=pt, reduction=reduction)
    (out.sum() if reduction == "none" else out).backward()
    per = F.binary_cross_entropy_with_logits(xg.detach(), tt, weight=wt, pos_weight=pt, reduction="none")
    bce_cases.append({
        "name": name, "reduction": reduction,
        "logits": save(name + ".logits", x), "target": save(name + ".target", t),
        "weight": save(name + ".weight", w) if w is not None else None,
        "pos_weight": save(name + ".pos_weight", pw) if pw is not None else None,
        "expected": num(out) if reduction != "none" else None,
        "expected_none": save(name + ".none", per.numpy()),
        "grad": save(name + ".grad", xg.grad.numpy()),
    })

kl_cases = []
div_cases = []
drng = np.random.default_rng(20261202)  # its own stream: adding cases here leaves the cases above unchanged


def kl_case(name, shape, reduction="batchmean", log_target=False, zeros=0.0, dtype="f32"):
    """F.kl_div(input, target): input log-probabilities, target probabilities (some exactly 0) or log-probabilities."""
    np_dtype = {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]
    cdim = 0 if len(shape) == 1 else 1
    z = drng.standard_normal(shape) * 2
    x = torch.log_softmax(torch.from_numpy(z), dim=cdim).numpy() if len(shape) else np.log(np.asarray(0.3))
    tz = drng.standard_normal(shape) * 2
    t = torch.softmax(torch.from_numpy(tz), dim=cdim).numpy() if len(shape) else np.asarray(0.6)
    if zeros and len(shape):
        t = np.where(drng.random(shape) < zeros, 0.0, t)
    if log_target:
        t = np.log(np.maximum(t, 1e-30)) if len(shape) else np.log(t)
    x = np.asarray(x).astype(np_dtype)
    t = np.asarray(t).astype(np_dtype)
    xg = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    tt = torch.from_numpy(t.astype(np.float64))
    out = F.kl_div(xg, tt, reduction=reduction, log_target=log_target)
    (out.sum() if reduction == "none" else out).backward()
    per = F.kl_div(xg.detach(), tt, reduction="none", log_target=log_target)
    kl_cases.append({
        "name": name, "reduction": reduction, "log_target": log_target,
        "input": save(name + ".input", x), "target": save(name + ".target", t),
        "expected": num(out) if reduction != "none" else None,
        "expected_none": save(name + ".none", per.numpy()),
        "grad": save(name + ".grad", xg.grad.numpy()),
    })


def div_case(name, shape, loss="kd", reduction="batchmean", temperature=1.0, alpha=None, beta=0.5, ignore_frac=0.0,
             targets=False, kind="normal", dtype="f32"):
    """kd (the Hinton recipe through F.kl_div) and jsd (Liger-Kernel's torch reference), float64 on the stored inputs."""
    np_dtype = {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]
    n, c = shape
    s = drng.standard_normal(shape) * 2
    t = s * 0.5 + drng.standard_normal(shape) * 1.5
    if kind == "huge":
        s, t = s + 1e4, t - 3e3
    elif kind == "peaked":
        s = s + np.where(drng.random(shape) < 1.0 / c, 25.0, 0.0)
        t = t + np.where(drng.random(shape) < 1.0 / c, 25.0, 0.0)
    s = s.astype(np_dtype)
    t = t.astype(np_dtype)
    y = drng.integers(0, c, n) if targets or alpha is not None else None
    if y is not None and ignore_frac:
        y = np.where(drng.random(n) < ignore_frac, -100, y)
    sg = torch.from_numpy(s.astype(np.float64)).requires_grad_(True)
    tt = torch.from_numpy(t.astype(np.float64))
    keep = torch.ones(n, dtype=torch.bool) if y is None else torch.from_numpy(y != -100)
    T = temperature
    lq = F.log_softmax(sg / T, dim=1)
    lp = F.log_softmax(tt / T, dim=1)
    if loss == "kd":
        rows = (F.kl_div(lq, lp, reduction="none", log_target=True).sum(dim=1)) * T * T
    elif beta == 0:
        rows = F.kl_div(lq, lp, reduction="none", log_target=True).sum(dim=1)
    elif beta == 1:
        rows = F.kl_div(lp, lq, reduction="none", log_target=True).sum(dim=1)
    else:
        p, q = lp.exp(), lq.exp()
        m = beta * p + (1 - beta) * q
        lm = torch.log(m)
        rows = beta * (p * (lp - lm)).sum(dim=1) + (1 - beta) * (q * (lq - lm)).sum(dim=1)
    ce_rows = None
    if alpha is not None:
        yy = torch.from_numpy(np.where(y == -100, 0, y))
        ce_rows = F.cross_entropy(sg, yy, reduction="none")
        rows_all = alpha * rows + (1 - alpha) * ce_rows
    else:
        rows_all = rows
    rows_all = torch.where(keep, rows_all, torch.zeros_like(rows_all))
    if reduction == "none":
        out = rows_all
        total = rows_all.sum()
    elif reduction == "sum":
        out = total = rows_all.sum()
    elif reduction == "batchmean":
        out = total = rows_all.sum() / keep.sum()
    else:  # mean: kl_div's, over rows * C
        out = total = rows_all.sum() / (n * c)
    total.backward()
    div_rows = torch.where(keep, rows, torch.zeros_like(rows)).detach()
    divisor = {"none": 1.0, "sum": 1.0, "batchmean": float(keep.sum()), "mean": float(n * c)}[reduction]
    div_cases.append({
        "name": name, "loss": loss, "reduction": reduction, "temperature": temperature,
        "alpha": alpha, "beta": beta,
        "student": save(name + ".student", s), "teacher": save(name + ".teacher", t),
        "target": save(name + ".target", y.astype(np.int64)) if y is not None else None,
        "expected": num(out) if reduction != "none" else None,
        "expected_divergence": num(div_rows.sum() / divisor) if reduction != "none" else None,
        "expected_none": save(name + ".none", rows_all.detach().numpy()),
        "grad": save(name + ".grad", sg.grad.numpy()),
    })


def divergence_cases():
    for red in ("none", "sum", "mean", "batchmean"):
        kl_case(f"kl_{red}", (8, 7), reduction=red, zeros=0.2)
        kl_case(f"kl_log_target_{red}", (8, 7), reduction=red, log_target=True)
    kl_case("kl_kdim_batchmean", (3, 5, 4), zeros=0.1)
    kl_case("kl_vector_batchmean", (9,))
    kl_case("kl_scalar_batchmean", ())
    kl_case("kl_f64_sum", (6, 11), reduction="sum", dtype="f64")
    kl_case("kl_f16_mean", (6, 11), reduction="mean", dtype="f16", zeros=0.3)
    for red in ("none", "sum", "mean", "batchmean"):
        div_case(f"kd_{red}", (12, 9), reduction=red, temperature=2.0)
        div_case(f"jsd_{red}", (12, 9), loss="jsd", reduction=red, beta=0.3)
    for red in ("none", "sum", "batchmean"):
        div_case(f"kd_alpha_{red}", (16, 10), reduction=red, temperature=4.0, alpha=0.7, ignore_frac=0.25)
    div_case("kd_t1", (8, 33))
    div_case("kd_mask_only", (16, 10), targets=True, ignore_frac=0.3, temperature=3.0)
    div_case("kd_huge", (8, 40), kind="huge", temperature=2.0)
    div_case("kd_peaked", (8, 1000), kind="peaked")
    div_case("kd_wide_4099", (3, 4099), temperature=1.5, alpha=0.5)
    div_case("kd_f16", (8, 31), dtype="f16", temperature=2.0)
    div_case("kd_f64", (8, 31), dtype="f64", temperature=2.0, alpha=0.4)
    div_case("kd_one_class", (5, 1), alpha=0.5)
    for beta in (0.0, 0.5, 1.0):
        div_case(f"jsd_beta_{beta}", (12, 17), loss="jsd", beta=beta, temperature=1.0)
    div_case("jsd_t2_mask", (16, 33), loss="jsd", beta=0.5, temperature=2.0, targets=True, ignore_frac=0.3)
    div_case("jsd_huge", (8, 40), loss="jsd", beta=0.1, kind="huge")
    div_case("jsd_peaked", (8, 1000), loss="jsd", beta=0.5, kind="peaked")
    div_case("jsd_wide_4099", (3, 4099), loss="jsd", beta=0.7)
    div_case("jsd_bf16_like_f16", (8, 31), loss="jsd", dtype="f16", beta=0.5)


go_cases = []
grng = np.random.default_rng(20261203)  # its own stream, as above


def go_case(name, shape, loss="ce", reduction="none", scalar=None):
    """The gradient times an upstream gradient (autograd's grad_output), float64 on the stored float32 inputs."""
    cdim = 0 if len(shape) == 1 else 1
    x = (grng.standard_normal(shape) * 2).astype(np.float32)
    tshape = shape if loss == "bce" else tuple(d for i, d in enumerate(shape) if i != cdim)
    if loss == "bce":
        t = grng.random(shape).astype(np.float32)
        tt = torch.from_numpy(t.astype(np.float64))
    else:
        t = grng.integers(0, shape[cdim], tshape)
        t = np.where(grng.random(tshape) < 0.2, -100, t)
        tt = torch.from_numpy(t.astype(np.int64))
    xg = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    inp = F.log_softmax(xg, dim=cdim) if loss == "nll" else xg
    if loss == "bce":
        out = F.binary_cross_entropy_with_logits(inp, tt, reduction=reduction)
    elif loss == "nll":
        out = F.nll_loss(inp, tt, reduction=reduction)
    else:
        out = F.cross_entropy(inp, tt, reduction=reduction)
    go = np.asarray(scalar if scalar is not None else grng.standard_normal(out.shape)).astype(np.float32)
    out.backward(torch.from_numpy(go.astype(np.float64)))
    go_cases.append({"name": name, "loss": loss, "reduction": reduction, "logits": save(name + ".logits", x),
                     "target": save(name + ".target", t.astype(np.int64) if loss != "bce" else t),
                     "grad_output": save(name + ".grad_output", go), "grad": save(name + ".grad", xg.grad.numpy())})


def go_div_case(name, shape, loss, reduction="none", scalar=None, temperature=2.0):
    """kd and kl_div gradients times grad_output (kd: one value per row for 'none')."""
    n, c = shape
    s = (grng.standard_normal(shape) * 2).astype(np.float32)
    t = (grng.standard_normal(shape) * 2).astype(np.float32)
    sg = torch.from_numpy(s.astype(np.float64)).requires_grad_(True)
    tt = torch.from_numpy(t.astype(np.float64))
    if loss == "kd":
        T = temperature
        rows = F.kl_div(F.log_softmax(sg / T, 1), F.log_softmax(tt / T, 1), reduction="none", log_target=True).sum(1) * T * T
        out = rows if reduction == "none" else rows.sum() / n if reduction == "batchmean" else rows.sum()
        target = t
    else:  # kl: input log-probabilities, target probabilities
        inp = F.log_softmax(sg, 1)
        target = torch.softmax(tt, 1).numpy().astype(np.float32)
        s = inp.detach().numpy().astype(np.float32)
        sg = torch.from_numpy(s.astype(np.float64)).requires_grad_(True)
        out = F.kl_div(sg, torch.from_numpy(target.astype(np.float64)), reduction=reduction)
    go = np.asarray(scalar if scalar is not None else grng.standard_normal(out.shape)).astype(np.float32)
    out.backward(torch.from_numpy(go.astype(np.float64)))
    go_cases.append({"name": name, "loss": loss, "reduction": reduction, "temperature": temperature, "logits": save(name + ".logits", s),
                     "target": save(name + ".target", target), "grad_output": save(name + ".grad_output", go),
                     "grad": save(name + ".grad", sg.grad.numpy())})


def grad_output_cases():
    go_div_case("go_kd_none", (6, 9), "kd")
    go_div_case("go_kd_batchmean", (6, 9), "kd", reduction="batchmean", scalar=0.5)
    go_div_case("go_kl_none", (5, 7), "kl")
    go_div_case("go_kl_batchmean", (5, 7), "kl", reduction="batchmean", scalar=3.0)
    go_case("go_ce_none", (12, 7))
    go_case("go_ce_kdim_none", (3, 5, 4))
    go_case("go_ce_vector_none", (6,))
    go_case("go_ce_mean", (12, 7), reduction="mean", scalar=0.7)
    go_case("go_ce_sum", (12, 7), reduction="sum", scalar=-1.5)
    go_case("go_bce_none", (6, 5), loss="bce")
    go_case("go_bce_mean", (6, 5), loss="bce", reduction="mean", scalar=2.0)


sb_cases = []
srng = np.random.default_rng(20261204)  # its own stream, as above


def sb_case(name, shape, dim, log, kind="normal", dtype="f32"):
    """softmax / log_softmax backward: x.grad of F.softmax(x, dim).backward(go), float64 on the stored inputs."""
    np_dtype = {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]
    x = srng.standard_normal(shape) * 3
    if kind == "neg_inf" and len(shape):
        x = np.where(srng.random(shape) < 0.2, -np.inf, x)
        x.reshape(-1)[0] = 0.0
    x = np.asarray(x).astype(np_dtype)
    go = np.asarray(srng.standard_normal(shape)).astype(np_dtype)
    xg = torch.from_numpy(np.asarray(x, dtype=np.float64)).requires_grad_(True)
    y = (F.log_softmax if log else F.softmax)(xg, dim)
    y.backward(torch.from_numpy(np.asarray(go, dtype=np.float64)))
    sb_cases.append({"name": name, "dim": dim, "log": log, "input": save(name + ".input", x),
                     "grad_output": save(name + ".grad_output", go), "grad": save(name + ".grad", xg.grad.numpy())})


def softmax_backward_cases():
    for log in (False, True):
        tag = "log_softmax" if log else "softmax"
        sb_case(f"sb_{tag}_2d", (6, 9), 1, log)
        sb_case(f"sb_{tag}_dim0", (6, 9), 0, log)
        sb_case(f"sb_{tag}_kdim", (3, 5, 4), 1, log)
        sb_case(f"sb_{tag}_last", (3, 5, 4), -1, log)
        sb_case(f"sb_{tag}_neg_inf", (5, 8), 1, log, kind="neg_inf")
        sb_case(f"sb_{tag}_0d", (), 0, log)
        sb_case(f"sb_{tag}_f64", (4, 33), 1, log, dtype="f64")


tg_cases = []
trng = np.random.default_rng(20261205)  # its own stream, as above


def tg_case(name, shape, loss="ce", reduction="mean", weights=False, smoothing=0.0, pos=False):
    """d loss / d target by autograd: probability targets of F.cross_entropy, targets of BCE with logits."""
    cdim = 0 if len(shape) == 1 else 1
    x = (trng.standard_normal(shape) * 2).astype(np.float32)
    if loss == "ce":
        t = torch.softmax(torch.from_numpy(trng.standard_normal(shape)), dim=cdim).numpy().astype(np.float32)
    else:
        t = trng.random(shape).astype(np.float32)
    w = (trng.random(shape[cdim]) + 0.5).astype(np.float32) if weights else None
    pw = (trng.random(shape[-1]) * 3 + 0.2).astype(np.float32) if pos else None
    xt = torch.from_numpy(x.astype(np.float64))
    tg = torch.from_numpy(t.astype(np.float64)).requires_grad_(True)
    wt = torch.from_numpy(w.astype(np.float64)) if w is not None else None
    if loss == "ce":
        out = F.cross_entropy(xt, tg, weight=wt, reduction=reduction, label_smoothing=smoothing)
    else:
        out = F.binary_cross_entropy_with_logits(xt, tg, weight=wt, reduction=reduction,
                                                 pos_weight=torch.from_numpy(pw.astype(np.float64)) if pw is not None else None)
    (out.sum() if reduction == "none" else out).backward()
    tg_cases.append({"name": name, "loss": loss, "reduction": reduction, "label_smoothing": smoothing,
                     "logits": save(name + ".logits", x), "target": save(name + ".target", t),
                     "weights": save(name + ".weights", w) if w is not None else None,
                     "pos_weight": save(name + ".pos_weight", pw) if pw is not None else None,
                     "target_grad": save(name + ".target_grad", tg.grad.numpy())})


def target_gradient_cases():
    for red in ("mean", "sum", "none"):
        tg_case(f"tg_ce_{red}", (8, 6), reduction=red)
        tg_case(f"tg_bce_{red}", (6, 5), loss="bce", reduction=red)
    tg_case("tg_ce_weights_smooth", (8, 6), weights=True, smoothing=0.2)
    tg_case("tg_ce_kdim", (2, 5, 3), reduction="mean", smoothing=0.1)
    tg_case("tg_bce_pos_weight", (6, 5), loss="bce", pos=True, weights=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    for red in ("mean", "sum", "none"):
        case(f"basic_{red}", (8, 5), reduction=red)
        case(f"weights_{red}", (16, 7), reduction=red, weights=True)
        case(f"smooth_{red}", (16, 7), reduction=red, smoothing=0.1)
        case(f"ignore_{red}", (32, 6), reduction=red, ignore_frac=0.3)
        case(f"all_opts_{red}", (64, 33), reduction=red, weights=True, smoothing=0.25, ignore_frac=0.25)
        case(f"kdim_{red}", (3, 5, 4, 2), reduction=red, weights=True, smoothing=0.05, ignore_frac=0.2)
        case(f"prob_{red}", (12, 9), reduction=red, target="prob")
        case(f"prob_w_smooth_{red}", (12, 9), reduction=red, target="prob", weights=True, smoothing=0.2)
        case(f"prob_kdim_{red}", (2, 4, 3), reduction=red, target="prob", weights=True)
        case(f"nll_{red}", (20, 11), loss="nll", reduction=red, weights=True, ignore_frac=0.2)
        case(f"f16_{red}", (16, 31), dtype="f16", reduction=red, weights=True, smoothing=0.1, ignore_frac=0.1)
        case(f"f64_{red}", (16, 32), dtype="f64", reduction=red, weights=True, smoothing=0.1, ignore_frac=0.1)
    case("ignore_index_valid_class", (24, 5), ignore_index=2, ignore_frac=0.0)
    case("ignore_index_valid_class_w", (24, 5), ignore_index=3, weights=True, smoothing=0.1)
    case("all_ignored_mean", (6, 4), ignore_all=True)
    case("all_ignored_sum", (6, 4), ignore_all=True, reduction="sum")
    case("all_ignored_w_smooth_mean", (6, 4), ignore_all=True, weights=True, smoothing=0.3)
    case("empty_batch_mean", (0, 4))
    case("empty_batch_sum", (0, 4), reduction="sum")
    case("empty_prob_mean", (0, 4), target="prob")
    case("one_class", (10, 1))
    case("one_class_smooth", (10, 1), smoothing=0.5, weights=True)
    case("vector_input", (7,))
    case("vector_input_none", (7,), reduction="none", smoothing=0.2)
    case("vector_prob", (7,), target="prob")
    case("int32_targets", (12, 10), target_dtype="i32", weights=True)
    case("huge_logits", (16, 100), kind="huge")
    case("huge_logits_smooth", (16, 100), kind="huge", smoothing=0.1, weights=True)
    case("huge_logits_prob", (16, 100), kind="huge", target="prob")
    case("neg_inf_logits", (16, 12), kind="neg_inf")
    case("neg_inf_logits_none", (16, 12), kind="neg_inf", reduction="none")
    case("neg_inf_logits_smooth", (16, 12), kind="neg_inf", smoothing=0.1, reduction="none")
    case("neg_inf_logits_prob", (16, 12), kind="neg_inf", target="prob", reduction="none")
    case("peaked", (16, 1000), kind="peaked", reduction="none")
    case("nan_rows", (16, 8), kind="nan", reduction="none")
    case("nan_rows_mean", (16, 8), kind="nan")
    case("smoothing_one", (10, 6), smoothing=1.0, weights=True)
    case("wide_33", (9, 33), weights=True, smoothing=0.1, ignore_frac=0.1)
    case("wide_4099", (4, 4099), smoothing=0.1)
    case("wide_4099_f16", (4, 4099), dtype="f16", weights=True)
    case("kdim_nll", (2, 6, 5), loss="nll", ignore_frac=0.2)
    case("kdim_f16_prob", (2, 6, 5), dtype="f16", target="prob", smoothing=0.1)
    for red in ("mean", "sum", "none"):
        case(f"zloss_{red}", (16, 40), reduction=red, zscale=1e-3, ignore_frac=0.25)
        case(f"softcap_{red}", (16, 40), reduction=red, cap=5.0, kind="peaked")
        case(f"zloss_softcap_all_{red}", (3, 33, 4), reduction=red, zscale=2e-2, cap=3.0, weights=True, smoothing=0.1, ignore_frac=0.2)
        case(f"zloss_prob_{red}", (8, 12), reduction=red, target="prob", zscale=1e-2, weights=True)
    case("ties_accuracy", (40, 5), kind="ties", reduction="none")
    for red in ("mean", "sum", "none"):
        bce_case(f"bce_basic_{red}", (8, 5), reduction=red)
        bce_case(f"bce_pos_weight_{red}", (16, 7), reduction=red, pos_shape=(7,))
        bce_case(f"bce_weight_rows_pos_{red}", (16, 7), reduction=red, weight_shape=(16, 1), pos_shape=(7,))
    bce_case("bce_weight_full_none", (8, 5), reduction="none", weight_shape=(8, 5))
    bce_case("bce_weight_classes_mean", (8, 5), weight_shape=(5,))
    bce_case("bce_extreme_mean", (12, 7), kind="extreme", pos_shape=(7,))
    bce_case("bce_extreme_none", (12, 7), reduction="none", kind="extreme")
    bce_case("bce_kdim_mean", (2, 3, 4), weight_shape=(3, 1), pos_shape=(4,))
    bce_case("bce_vector_sum", (9,), reduction="sum", pos_shape=(9,))
    bce_case("bce_f16_mean", (16, 31), dtype="f16", pos_shape=(31,))
    bce_case("bce_f64_sum", (16, 31), dtype="f64", reduction="sum", weight_shape=(31,))
    bce_case("bce_empty_mean", (0, 3))
    divergence_cases()
    grad_output_cases()
    softmax_backward_cases()
    target_gradient_cases()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "scripts/golden.py", "torch": torch.__version__, "numpy": np.__version__, "cases": cases,
                   "bce_cases": bce_cases, "kl_cases": kl_cases, "divergence_cases": div_cases,
                   "grad_output_cases": go_cases, "softmax_backward_cases": sb_cases,
                   "target_gradient_cases": tg_cases}, f, indent=1)
    print(f"{len(cases)} cases, {len(bce_cases)} BCE, {len(kl_cases)} kl_div and {len(div_cases)} kd/jsd cases written to "
          f"{os.path.relpath(OUT)} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
