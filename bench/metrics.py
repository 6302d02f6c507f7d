"""Benchmark `vtonlib.metrics.evaluate` (streamed) against the dissertation's load-everything metric code.

Both compute FID, LPIPS and SSIM of N generated 512x384 result/real pairs under the dissertation's
protocol (so their numbers must agree); each run is a fresh process, so its peak RSS is its own.
Weights are deterministic stand-ins in a temporary TORCH_HOME (nothing downloads).

    python bench/metrics.py                 # N = 64 and 256
    python bench/metrics.py --counts 16 32  # a quicker look
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch

from report import record


def rss_mb() -> float:
    "Current resident set size of this process in MiB."
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    return float('nan')


def dissertation(real_dir, fake_dir, device):
    "The seed's Figures 10-12: pytorch-fid on the folders, then every image stacked in memory for LPIPS and SSIM."
    import os.path as osp
    import torchvision.transforms as transforms
    from PIL import Image
    from pytorch_fid import fid_score
    from skimage.metrics import structural_similarity as ssim
    from vtonlib.metrics import lpips_model

    fid_value = fid_score.calculate_fid_given_paths([str(real_dir), str(fake_dir)], batch_size=50, device=device,
                                                    dims=2048, num_workers=0)  # 0: decode in this process, measured
    lpips_net = lpips_model(device)           # lpips.LPIPS(net='alex') on the same stand-in weights

    def calculate_lpips_in_batches(real_images, fake_images, batch_size=16):
        scores = []
        for i in range(len(real_images) // batch_size + 1):
            real_batch, fake_batch = real_images[i * batch_size:(i + 1) * batch_size], fake_images[i * batch_size:(i + 1) * batch_size]
            if not len(real_batch): continue      # the original's extra empty batch gives NaN, which it skips
            with torch.no_grad(): score = lpips_net(real_batch, fake_batch).mean().item()
            if not np.isnan(score): scores.append(score)
        return np.mean(scores)

    def calculate_ssim_in_batches(real_images, fake_images, batch_size=16):
        scores = []
        for i in range(len(real_images) // batch_size + 1):
            real_batch = real_images[i * batch_size:(i + 1) * batch_size].cpu().numpy()
            fake_batch = fake_images[i * batch_size:(i + 1) * batch_size].cpu().numpy()
            for real_img, fake_img in zip(real_batch, fake_batch):
                real_img, fake_img = np.clip(real_img.transpose(1, 2, 0), 0, 1), np.clip(fake_img.transpose(1, 2, 0), 0, 1)
                scores.append(ssim(real_img, fake_img, channel_axis=-1, data_range=real_img.max() - real_img.min()))
        return sum(scores) / len(scores)

    real_images = sorted(f for f in os.listdir(real_dir) if osp.isfile(osp.join(real_dir, f)))
    fake_images = sorted(f for f in os.listdir(fake_dir) if osp.isfile(osp.join(fake_dir, f)))
    lpips_transform = transforms.Compose([transforms.Resize((512, 384)), transforms.ToTensor(),
                                         transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    fake_lpips = torch.stack([lpips_transform(Image.open(osp.join(fake_dir, f))) for f in fake_images]).to(device)
    real_lpips = torch.stack([lpips_transform(Image.open(osp.join(real_dir, f))) for f in real_images]).to(device)
    lpips_value = calculate_lpips_in_batches(real_lpips, fake_lpips)
    ssim_transform = transforms.Compose([transforms.Resize((512, 384)), transforms.ToTensor()])
    fake_ssim = torch.stack([ssim_transform(Image.open(osp.join(fake_dir, f))) for f in fake_images]).to(device)
    real_ssim = torch.stack([ssim_transform(Image.open(osp.join(real_dir, f))) for f in real_images]).to(device)
    ssim_value = calculate_ssim_in_batches(real_ssim, fake_ssim)
    return {'fid': float(fid_value), 'lpips': float(lpips_value), 'ssim': float(ssim_value)}


def child(approach: str, real_dir: str, fake_dir: str):
    "Run one approach in this (fresh) process and print its timings as JSON."
    from vtonlib.core import pick_device
    from vtonlib.metrics import evaluate, inception, lpips_model
    from vtonlib.testing import standin_weights
    device = str(pick_device())
    with standin_weights(), tempfile.TemporaryDirectory() as cache:
        inception(device), lpips_model(device)                      # load the networks before timing
        base = rss_mb()
        if device.startswith('cuda'): torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        if approach == 'vtonlib':
            res = evaluate(real_dir, fake_dir, protocol='dissertation', device=device, cache_dir=cache, progress=False)
        else: res = dissertation(real_dir, fake_dir, device)
        seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = torch.cuda.max_memory_allocated() / 2**20 if device.startswith('cuda') else 0.0
    print(json.dumps(dict(res, seconds=seconds, base_mb=base, peak_mb=peak, gpu_mb=gpu, device=device)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--counts', type=int, nargs='+', default=[64, 256])
    ap.add_argument('--child', nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child: return child(*args.child)
    from vtonlib.testing import synthetic_pairs
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for n in args.counts:
            real_dir, fake_dir = synthetic_pairs(Path(d) / str(n), n=n, size=(512, 384))
            for approach in ('dissertation', 'vtonlib'):
                out = subprocess.run([sys.executable, __file__, '--child', approach, str(real_dir), str(fake_dir)],
                                     capture_output=True, text=True)
                if out.returncode: sys.exit(out.stderr)
                results[approach, n] = json.loads(out.stdout.strip().splitlines()[-1])
                print(f'  done: {approach} N={n}', file=sys.stderr)
    print(f'evaluate() vs the dissertation\'s metric code, {results[approach, n]["device"]}, '
          f'torch threads {torch.get_num_threads()}, 512x384 pairs, FID + LPIPS + SSIM')
    print(f'{"N":>4} {"approach":<13} {"pairs/s":>8} {"seconds":>8} {"peak RSS MiB":>13} {"above base":>11} '
          f'{"FID":>10} {"LPIPS":>8} {"SSIM":>8}')
    for n in args.counts:
        for approach in ('dissertation', 'vtonlib'):
            r = results[approach, n]
            print(f'{n:>4} {approach:<13} {n / r["seconds"]:>8.2f} {r["seconds"]:>8.1f} {r["peak_mb"]:>13.0f} '
                  f'{r["peak_mb"] - r["base_mb"]:>11.0f} {r["fid"]:>10.4f} {r["lpips"]:>8.4f} {r["ssim"]:>8.4f}')
        d_, v_ = results['dissertation', n], results['vtonlib', n]
        print(f'{n:>4} {"ratio":<13} {d_["seconds"] / v_["seconds"]:>7.2f}x {"faster":>8} '
              f'{d_["peak_mb"] / v_["peak_mb"]:>12.2f}x {"less peak memory":>16}')
    lo, hi = min(args.counts), max(args.counts)
    growth = {a: results[a, hi]['peak_mb'] / results[a, lo]['peak_mb'] - 1 for a in ('dissertation', 'vtonlib')}
    for approach, g in growth.items(): print(f'peak RSS growth {approach}, N {lo} -> {hi}: {g:+.1%}')
    def speed(n):
        r = results['dissertation', n]['seconds'] / results['vtonlib', n]['seconds']
        return f'**{r:.1f}x faster** at {n} images' if r >= 1 else f'**{1 / r:.1f}x slower** at {n} images'
    diff = max(abs(results['dissertation', n][k] / results['vtonlib', n][k] - 1) for n in args.counts for k in ('fid', 'lpips', 'ssim'))
    record('metrics', ', '.join(map(speed, args.counts)) + f'; peak RSS grows **{100 * growth["vtonlib"]:+.1f} %** from {lo} to {hi} images (dissertation: '
           f'{100 * growth["dissertation"]:+.0f} %), ' +
           f'metric values equal to {diff:.0e} (relative)', **{f'{a} {n}': r for (a, n), r in results.items()},
           max_relative_difference=diff)


if __name__ == '__main__':
    main()
