"""The rerun path: seconds from a fresh work root to the first training step, the condition cache restored from its archive versus computed again.

Usage: OMP_NUM_THREADS=2 python bench/rerun.py [--persons 8] [--size 64x32] [--repeats 1]

A new Colab VM starts with an empty work root. Each session below starts the same way: the embedded
sample dataset copied into an empty work folder (it stands for the dataset extracted from its kept
archive; not timed) and the persistent folder holding either nothing ("recompute") or the archive
an earlier session wrote ("restore"). Then, timed:

  preprocess   the agnostic cache drawn again (both paths: it is cheap and never kept);
  conditions   `conditions.cached_conditions` with parse source 'seg': load Seg and GMM (the official
               architectures with deterministic stand-in weights, from a temporary VTON_HOME), digest
               them for the cache key, then either compute the conditions and write the archive
               (recompute) or unpack it (restore);
  first step   `Trainer` on the demo config built from the config's data_root and cond_dir, and one
               optimizer step.

The sessions alternate (recompute, restore, ...) `--repeats` times; the table shows the median of each.
"""
import argparse, os, shutil, statistics, tempfile, time
from pathlib import Path

import torch

from vtonlib.core import parse_size
from vtonlib.data import local_path
from vtonlib.sample import make_sample_dataset
from vtonlib.dataset import VITONDataset
from vtonlib.preprocess import preprocess
from vtonlib.pretrained import CHECKPOINTS, build_network
from vtonlib.conditions import cached_conditions
from vtonlib.config import TrainConfig, load_config
from vtonlib.train import Trainer
from vtonlib.testing import fill_deterministic
from report import record

STAGES = ('preprocess', 'conditions', 'first step')


def standin_checkpoints(home: Path):
    "Write deterministic Seg and GMM weights where `load_pretrained` looks, with `home` as VTON_HOME."
    os.environ['VTON_HOME'] = str(home)
    for name in ('seg', 'gmm'):
        path = local_path(CHECKPOINTS[name]); path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(fill_deterministic(build_network(name)).state_dict(), path)


def session(template: Path, work: Path, keep: Path, size) -> dict:
    "Seconds of each stage from an empty `work` folder to the first training step, with `keep` as the persistent folder."
    shutil.copytree(template, work / 'data')
    times, t = {}, time.perf_counter()
    preprocess(work / 'data', 'train', size)
    times['preprocess'], t = time.perf_counter() - t, time.perf_counter()
    cond = cached_conditions(VITONDataset(work / 'data', 'train', size=size), work / 'conditions', keep, 'seg')
    times['conditions'], t = time.perf_counter() - t, time.perf_counter()
    base = load_config('demo', [f'size=[{size[0]}, {size[1]}]']).to_dict()
    cfg = TrainConfig.from_dict({**base, 'data_root': str(work / 'data'), 'cond_dir': str(cond), 'run_dir': str(work / 'run'),
                                 'sample_every': 10**9, 'ckpt_every': 10**9}, source='rerun bench')
    Trainer(cfg).fit(1, resume=False)
    times['first step'] = time.perf_counter() - t
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--persons', type=int, default=8, help='synthetic persons (a quarter held out, the rest train)')
    p.add_argument('--size', type=parse_size, default=(64, 32), help='HEIGHTxWIDTH')
    p.add_argument('--repeats', type=int, default=1, help='sessions of each path')
    args = p.parse_args()
    old_home = os.environ.get('VTON_HOME')
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        standin_checkpoints(d / 'home')
        template = make_sample_dataset(d / 'template', n=args.persons, size=args.size)
        rows = {'recompute': [], 'restore': []}
        for r in range(args.repeats):
            keep = d / f'drive{r}' / 'conditions'           # empty: this session computes and writes the archive ...
            rows['recompute'].append(session(template, d / f'vm{r}a', keep, args.size))
            rows['restore'].append(session(template, d / f'vm{r}b', keep, args.size))   # ... the next restores it
        n_pairs = len(VITONDataset(template, 'train', size=args.size))
        archive = sum(f.stat().st_size for f in keep.iterdir())
        entries = len(list(keep.iterdir()))
    if old_home is None: os.environ.pop('VTON_HOME')
    else: os.environ['VTON_HOME'] = old_home
    med = {path: {s: statistics.median(t[s] for t in runs) for s in STAGES} for path, runs in rows.items()}
    for m in med.values(): m['total'] = sum(m[s] for s in STAGES)
    print(f'\nrerun path: {n_pairs} training pairs of the sample dataset at {args.size[0]}x{args.size[1]}, '
          f'median of {args.repeats} sessions each, {torch.get_num_threads()} threads, torch {torch.__version__}; '
          f'archive: {entries} entries, {archive / 1e3:,.0f} kB\n')
    head = ['path', *(f'{s} s' for s in STAGES), 'total s']
    print('| ' + ' | '.join(head) + ' |\n|' + '---|' + '---:|' * (len(head) - 1))
    for path, m in med.items(): print(f'| {path} | ' + ' | '.join(f'{m[k]:.2f}' for k in (*STAGES, 'total')) + ' |')
    print(f"\nrestore / recompute: conditions {med['restore']['conditions'] / med['recompute']['conditions']:.2f}, "
          f"total {med['restore']['total'] / med['recompute']['total']:.2f}")
    new, old = med['restore'], med['recompute']
    record('rerun', f'{new["total"]:.1f} vs {old["total"]:.1f} s (**{new["total"] / old["total"]:.2f}x**; the conditions '
           f'alone {new["conditions"]:.1f} vs {old["conditions"]:.1f} s, {new["conditions"] / old["conditions"]:.2f}x)',
           **med, pairs=n_pairs, archive_bytes=archive)


if __name__ == '__main__': main()
