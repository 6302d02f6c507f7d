"""Try-on pipeline throughput (images/s) with generated weights: official Seg and GMM, ALIAS ngf 64 'most'.

Usage: python bench/tryon.py [--size 512 384] [--device cpu] [--batch 1] [--images 4]
Runs on the embedded synthetic sample dataset (unpaired test pairs), after one warm-up batch.
"""
import argparse, tempfile, time

import torch

from vtonlib.sample import make_sample_dataset
from vtonlib.dataset import VITONDataset
from vtonlib.networks import ALIASGenerator, GMM, SegGenerator
from vtonlib.pipeline import TryOnPipeline
from vtonlib.testing import fill_deterministic
from report import record, threads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--size', type=int, nargs=2, default=(512, 384), metavar=('H', 'W'))
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--images', type=int, default=4, help='images timed (after the warm-up batch)')
    args = ap.parse_args()
    size, dev = tuple(args.size), torch.device(args.device)
    pipe = TryOnPipeline(fill_deterministic(SegGenerator()), fill_deterministic(GMM()),
                         fill_deterministic(ALIASGenerator(9, 7, size, 64, 'most')), size).to(dev)
    with tempfile.TemporaryDirectory() as d:
        root = make_sample_dataset(d, n=8, size=size)
        ds = VITONDataset(root, 'test', pairs='test_pairs_unpaired.txt', size=size, paired=False)
        item = torch.utils.data.default_collate([ds[0]] * args.batch)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    pipe(item); sync()                                                       # warm-up
    stages = {'seg': 0.0, 'gmm + warp': 0.0, 'alias': 0.0}
    batches = max(1, args.images // args.batch)
    total = time.perf_counter()
    for _ in range(batches):
        b = pipe._inputs(item)
        with torch.inference_mode():
            t = time.perf_counter(); seg7 = pipe.segment(b); sync(); stages['seg'] += time.perf_counter() - t
            t = time.perf_counter(); wc, wm = pipe.warp(b, seg7); sync(); stages['gmm + warp'] += time.perf_counter() - t
            t = time.perf_counter(); pipe(item); sync(); stages['alias'] += time.perf_counter() - t
    n = batches * args.batch
    end_to_end = stages.pop('alias')                     # the full pipeline call; ALIAS is what is left
    stages['alias'] = end_to_end - stages['seg'] - stages['gmm + warp']
    print(f'try-on pipeline {size[0]}x{size[1]}, batch {args.batch}, {n} images, device {dev}, '
          f'threads {torch.get_num_threads()}, torch {torch.__version__}')
    print(f'end to end: {n / end_to_end:.3f} images/s ({end_to_end / n:.2f} s/image)')
    for k, v in stages.items(): print(f'  {k:12} {v / n:6.2f} s/image  ({100 * v / end_to_end:4.1f} %)')
    print(f'(timing loop incl. separate stage runs: {time.perf_counter() - total:.1f} s)')
    record('tryon', f'{n / end_to_end:.3f} images/s ({dev}, {threads()}; ALIAS '
           f'{100 * stages["alias"] / end_to_end:.0f} % of the time)', images_per_s=n / end_to_end,
           s_per_image={k: v / n for k, v in stages.items()}, size=size, batch=args.batch)


if __name__ == '__main__':
    main()
