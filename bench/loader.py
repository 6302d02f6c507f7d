"""CPU and bytes per training item delivered by the loader, at 1024x768 on the real VITON-HD samples: old items vs lean ones.

Usage: VTON_SAMPLES=/path/to/samples/viton-hd OMP_NUM_THREADS=1 python bench/loader.py [--workers 2] [--repeat 32] [--rounds 2]

As a user trains: `training_set(cfg)` makes the conditions once (a stand-in GMM with generated weights and the
persons' own parse, `parse_source='gt'`: nothing downloads, and the items the trainer reads are the same with
Seg's parse), then `Trainer(cfg, train_set).next_batch()` streams micro-batches of one item from `--workers`
worker processes. The six persons of the samples' unpaired test list become a train split in which each wears
the cloth of their unpaired pair (real photos, real clothes); the trainer gets them `--repeat` times over, so
that an epoch is long enough for the workers' start (a fork of the main process per worker and epoch) to weigh
little, as in a real epoch of 11,647 items. The agnostic person is drawn
per item, as on Colab (no preprocessing cache).

Per item delivered to the main process, over whole epochs: CPU seconds of the main process and of the workers
(`resource.getrusage` of the process and of its children; the workers are joined at the end of each epoch), and
the bytes of the batch's tensors. "old" is a faithful copy of the items as `VITONDataset` and `ConditionDataset`
made them before they became compact (float photos in [-1, 1], 13-channel one-hots of the parse and the
parse-agnostic map, the 7-channel parse, the cloth warped in the worker); "lean" is the library's. Both go through
the same `Trainer.next_batch`, and `Trainer.inputs` of the two streams is checked to be identical. The lean items'
expansion (`Trainer.inputs`: scaling, one-hots, the TPS warp) runs on the device; timed here on the CPU, it is an
upper bound of what a GPU does in a fraction of a millisecond.
"""
import argparse, gc, os, resource, shutil, statistics, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from fastcore.xtras import modified_env

from vtonlib.data import read_pairs
from vtonlib.preprocess import (grey_mask, load_person, onehot, parse_agnostic, person_paths, read_cached, read_parse,
                                resize_to)
from vtonlib.dataset import GREY, cloth_paths, labels_onehot, to_tensor
from vtonlib.core import read_image
from vtonlib.networks import GMM
from vtonlib.pipeline import tps_warp
from vtonlib.conditions import condition_stem, read_theta, tps_grid
from vtonlib.config import named_config
from vtonlib.train import Trainer, training_set
from vtonlib.testing import fill_deterministic
from report import record


