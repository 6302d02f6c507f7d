"""The README's benchmark tables, rendered from the records in `bench/results/` (written by `report.record`).

    python bench/tables.py           # render the tables into nbs/index.ipynb, then README.md from it
    python bench/tables.py --check   # exit 1, naming what differs, when either is not what it would render

In the notebook's Markdown each table sits between `<!-- bench:table NAME -->` and `<!-- /bench:table -->`; the prose
around it is written by hand. README.md is `jupyter nbconvert --to markdown --stdout nbs/index.ipynb`.
"""
import argparse, json, re, subprocess, sys

from execnb.nbio import nb2str, read_nb

from report import REPO, RESULTS

NOTEBOOK, README = REPO / 'nbs' / 'index.ipynb', REPO / 'README.md'
NBCONVERT = ['jupyter', 'nbconvert', '--to', 'markdown', '--stdout', 'nbs/index.ipynb']
TABLE = re.compile(r'(<!-- bench:table (\w+) -->\n)(.*?)(<!-- /bench:table -->)', re.S)

COMPARED = {   # each script of the Benchmarks table, in its order: what its row compares
    'tps': 'TPS grid at 1024x768, batch 4: one matmul against a precomputed basis vs the official broadcasting formulation',
    'metrics': "`evaluate` (FID + LPIPS + SSIM, 512x384) streamed from disk vs the dissertation's load-everything code",
    'train_step': "one optimizer step (256x192, ngf 16, batch 1 x 4, fp32): vtonlib's Trainer vs a faithful copy of the "
                  "dissertation's loop",
    'loader': 'training items at 1024x768 on the real samples, through `training_set` → `Trainer.next_batch` with 2 '
              'workers: compact items vs a faithful copy of the float items of before',
    'conditions': 'the condition step at 1024x768 on the real samples (78 pairs, 2 workers, batches of 8) through '
                  '`precompute_conditions`; its device part from the FLOPs of the official Seg and GMM; evaluation '
                  'try-on the same way',
    'rerun': 'a fresh work root to the first training step (sample data, 64x32): conditions restored from their '
             'archives vs recomputed',
    'recipes': 'the recipe ablation of "The training recipe" (128x96, 200 steps)',
    'flops': 'FLOPs of one micro-batch at 1024x768, counted on the meta device',
    'tryon': 'Seg → GMM → ALIAS at 512x384 on the CPU, generated weights',
    'evaluation': '`colab.evaluate_generators` per generator, 2,032 test persons at 1024x768: FLOPs counted, CPU '
                  'measured on the real samples (1 thread)',
    'gpu_check': '1024x768 inference fp32 vs fp16; training steps of both recipes, fp16 / bf16, with / without gradient '
                 "checkpointing and compile, against the dissertation's loop",
}
NOT_RUN = {'gpu_check': "written and smoke-tested on the CPU by a test; **not yet run on a GPU**: no GPU was lent to this "
                        "project's work so far"}


def records() -> dict:
    "The records in `bench/results/`, by name."
    return {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob('*.json'))}


def provenance(rec: dict) -> str:
    "The commit and day of a record."
    return f'`{rec["commit"]}` ({rec["date"][:10]})'


def benchmarks(recs: dict) -> str:
    "The Benchmarks table: a row per script, with the command and commit of its record."
    rows = ['| script and command | what is compared | result | commit |', '|---|---|---|---|']
    for name, compared in COMPARED.items():
        rec = recs.get(name)
        rows.append(f'| `{rec["command"]}` | {compared} | {rec["summary"]} | {provenance(rec)} |' if rec else
                    f'| `python bench/{name}.py` | {compared} | {NOT_RUN.get(name, "not run yet")} | — |')
    return '\n'.join(rows) + '\n'


def recipes(recs: dict) -> str:
    "The recipe table from `bench/recipes.py`'s rows, the best score of each metric in bold, and its command."
    if 'recipes' not in recs: return '`python bench/recipes.py` has not been run yet.\n'
    rec, rows = recs['recipes'], recs['recipes']['numbers']['rows']
    best = {'ssim': max(r['ssim'] for r in rows), 'lpips': min(r['lpips'] for r in rows)}
    cell = lambda r, k: f'**{r[k]:.4f}**' if r[k] == best[k] else f'{r[k]:.4f}'
    lines = ['| recipe | held-out SSIM ↑ | LPIPS ↓ | D\'s real − fake logit |', '|---|---:|---:|---:|']
    lines += [f'| {r["recipe"]} | {cell(r, "ssim")} | {cell(r, "lpips")} | {r["gap"]:+.3f} |' for r in rows]
    return '\n'.join(lines) + f'\n\nMeasured by `{rec["command"]}` at commit {provenance(rec)}.\n'


def readme() -> str:
    "README.md as nbconvert makes it from nbs/index.ipynb."
    return subprocess.run(NBCONVERT, cwd=REPO, capture_output=True, text=True, check=True).stdout


def render(source: str, tables: dict) -> str:
    "`source` with each marked table replaced by its rendering."
    return TABLE.sub(lambda m: m[1] + tables[m[2]] + m[4], source)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='change nothing; exit 1 when the notebook or README differ')
    args = ap.parse_args()
    recs = records()
    tables = {'benchmarks': benchmarks(recs), 'recipes': recipes(recs)}
    nb = read_nb(NOTEBOOK)
    found = [m for c in nb.cells for m in TABLE.finditer(c.source)]
    if {m[2] for m in found} != set(tables): sys.exit(f'{NOTEBOOK.name}: expected one marked table each of {sorted(tables)}')
    stale = [m[2] for m in found if m[3] != tables[m[2]]]
    if args.check:
        readme_stale = readme() != README.read_text()
        problems = [f'nbs/index.ipynb: the {t} table differs from bench/results' for t in stale] + \
                   ['README.md differs from `jupyter nbconvert --to markdown --stdout nbs/index.ipynb`'] * readme_stale
        if problems: sys.exit('\n'.join(problems) + '\nrun: python bench/tables.py')
        return print('benchmark tables: nbs/index.ipynb and README.md match bench/results')
    for c in nb.cells: c.source = render(c.source, tables)
    NOTEBOOK.write_text(nb2str(nb))
    README.write_text(readme())
    print(f'rendered the tables into nbs/index.ipynb (changed: {", ".join(stale) or "none"}), and README.md from it')


if __name__ == '__main__': main()
