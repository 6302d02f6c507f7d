"""Training-step cost: vtonlib's Trainer versus the dissertation's loop (its Figure 5), on the CPU.

Usage: OMP_NUM_THREADS=2 python bench/train_step.py [--steps 2] [--size 256 192] [--ngf 16] [--conditions image more_features]

Both loops train the same networks (vtonlib's ALIAS generator, ngf 16, 'more' upsampling, and its
multi-scale discriminator: ndf 64, 2 scales, dropout 0.2, 5 layers because 6 do not fit 192 pixels)
with the same recipe, the dissertation's (vtonlib's `dissertation-*` configs): batch 1 x 4
accumulated micro-batches, Adam 1e-4 / 4e-4, G = adv + 10 L1 + 10 VGG, D = adv + 10 GP (WGAN-GP),
on the embedded sample data (conditions precomputed with
the true parse and a GMM with generated weights). The VGG19 has stand-in random weights
(`testing.write_standin_vgg19` in a temporary TORCH_HOME, nothing is downloaded); it costs the same
as the real one. The dissertation's loop is re-implemented as
printed: one generator forward per micro-batch, D loss and G loss backpropagated through the
same graph (retain_graph), so the G loss also writes into D's gradients; the gradient penalty
on the first scale only; the scaler updated twice per step. vtonlib's Trainer freezes D for the
G loss, penalises every scale in float32 and steps each scaler once.
Each variant runs in its own process, so its peak resident memory is its own. On a shared
machine the wall-clock times move with the load; the CPU seconds (summed over threads) less so.
"""
import argparse, json, resource, subprocess, sys, tempfile, time

import torch
import torch.nn.functional as F
from fastcore.xtras import modified_env

from vtonlib.losses import VGGPerceptualLoss
from vtonlib.sample import make_sample_dataset
from vtonlib.dataset import VITONDataset
from vtonlib.networks import GMM
from vtonlib.pipeline import alias_inputs
from vtonlib.conditions import ConditionDataset, expand_conditions, precompute_conditions
from vtonlib.config import named_config
from vtonlib.train import Trainer, build_discriminator, build_generator
from vtonlib.testing import fill_deterministic, write_standin_vgg19
from report import record, threads


DISSERTATION = {'image': 'dissertation-image', 'more_features': 'dissertation-morefeatures'}


def config(args, condition, run_dir):
    return named_config(DISSERTATION[condition], data_root=f'{args.data}/data', cond_dir=f'{args.data}/cond',
                        run_dir=run_dir, size=tuple(args.size), ngf=args.ngf, num_upsampling_layers='more', n_layers=5,
                        num_workers=0, amp='off', ckpt_every=10**9, sample_every=10**9)