class OldItems(torch.utils.data.Dataset):
    "The items of `ConditionDataset(dataset, cond_dir)` (theta form) as they were made before they became compact."
    def __init__(self, dataset, cond_dir, grid_size=5):
        self.dataset, self.cond_dir, self.pairs, self.grid_size = dataset, Path(cond_dir), dataset.pairs, grid_size
        tps_grid(tuple(dataset.size), grid_size)                       # built before the workers fork, as before

    def __len__(self): return len(self.pairs)

    def agnostic(self, img_name):
        "(photo, parse, parse-agnostic, grey mask) of a person at the dataset's size."
        ds = self.dataset
        cached = read_cached(ds.cache, ds.index, ds.data_dir, img_name) if ds.index else None
        if cached is None:
            image, parse, kp = load_person(ds.data_dir, img_name, ds.size)
            keypoints = person_paths(ds.data_dir, img_name)['keypoints']
            return image, parse, parse_agnostic(parse, kp), grey_mask(parse, kp, keypoints)
        paths = person_paths(ds.data_dir, img_name)
        image = resize_to(read_image(paths['image']), ds.size, Image.BILINEAR)
        return (image, resize_to(read_parse(paths['parse']), ds.size, Image.NEAREST)) + cached

    def viton_item(self, i):
        "`VITONDataset.__getitem__` as it was."
        ds = self.dataset
        img_name, c_name = ds.pairs[i]
        image, parse, parse_agn, mask = self.agnostic(img_name)
        cloths = cloth_paths(ds.data_dir, c_name)
        pose = read_image(person_paths(ds.data_dir, img_name)['pose'])
        cloth_mask = np.asarray(resize_to(read_image(cloths['cloth_mask'], 'L'), ds.size, Image.NEAREST)) >= 128
        img = to_tensor(image)
        return {'img_name': img_name, 'c_name': c_name,
                'img': img, 'img_agnostic': img.masked_fill(torch.from_numpy(mask), GREY),
                'parse_agnostic': labels_onehot(parse_agn),
                'pose': to_tensor(resize_to(pose, ds.size, Image.BILINEAR)),
                'cloth': to_tensor(resize_to(read_image(cloths['cloth']), ds.size, Image.BILINEAR)),
                'cloth_mask': torch.from_numpy(cloth_mask).float()[None],
                'parse': labels_onehot(parse)}

    def __getitem__(self, i):
        "`ConditionDataset.__getitem__` as it was."
        item = self.viton_item(i)
        stem = condition_stem(item['img_name'], item['c_name'])
        item['seg7'] = onehot(torch.from_numpy(np.array(read_image(self.cond_dir / 'seg7' / f'{stem}.png', 'L'))).long(), 7)
        theta = read_theta(self.cond_dir / 'theta' / f'{stem}.npy', 2 * self.grid_size ** 2)
        grid = tps_grid(tuple(self.dataset.size), self.grid_size)(theta[None])
        cloth, mask = tps_warp(grid, item['cloth'][None], item['cloth_mask'][None])
        item['warped_cloth'], item['warped_mask'] = cloth[0], mask[0]
        return item


def training_root(samples: Path, root: Path) -> Path:
    "A train split of the samples' unpaired persons, each in the cloth of their unpaired pair."
    persons = {}
    for img, cloth in read_pairs(samples / 'test_pairs_unpaired.txt'): persons.setdefault(img, cloth)
    for img, cloth in persons.items():
        for src in person_paths(samples / 'test', img).values():
            dst = root / 'train' / src.relative_to(samples / 'test'); dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        for kind, src in cloth_paths(samples / 'test', cloth).items():
            dst = cloth_paths(root / 'train', img)[kind]; dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    (root / 'train_pairs.txt').write_text(''.join(f'{img} {img}\n' for img in persons))
    return root


def cpu_seconds() -> tuple[float, float]:
    "CPU seconds (user + system) of this process and of its waited-for children."
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def one_epoch(trainer) -> dict:
    "Per item of one epoch through `trainer.next_batch`: CPU ms of the main process and of the workers, MB delivered."
    n = len(trainer.dataset)
    gc.collect()
    (main0, kids0), nbytes = cpu_seconds(), 0
    for _ in range(n):
        batch = trainer.next_batch()
        nbytes += sum(v.nbytes for v in batch.values() if torch.is_tensor(v))
    trainer.paired.load_state_dict(trainer.paired.state_dict())        # drop the loader: its workers are joined
    main1, kids1 = cpu_seconds()
    return dict(main=1e3 * (main1 - main0) / n, workers=1e3 * (kids1 - kids0) / n, mb=nbytes / n / 1e6)


