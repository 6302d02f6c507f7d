"""GPU checks. Part 1: 1024x768 try-on inference in fp32 and fp16 autocast (generated weights).

Usage: python bench/gpu_check.py [--batch 2] [--images 8]
Prints images/s and peak GPU memory for each precision, and how far the fp16 results are from fp32:
end to end (Seg's arg-max may flip a few pixels, which moves everything after it) and for ALIAS
alone on identical fp32 conditions. fp32 means true fp32 (TF32 switched off).
"""
import argparse, tempfile, time

import torch

from vtonlib.data import make_sample_dataset
from vtonlib.dataset import VITONDataset
from vtonlib.networks import ALIASGenerator, GMM, SegGenerator, fill_deterministic
from vtonlib.pretrained import TryOnPipeline, alias_inputs

SIZE = (1024, 768)


def timed(pipe, batch, amp, images, seed=0):
    "(outputs of the first call, images/s, peak MiB) of `images` images through the pipeline."
    torch.cuda.synchronize(); torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    first = pipe(batch, amp=amp, generator=torch.Generator('cuda').manual_seed(seed))     # also the warm-up
    torch.cuda.synchronize()
    n = max(1, images // len(batch['img_name']))
    t = time.perf_counter()
    for _ in range(n): pipe(batch, amp=amp, generator=torch.Generator('cuda').manual_seed(seed))
    torch.cuda.synchronize()
    return first, n * len(batch['img_name']) / (time.perf_counter() - t), torch.cuda.max_memory_allocated() / 2 ** 20


def part1(batch_size=2, images=8):
    "Inference at 1024x768: throughput, memory and fp16-vs-fp32 differences."
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    pipe = TryOnPipeline(fill_deterministic(SegGenerator()), fill_deterministic(GMM()),
                         fill_deterministic(ALIASGenerator(9, 7, SIZE, 64, 'most')), SIZE).cuda()
    with tempfile.TemporaryDirectory() as d:
        root = make_sample_dataset(d, n=8, size=SIZE)
        ds = VITONDataset(root, 'test', pairs='test_pairs_unpaired.txt', size=SIZE, paired=False)
        batch = torch.utils.data.default_collate([ds[i % len(ds)] for i in range(batch_size)])
    print(f'part 1: try-on inference {SIZE[0]}x{SIZE[1]}, batch {batch_size}, {torch.cuda.get_device_name()}, '
          f'torch {torch.__version__}, generated weights (official Seg, GMM, ALIAS ngf 64 most)')
    out32, ips32, mem32 = timed(pipe, batch, False, images)
    out16, ips16, mem16 = timed(pipe, batch, torch.float16, images)
    print(f'{"":26}{"fp32":>12}{"fp16 autocast":>16}{"ratio":>9}')
    print(f'{"images/s":26}{ips32:>12.2f}{ips16:>16.2f}{ips16 / ips32:>8.2f}x')
    print(f'{"peak GPU memory (MiB)":26}{mem32:>12.0f}{mem16:>16.0f}{mem16 / mem32:>8.2f}x')
    diff = (out32['output'] - out16['output']).abs()
    flips = (out32['seg7'].argmax(1) != out16['seg7'].argmax(1)).float().mean().item()
    print(f'end to end fp16 vs fp32: output max |diff| {diff.max().item():.4f}, mean {diff.mean().item():.5f} '
          f'(images in [-1, 1]); parse pixels that differ {100 * flips:.3f} %; warped cloth max |diff| '
          f'{(out32["warped_cloth"] - out16["warped_cloth"]).abs().max().item():.4f}')
    x, seg7, seg_div, mis = alias_inputs(out32['seg7'], out32['warped_cloth'], out32['warped_mask'],
                                         batch['img_agnostic'].cuda(), batch['pose'].cuda())
    with torch.inference_mode():
        a32 = pipe.alias(x, seg7, seg_div, mis)
        with torch.autocast('cuda', dtype=torch.float16): a16 = pipe.alias(x, seg7, seg_div, mis).float()
    d = (a32 - a16).abs()
    print(f'ALIAS alone on the same fp32 conditions: max |diff| {d.max().item():.4f}, mean {d.mean().item():.5f}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--images', type=int, default=8)
    args = ap.parse_args()
    if not torch.cuda.is_available(): raise SystemExit('gpu_check needs a CUDA GPU')
    part1(args.batch, args.images)


if __name__ == '__main__':
    main()
