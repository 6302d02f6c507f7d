"""The demo's training, measured: what a training item costs (CPU and wall seconds, variant by variant), and which change bought what on the held-out persons.

Usage: python bench/demo.py speed [--steps 20] [--repeats 3] [--only NAME ...]
       python bench/demo.py ablation [--only NAME ...]
       python bench/demo.py probe --out DEMO_FOLDER

`speed` trains the demo's generator (`CONFIGS['demo']`) on the demo's data (a balanced sample of 24
persons at 128x96, colour-jittered items) in this process, from scratch, for `--steps` optimizer steps
through `Trainer.fit` (so its per-step extras count: the log, the sample grids, the checkpoints), after
one warm-up run. The variants run in turn, `--repeats` times; the table shows the median CPU seconds
(user + system of this process, all its threads) and wall seconds per training item, and their ratio
to the first variant. CPU seconds hardly depend on what else the machine runs; wall seconds do, and
two threads suffer most from a busy machine: read the wall column only on a quiet one.

`ablation` trains the demo's generator from scratch once per variant, with one thread (deterministic),
adding the demo's changes one at a time, and scores each on the demo's six held-out persons as
`vton demo` does (`vtonlib.demo.person_scores`): the mean and the worst person of each region score.
The last variant is `vton demo`'s own training, so its row matches the demo's table.

`probe` reads the generator a `vton demo --out DEMO_FOLDER` run trained and asks what it copies: each
held-out person's skin and garment are recoloured together (`vtonlib.demo.recolour`, gains 0.6, 1 and
1.4), and the mean brightness of the generated arms is compared with that of the face it was given,
the generated garment's with the warped cloth's (the slope within each person, averaged: 1 copies the
colour, 0 ignores it). It also counts, for each of the generator's levels, the cells of its input
(downsampled by nearest neighbour, as `networks.ALIASGenerator` does) that show a held-out person's face.
"""
import argparse, os, resource, statistics, tempfile, time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vtonlib.demo import DEMO_RUN, ColourJitter, demo_sets, person_scores, recolour
from vtonlib.sample import FACE, LEFT_ARM, RIGHT_ARM, UPPER
from vtonlib.config import named_config
from vtonlib.train import Trainer, write_results

OLD = dict(batch_size=1, sample_every=10, ckpt_every=20)    # the demo's per-step extras before this change
SPEED = {                                                      # name: (torch threads, config changes)
    '2 threads, batch 1, grid every 10 steps, checkpoint every 20': (2, OLD),
    '1 thread, batch 1, grid every 10 steps, checkpoint every 20': (1, OLD),
    '1 thread, batch 1, grid and checkpoint every 100 steps (the demo)': (1, {}),
    '1 thread, batch 4, grid and checkpoint every 100 steps': (1, dict(batch_size=4)),
    '2 threads, batch 4, grid and checkpoint every 100 steps': (2, dict(batch_size=4)),
}
OLD_RATES = dict(lr_g=1e-3, lr_d=4e-3)
ABLATION = {                                                   # name: (balanced sample, jittered regions, steps, config changes)
    '(a) before: random sample, no jitter, old learning rates, 400 steps': (False, (), 400, OLD_RATES),
    '(b) (a) with the steps its saved seconds buy': (False, (), DEMO_RUN['steps'], OLD_RATES),
    '(c) (b) on a balanced sample': (True, (), DEMO_RUN['steps'], OLD_RATES),
    '(d) (c) with colour jitter': (True, DEMO_RUN['jitter'], DEMO_RUN['steps'], OLD_RATES),
    '(e) (d) with the demo\'s learning rates: `vton demo`': (True, DEMO_RUN['jitter'], DEMO_RUN['steps'], {}),
}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def per_item(threads: int, changes: dict, train, steps: int, folder: Path) -> tuple[float, float]:
    "CPU and wall seconds per training item of `steps` optimizer steps of the demo config with `changes`."
    torch.set_num_threads(threads)
    cfg = named_config('demo', run_dir=str(folder), **changes)
    trainer = Trainer(cfg, dataset=train)
    c, t = cpu_seconds(), time.perf_counter()
    trainer.fit(steps, resume=False)
    items = steps * cfg.batch_size * cfg.accum_steps
    return (cpu_seconds() - c) / items, (time.perf_counter() - t) / items


def speed(args, d: Path):
    "The speed table."
    variants = {k: v for k, v in SPEED.items() if not args.only or any(o in k for o in args.only)}
    train = ColourJitter(demo_sets(d / 'demo', DEMO_RUN['persons'], named_config('demo').size)['train'], DEMO_RUN['jitter'])
    per_item(1, {}, train, 2, d / 'warm-up')
    seen = {k: [] for k in variants}
    for r in range(args.repeats):
        for i, (name, (threads, changes)) in enumerate(variants.items()):
            seen[name].append(per_item(threads, changes, train, args.steps, d / f'run{r}-{i}'))
    print(f'demo training, {args.steps} steps per variant, median of {args.repeats}; torch {torch.__version__}, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end')
    rows = {k: [statistics.median(x) for x in zip(*v)] for k, v in seen.items()}
    base_cpu, base_wall = next(iter(rows.values()))
    print('| variant | CPU s / item | ratio | wall s / item | ratio |\n|---|---:|---:|---:|---:|')
    for name, (c, w) in rows.items(): print(f'| {name} | {c:.3f} | {c / base_cpu:.2f} | {w:.3f} | {w / base_wall:.2f} |')