def expansion_ms(trainer, items: int = 4) -> float:
    "CPU ms per item of `Trainer.inputs` on the CPU (what the device does for lean items)."
    batches = [trainer.next_batch() for _ in range(items)]
    start = time.process_time()
    for b in batches: trainer.inputs(b)
    return 1e3 * (time.process_time() - start) / items


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--repeat', type=int, default=32, help='times the six persons come in an epoch')
    ap.add_argument('--rounds', type=int, default=2, help='epochs of each kind, taking turns; the median is printed')
    ap.add_argument('--size', type=int, nargs=2, default=(1024, 768), metavar=('H', 'W'))
    args = ap.parse_args()
    samples = os.environ.get('VTON_SAMPLES')
    if not samples or not Path(samples).is_dir(): sys.exit('set VTON_SAMPLES to the real VITON-HD samples folder')
    torch.set_num_threads(1)
    size = tuple(args.size)
    with tempfile.TemporaryDirectory() as d, modified_env(VTON_HOME=f'{d}/persistent', VTON_DATA=f'{d}/work'):
        root = training_root(Path(samples), Path(d, 'data'))
        cfg = named_config('vtonlib', data_root=str(root), size=size, ngf=4, ndf=8, n_layers=3, num_upsampling_layers='normal',
                           lambda_vgg=0.0, batch_size=1, num_workers=args.workers, device='cpu', run_dir=f'{d}/run')
        lean = training_set(cfg, 'gt', gmm=fill_deterministic(GMM()), device='cpu')
        old = OldItems(lean.dataset, lean.cond_dir)
        checks = {kind: Trainer(cfg, data).inputs for kind, data in (('old', old), ('lean', lean))}
        first = {kind: torch.utils.data.default_collate([data[0]]) for kind, data in (('old', old), ('lean', lean))}
        same = [torch.equal(a, b) for a, b in zip(checks['old'](first['old'])[0], checks['lean'](first['lean'])[0], strict=True)]
        assert all(same), 'the lean items do not give the inputs the old ones gave'
        trainers = {kind: Trainer(cfg, torch.utils.data.ConcatDataset([data] * args.repeat)) for kind, data in (('old', old), ('lean', lean))}
        runs = {kind: [] for kind in trainers}
        for _ in range(args.rounds):
            for kind, trainer in trainers.items(): runs[kind].append(one_epoch(trainer))
        expand = {kind: expansion_ms(trainer) for kind, trainer in trainers.items()}
    med = {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for kind, rs in runs.items()}
    for m in med.values(): m['total'] = m['main'] + m['workers']
    print(f'loader at {size[0]}x{size[1]}: training_set -> Trainer.next_batch, real samples ({len(lean) * args.repeat} items an epoch: '
          f'6 persons x {args.repeat}), {args.workers} workers, micro-batches of 1, median of {args.rounds} epochs each, '
          f'CPU seconds by getrusage (self + children)')
    print(f'{"per item":34}{"old":>10}{"lean":>10}{"ratio":>9}')
    for key, label in (('main', 'CPU ms, main process'), ('workers', 'CPU ms, workers'), ('total', 'CPU ms, main + workers'),
                       ('mb', 'MB delivered')):
        print(f'{label:34}{med["old"][key]:10.1f}{med["lean"][key]:10.1f}{med["lean"][key] / med["old"][key]:8.2f}x')
    print(f'{"expansion on the device (here CPU)":34}{expand["old"]:10.1f}{expand["lean"]:10.1f}   '
          '(Trainer.inputs; a fraction of a millisecond on a GPU)')
    print('inputs of the first item: identical (old vs lean)')
    old, lean = med['old'], med['lean']
    record('loader', f'**{lean["total"]:.1f} vs {old["total"]:.1f} ms** of CPU per item, main process and workers together '
           f'(**{lean["total"] / old["total"]:.2f}x**; main {lean["main"]:.1f} vs {old["main"]:.1f}, workers '
           f'{lean["workers"]:.1f} vs {old["workers"]:.1f}); **{lean["mb"]:.1f} vs {old["mb"]:.1f} MB** delivered per item '
           f'(**{lean["mb"] / old["mb"]:.2f}x**); identical trainer inputs. The expansion the GPU then does (scaling, one-hots, '
           f'TPS warp) costs {expand["lean"]:.0f} ms on this CPU', lean=lean, old=old, expansion_ms=expand, runs=runs)


if __name__ == '__main__': main()
