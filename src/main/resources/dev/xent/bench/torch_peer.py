# The PyTorch peer of `xent bench`: the same shape, dtype and kind of data, timed the same way (warm-up, then the
# median of timed runs). Called by BenchCommand with one JSON argument; prints one JSON line.
import json
import sys
import time

import torch
import torch.nn.functional as F

a = json.loads(sys.argv[1])
rows, classes, runs, warmup = a["rows"], a["classes"], a["runs"], a["warmup"]
dev = torch.device(a["device"])
if dev.type == "cpu":
    torch.set_num_threads(a["threads"])
dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a["dtype"]]
g = torch.Generator().manual_seed(0)
x = torch.randn(rows, classes, generator=g) * 2
x[torch.arange(rows), torch.randint(classes, (rows,), generator=g)] += 12  # a few peaked rows, as xent's bench data
op = a.get("op", "forward")
y = torch.randint(classes, (rows,), generator=g).to(dev)
if op == "forward":
    x = x.to(dtype=dtype, device=dev)
    def step():
        return F.cross_entropy(x, y)
elif op == "fwdbwd":  # loss and gradient with respect to the logits
    x = x.to(dtype=dtype, device=dev).requires_grad_(True)
    def step():
        x.grad = None
        F.cross_entropy(x, y).backward()
elif op in ("softmax", "log_softmax"):  # the outputs over the classes
    x = x.to(dtype=dtype, device=dev)
    fn = torch.softmax if op == "softmax" else torch.log_softmax
    def step():
        return fn(x, 1)
elif op in ("kd", "jsd"):  # student x and teacher t, as xent's bench: T = 2 for kd, beta = 0.5 for jsd
    x = x.to(dtype=dtype, device=dev)
    t = (torch.randn(rows, classes, generator=g) * 2).to(dtype=dtype, device=dev)
    if op == "kd":
        T = 2.0
        def step():
            return F.kl_div(F.log_softmax(x / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean") * T * T
    else:
        beta = 0.5
        def step():  # Liger-Kernel's torch reference of the generalized JSD
            lq, lp = F.log_softmax(x, dim=1), F.log_softmax(t, dim=1)
            p, q = lp.exp(), lq.exp()
            lm = torch.log(beta * p + (1 - beta) * q)
            return (beta * (p * (lp - lm)).sum() + (1 - beta) * (q * (lq - lm)).sum()) / rows
elif op == "e2e":  # logits start in (pageable) host memory: copy, then the loss
    x = x.to(dtype=dtype)
    def step():
        return F.cross_entropy(x.to(dev), y)
else:
    raise SystemExit("unknown op " + op)

try:
    step()
except RuntimeError as e:  # e.g. float16 log_softmax on the CPU of older PyTorch
    print(json.dumps({"error": str(e).splitlines()[0], "torch_version": torch.__version__}))
    sys.exit(0)

def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()

for _ in range(warmup):
    step()
sync()
times = []
for _ in range(runs):
    if dev.type == "cuda" and op in ("forward", "fwdbwd"):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); step(); e.record(); torch.cuda.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    else:  # host clock: the e2e copy starts on the host
        t0 = time.perf_counter(); step(); sync(); times.append(time.perf_counter() - t0)
times.sort()
extra = None
if dev.type == "cuda":  # device bytes one step needs beyond its inputs (and, for fwdbwd, the gradient it returns)
    sync()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    step()
    sync()
    extra = torch.cuda.max_memory_allocated() - base
print(json.dumps({"seconds_median": times[len(times) // 2], "torch_version": torch.__version__,
                  "threads": torch.get_num_threads(), "extra_device_bytes": extra}))
