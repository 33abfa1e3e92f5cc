#!/usr/bin/python3
"""Draws docs/gpu/forward.png from docs/gpu/latest.json: forward-loss throughput (logits bytes / median time)
against the class count, xent beside PyTorch, with the device-to-device copy rate of the same run.
    /usr/bin/python3 scripts/gpu-chart.py          (needs python3-matplotlib)"""
import json
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "gpu")
rec = json.load(open(os.path.join(here, "latest.json")))
fig, ax = plt.subplots(figsize=(8, 4.8))
styles = {"float32": ("tab:blue", "o"), "bfloat16": ("tab:orange", "s"), "float16": ("tab:green", "^")}
for dtype, (color, marker) in styles.items():
    rows = sorted((b for b in rec["bench"] if b["op"] == "forward" and b["dtype"] == dtype), key=lambda b: (b["classes"], b["rows"]))
    if not rows:
        continue
    xs = [b["classes"] for b in rows]
    size = 4 if dtype == "float32" else 2
    ax.plot(xs, [b["gb_per_s"] for b in rows], color=color, marker=marker, label="xent " + dtype)
    ax.plot(xs, [b["rows"] * b["classes"] * size / (b["torch_ms"] / 1e3) / 1e9 for b in rows], color=color, marker=marker,
            linestyle="--", fillstyle="none", label="PyTorch " + dtype)
    for b in rows:
        ax.annotate("N=%d" % b["rows"], (b["classes"], b["gb_per_s"]), textcoords="offset points", xytext=(4, 4), fontsize=7, color=color)
ax.axhline(rec["copy_gb_per_s"], color="gray", linestyle=":", label="device copy rate (read + write) %.0f GB/s" % rec["copy_gb_per_s"])
ax.set_xscale("log")
ax.set_xlabel("classes C (rows N as marked)")
ax.set_ylabel("GB/s of logits read (bytes / median time)")
ax.set_title("Forward cross-entropy on %s, device-resident logits\nptx %s..., %s" % (rec["gpu"], rec["ptx_sha256"][:8], rec["date"][:10]), fontsize=10)
ax.legend(fontsize=7, loc="center left")
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()
fig.savefig(os.path.join(here, "forward.png"), dpi=120)
print("wrote docs/gpu/forward.png")
