"""TPS grid generation at 1024x768, batch 4: vtonlib's precomputed basis vs the broadcasting formulation.

Usage: python bench/tps.py [--device cpu|cuda] [--batch 4] [--repeats 10]
Each variant runs in its own process so that its peak memory (CPU: peak RSS above the level after
setup; CUDA: peak allocated above the level after setup) is measured alone.
"""
import argparse, json, os, subprocess, sys, time

import torch

from vtonlib.networks import TpsGridGen, tps_system
from report import record

SIZE, GRID = (1024, 768), 5


def broadcast_grid(theta, points, system_inv, size=SIZE):
    "Baseline: the official broadcasting formulation, every (B, H, W, 1, N) term built at each call."
    n, b = len(points), theta.shape[0]
    px, py = points[:, 0].view(1, 1, 1, 1, n), points[:, 1].view(1, 1, 1, 1, n)
    q = theta.view(b, 2, n).transpose(1, 2) + points                            # (B, N, 2)
    w, a = system_inv[:n, :n] @ q, system_inv[n:, :n] @ q                       # (B, N, 2), (B, 3, 2)
    ys = torch.linspace(-0.9, 0.9, size[0], device=theta.device)
    xs = torch.linspace(-0.9, 0.9, size[1], device=theta.device)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    gx, gy = gx[None, :, :, None], gy[None, :, :, None]                         # (1, H, W, 1)
    d2 = (gx[..., None] - px) ** 2 + (gy[..., None] - py) ** 2                  # (1, H, W, 1, N)
    u = d2 * torch.log(torch.where(d2 == 0, torch.ones_like(d2), d2))
    out = []
    for k in range(2):
        wk = w[:, :, k].view(b, 1, 1, 1, n).expand(b, *size, 1, n)              # (B, H, W, 1, N)
        ak = a[:, :, k].view(b, 1, 1, 1, 3)
        out.append(ak[..., 0] + ak[..., 1] * gx + ak[..., 2] * gy + (wk * u).sum(-1))
    return torch.cat(out, 3)


def _rss_kib(field):
    "A field of /proc/self/status in KiB."
    for line in open('/proc/self/status'):
        if line.startswith(field): return int(line.split()[1])


def measure(variant, device, batch, repeats):
    "Time (median ms per call) and peak memory (MiB above setup) of one variant, in this process."
    torch.manual_seed(0)
    tps = TpsGridGen(SIZE, GRID).to(device)
    points, system_inv = [t.float().to(device) for t in tps_system(GRID)]
    baseline = lambda theta: broadcast_grid(theta, points, system_inv)
    theta = (torch.rand(batch, 2 * GRID ** 2, device=device) - 0.5) * 0.2
    fn = tps if variant == 'vtonlib' else baseline
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    with torch.no_grad():
        fn(theta); sync()                                                       # warm-up
        if device == 'cuda':
            torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
        else:
            with open('/proc/self/clear_refs', 'w') as f: f.write('5')         # reset the peak RSS
            base = _rss_kib('VmRSS') * 1024
        grid = fn(theta); sync()
        peak = (torch.cuda.max_memory_allocated() if device == 'cuda' else _rss_kib('VmHWM') * 1024) - base
        del grid
        times = []
        for _ in range(repeats):
            t = time.perf_counter(); fn(theta); sync(); times.append(time.perf_counter() - t)
        diff = (tps(theta) - baseline(theta)).abs().max().item()
    times.sort()
    return {'ms': 1000 * times[len(times) // 2], 'peak_mib': peak / 2 ** 20, 'max_diff': diff}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--repeats', type=int, default=10)
    ap.add_argument('--variant', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.variant:
        print(json.dumps(measure(args.variant, args.device, args.batch, args.repeats))); return
    res = {}
    for v in ('broadcast', 'vtonlib'):
        cmd = [sys.executable, __file__, '--variant', v, '--device', args.device, '--batch', str(args.batch),
               '--repeats', str(args.repeats)]
        res[v] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ).stdout)
    b, o = res['broadcast'], res['vtonlib']
    print(f'TPS grid {SIZE[0]}x{SIZE[1]}, batch {args.batch}, grid {GRID}x{GRID}, device {args.device}, '
          f'threads {torch.get_num_threads()}, torch {torch.__version__}')
    print(f'{"":24}{"broadcast (baseline)":>22}{"vtonlib":>12}{"ratio":>10}')
    print(f'{"time per call (ms)":24}{b["ms"]:>22.1f}{o["ms"]:>12.1f}{b["ms"] / o["ms"]:>9.1f}x')
    print(f'{"peak memory (MiB)":24}{b["peak_mib"]:>22.1f}{o["peak_mib"]:>12.1f}{b["peak_mib"] / max(o["peak_mib"], 1e-9):>9.1f}x')
    print(f'max |vtonlib - baseline| = {o["max_diff"]:.2e}; vtonlib also keeps its theta-free basis, '
          f'{SIZE[0] * SIZE[1] * GRID ** 2 * 4 / 2 ** 20:.0f} MiB, built once per model (not in the peak above)')
    record('tps', f'{o["ms"]:.1f} vs {b["ms"]:.1f} ms per call (**{b["ms"] / o["ms"]:.0f}x faster**), peak '
           f'{o["peak_mib"]:.0f} vs {b["peak_mib"]:.0f} MiB (**{b["peak_mib"] / max(o["peak_mib"], 1e-9):.0f}x less**), '
           f'max difference {o["max_diff"]:.0e}', vtonlib=o, broadcast=b, batch=args.batch, device=args.device)


if __name__ == '__main__':
    main()
