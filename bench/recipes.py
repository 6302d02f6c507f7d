"""Recipe ablation on the embedded sample data: L1 + VGG alone, the dissertation's recipe, vtonlib's, vtonlib's without EMA.

Usage: OMP_NUM_THREADS=2 python bench/recipes.py [--steps 200] [--quick] [--size 128x96] [--set KEY=VALUE ...]

A controlled version of the dissertation's Table 1: every recipe trains the same networks (the demo's
generator and 3-layer discriminator, `--set` changes them for all) on the same synthetic persons,
with the same seed, data order, step count, learning rates and losses (the demo config's learning rates and
L1 weight, plus a VGG loss x10: G = adv + L1 + VGG), and differs only in how the adversarial game is played:

  (a) L1 + VGG: no adversarial loss for the generator (its discriminator still trains, for the gap column);
  (b) dissertation: BCE, WGAN-GP x10 on every step, Adam (0.9, 0.999), dropout on inner layers, no
      learning-rate decay, no feature matching, no weight average;
  (c) vtonlib: the defaults of `TrainConfig` (R1, Adam (0, 0.9), decay over the second half, feature
      matching x10, dropout before the logits only, EMA generator);
  (d) (c) without the EMA generator.

Each is scored on the held-out persons (paired: each in their own cloth) by SSIM and LPIPS through
`vtonlib.metrics.evaluate`, and by the discriminator's mean logit on their real photos minus that
on the training generator's try-ons. The `regions` column is filled by `vtonlib.metrics.region_scores`
when that function exists. Nothing downloads: the VGG19 of the loss and LPIPS's AlexNet are the
files in TORCH_HOME when present, else deterministic stand-ins (the output says which).
"""
import argparse, os, tempfile, time
from pathlib import Path

import torch

import vtonlib.metrics
from vtonlib.core import parse_size
from vtonlib.config import CONFIGS, TrainConfig, load_config
from vtonlib.data import local_path
from vtonlib.sample import make_sample_dataset
from vtonlib.dataset import VITONDataset
from vtonlib.networks import GMM
from vtonlib.testing import fill_deterministic, write_standin_vgg19, write_standin_weights
from vtonlib.conditions import ConditionDataset, precompute_conditions
from vtonlib.train import Trainer, write_results
from report import record

DISSERTATION = {k: CONFIGS['dissertation-image'][k] for k in
                ('gan_mode', 'lambda_fm', 'penalty', 'lambda_gp', 'gp_every', 'betas', 'lr_decay_start', 'ema_decay',
                 'dropout', 'dropout_at')}
BASE = ('num_upsampling_layers=normal', 'lambda_vgg=10')   # 'normal': sizes divisible by 32, such as 128x96
RECIPES = {'(a) L1 + VGG, no adversarial loss': dict(lambda_adv=0.0, lambda_fm=0.0), "(b) the dissertation's": DISSERTATION,
           "(c) vtonlib's": {}, "(d) vtonlib's without EMA": dict(ema_decay=0.0)}


def weights_home(home: Path) -> dict:
    "Fill the temporary TORCH_HOME `home` with the real VGG19 / AlexNet files where present, else stand-ins; name -> which."
    found = {n: local_path(n) for n in ('vgg19', 'alexnet')}     # read before TORCH_HOME moves
    os.environ['TORCH_HOME'] = str(home)
    used = {}
    for name, path in found.items():
        if path.is_file():
            local_path(name).parent.mkdir(parents=True, exist_ok=True); os.symlink(path, local_path(name))
            used[name] = 'downloaded weights'
        else: used[name] = 'deterministic stand-in weights (random features, not ImageNet)'
    if not found['vgg19'].is_file(): write_standin_vgg19()
    if not found['alexnet'].is_file(): write_standin_weights()
    return used


def region_scores(real_dir, fake_dir, parse_dir) -> dict:
    "Per-region scores of the results (hook: `vtonlib.metrics.region_scores`, when it exists)."
    score = getattr(vtonlib.metrics, 'region_scores', None)
    return score(real_dir, fake_dir, parse_dir) if score else {}


