#!/usr/bin/env python3
"""distdiff against diffusers on the same model folders and the same LibTorch kernels.

Run by hand (not in CI). bench/diffusers/run.sh makes the virtual environment
(pinned diffusers / transformers / safetensors over the torch that the C++
side links: Debian's python3-torch for the LibTorch 1.13 toolchain, the
build-pypi venv's torch for the 2.x one), writes the model folders and calls:

    python side_by_side.py run --cpp build/bin/bench_diffusers_steps --models /tmp/dd-models \
        --cases tiny-unet,full-unet-8,full-unet-64,full-guided-8 --threads 1,2 --rounds 5

Each case and thread count runs `rounds` times per side, every run a fresh
process of its own (load, warm-up, timed iterations), the two sides
alternating in a shuffled order. Reported: the median over all timed
iterations of each side, the quartiles, the ratio distdiff / diffusers of the
medians, and each side's peak RSS (the largest over its processes, from
wait4). OpenBLAS is held to one thread on both sides (torch's intra-op threads
do the parallel work), and OPENBLAS_CORETYPE is passed through unchanged.

Cases (B = 1 image, the CFG batch 2):
  <size>-unet-<n>     the UNet call of one denoising step: [z, z] at n x n latent,
                      [uncond, cond] text states, no gradient.
  <size>-guided-<n>   one guided step as distdiff's Paper composition runs it
                      (SingleStep, look-ahead 2): two CFG UNet calls and a DDIM
                      step with gradients, x0, the VAE decoder, CLIP's vision
                      tower on the resized image, a cosine energy to class and
                      group prototypes, and its gradient in z. The diffusers side
                      is written below with diffusers' UNet2DConditionModel,
                      AutoencoderKL and transformers' CLIPVisionModelWithProjection.
  <size>-decode-<n>   the VAE decoder alone.
  size: tiny (bench_diffusers_steps --write-models DIR/tiny) or full (SD v1-4 +
  CLIP ViT-B/32 sizes, --write-models DIR/full --full).
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time


def parse_case(name):
    size, kind, n = name.split("-")
    if size not in ("tiny", "full") or kind not in ("unet", "guided", "decode"):
        raise SystemExit(f"unknown case '{name}': expected tiny|full-unet|guided|decode-<latent>")
    return size, kind, int(n)


# ---------------------------------------------------------------- worker ----
def worker(a):
    import torch
    torch.set_num_threads(a.threads)
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPVisionModelWithProjection

    t0 = time.perf_counter()
    unet = UNet2DConditionModel.from_pretrained(os.path.join(a.sd, "unet")).eval().requires_grad_(False)
    vae = AutoencoderKL.from_pretrained(os.path.join(a.sd, "vae")).eval().requires_grad_(False)
    clip = CLIPVisionModelWithProjection.from_pretrained(a.clip).eval().requires_grad_(False)
    # Loaded, not run: the C++ side loads the whole model set (load_stable_diffusion), so the peak RSS compares alike.
    text_encoder = CLIPTextModel.from_pretrained(os.path.join(a.sd, "text_encoder")).eval().requires_grad_(False)
    with open(os.path.join(a.sd, "text_encoder", "config.json")) as f:
        L = json.load(f)["max_position_embeddings"]
    load_s = time.perf_counter() - t0

    torch.manual_seed(0)
    B, C, E = a.batch, unet.config.in_channels, unet.config.cross_attention_dim
    z = torch.randn(B, C, a.latent, a.latent)
    cond = torch.randn(B, L, E)
    uncond = torch.randn(B, L, E)
    D = clip.config.projection_dim
    class_protos = torch.nn.functional.normalize(torch.randn(2, D), dim=1)
    group_protos = torch.nn.functional.normalize(torch.randn(2, 3, D), dim=2)
    labels = torch.zeros(B, dtype=torch.long)
    text = torch.cat([uncond, cond])

    sched = DDIMScheduler.from_pretrained(os.path.join(a.sd, "scheduler"))
    sched.set_timesteps(50)
    ts = [int(t) for t in sched.timesteps]
    # Paper's SingleStep: M = 30 (t = 601), look-ahead 2: the guided latent sits at t = 621.
    t_guided = [621, 601]
    alphas = sched.alphas_cumprod
    image_size = clip.config.image_size
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
    pre = os.path.join(a.clip, "preprocessor_config.json")
    if os.path.exists(pre):
        with open(pre) as f:
            p = json.load(f)
        mean = torch.tensor(p.get("image_mean", mean.flatten().tolist())).view(1, 3, 1, 1)
        std = torch.tensor(p.get("image_std", std.flatten().tolist())).view(1, 3, 1, 1)

    def eps_cfg(x, t):
        e = unet(torch.cat([x, x]), t, encoder_hidden_states=text).sample
        u, c = e.chunk(2)
        return u + a.guidance_scale * (c - u)

    def energy(x):
        for i, t in enumerate(t_guided):
            e = eps_cfg(x, t)
            at = alphas[t]
            x0 = (x - (1 - at).sqrt() * e) / at.sqrt()
            if i + 1 < len(t_guided):  # deterministic DDIM step to the next timestep
                an = alphas[t_guided[i + 1]]
                x = an.sqrt() * x0 + (1 - an).sqrt() * e
        img = ((vae.decode(x0 / vae.config.scaling_factor).sample + 1) / 2).clamp(0, 1)
        img = torch.nn.functional.interpolate(img, size=(image_size, image_size), mode="bicubic",
                                              align_corners=False, antialias=True)
        f = clip(pixel_values=(img - mean) / std).image_embeds
        f = torch.nn.functional.normalize(f, dim=-1)
        e_class = 1 - (f * class_protos[labels]).sum(-1)
        e_group = 1 - (f.unsqueeze(1) * group_protos[labels]).sum(-1).max(dim=1).values
        return e_class + e_group

    def once():
        if a.kind == "unet":
            with torch.no_grad():
                return float(eps_cfg(z, a.timestep).sum())
        if a.kind == "decode":
            with torch.no_grad():
                return float(vae.decode(z / vae.config.scaling_factor).sample.sum())
        zg = z.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(energy(zg).mean(), [zg])
        return float(g.abs().sum())

    check = 0.0
    warmup_times = []  # reported apart: first-call costs
    for _ in range(a.warmup):
        t0 = time.perf_counter()
        check = once()
        warmup_times.append(time.perf_counter() - t0)
    times = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        check = once()
        times.append(time.perf_counter() - t0)
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            check = once()
        prof.export_chrome_trace(a.profile)
    print(json.dumps({"side": "diffusers", "case": a.kind, "latent": a.latent, "batch": B, "threads": a.threads,
                      "times": times, "warmup_times": warmup_times, "load_s": load_s, "check": check, "torch": torch.__version__}))


# ---------------------------------------------------------------- driver ----
def spawn(cmd, env):
    """Runs cmd in its own process; returns (parsed JSON line, its peak RSS in MB)."""
    with tempfile.TemporaryFile(mode="w+") as err_file:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, env=env, text=True)
        out = p.stdout.read()
        p.stdout.close()
        _, status, ru = os.wait4(p.pid, 0)   # this child's own rusage (Popen.wait would not give it)
        p.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read()
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit(f"no result from: {' '.join(cmd)}\n{out[-2000:]}\n{err[-2000:]}")
    return json.loads(lines[-1]), ru.ru_maxrss / 1024.0


def side_env(base, assignments):
    """base with KEY=VALUE assignments applied (KEY= removes KEY)."""
    env = dict(base)
    for kv in assignments or []:
        key, _, value = kv.partition("=")
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def quantile(v, q):
    v = sorted(v)
    pos = q * (len(v) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def driver(a):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"  # torch.set_num_threads / --threads set the intra-op count
    rng = random.Random(a.seed)
    rows = []
    for case in a.cases.split(","):
        size, kind, n = parse_case(case)
        sd = os.path.join(a.models, size, "sd")
        clip = os.path.join(a.models, size, "clip")
        big = size == "full" and n >= 32
        iters = a.iters if a.iters > 0 else (1 if big else 2 if kind == "guided" else 5)
        # One untimed first call per process everywhere: it carries one-time costs
        # (oneDNN primitives, the project's packed convolution weights), reported apart.
        warmup = a.warmup
        for threads in [int(t) for t in a.threads.split(",")]:
            common = ["--sd", sd, "--clip", clip, "--case", kind, "--latent", str(n), "--iters", str(iters),
                      "--warmup", str(warmup), "--threads", str(threads)]
            cmds = {
                "distdiff": [a.cpp] + common,
                "diffusers": [sys.executable, os.path.abspath(__file__), "worker"] + common,
            }
            envs = {"distdiff": side_env(env, a.env_distdiff), "diffusers": side_env(env, a.env_diffusers)}
            times = {k: [] for k in cmds}
            firsts = {k: [] for k in cmds}
            rss = {k: 0.0 for k in cmds}
            checks = {k: None for k in cmds}
            versions = {}
            for r in range(a.rounds):
                order = list(cmds)
                rng.shuffle(order)
                for side in order:
                    res, peak = spawn(cmds[side], envs[side])
                    versions[side] = res.get("torch") or res.get("toolchain", {}).get("libtorch", "")
                    times[side] += res["times"]
                    firsts[side] += res.get("warmup_times", [])[:1]
                    rss[side] = max(rss[side], peak)
                    checks[side] = res["check"]
                    print(f"  {case} threads={threads} round {r + 1}/{a.rounds} {side}: "
                          f"median {statistics.median(res['times']):.3f} s, peak RSS {peak:.0f} MB", flush=True)
            same = {".".join(v.split(".")[:2]) for v in versions.values()}
            if len(same) != 1:
                raise SystemExit(f"the two sides run different LibTorch versions: {versions}")
            row = {"case": case, "threads": threads, "torch": versions, "iters_per_process": iters, "warmup": warmup,
                   "rounds": a.rounds}
            for side in cmds:
                v = times[side]
                row[side] = {"median": statistics.median(v), "q25": quantile(v, 0.25), "q75": quantile(v, 0.75),
                             "n": len(v), "peak_rss_mb": rss[side], "check": checks[side],
                             "first_call_median": statistics.median(firsts[side]) if firsts[side] else None}
            row["ratio"] = row["distdiff"]["median"] / row["diffusers"]["median"]
            rows.append(row)
            print(f"{case} threads={threads}: distdiff {row['distdiff']['median']:.3f} s, "
                  f"diffusers {row['diffusers']['median']:.3f} s, ratio {row['ratio']:.3f}", flush=True)
    lines = ["| case | threads | distdiff s (q25–q75) | diffusers s (q25–q75) | distdiff / diffusers | "
             "peak RSS distdiff / diffusers (GB) | first call distdiff / diffusers (s) |",
             "|---|---|---|---|---|---|---|"]
    def first(side):
        return "–" if side["first_call_median"] is None else f"{side['first_call_median']:.3f}"
    for r in rows:
        d, p = r["distdiff"], r["diffusers"]
        lines.append(f"| {r['case']} | {r['threads']} | {d['median']:.3f} ({d['q25']:.3f}–{d['q75']:.3f}) | "
                     f"{p['median']:.3f} ({p['q25']:.3f}–{p['q75']:.3f}) | **{r['ratio']:.2f}** | "
                     f"{d['peak_rss_mb'] / 1024:.1f} / {p['peak_rss_mb'] / 1024:.1f} | {first(d)} / {first(p)} |")
    table = "\n".join(lines)
    print("\n" + table)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"rows": rows, "command": " ".join(sys.argv),
                       "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
                       "env_distdiff": a.env_distdiff, "env_diffusers": a.env_diffusers}, f, indent=1)
        with open(os.path.splitext(a.out)[0] + ".md", "w") as f:
            f.write(table + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker", help="time one case with diffusers (one process)")
    w.add_argument("--sd", required=True)
    w.add_argument("--clip", required=True)
    w.add_argument("--case", dest="kind", choices=["unet", "guided", "decode"], default="unet")
    w.add_argument("--latent", type=int, default=8)
    w.add_argument("--batch", type=int, default=1)
    w.add_argument("--iters", type=int, default=5)
    w.add_argument("--warmup", type=int, default=1)
    w.add_argument("--threads", type=int, default=1)
    w.add_argument("--timestep", type=int, default=601)
    w.add_argument("--guidance-scale", type=float, default=50.0)
    w.add_argument("--profile", help="after the timed iterations, one more under torch's profiler: chrome trace to FILE")
    r = sub.add_parser("run", help="interleave both sides over cases and thread counts")
    r.add_argument("--cpp", required=True, help="path of bench_diffusers_steps")
    r.add_argument("--models", required=True, help="folder with tiny/ and full/ model folders")
    r.add_argument("--cases", default="tiny-unet-8,full-unet-8,full-unet-64,full-guided-8")
    r.add_argument("--threads", default="1,2")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--iters", type=int, default=0,
                   help="timed iterations per process (0: 5; 2 for guided; 1 without warm-up at full size >= 32)")
    r.add_argument("--seed", type=int, default=0, help="of the shuffled order")
    r.add_argument("--warmup", type=int, default=1,
                   help="untimed first calls per process (the first one's time is reported apart)")
    r.add_argument("--env-distdiff", action="append", metavar="KEY=VALUE",
                   help="environment of the distdiff side only (KEY= unsets); repeatable")
    r.add_argument("--env-diffusers", action="append", metavar="KEY=VALUE",
                   help="environment of the diffusers side only (KEY= unsets); repeatable")
    r.add_argument("--out", help="write the rows as JSON here and the table next to it as .md")
    a = ap.parse_args()
    worker(a) if a.cmd == "worker" else driver(a)


if __name__ == "__main__":
    main()