def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dissertation_gradient_penalty(discriminator, real_data, fake_data, device):
    "Figure 7: WGAN-GP on the first scale's output only."
    alpha = torch.rand(real_data.size(0), 1, 1, 1).to(device)
    interpolates = (alpha * real_data + ((1 - alpha) * fake_data)).requires_grad_(True)
    d_interpolates = discriminator(interpolates)
    gradients = torch.autograd.grad(outputs=d_interpolates[0], inputs=interpolates,
                                    grad_outputs=torch.ones(d_interpolates[0].size()).to(device), create_graph=True,
                                    retain_graph=True, only_inputs=True)[0]
    return ((gradients.view(gradients.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


def dissertation_steps(cfg, steps, device='cpu', dtype=None):
    "Figure 5's loop on `device` (autocast to `dtype`, one GradScaler for fp16), `steps` optimizer steps; yields after each."
    torch.manual_seed(0)
    alias, D = build_generator(cfg).to(device), build_discriminator(cfg).to(device)
    outputs = lambda x: [scale[-1] for scale in D(x)]          # the dissertation's D returned the maps only
    vgg = VGGPerceptualLoss().to(device)
    optimizer_G = torch.optim.Adam(alias.parameters(), lr=cfg.lr_g)
    optimizer_D = torch.optim.Adam(D.parameters(), lr=cfg.lr_d)
    scaler = torch.amp.GradScaler(device, enabled=dtype == torch.float16)   # fp32 on the CPU, like vtonlib's trainer
    adversarial_loss = torch.nn.BCEWithLogitsLoss()
    data = ConditionDataset(VITONDataset(cfg.data_root, 'train', size=cfg.size), cfg.cond_dir)
    loader = torch.utils.data.DataLoader(data, batch_size=1, shuffle=True)
    i = 0
    while True:
        for batch in loader:
            batch = expand_conditions(batch, device)          # the float items the dissertation's loader gave
            img, img_agnostic, pose = batch['img'], batch['img_agnostic'], batch['pose']
            alias_input, parse, parse_div, misalign_mask = alias_inputs(batch['seg7'], batch['warped_cloth'],
                                                                        batch['warped_mask'], img_agnostic, pose)
            cond = [alias_input, parse, parse_div, misalign_mask] if cfg.condition == 'more_features' else []
            with torch.autocast(device, dtype=dtype, enabled=dtype is not None):   # the whole step, as printed
                fake_output = alias(alias_input, parse, parse_div, misalign_mask)
                real_input = torch.cat(cond + [img], dim=1)
                real_output = outputs(real_input)
                fake_input_detached = torch.cat(cond + [fake_output.detach()], dim=1)
                fake_output_detached = outputs(fake_input_detached)
                d_loss_real = sum(adversarial_loss(o, torch.ones_like(o)) for o in real_output)
                d_loss_fake = sum(adversarial_loss(o, torch.zeros_like(o)) for o in fake_output_detached)
                gp = dissertation_gradient_penalty(outputs, real_input, fake_input_detached, device)
                d_loss = (d_loss_real + d_loss_fake) * 0.5 + 10 * gp
                fake_output_g = outputs(torch.cat(cond + [fake_output], dim=1))
                g_adversarial_loss = sum(adversarial_loss(o, torch.ones_like(o)) for o in fake_output_g)
                g_feature_matching_loss = F.l1_loss(fake_output, img)   # its "feature matching" compared images
                g_loss = g_adversarial_loss + 10 * g_feature_matching_loss + 10 * vgg(fake_output, img)
                scaler.scale(d_loss).backward(retain_graph=True)
                scaler.scale(g_loss).backward()
            if (i + 1) % cfg.accum_steps == 0:
                scaler.step(optimizer_D); scaler.update(); optimizer_D.zero_grad()
                scaler.step(optimizer_G); scaler.update(); optimizer_G.zero_grad()
                yield
                if (i + 1) // cfg.accum_steps == steps: return
            i += 1


def vtonlib_steps(cfg, steps):
    "vtonlib's Trainer, `steps` optimizer steps; yields after each."
    t = Trainer(cfg)                                            # its VGG loss gets the stand-in VGG too
    for _ in range(steps): t.train_step(); yield


def child(args):
    cfg = config(args, args.condition, f'{args.data}/run_{args.variant}_{args.condition}')   # removed with the data
    run = (vtonlib_steps if args.variant == 'vtonlib' else dissertation_steps)(cfg, args.steps + 1)
    next(run)                                                   # warm-up step, not timed
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in run: pass
    print(json.dumps(dict(s_per_step=(time.perf_counter() - t0) / args.steps,
                          cpu_s_per_step=(time.process_time() - c0) / args.steps, peak_mb=rss_mb())))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=2, help='timed optimizer steps (after one warm-up step)')
    p.add_argument('--size', type=int, nargs=2, default=(256, 192))
    p.add_argument('--ngf', type=int, default=16)
    p.add_argument('--conditions', nargs='+', default=('image', 'more_features'))
    p.add_argument('--variant'); p.add_argument('--condition'); p.add_argument('--data')
    args = p.parse_args()
    if args.variant: return child(args)
    with tempfile.TemporaryDirectory() as d, modified_env(TORCH_HOME=f'{d}/torch'):   # the children inherit it
        write_standin_vgg19()
        size = tuple(args.size)
        root = make_sample_dataset(f'{d}/data', n=16, size=size)
        precompute_conditions(VITONDataset(root, 'train', size=size), f'{d}/cond', parse_source='gt',
                              gmm=fill_deterministic(GMM(7, 3, (1024, 768), 5)))
        print(f'training step on the CPU ({torch.get_num_threads()} threads), {size[0]}x{size[1]}, ngf {args.ngf}, '
              f'batch 1 x 4 accumulated, fp32, torch {torch.__version__}; mean of {args.steps} optimizer steps')
        print(f'{"condition":15}{"":22}{"dissertation":>14}{"vtonlib":>10}{"ratio":>8}')
        rows = {}
        for condition in args.conditions:
            r = {}
            for variant in ('dissertation', 'vtonlib'):
                out = subprocess.run([sys.executable, __file__, '--variant', variant, '--condition', condition,
                                      '--data', d, '--steps', str(args.steps), '--size', *map(str, size),
                                      '--ngf', str(args.ngf)], capture_output=True, text=True)
                if out.returncode: sys.exit(out.stderr)
                r[variant] = json.loads(out.stdout.strip().splitlines()[-1])
            a, b = rows[condition] = r['dissertation'], r['vtonlib']
            for key, label in (('s_per_step', 's / optimizer step'), ('cpu_s_per_step', 'CPU s / step')):
                print(f'{condition if key == "s_per_step" else "":15}{label:22}{a[key]:>14.2f}{b[key]:>10.2f}'
                      f'{b[key] / a[key]:>7.2f}x')
            print(f'{"":15}{"peak RSS (MiB)":22}{a["peak_mb"]:>14.0f}{b["peak_mb"]:>10.0f}{b["peak_mb"] / a["peak_mb"]:>7.2f}x')
    record('train_step', f'{threads()}; ' + '; '.join(
        f'`{c}`: {b["s_per_step"]:.2f} vs {a["s_per_step"]:.2f} s (**{b["s_per_step"] / a["s_per_step"]:.2f}x** time, CPU '
        f'{b["cpu_s_per_step"] / a["cpu_s_per_step"]:.2f}x), peak RSS **{b["peak_mb"] / a["peak_mb"]:.2f}x**'
        for c, (a, b) in rows.items()) + '; while doing more correct work (D frozen for G, penalty on every scale in '
        'fp32, one scaler update per optimizer)', **{c: dict(dissertation=a, vtonlib=b) for c, (a, b) in rows.items()})


if __name__ == '__main__': main()