def run_recipe(name, overrides, args, root, sets, out) -> dict:
    "Train one recipe from scratch and score it on the held-out persons."
    base = load_config('demo', [f'size=[{args.size[0]}, {args.size[1]}]', *BASE, *args.set]).to_dict()
    cfg = TrainConfig.from_dict({**base, **overrides, 'data_root': str(root), 'run_dir': str(out / 'run'),
                                 'sample_every': 10**9, 'ckpt_every': 10**9}, source=name)
    trainer = Trainer(cfg, dataset=sets['train'])
    t0 = time.perf_counter()
    trainer.fit(args.steps, resume=False)
    seconds = (time.perf_counter() - t0) / args.steps
    fakes = write_results(trainer, sets['test'], out / 'results')
    real = root / 'test' / 'image'
    scores = vtonlib.metrics.evaluate(real, fakes, metrics=('lpips', 'ssim'), progress=False)
    test = torch.utils.data.default_collate([sets['test'][i] for i in range(len(sets['test']))])
    d_real, d_fake = trainer.discriminator_logits(test)
    return dict(recipe=name, **scores, gap=d_real - d_fake, regions=region_scores(real, fakes, root / 'test' / 'image-parse'),
                s_per_step=seconds)


def table(rows) -> str:
    "The results as a markdown table."
    regions = sorted({k for r in rows for k in r['regions']})
    head = ['recipe', 'SSIM ↑', 'LPIPS ↓', 'D real − fake logit', *(regions or ['regions']), 's / step']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' + '---:|' * (len(head) - 1)]
    for r in rows:
        cells = [r['recipe'], f"{r['ssim']:.4f}", f"{r['lpips']:.4f}", f"{r['gap']:+.3f}",
                 *([f"{r['regions'].get(k, float('nan')):.3f}" for k in regions] or ['n/a']), f"{r['s_per_step']:.2f}"]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=200, help='optimizer steps per recipe')
    p.add_argument('--quick', action='store_true', help='a smoke run: 4 steps on 8 persons at 64x32')
    p.add_argument('--size', type=parse_size, default=(128, 96), help='HEIGHTxWIDTH')
    p.add_argument('--persons', type=int, default=32, help='synthetic persons (a quarter held out)')
    p.add_argument('--set', nargs='*', default=[], metavar='KEY=VALUE', help='config changes for every recipe')
    p.add_argument('--only', nargs='*', help='run only the recipes whose name contains one of these')
    args = p.parse_args()
    if args.quick: args.steps, args.persons, args.size = 4, 8, (64, 32)
    recipes = {k: v for k, v in RECIPES.items() if not args.only or any(o in k for o in args.only)}
    old_home = os.environ.get('TORCH_HOME')
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        used = weights_home(d / 'torch')
        root = make_sample_dataset(d / 'data', n=args.persons, size=args.size)
        gmm = fill_deterministic(GMM(7, 3, (1024, 768), 5))
        sets = {}
        for mode in ('train', 'test'):
            data = VITONDataset(root, mode, size=args.size)
            sets[mode] = ConditionDataset(data, precompute_conditions(data, d / 'cond' / mode, 'gt', gmm=gmm))
        print(f'recipe ablation: {len(sets["train"])} training and {len(sets["test"])} held-out synthetic persons at '
              f'{args.size[0]}x{args.size[1]}, {args.steps} steps each, seed 0, {torch.get_num_threads()} threads, '
              f'torch {torch.__version__}; the demo config with {" ".join((*BASE, *args.set))}')
        print(f'VGG19 (loss): {used["vgg19"]}; AlexNet (LPIPS): {used["alexnet"]}')
        rows = []
        for i, (name, overrides) in enumerate(recipes.items()):
            rows.append(run_recipe(name, overrides, args, root, sets, d / f'recipe{i}'))
            print(f"  {name}: SSIM {rows[-1]['ssim']:.4f}, LPIPS {rows[-1]['lpips']:.4f}, gap {rows[-1]['gap']:+.3f}",
                  flush=True)
        if old_home is None: os.environ.pop('TORCH_HOME')
        else: os.environ['TORCH_HOME'] = old_home
    print('\n' + table(rows))
    by = {r['recipe'][:3]: r for r in rows}
    if '(b)' in by and '(c)' in by:
        b, c = by['(b)'], by['(c)']
        wins = {'SSIM': c['ssim'] > b['ssim'], 'LPIPS': c['lpips'] < b['lpips']}
        print('\n(c) vtonlib against (b) dissertation on the held-out persons: ' +
              ', '.join(f'{k} {"better" if w else "worse"}' for k, w in wins.items()))
        record('recipes', f"(c) vtonlib's against (b) the dissertation's: SSIM {c['ssim']:.4f} vs {b['ssim']:.4f}, LPIPS "
               f"{c['lpips']:.4f} vs {b['lpips']:.4f}, D's real − fake logit {c['gap']:+.3f} vs {b['gap']:+.3f}; all four "
               'recipes in "The training recipe"', rows=rows, steps=args.steps, size=args.size, persons=args.persons,
               threads=torch.get_num_threads(), weights=used)


if __name__ == '__main__': main()
