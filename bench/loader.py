"""Samples per second of VITONDataset at 1024x768 on the real VITON-HD samples: cache vs drawing.

Usage: VTON_SAMPLES=/path/to/samples/viton-hd python bench/loader.py [--rounds 5] [--size 1024 768]
The samples are copied to a temporary folder (the cache is written beside the data), the unpaired
test list is read once with the agnostic representation drawn per item and once from the cache.
"agnostic only" times just what the cache replaces: drawing parse-agnostic and the grey mask from
loaded inputs versus reading the two cached files.
"""
import argparse, os, shutil, statistics, sys, tempfile, time
from pathlib import Path

import torch

from vtonlib.data import read_pairs
from vtonlib.dataset import VITONDataset, cloth_paths
from vtonlib.preprocess import grey_mask, load_person, parse_agnostic, person_paths, preprocess, read_cached

def copy_samples(samples: Path, root: Path, pairs_file: str) -> Path:
    "Copy the files `pairs_file` needs (keeping their modification times) into `root`."
    for img, cloth in read_pairs(samples / pairs_file):
        for src in [*person_paths(samples / 'test', img).values(), *cloth_paths(samples / 'test', cloth).values()]:
            dst = root / src.relative_to(samples)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists(): shutil.copy2(src, dst)
    shutil.copy2(samples / pairs_file, root / pairs_file)
    return root

def per_second(fns: dict, n: int, rounds: int) -> dict:
    "Median calls per second of each `fn(i)` over passes of i in range(n), the fns taking turns."
    times = {name: [] for name in fns}
    for r in range(rounds + 1):                       # pass 0 warms up
        for name, fn in fns.items():
            start = time.perf_counter()
            for i in range(n): fn(i)
            if r: times[name].append(time.perf_counter() - start)
    return {name: n / statistics.median(t) for name, t in times.items()}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--size', type=int, nargs=2, default=(1024, 768), metavar=('H', 'W'))
    args = ap.parse_args()
    samples = os.environ.get('VTON_SAMPLES')
    if not samples or not Path(samples).is_dir(): sys.exit('set VTON_SAMPLES to the real VITON-HD samples folder')
    torch.set_num_threads(1)
    size, pairs_file = tuple(args.size), 'test_pairs_unpaired.txt'
    with tempfile.TemporaryDirectory() as d:
        root = copy_samples(Path(samples), Path(d), pairs_file)
        drawn = VITONDataset(root, 'test', pairs_file, size=size, paired=False)    # no cache yet: draws
        start = time.perf_counter()
        preprocess(root, 'test', size)
        build = time.perf_counter() - start
        cached = VITONDataset(root, 'test', pairs_file, size=size, paired=False)
        assert cached.index and not drawn.index
        assert all((cached[i][k] == drawn[i][k]).all() for i in range(len(drawn)) for k in ('img_agnostic', 'parse_agnostic'))
        n = len(drawn)
        names = [img for img, _ in drawn.pairs]
        items = per_second({'draw': drawn.__getitem__, 'cache': cached.__getitem__}, n, args.rounds)
        persons = [load_person(drawn.data_dir, name, size) for name in names]   # photo, parse, keypoints
        def draw(i): _, parse, kp = persons[i]; return parse_agnostic(parse, kp), grey_mask(parse, kp)
        def read(i): return read_cached(cached.cache, cached.index, cached.data_dir, names[i])
        agnostic = per_second({'draw': draw, 'cache': read}, n, args.rounds)
    print(f'VITONDataset {size[0]}x{size[1]}, {n} unpaired real pairs, 1 thread, median of {args.rounds} passes')
    print(f'preprocess (build the cache): {build:.2f} s for {n} items ({len(set(names))} persons)')
    print(f'{"":24}{"draw per item":>16}{"cached":>12}{"ratio":>8}')
    for what, r in (('full item (samples/s)', items), ('agnostic only (per s)', agnostic)):
        print(f'{what:24}{r["draw"]:16.1f}{r["cache"]:12.1f}{r["cache"] / r["draw"]:7.2f}x')

if __name__ == '__main__': main()