def ablation(args, d: Path):
    "The ablation table."
    torch.set_num_threads(1)
    variants = {k: v for k, v in ABLATION.items() if not args.only or any(o in k for o in args.only)}
    size, rows = named_config('demo').size, []
    for i, (name, (balanced, regions, steps, changes)) in enumerate(variants.items()):
        sets = demo_sets(d / ('balanced' if balanced else 'random'), DEMO_RUN['persons'], size, balanced)
        train = ColourJitter(sets['train'], regions) if regions else sets['train']
        trainer = Trainer(named_config('demo', run_dir=str(d / f'run{i}'), **changes), dataset=train)
        c = cpu_seconds()
        trainer.fit(steps, resume=False)
        seconds = cpu_seconds() - c
        results = [write_results(trainer, sets[key], d / f'results{i}' / key) for key in ('test', 'unpaired')]
        scores = person_scores(d / ('balanced' if balanced else 'random') / 'data' / 'test', *results)
        col = lambda k: [s[k] for s in scores]
        rows.append([name, f'{seconds:.0f}', f'{np.mean(col("kept_psnr")):.2f} / {min(col("kept_psnr")):.2f}',
                     f'{np.mean(col("garment_de")):.1f} / {max(col("garment_de")):.1f}',
                     f'{np.mean(col("arm_de")):.1f} / {max(col("arm_de")):.1f}', f'{np.mean(col("new_cloth_nearer")):.0%}'])
        print(f'  {" | ".join(rows[-1])}', flush=True)
    print(f'\nthe demo\'s six held-out persons, one thread, torch {torch.__version__}; mean / worst person')
    print('| variant | training CPU s | kept PSNR (dB) ↑ | garment ΔE ↓ | arm ΔE ↓ | unpaired: garment nearer the new cloth ↑ |')
    print('|---|---:|---:|---:|---:|---:|')
    for r in rows: print('| ' + ' | '.join(r) + ' |')


def probe(args, d: Path):
    "How much of the skin and the garment colour the demo's trained generator copies, and where it can see the face."
    torch.set_num_threads(1)
    out = Path(args.out)
    cfg = named_config('demo', data_root=str(out / 'data'), run_dir=str(out / 'run'))
    sets = demo_sets(d, DEMO_RUN['persons'], cfg.size)               # the same persons, drawn again
    trainer = Trainer(cfg, dataset=sets['test'], override=True)
    if not trainer.resume(): raise SystemExit(f'{out / "run"}: no checkpoint; run `vton demo --out {out}` first')
    labels_of, brightness = ColourJitter(sets['test']).labels, lambda image, mask: ((image[:, mask] + 1) * 127.5).mean().item()
    slopes, levels = {'arms / face': [], 'garment / warped cloth': []}, {}
    for i in range(len(sets['test'])):
        item = sets['test'][i]
        labels = labels_of(item['img_name'])
        arms, face, garment = torch.isin(labels, torch.tensor([LEFT_ARM, RIGHT_ARM])), labels == FACE, labels == UPPER
        seen = []
        for g in (0.6, 1.0, 1.4):
            x = recolour({k: v.clone() if torch.is_tensor(v) else v for k, v in item.items()}, labels,
                         {'skin': torch.full((3,), g), 'garment': torch.full((3,), g)})
            fake = trainer.generate(torch.utils.data.default_collate([x]))[0]
            seen.append((brightness(x['img_agnostic'], face), brightness(fake, arms),
                         brightness(x['warped_cloth'], x['warped_mask'][0] > 0.5), brightness(fake, garment)))
        a = np.array(seen)
        slopes['arms / face'].append(np.polyfit(a[:, 0], a[:, 1], 1)[0])
        slopes['garment / warped cloth'].append(np.polyfit(a[:, 2], a[:, 3], 1)[0])
        for scale in sorted(set(trainer.G.scales)):
            h, w = trainer.G.sh * 2 ** scale, trainer.G.sw * 2 ** scale
            cells = F.interpolate(labels[None, None].float(), size=(h, w), mode='nearest')
            levels.setdefault(f'{h}x{w}', []).append(int((cells == FACE).sum()))
    print(f'{out / "run"} (step {trainer.step}), the {len(sets["test"])} held-out persons, skin and garment recoloured together:')
    for k, v in slopes.items(): print(f'  {k}: slope {np.mean(v):.2f} (per person {", ".join(f"{x:.2f}" for x in v)})')
    print('face cells per person in the generator\'s input at each of its levels: ' +
          ', '.join(f'{k}: {v}' for k, v in levels.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('table', choices=('speed', 'ablation', 'probe'))
    p.add_argument('--steps', type=int, default=20, help='speed: optimizer steps per variant and repeat')
    p.add_argument('--repeats', type=int, default=3, help='speed: rounds over the variants')
    p.add_argument('--only', nargs='*', help='run only the variants whose name contains one of these')
    p.add_argument('--out', help='probe: the folder of a `vton demo --out` run')
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d: {'speed': speed, 'ablation': ablation, 'probe': probe}[args.table](args, Path(d))


if __name__ == '__main__': main()
